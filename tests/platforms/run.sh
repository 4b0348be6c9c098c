#!/bin/sh
# make platforms: the core on every platform cx supports besides the
# development machine's.  For each target it configures build-platforms/NAME
# with cmake/toolchains/NAME.cmake, builds the library and the core, gen,
# contextlib and resources suites (those the target builds: Windows, the
# core and contextlib), runs them (cross targets through their emulator, the
# toolchain's CMAKE_CROSSCOMPILING_EMULATOR: qemu-user, or Wine for
# mingw-x86_64), installs into build-platforms/NAME/prefix, and prints one
# line:
#   platform NAME: P passed, F failed
# A test that skips (what the platform lacks, saying why: skipped.log) is
# neither: their count goes to stderr.
# A target that does not configure, build or install counts one failure.
# Exits 1 if any target failed.  Each step's output is in
# build-platforms/NAME/<step>.log; a failure names the log and the failed
# tests on stderr.
#   usage: tests/platforms/run.sh [NAME ...]     (default: all of them)
#   JOBS=n   parallel build and test jobs (default 2)
#   CX_PLATFORMS_CMAKE_ARGS   more arguments for every configure (words)
#   CX_PLATFORMS_DIR          where the builds go (default build-platforms)
# The optional modules are built where pkg-config finds their libraries for
# the target (the toolchain files point it at the target's libraries only);
# their suites are not part of this run.  The toolchains are installed here
# when missing (scripts/deps.sh: apt-get as root, else the command to run),
# and a target whose toolchain cannot be had fails: none is skipped.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${CX_PLATFORMS_DIR:-$src/build-platforms}
jobs=${JOBS:-2}
all="musl-x86_64 i686 armhf aarch64 riscv64 mingw-x86_64"
targets=${*:-$all}

# The tools each target needs, as scripts/deps.sh takes them.
deps_of() {
    case $1 in
    musl-x86_64) echo "musl-gcc=musl-tools" ;;
    i686) cross_deps i686-linux-gnu i386 qemu-i386 ;;
    armhf) cross_deps arm-linux-gnueabihf armhf qemu-arm ;;
    aarch64) cross_deps aarch64-linux-gnu arm64 qemu-aarch64 ;;
    riscv64) cross_deps riscv64-linux-gnu riscv64 qemu-riscv64 ;;
    # Debian's wine64 puts its loader off PATH (cmake/toolchains/wine-run.sh).
    mingw-x86_64) echo "x86_64-w64-mingw32-gcc=gcc-mingw-w64-x86-64 /usr/lib/wine/wine64=wine64" ;;
    *) return 1 ;;
    esac
}
cross_deps() {
    echo "$1-gcc=gcc-$1 /usr/$1/include/stdio.h=libc6-dev-$2-cross $3=qemu-user"
}

# The tests run: the four suites, less the two labels that test the host
# rather than the target (install: the host's other compiler and pkg-config
# against the build tree; cross: the x86-64 build's own qemu run of aarch64).
labels='^(core|gen|contextlib|resources)$'
not_labels='^(install|cross)$'

failed_targets=0
count=0
sum_p=0
sum_f=0
started=$(date +%s)
for name in $targets; do
    t0=$(date +%s)
    count=$((count + 1))
    dir=$out/$name
    mkdir -p "$dir"
    passed=0 failed=0 step=""
    # shellcheck disable=SC2086 # deps: words
    if ! deps=$(deps_of "$name"); then
        step="unknown target (known: $all)"
    elif ! "$src/scripts/deps.sh" $deps > "$dir/deps.log" 2>&1; then
        step="toolchain: $dir/deps.log"
    elif ! cmake -S "$src" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchains/$name.cmake" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$dir/prefix" \
        ${CX_PLATFORMS_CMAKE_ARGS:-} > "$dir/configure.log" 2>&1; then
        step="configure: $dir/configure.log"
    else
        # What to build: the libraries that install (the core's and each
        # module found), and the suites' programs.
        want="cx cx_static"
        have=$(cmake --build "$dir" --target help 2>/dev/null | sed -n 's/^\.\.\. //p' | cut -d' ' -f1)
        for t in test_core test_gen test_gen-ucontext test_contextlib test_resources \
            cx_sqlite cx_pg cx_async cx_async_pg; do
            printf '%s\n' "$have" | grep -qx "$t" && want="$want $t"
        done
        # shellcheck disable=SC2086
        if ! cmake --build "$dir" -j "$jobs" --target $want > "$dir/build.log" 2>&1; then
            step="build: $dir/build.log"
        else
            (cd "$dir" && ctest -j "$jobs" -L "$labels" -LE "$not_labels" --output-on-failure) \
                > "$dir/test.log" 2>&1
            line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$dir/test.log" | tail -1)
            if [ -z "$line" ]; then
                step="test (no tests ran): $dir/test.log"
            else
                failed=$(printf '%s\n' "$line" | sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/')
                total=$(printf '%s\n' "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
                skipped=$(grep -ac '^[[:space:]]*[0-9]* - .* (Skipped)$' "$dir/test.log")
                passed=$((total - failed - skipped))
                # Each skip's reason, from the tests' whole output.
                grep -ah ': skipped on this platform: ' "$dir/Testing/Temporary/LastTest.log" \
                    > "$dir/skipped.log" 2>/dev/null
                [ "$skipped" -ne 0 ] &&
                    echo "platform $name: $skipped skipped, each saying why ($dir/skipped.log)" >&2
                if [ "$failed" -ne 0 ]; then
                    echo "platform $name: failed tests ($dir/test.log):" >&2
                    sed -n '/The following tests FAILED/,$p' "$dir/test.log" |
                        grep -aE '^[[:space:]]+[0-9]+ - ' | head -n 20 >&2
                    [ "$failed" -gt 20 ] && echo "	... and $((failed - 20)) more" >&2
                fi
                if ! cmake --install "$dir" > "$dir/install.log" 2>&1; then
                    step="install: $dir/install.log"
                fi
            fi
        fi
    fi
    if [ -n "$step" ]; then
        echo "platform $name: did not complete: $step" >&2
        failed=$((failed + 1))
    fi
    [ "$failed" -ne 0 ] && failed_targets=$((failed_targets + 1))
    sum_p=$((sum_p + passed))
    sum_f=$((sum_f + failed))
    echo "platform $name: $passed passed, $failed failed"
    echo "platform $name: $(($(date +%s) - t0)) s" > "$dir/time.log"
done
echo "platforms ($(($(date +%s) - started)) s): $failed_targets of $count targets failed" >&2
echo "platforms: $sum_p passed, $sum_f failed"
[ "$failed_targets" -eq 0 ]
