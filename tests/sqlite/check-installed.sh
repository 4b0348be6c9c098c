#!/bin/sh
# Installs the build tree into a scratch prefix, then builds a program with
# `pkg-config --cflags --libs <module>` alone and runs it: the module's .pc
# file must bring in cx and the database's own library.  cx-pg's program
# connects to the server named by CX_PG_ENV (the pg_server fixture).
#   usage: check-installed.sh <build dir> <cc> <cx-sqlite|cx-pg> [sanitizer flags]
set -eu
build=$1 cc=$2 module=$3 extra=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n1)
export PKG_CONFIG_PATH="$pc"
pkg-config --print-requires "$module" | grep -qx cx || {
    echo "$module.pc does not require cx" >&2; exit 1; }

case $module in
cx-sqlite)
    cat > "$work/p.c" <<'C'
#include <stdio.h>
#include <cx/sqlite.h>
int main(void)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        cx_with (cx_sqlite_transaction(db))
            cx_sqlite_exec(db, "INSERT INTO t VALUES (42)");
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT x FROM t"))
            if (cx_sqlite_step(st))
                printf("%d\n", sqlite3_column_int(st, 0));
    }
    return 0;
}
C
    ;;
cx-pg)
    [ -n "${CX_PG_ENV:-}" ] && [ -f "$CX_PG_ENV" ] || {
        echo "CX_PG_ENV does not name the pg_server fixture's env file" >&2; exit 1; }
    set -a; . "$CX_PG_ENV"; set +a
    cat > "$work/p.c" <<'C'
#include <stdio.h>
#include <cx/pg.h>
int main(void)
{
    const char *p[] = {"6"};
    cx_with (PGconn *c, cx_pg_connect(NULL))
    cx_with (PGresult *r, cx_pg_query(c, "SELECT $1::int * 7", 1, p))
        printf("%s\n", PQgetvalue(r, 0, 0));
    return 0;
}
C
    ;;
*) echo "unknown module $module" >&2; exit 2 ;;
esac

# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra "$work/p.c" -o "$work/p" $(pkg-config --cflags --libs "$module")
out=$(LD_LIBRARY_PATH="${pc%/pkgconfig}" "$work/p")
[ "$out" = 42 ] || { echo "the $module program printed: $out" >&2; exit 1; }
echo "a program built with pkg-config $module alone ran"
