#!/bin/sh
# Compile-time contracts, checked with the compiler the project builds with:
#   readme      the README's example compiles warning-free, prints and writes
#               what the README says, and a failed open names its line
set -eu
what=$1 src=$2 cc=$3 include=$4 lib=$5
extra=${6:-}
# A cross build's emulator (qemu-user with its sysroot) runs what is built.
run=${CX_TEST_EMULATOR:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $what in
readme)
    sed -n '/^```c$/,/^```$/p' "$src/README.md" | sed '1d;$d' > "$work/readme.c"
    # shellcheck disable=SC2086
    "$cc" -std=c11 -Wall -Wextra -Werror $extra -I"$include" "$work/readme.c" "$lib" -pthread -o "$work/readme"
    # shellcheck disable=SC2086 # run: the emulator and its arguments, or nothing
    (cd "$work" && $run ./readme) > "$work/out"
    # The handler runs after cx_using closed the file: the write is on disk.
    printf 'handled: risky operation failed\ndata.txt holds: Hello, World!\n' |
        diff -u - "$work/out"
    printf 'Hello, World!' | cmp - "$work/data.txt"
    # A file that cannot be opened: the error names the README's own line.
    rm "$work/data.txt" && mkdir "$work/data.txt"
    rc=0
    # shellcheck disable=SC2086
    (cd "$work" && $run ./readme) > /dev/null 2> "$work/err" || rc=$?
    [ "$rc" -eq 1 ] || { echo "readme: exit status $rc with data.txt a directory" >&2; exit 1; }
    line=$(grep -n 'cx_open("data.txt", "w")' "$work/readme.c" | cut -d: -f1)
    grep -q "readme.c\", line $line, in main$" "$work/err" ||
        { cat "$work/err" >&2; echo "readme: the traceback does not name readme.c:$line" >&2; exit 1; }
    grep -q '^IsADirectoryError: open data.txt' "$work/err"
    ;;
esac
