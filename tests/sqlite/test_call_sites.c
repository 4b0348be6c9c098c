/* cx-sqlite's errors name the user's call: its file, line and function,
 * never a file of cx's own (docs/errors.md). */
#include <cx/sqlite.h>

#include "harness.h"

TEST(open_of_an_unwritable_path_names_the_callers_line)
{
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_with (sqlite3 *db, cx_sqlite_open("/nonexistent/cx/db.sqlite")) (void)db);
    CHECK(cx_error_is(e, &cx_OperationalError));
    cx_error_unref(e);
}

TEST(exec_of_bad_sql_names_the_callers_line)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e;
        CHECK_RAISES_HERE(e, cx_sqlite_exec(db, "SELEC 1"));
        CHECK(cx_error_is(e, &cx_OperationalError));
        CHECK(strstr(cx_error_message(e), "syntax error") != NULL);
        cx_error_unref(e);
    }
}

TEST(prepare_and_bind_errors_name_the_callers_line)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e;
        CHECK_RAISES_HERE(e, cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT * FROM missing")) (void)st);
        CHECK(cx_error_is(e, &cx_OperationalError));
        cx_error_unref(e);
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT ?")) {
            CHECK_RAISES_HERE(e, cx_sqlite_bind_int(st, 2, 1));
            CHECK(cx_error_is(e, &cx_ProgrammingError));
            cx_error_unref(e);
        }
    }
}

/* The COMMIT at the transaction's exit fails (a deferred foreign key is
 * violated): the error names the with statement. */
TEST(a_failed_commit_names_the_transactions_line)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "PRAGMA foreign_keys = ON;"
                           "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                           "CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)");
        cx_error *e;
        CHECK_RAISES_HERE(e, cx_with (cx_sqlite_transaction(db)) cx_sqlite_exec(db, "INSERT INTO c VALUES (7)"));
        CHECK(cx_error_is(e, &cx_IntegrityError));
        cx_error_unref(e);
    }
}
