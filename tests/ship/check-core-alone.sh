#!/bin/sh
# The core alone: configures a scratch build of the source tree with every
# optional module OFF (-DCX_SQLITE=OFF -DCX_PG=OFF -DCX_ASYNC=OFF) and the
# platform layer of the BSDs and macOS (-DCX_PORT=posix: src/port/posix.c,
# POSIX calls only, tested here on every make check), builds
# the libraries, the tour, the bench and the core's test programs, runs the
# core suites (labels core, contextlib, resources), installs the build
# into a scratch prefix and checks that the tree has libcx, its headers and
# cx.pc but no module library, header, pkg-config file, CMake targets file
# or man page, and that nothing built links SQLite, libpq or libuv; then
# builds tests/install/hello.c
# against that tree with pkg-config and runs it.
# The scratch build is configured with -DCX_CORE_ALONE_TEST=OFF, so it does
# not register this test again.
#   usage: check-core-alone.sh <source dir> <cc> [<jobs>]
set -eu
src=$(cd "$1" && pwd)
cc=$2
jobs=${3:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build=$work/build prefix=$work/prefix
start=$(date +%s)

fail() { echo "core alone: $*" >&2; exit 1; }

# Configure: each module says it was skipped, and why.  -O2 without -g: the
# build is most of this test's time, and what it proves does not need the
# debug information.
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DCMAKE_C_COMPILER="$cc" \
      -DCX_SQLITE=OFF -DCX_PG=OFF -DCX_ASYNC=OFF -DCX_CORE_ALONE_TEST=OFF -DCX_PORT=posix \
      > "$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; fail "configure failed"; }
for m in sqlite:SQLITE pg:PG async:ASYNC; do
    grep -q "^-- cx: module ${m%:*}: skipped (-DCX_${m#*:}=OFF)\$" "$work/configure.log" ||
        { cat "$work/configure.log" >&2; fail "configure did not say module ${m%:*} was skipped"; }
done
grep -q '^-- cx: module async-pg: skipped ' "$work/configure.log" ||
    fail "configure did not say module async-pg was skipped"

# Build what used to need a module (the tour, the bench, the libraries) and
# the suites run below.  Not the rest of the default build (the ucontext
# core, the generator, reliability, ship, C++ and fuzz programs): it links no
# module, and building it would double this test's time.
cmake --build "$build" -j "$jobs" --target cx cx_static cx-tour cx-bench \
      test_core test_contextlib test_resources > "$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log" >&2; fail "the build failed"; }
built=$(date +%s)

# Nothing registered needs a module, and the core suites run.
(cd "$build" && ctest -N) > "$work/tests.txt"
if (cd "$build" && ctest -N -L '^(sqlite|pg|async|pg_server)$') | grep 'Test *#' ||
   grep -E 'Test *#[0-9]+: (ship\.cx_(sqlite|pg|async)|fuzz\.conninfo)' "$work/tests.txt"; then
    fail "tests that need a module are registered"
fi
grep -q 'ship\.core_alone_' "$work/tests.txt" && fail "the scratch build registered this test"
# The core's suites (and the install checks labelled core).  Not gen: the
# generators are the full build's to test, and the time is this test's.
(cd "$build" && ctest -j "$jobs" -L '^(core|contextlib|resources)$' \
     --output-on-failure) > "$work/ctest.log" 2>&1 ||
    { tail -n 60 "$work/ctest.log" >&2; fail "the core tests failed"; }
tested=$(grep -E '^[0-9]+% tests passed' "$work/ctest.log")
case $tested in
    *"out of 0") fail "no core test ran" ;;
esac

# Nothing links a module's library.
for f in "$build"/libcx.so "$build"/examples/cx-tour "$build"/bench/cx-bench; do
    [ -e "$f" ] || fail "$(basename "$f") was not built"
    if readelf -d "$f" | grep -E 'NEEDED.*(sqlite3|libpq|libuv)'; then
        fail "$(basename "$f") links a module's library"
    fi
done

# The installed tree: the core, and no module.
cmake --install "$build" --prefix "$prefix" > "$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "install failed"; }
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -n1)
libdir=${libdir%/pkgconfig}
for f in "$libdir/libcx.so" "$libdir/libcx.so.0" "$libdir/libcx.a" "$libdir/pkgconfig/cx.pc" \
         "$libdir/cmake/cx/cxConfig.cmake" "$prefix/include/cx/cx.h" "$prefix/include/cx/dberror.h"; do
    [ -e "$f" ] || fail "${f#"$prefix"/} is not installed"
done
leaked=$(cd "$prefix" && find . \( -name 'libcx-*' -o -name 'cx-*.pc' -o -name 'cx-*-targets*.cmake' \
         -o -name 'cx_sqlite_*.3' -o -name 'cx_pg_*.3' -o -name cx_run.3 -o -name sqlite.h \
         -o -name pg.h -o -name async.h \) | sed 's|^\./||')
[ -z "$leaked" ] || fail "module files installed: $(echo "$leaked" | tr '\n' ' ')"

# A program built with pkg-config against that tree runs.
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs cx)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror "$src/tests/install/hello.c" -o "$work/hello" $flags
out=$(LD_LIBRARY_PATH="$libdir" "$work/hello")
[ "$out" = "caught ValueError: from the installed tree; exit ran" ] ||
    fail "hello printed: $out"
echo "core alone: configured with every module OFF, built in $((built - start)) s;" \
     "core suites: $tested; installed tree has no module; hello ran" \
     "($(($(date +%s) - start)) s in all)"
