#!/bin/sh
# Compile-time contracts, checked with the compiler the project builds with:
#   readme      the README's example compiles warning-free and runs
set -eu
what=$1 src=$2 cc=$3 include=$4 lib=$5
extra=${6:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $what in
readme)
    sed -n '/^```c$/,/^```$/p' "$src/README.md" | sed '1d;$d' > "$work/readme.c"
    # shellcheck disable=SC2086
    "$cc" -std=c11 -Wall -Wextra -Werror $extra -I"$include" "$work/readme.c" "$lib" -pthread -o "$work/readme"
    (cd "$work" && ./readme) | grep -qx 'handled: risky operation failed'
    grep -qx 'Hello, World!' "$work/data.txt"
    ;;
esac
