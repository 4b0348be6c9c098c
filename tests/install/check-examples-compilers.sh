#!/bin/sh
# One behaviour on gcc and clang: the documented programs (examples/*.c, the
# cx-tour program) and tests/install/volatile_rule.c are built with gcc and
# with clang at -O0, -O2 and -O3 against the *installed* libraries (the build
# tree installed once into a scratch prefix), every build is run, and every
# build must print the same.  volatile_rule must also print the output written
# at the end of its source.  A difference fails the test and shows the diff
# against the first build (gcc -O0).
#
#   usage: check-examples-compilers.sh <build dir> <source dir> [pg env file]
#
# With a pg env file (the suite's private PostgreSQL server, CTest fixture
# pg_server), section 5.1 (the class-based DatabaseConnection) is also run
# against that server by each build in turn; without one, every build skips
# it the same way.
#
# What is compared is stdout, the exit status and stderr, each run in its own
# files.  Before comparing, only what legitimately varies from run to run is
# normalised (sed rules in normalise() below, one per line):
#   1. the random part of temporary names: mkdtemp's /tmp/tmpXXXXXX in the
#      generator example, and cx_tempdir's $TMPDIR/cx-XXXXXX;
#   2. measured durations: a decimal number followed by "s" or " seconds"
#      (timers, cx_timed, the monitor's report, the rate limiter's clock,
#      the overhead loop);
#   3. the performance monitor's other measurements: CPU %, peak RSS growth
#      (MB and KiB), and the overhead percentage;
#   4. (applied first) the monitor's warning for its 0.5 s threshold, printed only when the
#      operation happened to take longer on a loaded machine (the 0.001 s
#      threshold's warning, printed every time, stays).
set -eu
build=$1
src=$2
pgenv=${3:-}
for cc in gcc clang; do
    command -v "$cc" >/dev/null || { echo "$cc is not installed (make check installs it)" >&2; exit 1; }
done
jobs=$(nproc 2>/dev/null || echo 2)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(find "$work/prefix" -maxdepth 2 -type d -name pkgconfig | head -n1)
libdir=${libdir%/pkgconfig}
export PKG_CONFIG_PATH="$libdir/pkgconfig"

# The modules cx-tour uses, as examples/CMakeLists.txt picks them: those this
# build installed (libpq with cx-pg).
modules=cx
defs=-D_GNU_SOURCE
if [ -e "$libdir/pkgconfig/cx-sqlite.pc" ]; then
    modules="$modules cx-sqlite"; defs="$defs -DCX_TOUR_HAVE_SQLITE=1"
fi
if [ -e "$libdir/pkgconfig/cx-async.pc" ]; then
    modules="$modules cx-async"; defs="$defs -DCX_TOUR_HAVE_ASYNC=1"
fi
if [ -e "$libdir/pkgconfig/cx-pg.pc" ]; then
    modules="$modules libpq"; defs="$defs -DCX_TOUR_HAVE_LIBPQ=1"
fi
# shellcheck disable=SC2086
cflags="-std=c11 -Wall -Wextra -Werror $defs -fmacro-prefix-map=$src/= $(pkg-config --cflags $modules)"
# shellcheck disable=SC2086
libs="-Wl,-rpath,$libdir $(pkg-config --libs $modules) -lpthread"
export cflags libs

builds="gcc-O0 gcc-O2 gcc-O3 clang-O0 clang-O2 clang-O3"

