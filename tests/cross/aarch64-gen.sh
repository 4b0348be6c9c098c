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
lib="$src/src/core/*.c $src/src/lib/*.c $src/src/res/*.c $src/src/coro/*.c \
     $src/src/port/unix.c $src/src/port/linux.c \
     $src/src/coro/switch_aarch64.S"
tests="$src/tests/gen/*.c $src/tests/harness.c $src/tests/probe.c"
flags="-std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DCX_TEST_UNDER_QEMU -I$src/include"
# The library as cx is built (CX_BUILDING), the tests as a user's program.
rm -rf "$out/obj" && mkdir -p "$out/obj"
# shellcheck disable=SC2086
(cd "$out/obj" && $cc $flags -DCX_BUILDING -c $lib)
# shellcheck disable=SC2086
$cc $flags -I"$src/tests" -static -pthread $tests "$out"/obj/*.o -lm -o "$out/test_gen_aarch64"
qemu-aarch64 "$out/test_gen_aarch64"
