#!/bin/sh
# Proves the aarch64 switch routine: cross-builds the core and the generator
# tests for aarch64 (static) and runs them under qemu-aarch64.  CX_TEST_UNDER_QEMU
# leaves out the one test qemu-user cannot host: it maps the guest's address
# space itself, so RLIMIT_AS never makes a guest mmap fail.
set -eu
src=$1
out=$2
mkdir -p "$out"
cc=aarch64-linux-gnu-gcc
sources="$src/src/core/*.c $src/src/lib/*.c $src/src/res/*.c $src/src/coro/*.c \
         $src/src/coro/switch_aarch64.S $src/tests/gen/*.c $src/tests/harness.c $src/tests/probe.c"
# shellcheck disable=SC2086
$cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -DCX_BUILDING -DCX_TEST_UNDER_QEMU -static -pthread \
    -I"$src/include" -I"$src/tests" $sources -o "$out/test_gen_aarch64"
qemu-aarch64 "$out/test_gen_aarch64"
