#!/bin/sh
# The Debian packages work for a user: unpacks every .deb in <deb dir> into a
# scratch root (dpkg -x), then compiles and runs programs against it with
# pkg-config only (cx, and cx-sqlite when its package was built), and reads
# the installed man pages with man -l.
#   usage: check-deb.sh <deb dir> <source root>
set -eu
debs=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for deb in "$debs"/*.deb; do
    case $deb in *-dbgsym_*) continue ;; esac
    dpkg -x "$deb" "$work/root"
    n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no .deb files in $debs" >&2; exit 1; }
pcdir=$(ls -d "$work"/root/usr/lib/*/pkgconfig | head -n1)
libdir=${pcdir%/pkgconfig}
export PKG_CONFIG_PATH="$pcdir"

# The core, through pkg-config alone.
flags=$(pkg-config --cflags --libs cx)
case $flags in *"$work/root"*) ;; *) echo "pkg-config cx does not point into the unpacked root: $flags" >&2; exit 1 ;; esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$src/tests/install/hello.c" -o "$work/hello" $flags
out=$(LD_LIBRARY_PATH="$libdir" "$work/hello")
[ "$out" = "caught ValueError: from the installed tree; exit ran" ] || {
    echo "program against the packages printed: $out" >&2; exit 1; }
# It really ran with the packaged library, which has the soname and version.
LD_LIBRARY_PATH="$libdir" ldd "$work/hello" | grep -q "libcx.so.0 => $libdir/libcx.so.0" || {
    echo "the program did not load the packaged libcx.so.0" >&2; exit 1; }
cat > "$work/version.c" <<'C'
#include <cx/cx.h>
#include <stdio.h>
#include <string.h>
int main(void) { puts(cx_version()); return strcmp(cx_version(), CX_VERSION_STRING) != 0; }
C
# shellcheck disable=SC2086
cc -std=c11 "$work/version.c" -o "$work/version" $flags
LD_LIBRARY_PATH="$libdir" "$work/version" > /dev/null

# cx-sqlite, when packaged.
if pkg-config --exists cx-sqlite; then
    cat > "$work/sq.c" <<'C'
#include <cx/cx.h>
#include <cx/sqlite.h>
#include <stdio.h>
int main(void)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "create table t(x)");
        cx_try {
            cx_sqlite_exec(db, "insert into nowhere values (1)");
        } cx_except (&cx_OperationalError, e) {
            printf("%s\n", cx_error_type(e)->name);
        }
    }
    return 0;
}
C
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror "$work/sq.c" -o "$work/sq" $(pkg-config --cflags --libs cx-sqlite)
    [ "$(LD_LIBRARY_PATH="$libdir" "$work/sq")" = "OperationalError" ] || {
        echo "cx-sqlite program against the packages failed" >&2; exit 1; }
fi

# The man pages are installed and read.
pages=$(ls "$work"/root/usr/share/man/man3/cx_*.3* 2>/dev/null | wc -l)
[ "$pages" -gt 0 ] || { echo "no man pages in the packages" >&2; exit 1; }
for page in "$work"/root/usr/share/man/man3/cx_*.3*; do
    man -l "$page" > /dev/null 2>&1 || { echo "man -l $page failed" >&2; exit 1; }
done
echo "$n packages unpacked; programs built with pkg-config ran against them; $pages man pages read"
