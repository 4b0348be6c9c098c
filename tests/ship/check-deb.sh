#!/bin/sh
# The Debian packages work for a user: unpacks every .deb in <deb dir> into a
# scratch root (dpkg -x), then compiles and runs programs against it: with
# pkg-config for the core and every module package that was built (cx-sqlite,
# cx-pg, cx-async, cx-async-pg), and with CMake's find_package(cx); and reads
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

# Builds <name>.c (on standard input) with pkg-config <modules> and runs it;
# its output must be <expected>.
run_module_program() {
    name=$1 modules=$2 expected=$3
    cat > "$work/$name.c"
    # shellcheck disable=SC2046,SC2086
    cc -std=c11 -Wall -Wextra -Werror "$work/$name.c" -o "$work/$name" \
        $(pkg-config --cflags --libs $modules)
    got=$(LD_LIBRARY_PATH="$libdir" "$work/$name")
    [ "$got" = "$expected" ] || {
        echo "$modules program against the packages printed: $got" >&2; exit 1; }
}

# cx-pg: the SQLSTATE mapping, and a connect that fails (no server needed).
if pkg-config --exists cx-pg; then
    run_module_program pg cx-pg "IntegrityError OperationalError" <<'C'
#include <cx/cx.h>
#include <cx/pg.h>
#include <stdio.h>
int main(void)
{
    printf("%s ", cx_pg_error_type("23505")->name);
    cx_try {
        cx_with (PGconn *c, cx_pg_connect("host=/nonexistent-cx-deb-check port=1"))
            (void)c;
    } cx_except (&cx_DatabaseError, e) {
        printf("%s\n", cx_error_type(e)->name);
    }
    return 0;
}
C
fi

# cx-async: a task that sleeps inside a timeout that fires.
if pkg-config --exists cx-async; then
    run_module_program async cx-async "TimeoutError" <<'C'
#include <cx/cx.h>
#include <cx/async.h>
#include <stdio.h>
static void main_task(void *arg)
{
    (void)arg;
    cx_async_with (cx_timeout(0.01))
        cx_sleep(10);
}
int main(void)
{
    cx_error *e = cx_run(main_task, NULL);
    printf("%s\n", e ? cx_error_type(e)->name : "none");
    cx_error_unref(e);
    return 0;
}
C
fi

# cx-async-pg: a non-blocking connect that fails, inside a task.
if pkg-config --exists cx-async-pg; then
    run_module_program async_pg cx-async-pg "OperationalError" <<'C'
#include <cx/cx.h>
#include <cx/async.h>
#include <cx/pg.h>
#include <stdio.h>
static void main_task(void *arg)
{
    (void)arg;
    cx_async_with (PGconn *c, cx_pg_async_connect("host=/nonexistent-cx-deb-check port=1"))
        (void)c;
}
int main(void)
{
    cx_error *e = cx_run(main_task, NULL);
    printf("%s\n", e ? cx_error_type(e)->name : "none");
    cx_error_unref(e);
    return 0;
}
C
fi

# find_package(cx), from the CMake package in libcx-dev.
"$src/tests/install/find-package-hello.sh" "$work/root/usr" "$libdir" "$work/fp"

# The man pages are installed and read.
pages=$(ls "$work"/root/usr/share/man/man3/cx_*.3* 2>/dev/null | wc -l)
[ "$pages" -gt 0 ] || { echo "no man pages in the packages" >&2; exit 1; }
for page in "$work"/root/usr/share/man/man3/cx_*.3*; do
    man -l "$page" > /dev/null 2>&1 || { echo "man -l $page failed" >&2; exit 1; }
done
echo "$n packages unpacked; programs built with pkg-config (cx and each module) and find_package(cx) ran against them; $pages man pages read"
