#!/bin/sh
# Compile-time contracts, checked with the compiler the project builds with:
#   readme      the README's example compiles warning-free, prints and writes
#               what the README says, and a failed open names its line
#   jump_in     a jump into the scope of a cx_using or cx_defer (a case label
#               after one in its block, a goto past one) does not compile, as
#               clang already refuses it; jumps out of one, and a case in a
#               block of its own, compile warning-free (-Wvla included)
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
jump_in)
    # Compiles $work/$1.c; the status is the compiler's.
    try_compile() {
        # shellcheck disable=SC2086
        "$cc" -std=c11 -Wall -Wextra -Wvla -Wpedantic -Werror $extra -I"$include" \
            -c "$work/$1.c" -o "$work/$1.o" 2> "$work/$1.err"
    }
    head='#include <cx/cx.h>
static void note(void *p) { (void)p; }
static cx_manager m(void) { return cx_nullcontext(NULL); }'
    cat > "$work/case_after_using.c" <<EOF_C
$head
int f(int k) {
    switch (k) {
    case 1:
        note(NULL);
        cx_using (m());
        /* fallthrough */
    case 2:
        return 2;
    }
    return 0;
}
EOF_C
    cat > "$work/case_after_defer.c" <<EOF_C
$head
int f(int k) {
    switch (k) {
    case 1:
        note(NULL);
        cx_defer(note, NULL);
        break;
    default:
        return 2;
    }
    return 0;
}
EOF_C
    cat > "$work/goto_past_using.c" <<EOF_C
$head
int f(int k) {
    if (k)
        goto in;
    cx_using (void *v, m());
    (void)v;
in:
    return k;
}
EOF_C
    cat > "$work/jumps_out.c" <<EOF_C
$head
int f(int k) {
    switch (k) {
    case 1: {
        cx_using (m());
        cx_defer(note, NULL);
        if (k)
            goto out;
        break;
    }
    case 2: {
        cx_using (m());
        return 2;
    }
    }
    for (int i = 0; i < k; i++) {
        cx_using (m());
        if (i)
            continue;
        switch (i) {
        case 0:
            break;
        default:
            return i;
        }
    }
out:
    return 0;
}
EOF_C
    for bad in case_after_using case_after_defer goto_past_using; do
        if try_compile $bad; then
            echo "jump_in: $bad.c compiled: its cx_using or cx_defer would run an exit never entered" >&2
            exit 1
        fi
        grep -q 'jump' "$work/$bad.err" ||
            { cat "$work/$bad.err" >&2; echo "jump_in: $bad.c failed for another reason" >&2; exit 1; }
    done
    try_compile jumps_out || { cat "$work/jumps_out.err" >&2; exit 1; }
    ;;
esac
