#!/bin/sh
# Compile-time contracts, checked with the compiler the project builds with:
#   readme      the README's example compiles warning-free, prints and writes
#               what the README says, and a failed open names its line
#   jump_in     a jump into the scope of a cx_using or cx_defer (a case label
#               after one in its block, a goto past one), or into the body of
#               a cx_with or cx_try, does not compile, as clang
#               already refuses it; jumps out of them, and a case in a block
#               of its own, compile warning-free (-Wvla included)
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
static __attribute__((unused)) cx_manager m(void) { return cx_nullcontext(NULL); }'
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
    cx_with (m()) {
        cx_try {
            if (k == 3)
                goto out;
        } cx_except_any (e) {
            (void)e;
        }
        cx_scope {
            if (k == 4)
                goto out;
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
    for stmt in 'cx_with (m())' 'cx_try'; do
        name=goto_into_$(echo "$stmt" | sed 's/ .*//')
        cat > "$work/$name.c" <<EOF_C
$head
int f(int k) {
    if (k)
        goto in;
    $stmt {
        note(NULL);
    in:
        note(NULL);
    }
    return k;
}
EOF_C
    done
    for bad in case_after_using case_after_defer goto_past_using \
               goto_into_cx_with goto_into_cx_try; do
        if try_compile $bad; then
            echo "jump_in: $bad.c compiled: the jump skips an enter whose cleanup still runs" >&2
            exit 1
        fi
        grep -q 'jump' "$work/$bad.err" ||
            { cat "$work/$bad.err" >&2; echo "jump_in: $bad.c failed for another reason" >&2; exit 1; }
    done
    try_compile jumps_out || { cat "$work/jumps_out.err" >&2; exit 1; }
    ;;
esac
