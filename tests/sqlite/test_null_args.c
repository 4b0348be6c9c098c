/* The NULL-and-range audit of libcx-sqlite (tests/nullargs.h says how it
 * works): every exported function, NULL for each pointer argument, absurd
 * values for each size or index, each call in a forked child. */
#include <stdint.h>

#include <cx/sqlite.h>

#include "nullargs.h"

/* Calls that fail today in code this change does not own (none here). */
static const char *const na_known_gaps[] = {
    NULL,
};

static const char *const na_no_pointers[] = {NULL};

static const char *const na_libraries[] = {"libcx-sqlite.so", NULL};

static void na_invoke(void (*call)(void)) { call(); }

/* A statement with one parameter, on an in-memory database, for the calls
 * that need a real one beside the argument under test. */
#define WITH_STMT(stmt)                                                        \
    cx_with (sqlite3 *db_, cx_sqlite_open(":memory:"))                         \
    cx_with (sqlite3_stmt *stmt, cx_sqlite_prepare(db_, "SELECT ?1"))

#define NA_HEADER "sqlite.h"

NA_CASE(cx_sqlite_open, "path", VALUE_ERROR("cx_sqlite_open: path is NULL"),
        cx_with (cx_sqlite_open(NULL)) {});
NA_CASE(cx_sqlite_transaction, "db", VALUE_ERROR("cx_sqlite_transaction: db is NULL"),
        cx_with (cx_sqlite_transaction(NULL)) {});
NA_CASE(cx_sqlite_prepare, "db", VALUE_ERROR("cx_sqlite_prepare: db is NULL"),
        cx_with (cx_sqlite_prepare(NULL, "SELECT 1")) {});
NA_CASE(cx_sqlite_prepare, "sql", VALUE_ERROR("cx_sqlite_prepare: sql is NULL"),
        cx_with (sqlite3 *db, cx_sqlite_open(":memory:"))
        cx_with (cx_sqlite_prepare(db, NULL)) {});
NA_CASE(cx_sqlite_exec, "db", VALUE_ERROR("cx_sqlite_exec: db is NULL"),
        cx_sqlite_exec(NULL, "SELECT 1"));
NA_CASE(cx_sqlite_exec, "sql", VALUE_ERROR("cx_sqlite_exec: sql is NULL"),
        cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) cx_sqlite_exec(db, NULL));
NA_CASE(cx_sqlite_step, "stmt", VALUE_ERROR("cx_sqlite_step: stmt is NULL"),
        cx_sqlite_step(NULL));
NA_CASE(cx_sqlite_reset, "stmt", VALUE_ERROR("cx_sqlite_reset: stmt is NULL"),
        cx_sqlite_reset(NULL));
NA_CASE(cx_sqlite_bind_int, "stmt", VALUE_ERROR("cx_sqlite_bind_int: stmt is NULL"),
        cx_sqlite_bind_int(NULL, 1, 0));
NA_CASE(cx_sqlite_bind_int, "idx=0", RAISES(cx_ProgrammingError),
        WITH_STMT(s) cx_sqlite_bind_int(s, 0, 0));
NA_CASE(cx_sqlite_bind_int, "idx=-1", RAISES(cx_ProgrammingError),
        WITH_STMT(s) cx_sqlite_bind_int(s, -1, 0));
NA_CASE(cx_sqlite_bind_double, "stmt", VALUE_ERROR("cx_sqlite_bind_double: stmt is NULL"),
        cx_sqlite_bind_double(NULL, 1, 0.5));
NA_CASE(cx_sqlite_bind_double, "idx=0", RAISES(cx_ProgrammingError),
        WITH_STMT(s) cx_sqlite_bind_double(s, 0, 0.5));
NA_CASE(cx_sqlite_bind_text, "stmt", VALUE_ERROR("cx_sqlite_bind_text: stmt is NULL"),
        cx_sqlite_bind_text(NULL, 1, "x"));
/* Documented: NULL binds SQL NULL. */
NA_CASE(cx_sqlite_bind_text, "text", RETURNS, WITH_STMT(s) {
    cx_sqlite_bind_text(s, 1, NULL);
    CHECK(cx_sqlite_step(s));
    CHECK_EQ(sqlite3_column_type(s, 0), SQLITE_NULL);
});
NA_CASE(cx_sqlite_bind_text, "idx=0", RAISES(cx_ProgrammingError),
        WITH_STMT(s) cx_sqlite_bind_text(s, 0, "x"));
NA_CASE(cx_sqlite_bind_blob, "stmt", VALUE_ERROR("cx_sqlite_bind_blob: stmt is NULL"),
        cx_sqlite_bind_blob(NULL, 1, "x", 1));
/* As SQLite's: NULL data binds SQL NULL, whatever the size. */
NA_CASE(cx_sqlite_bind_blob, "data", RETURNS, WITH_STMT(s) {
    cx_sqlite_bind_blob(s, 1, NULL, 5);
    CHECK(cx_sqlite_step(s));
    CHECK_EQ(sqlite3_column_type(s, 0), SQLITE_NULL);
});
NA_CASE(cx_sqlite_bind_blob, "size=0", RETURNS, WITH_STMT(s) {
    cx_sqlite_bind_blob(s, 1, "x", 0);
    CHECK(cx_sqlite_step(s));
    CHECK_EQ(sqlite3_column_type(s, 0), SQLITE_BLOB);
    CHECK_EQ(sqlite3_column_bytes(s, 0), 0);
});
NA_CASE(cx_sqlite_bind_blob, "size=SIZE_MAX", RAISES(cx_DataError),
        WITH_STMT(s) cx_sqlite_bind_blob(s, 1, "x", SIZE_MAX));
NA_CASE(cx_sqlite_bind_blob, "idx=0", RAISES(cx_ProgrammingError),
        WITH_STMT(s) cx_sqlite_bind_blob(s, 0, "x", 1));
NA_CASE(cx_sqlite_bind_null, "stmt", VALUE_ERROR("cx_sqlite_bind_null: stmt is NULL"),
        cx_sqlite_bind_null(NULL, 1));
NA_CASE(cx_sqlite_bind_null, "idx=0", RAISES(cx_ProgrammingError),
        WITH_STMT(s) cx_sqlite_bind_null(s, 0));
NA_CASE(cx_sqlite_param, "stmt", VALUE_ERROR("cx_sqlite_param: stmt is NULL"),
        cx_sqlite_param(NULL, ":a"));
NA_CASE(cx_sqlite_param, "name", VALUE_ERROR("cx_sqlite_param: name is NULL"),
        WITH_STMT(s) cx_sqlite_param(s, NULL));
/* No error carries no code. */
NA_CASE(cx_sqlite_error_code, "e", RETURNS, CHECK_EQ(cx_sqlite_error_code(NULL), 0));
/* Documented: the message is SQLite's text for the code. */
NA_CASE(cx_sqlite_raise, "db", RAISES(cx_IntegrityError),
        cx_sqlite_raise(NULL, SQLITE_CONSTRAINT, "insert"));
NA_CASE(cx_sqlite_raise, "what", RAISES(cx_OperationalError),
        cx_sqlite_raise(NULL, SQLITE_BUSY, NULL));

TEST(sqlite_h_functions_survive_null_and_absurd_arguments) { na_run_header("sqlite.h"); }
TEST(every_function_libcx_sqlite_exports_has_null_and_range_cases) { na_check_coverage(); }
