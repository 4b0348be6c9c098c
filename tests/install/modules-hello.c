/* A program using the core, cx-sqlite and cx-async together, built by the
 * other compiler against the installed libraries. */
#include <stdio.h>

#include <cx/async.h>
#include <cx/cx.h>
#include <cx/sqlite.h>

static int rows;

static void count_row(void *arg)
{
    sqlite3 *db = arg;
    cx_sleep(0.001);
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT count(*) FROM t"))
        if (cx_sqlite_step(st))
            rows = sqlite3_column_int(st, 0);
}

int main(void)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)");
        cx_error *e = cx_run(count_row, db);
        if (e) {
            cx_error_print(e, stderr);
            cx_error_unref(e);
            return 1;
        }
    }
    printf("rows %d\n", rows);
    return 0;
}
