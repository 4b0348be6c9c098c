#!/bin/sh
# The core on another C library or word size: configures a scratch build of
# the source tree for TARGET with every optional module OFF, builds the core
# and its core and gen test programs with -Werror, and runs each of their
# tests on its own (as CTest does), natively or under qemu-user.
#   musl  musl-gcc (x86-64 with musl: no ucontext, XSI strerror_r, no
#         glibc-private mutex fields)
#   m32   a 32-bit x86 build: `cc -m32` (gcc-multilib) where it links, else
#         i686-linux-gnu-gcc when CX_M32_QEMU=1 (slow: make check leaves it
#         out); run natively where the kernel runs i386 programs, else
#         under qemu-i386
# Exits 77 (CTest's SKIP_RETURN_CODE), saying why, when the compiler or a
# way to run its programs is missing.  The scratch build registers neither
# this test nor the core-alone one.
#   usage: check-platform-core.sh <musl|m32> <source dir> <cc> [<jobs>]
set -eu
target=$1
src=$(cd "$2" && pwd)
cc=$3
jobs=${4:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

fail() { echo "platform $target: $*" >&2; exit 1; }
skip() { echo "platform $target: skipped: $*"; exit 77; }

# A compiler that builds a threaded program with the system headers cx uses
# (a half-installed multilib lacks <asm/errno.h>), and a way to run it.
printf '#include <errno.h>\n#include <pthread.h>\n#include <signal.h>\n#include <stdio.h>\nint main(void) { printf("%%d\\n", (int)sizeof(void *)); return pthread_self() == 0; }\n' \
    > "$work/probe.c"
links() { "$@" "$work/probe.c" -o "$work/probe" -pthread > /dev/null 2>&1; }
runner=""
flags=""
case $target in
musl)
    command -v musl-gcc > /dev/null || skip "musl-gcc not found (Debian: musl-tools)"
    target_cc=musl-gcc
    links musl-gcc || fail "musl-gcc cannot link a threaded program"
    ;;
m32)
    if links "$cc" -m32; then
        target_cc=$cc flags=-m32
    elif [ "${CX_M32_QEMU:-0}" != 1 ]; then
        skip "'$cc -m32' does not build a threaded program (Debian: gcc-multilib);" \
             "CX_M32_QEMU=1 uses i686-linux-gnu-gcc under qemu-i386 instead"
    elif command -v i686-linux-gnu-gcc > /dev/null && links i686-linux-gnu-gcc; then
        target_cc=i686-linux-gnu-gcc
    else
        skip "no 32-bit x86 compiler: '$cc -m32' does not link (Debian: gcc-multilib)" \
             "and i686-linux-gnu-gcc is absent (Debian: gcc-i686-linux-gnu)"
    fi
    if ! "$work/probe" > /dev/null 2>&1; then
        sysroot=""
        if [ "$target_cc" = i686-linux-gnu-gcc ] && [ -d /usr/i686-linux-gnu ]; then
            sysroot=/usr/i686-linux-gnu
        fi
        command -v qemu-i386 > /dev/null ||
            skip "this kernel does not run i386 programs and qemu-i386 is absent (Debian: qemu-user)"
        runner="qemu-i386 ${sysroot:+-L $sysroot}"
        $runner "$work/probe" > /dev/null 2>&1 || skip "qemu-i386 cannot run a 32-bit program here"
    fi
    ;;
*) fail "unknown target (musl or m32)" ;;
esac
[ "$($runner "$work/probe")" = "$([ "$target" = m32 ] && echo 4 || echo 8)" ] ||
    fail "the probe program has the wrong pointer size"

# Under qemu-user: leave out what the emulator cannot host (CX_TEST_UNDER_QEMU:
# it maps the guest's address space itself, so RLIMIT_AS never bounds it),
# and the one test not yet proven there (docs/portability.md, "Open").
left_out=""
if [ -n "$runner" ]; then
    flags="$flags -DCX_TEST_UNDER_QEMU"
    [ "$target" = m32 ] &&
        left_out="gen_overflow_by_a_frame_larger_than_the_guard_into_unmapped_memory_is_reported"
fi

build=$work/build
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DCMAKE_C_COMPILER="$target_cc" -DCMAKE_C_FLAGS="$flags" -DCMAKE_ASM_FLAGS="${flags%% -D*}" \
      -DCX_SQLITE=OFF -DCX_PG=OFF -DCX_ASYNC=OFF \
      -DCX_CORE_ALONE_TEST=OFF -DCX_PLATFORM_TESTS=OFF \
      > "$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; fail "configure failed"; }
cmake --build "$build" -j "$jobs" --target cx test_core test_gen > "$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log" >&2; fail "the build failed"; }
built=$(date +%s)

# Each test alone, as CTest runs it: a test may leave a process-wide state
# (signal dispositions, limits) the next would inherit in one process.
passed=0 failed=0
for suite in core gen; do
    exe=$build/tests/test_$suite
    $runner "$exe" --list | grep -vxF "${left_out:-/}" > "$work/$suite.list" ||
        fail "test_$suite --list failed"
    # shellcheck disable=SC2016,SC2086
    xargs -P "$jobs" -I{} sh -c 'timeout 120 '"$runner"' "$1" "$2" > "$3/out.$2" 2>&1 ||
        echo "$2" >> "$3/failed.$$"' sh "$exe" {} "$work" < "$work/$suite.list"
    n=$(wc -l < "$work/$suite.list")
    f=$(cat "$work"/failed.* 2>/dev/null | wc -l)
    for t in $(cat "$work"/failed.* 2>/dev/null); do
        echo "FAIL $suite.$t:" >&2
        tail -n 5 "$work/out.$t" >&2
    done
    rm -f "$work"/failed.*
    passed=$((passed + n - f)) failed=$((failed + f))
done
echo "platform $target ($target_cc${flags:+ $flags}${runner:+, under $runner}): core and gen suites:" \
     "$passed passed, $failed failed${left_out:+, 1 left out ($left_out)}; built in $((built - start)) s, $(($(date +%s) - start)) s in all"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