# Compile every file of every build, nproc at a time; then link.
# shellcheck disable=SC2016
for b in $builds; do
    mkdir -p "$work/$b/tour"
    for f in "$src"/examples/*.c; do
        printf '%s %s %s\n' "$b" "$f" "$work/$b/tour/$(basename "$f" .c).o"
    done
    printf '%s %s %s\n' "$b" "$src/tests/install/volatile_rule.c" "$work/$b/volatile_rule.o"
done | xargs -P "$jobs" -n 3 sh -c '
    # shellcheck disable=SC2086
    exec "${0%-*}" $cflags "-${0#*-}" -c "$1" -o "$2"
'
# shellcheck disable=SC2016
for b in $builds; do
    printf '%s\n' "$work/$b"
done | xargs -P "$jobs" -n 1 sh -c '
    cc=$(basename "$0"); cc=${cc%-*}
    # shellcheck disable=SC2086
    "$cc" -o "$0/volatile_rule" "$0/volatile_rule.o" $libs &&
    exec "$cc" -o "$0/cx-tour" "$0"/tour/*.o $libs
'
built=$(date +%s)

normalise() {
    sed -E \
        -e '/WARNING: Operation exceeded 0\.5s threshold!/d' \
        -e 's#/tmp/tmp[A-Za-z0-9]{6}#/tmp/tmpXXXXXX#g' \
        -e "s#$TMPDIR/cx-[A-Za-z0-9]{6}#\$TMPDIR/cx-XXXXXX#g" \
        -e 's#[0-9]+\.[0-9]+( ?s\b| seconds\b)#N.N\1#g' \
        -e 's#CPU: [0-9.]+%#CPU: N%#; s#Memory: \+[0-9.]+ MB#Memory: +N MB#' \
        -e 's#peak RSS \+[0-9]+ KiB#peak RSS +N KiB#; s#Overhead: -?[0-9.]+%#Overhead: N%#'
}

# run DIR NAME PROGRAM [ARG...]: runs the program in DIR and writes its exit
# status, stdout and stderr, normalised, to DIR/NAME.txt.
run() {
    dir=$1 name=$2
    shift 2
    rc=0
    (cd "$dir" && "$@" > "$name.out" 2> "$name.err") || rc=$?
    { echo "exit $rc"; echo "--- stdout"; cat "$dir/$name.out"
      echo "--- stderr"; cat "$dir/$name.err"; } | normalise > "$dir/$name.txt"
}

# The tour without PostgreSQL settings (each build skips the server part the
# same way), all builds at once: the tour mostly sleeps.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE CX_TOUR_PG
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
for b in $builds; do
    run "$work/$b" tour ./cx-tour &
    run "$work/$b" volatile ./volatile_rule &
done
wait

# Section 5.1 against the suite's server, one build after another (they share
# its table).
runs="tour volatile"
if [ -n "$pgenv" ]; then
    runs="$runs pg"
    for b in $builds; do
        # shellcheck disable=SC1090
        (set -a && . "$pgenv" && set +a && run "$work/$b" pg ./cx-tour 5.1)
    done
fi

# Every run exits 0; volatile_rule prints what its source says; every build
# prints what gcc -O0's does.
status=0
{ echo "exit 0"; echo "--- stdout"
  sed -n '/^\/\* expected:$/,/^\*\/$/p' "$src/tests/install/volatile_rule.c" | sed '1d;$d'
  echo "--- stderr"; } > "$work/volatile.want"
for b in $builds; do
    diff -u --label "volatile_rule.c's expected" --label "$b volatile_rule" \
        "$work/volatile.want" "$work/$b/volatile.txt" || status=1
    for what in $runs; do
        grep -qx 'exit 0' "$work/$b/$what.txt" ||
            { echo "$what, built by $b: $(head -n1 "$work/$b/$what.txt")" >&2; status=1; }
        diff -u --label "gcc-O0 $what" --label "$b $what" "$work/gcc-O0/$what.txt" "$work/$b/$what.txt" ||
            { echo "$what: $b printed something else than gcc-O0" >&2; status=1; }
    done
done
[ -z "$pgenv" ] || grep -q '^  rows in cx_tour_users: 1 (Alice committed, Bob rolled back)$' \
    "$work/gcc-O0/pg.txt" || { echo "section 5.1 did not reach the server" >&2; status=1; }
[ "$status" -eq 0 ] || exit 1
echo "$(echo "$builds" | wc -w) builds (gcc and clang at -O0 -O2 -O3) against the installed tree:"
echo "  cx-tour ($(find "$src/examples" -maxdepth 1 -name "*.c" | wc -l) files$([ -n "$pgenv" ] && echo ', and 5.1 on PostgreSQL'))" \
     "and volatile_rule print the same; built in $((built - start)) s, ran in $(($(date +%s) - built)) s"
