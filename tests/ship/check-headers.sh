#!/bin/sh
# Every public header compiles on its own, first in the include list, as C11
# and as C++ (C++11 and C++17), with the user warning flags and -Werror.
# Given header names, those (the build's: a module's header goes with its
# module); else every header in <include dir>/cx.
#   usage: check-headers.sh <cc> <c++> <include dir> [<header>...]
set -eu
cc=$1 cxx=$2 include=$3
shift 3
# shellcheck disable=SC2046
[ $# -gt 0 ] || set -- $(cd "$include/cx" && ls -- *.h)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags="-Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Werror"
# The optional modules' headers include their libraries' (pg.h: libpq-fe.h).
deps=$(pkg-config --cflags-only-I libpq sqlite3 libuv 2>/dev/null || true)
n=0
for name in "$@"; do
    printf '#include <cx/%s>\nint main(void) { return 0; }\n' "$name" > "$work/h.c"
    # shellcheck disable=SC2086
    "$cc" -std=c11 $flags -I"$include" $deps -c "$work/h.c" -o "$work/h.o"
    cp "$work/h.c" "$work/h.cpp"
    for std in c++11 c++17; do
        # shellcheck disable=SC2086
        "$cxx" -std=$std $flags -I"$include" $deps -c "$work/h.cpp" -o "$work/h.o"
    done
    n=$((n + 1))
done
echo "$n headers compile alone as C11, C++11 and C++17"
