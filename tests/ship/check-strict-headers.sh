#!/bin/sh
# The installed headers are clean under the strict warnings careful projects
# build with: the build is installed into a scratch prefix, and with gcc and
# with clang each header there is compiled alone (first in its translation
# unit), then all of them in one unit, then tests/ship/hygiene.c (the
# statements stacked and nested, so the macros' expansions are checked too),
# as C11 with -Werror and
#   -Wall -Wextra -Wpedantic -Wshadow -Wcast-qual -Wconversion
#   usage: check-strict-headers.sh <build dir> <source dir> <cc>...
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
inc=$work/prefix/include
flags="-std=c11 -Werror -Wall -Wextra -Wpedantic -Wshadow -Wcast-qual -Wconversion"
# The optional modules' headers include their libraries' (pg.h: libpq-fe.h).
deps=$(pkg-config --cflags-only-I libpq sqlite3 libuv 2>/dev/null || true)
headers=$(cd "$inc/cx" && ls -- *.h)
: > "$work/all.c"
for h in $headers; do echo "#include <cx/$h>" >> "$work/all.c"; done
echo 'int main(void) { return 0; }' >> "$work/all.c"
n=0
for cc in "$@"; do
    command -v "$cc" >/dev/null || { echo "$cc is not installed (make check installs gcc and clang)" >&2; exit 1; }
    for h in $headers; do
        printf '#include <cx/%s>\nint main(void) { return 0; }\n' "$h" > "$work/one.c"
        # shellcheck disable=SC2086
        "$cc" $flags -I"$inc" $deps -c "$work/one.c" -o "$work/out.o" ||
            { echo "$cc: <cx/$h> alone is not clean under $flags" >&2; exit 1; }
        n=$((n + 1))
    done
    # shellcheck disable=SC2086
    "$cc" $flags -I"$inc" $deps -c "$work/all.c" -o "$work/out.o" ||
        { echo "$cc: every header together is not clean under $flags" >&2; exit 1; }
    # shellcheck disable=SC2086
    "$cc" $flags -D_GNU_SOURCE -I"$inc" $deps -c "$src/tests/ship/hygiene.c" -o "$work/out.o" ||
        { echo "$cc: hygiene.c (the statements) is not clean under $flags" >&2; exit 1; }
    n=$((n + 2))
done
echo "$n compilations of the $(echo "$headers" | wc -w) installed headers clean with $* and $flags"
