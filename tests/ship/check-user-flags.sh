#!/bin/sh
# cx's headers in user code compiled with the warnings careful projects use:
# the examples (the seed tour) and hygiene.c (stacked and nested statements),
# as C11 and GNU C11, -Werror.
#   usage: check-user-flags.sh <cc> <source root> <extra flags>
set -eu
cc=$1 root=$2
extra=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags="-Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Werror"
# The tour's module sections too, where their libraries' headers are here.
modules=""
pkg-config --exists sqlite3 2>/dev/null && modules="$modules -DCX_TOUR_HAVE_SQLITE=1"
pkg-config --exists libuv 2>/dev/null && modules="$modules -DCX_TOUR_HAVE_ASYNC=1"
pkg-config --exists libpq 2>/dev/null &&
    modules="$modules -DCX_TOUR_HAVE_LIBPQ=1 $(pkg-config --cflags-only-I libpq)"
n=0
for std in c11 gnu11; do
    for src in "$root"/examples/*.c "$root"/tests/ship/hygiene.c; do
        # shellcheck disable=SC2086
        "$cc" -std=$std -D_GNU_SOURCE $flags $extra $modules -I"$root/include" -I"$root/examples" \
            -c "$src" -o "$work/out.o"
        n=$((n + 1))
    done
done
echo "$n compilations clean with $flags$modules"
