/* cx-sqlite against real database files: connections, transactions and
 * savepoints, statements and bindings, and errors mapped as Python's
 * sqlite3 maps them. */
#include <unistd.h>

#include <cx/fs.h>
#include <cx/sqlite.h>

#include "harness.h"

/* A path inside the test's temporary directory. */
static const char *in(const char *dir, const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

/* The single integer a query returns. */
static long long scalar(sqlite3 *db, const char *sql)
{
    long long v = -1;
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, sql)) {
        CHECK(cx_sqlite_step(st));
        v = sqlite3_column_int64(st, 0);
    }
    return v;
}

/* The same, on a fresh connection to the file: what was really persisted. */
static long long scalar_in(const char *path, const char *sql)
{
    long long v = -1;
    cx_with (sqlite3 *db, cx_sqlite_open(path))
        v = scalar(db, sql);
    return v;
}

static void make_table(const char *path, const char *sql)
{
    cx_with (sqlite3 *db, cx_sqlite_open(path))
        cx_sqlite_exec(db, sql);
}

/* ---- the guide's example: with sqlite3.connect('example.db') as conn ---- */

static void guide_example(const char *path, bool fail)
{
    cx_with (sqlite3 *conn, cx_sqlite_open(path))
    cx_with (cx_sqlite_transaction(conn)) {
        cx_sqlite_exec(conn, "CREATE TABLE IF NOT EXISTS users (id INTEGER, name TEXT)");
        cx_sqlite_exec(conn, "INSERT INTO users VALUES (1, 'Alice')");
        if (fail)
            cx_raise(&cx_ValueError, "the body failed after the insert");
    }
}

static void guide_example_failing(void *path) { guide_example(path, true); }

TEST(guide_example_commits_the_rows_when_the_body_succeeds)
{
    cx_with (const char *dir, cx_tempdir()) {
        guide_example(in(dir, "example.db"), false);
        CHECK_EQ(scalar_in(in(dir, "example.db"),
                           "SELECT count(*) FROM users WHERE name = 'Alice'"), 1);
    }
}

TEST(guide_example_persists_nothing_when_the_body_raises)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "example.db"), "CREATE TABLE users (id INTEGER, name TEXT)");
        cx_error *e = cx_protect(guide_example_failing, (void *)in(dir, "example.db"));
        CHECK(cx_error_is(e, &cx_ValueError));
        cx_error_unref(e);
        CHECK_EQ(scalar_in(in(dir, "example.db"), "SELECT count(*) FROM users"), 0);
    }
}

/* ---- cx_sqlite_open ---- */

TEST(open_creates_the_database_file_and_binds_a_usable_connection)
{
    cx_with (const char *dir, cx_tempdir()) {
        cx_with (sqlite3 *db, cx_sqlite_open(in(dir, "new.db"))) {
            CHECK(db != NULL);
            CHECK_EQ(scalar(db, "SELECT 6 * 7"), 42);
        }
        CHECK_EQ(access(in(dir, "new.db"), F_OK), 0);
    }
}

static void open_in_missing_directory(void *arg)
{
    (void)arg;
    cx_with (sqlite3 *db, cx_sqlite_open("/nonexistent-dir/x.db"))
        (void)db;
}

TEST(open_in_a_missing_directory_raises_operational_error_naming_the_path)
{
    cx_error *e = cx_protect(open_in_missing_directory, NULL);
    CHECK(cx_error_is(e, &cx_OperationalError));
    CHECK_STR(cx_error_message(e), "open /nonexistent-dir/x.db: unable to open database file");
    CHECK_EQ(cx_sqlite_error_code(e) & 0xff, SQLITE_CANTOPEN);
    cx_error_unref(e);
}

static void leave_statement_unfinalized(void *out)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:"))
        CHECK_EQ(sqlite3_prepare_v2(db, "SELECT 1", -1, (sqlite3_stmt **)out, NULL), SQLITE_OK);
}

TEST(close_with_an_unfinalized_statement_raises_operational_error)
{
    sqlite3_stmt *leaked = NULL;
    cx_error *e = cx_protect(leave_statement_unfinalized, &leaked);
    CHECK(cx_error_is(e, &cx_OperationalError));
    CHECK(strncmp(cx_error_message(e), "close :memory:", 14) == 0);
    CHECK(strstr(cx_error_message(e), "unable to close due to unfinalized statements") != NULL);
    CHECK_EQ(cx_sqlite_error_code(e), SQLITE_BUSY);
    cx_error_unref(e);
    /* The connection was kept as a zombie: finalizing frees it (ASan sees no leak). */
    CHECK_EQ(sqlite3_finalize(leaked), SQLITE_OK);
}

TEST(close_rolls_back_a_transaction_left_open)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "t.db"), "CREATE TABLE t (x)");
        cx_with (sqlite3 *db, cx_sqlite_open(in(dir, "t.db")))
            cx_sqlite_exec(db, "BEGIN; INSERT INTO t VALUES (1)");
        CHECK_EQ(scalar_in(in(dir, "t.db"), "SELECT count(*) FROM t"), 0);
    }
}

TEST(a_file_that_is_not_a_database_raises_database_error)
{
    cx_with (const char *dir, cx_tempdir()) {
        FILE *f = fopen(in(dir, "junk.db"), "w");
        CHECK(f != NULL);
        for (int i = 0; i < 64; i++)
            fputs("this is certainly not an SQLite database file ", f);
        CHECK_EQ(fclose(f), 0);
        cx_error *again = NULL;
        cx_try {
            scalar_in(in(dir, "junk.db"), "SELECT count(*) FROM sqlite_master");
        } cx_except_any (err) {
            again = cx_error_ref(err);
        }
        CHECK(again != NULL);
        CHECK(cx_error_type(again) == &cx_DatabaseError);
        CHECK_STR(cx_error_message(again), "file is not a database");
        CHECK_EQ(cx_sqlite_error_code(again), SQLITE_NOTADB);
        cx_error_unref(again);
    }
}

/* ---- cx_sqlite_transaction ---- */

static void insert_then_raise(void *db)
{
    cx_with (cx_sqlite_transaction(db)) {
        cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
        cx_raise(&cx_KeyError, "boom");
    }
}

TEST(transaction_commits_when_the_body_ends)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        cx_with (cx_sqlite_transaction(db)) {
            CHECK(!sqlite3_get_autocommit(db));
            cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
        }
        CHECK(sqlite3_get_autocommit(db));
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 1);
    }
}

TEST(transaction_rolls_back_and_propagates_the_error_when_the_body_raises)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        cx_error *e = cx_protect(insert_then_raise, db);
        CHECK(cx_error_type(e) == &cx_KeyError);
        CHECK(cx_error_context(e) == NULL);
        cx_error_unref(e);
        CHECK(sqlite3_get_autocommit(db));
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 0);
    }
}

TEST(transaction_commits_when_the_body_is_left_by_break)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        cx_with (cx_sqlite_transaction(db)) {
            cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
            break;
        }
        CHECK(sqlite3_get_autocommit(db));
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 1);
    }
}

TEST(nested_transaction_is_a_savepoint_released_with_the_outer_commit)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "n.db"), "CREATE TABLE t (x)");
        cx_with (sqlite3 *db, cx_sqlite_open(in(dir, "n.db")))
        cx_with (cx_sqlite_transaction(db)) {
            cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
            cx_with (cx_sqlite_transaction(db))
                cx_sqlite_exec(db, "INSERT INTO t VALUES (2)");
            CHECK(!sqlite3_get_autocommit(db)); /* released, the outer one still open */
        }
        CHECK_EQ(scalar_in(in(dir, "n.db"), "SELECT sum(x) FROM t"), 3);
    }
}

TEST(nested_transaction_that_raises_rolls_back_only_its_level)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "n.db"), "CREATE TABLE t (x)");
        cx_with (sqlite3 *db, cx_sqlite_open(in(dir, "n.db")))
        cx_with (cx_sqlite_transaction(db)) {
            cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
            cx_error *e = cx_protect(insert_then_raise, db);
            CHECK(cx_error_type(e) == &cx_KeyError);
            cx_error_unref(e);
            cx_sqlite_exec(db, "INSERT INTO t VALUES (10)");
        }
        CHECK_EQ(scalar_in(in(dir, "n.db"), "SELECT sum(x) FROM t"), 11);
    }
}

static void outer_raises_after_inner_released(void *db)
{
    cx_with (cx_sqlite_transaction(db)) {
        cx_with (cx_sqlite_transaction(db))
            cx_sqlite_exec(db, "INSERT INTO t VALUES (2)");
        cx_raise(&cx_RuntimeError, "outer fails");
    }
}

TEST(outer_rollback_undoes_a_released_savepoint)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        cx_error *e = cx_protect(outer_raises_after_inner_released, db);
        CHECK(cx_error_type(e) == &cx_RuntimeError);
        cx_error_unref(e);
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 0);
    }
}

TEST(three_levels_roll_back_the_middle_one_alone)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        cx_with (cx_sqlite_transaction(db)) {
            cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
            cx_try {
                cx_with (cx_sqlite_transaction(db)) {
                    cx_sqlite_exec(db, "INSERT INTO t VALUES (20)");
                    cx_with (cx_sqlite_transaction(db))
                        cx_sqlite_exec(db, "INSERT INTO t VALUES (300)");
                    cx_raise(&cx_ValueError, "middle fails");
                }
            } cx_except (&cx_ValueError, err) {
                (void)err;
            }
        }
        CHECK_EQ(scalar(db, "SELECT sum(x) FROM t"), 1);
    }
}

TEST(nesting_depth_is_per_connection)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "a.db"), "CREATE TABLE t (x)");
        make_table(in(dir, "b.db"), "CREATE TABLE t (x)");
        cx_with (sqlite3 *a, cx_sqlite_open(in(dir, "a.db")))
        cx_with (sqlite3 *b, cx_sqlite_open(in(dir, "b.db")))
        cx_with (cx_sqlite_transaction(a)) {
            cx_sqlite_exec(a, "INSERT INTO t VALUES (1)");
            /* b has no transaction open: this one is b's outermost, so its
             * rollback leaves b with nothing and a untouched. */
            cx_error *e = cx_protect(insert_then_raise, b);
            cx_error_unref(e);
            CHECK(sqlite3_get_autocommit(b));
            CHECK(!sqlite3_get_autocommit(a));
        }
        CHECK_EQ(scalar_in(in(dir, "a.db"), "SELECT count(*) FROM t"), 1);
        CHECK_EQ(scalar_in(in(dir, "b.db"), "SELECT count(*) FROM t"), 0);
    }
}

TEST(transaction_inside_the_callers_own_begin_is_a_savepoint)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES (1)");
        cx_error *e = cx_protect(insert_then_raise, db);
        cx_error_unref(e);
        CHECK(!sqlite3_get_autocommit(db)); /* the caller's transaction is still open */
        cx_sqlite_exec(db, "COMMIT");
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 1);
    }
}

static void violate_deferred_foreign_key(void *db)
{
    cx_with (cx_sqlite_transaction(db))
        cx_sqlite_exec(db, "INSERT INTO child VALUES (1, 99)");
}

TEST(failed_commit_raises_integrity_error_and_rolls_back)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "PRAGMA foreign_keys = ON;"
                           "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                           "CREATE TABLE child (id INTEGER, parent INTEGER REFERENCES parent(id)"
                           " DEFERRABLE INITIALLY DEFERRED)");
        cx_error *e = cx_protect(violate_deferred_foreign_key, db);
        CHECK(cx_error_is(e, &cx_IntegrityError));
        CHECK_STR(cx_error_message(e), "FOREIGN KEY constraint failed");
        CHECK_EQ(cx_sqlite_error_code(e), SQLITE_CONSTRAINT_FOREIGNKEY);
        cx_error_unref(e);
        CHECK(sqlite3_get_autocommit(db));
        CHECK_EQ(scalar(db, "SELECT count(*) FROM child"), 0);
    }
}

static void conflict_rolls_back_everything(void *db)
{
    cx_with (cx_sqlite_transaction(db)) {
        cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
        cx_with (cx_sqlite_transaction(db))
            cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
    }
}

TEST(transaction_already_rolled_back_by_sqlite_exits_without_a_second_error)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK)");
        cx_error *e = cx_protect(conflict_rolls_back_everything, db);
        CHECK(cx_error_is(e, &cx_IntegrityError));
        CHECK(cx_error_context(e) == NULL);
        cx_error_unref(e);
        CHECK(sqlite3_get_autocommit(db));
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 0);
    }
}

static void write_while_locked(void *path)
{
    cx_with (sqlite3 *other, cx_sqlite_open(path)) {
        sqlite3_busy_timeout(other, 50);
        cx_sqlite_exec(other, "INSERT INTO t VALUES (2)");
    }
}

TEST(a_write_blocked_by_another_connection_raises_operational_error_database_is_locked)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "l.db"), "CREATE TABLE t (x)");
        cx_with (sqlite3 *db, cx_sqlite_open(in(dir, "l.db"))) {
            cx_sqlite_exec(db, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
            cx_error *e = cx_protect(write_while_locked, (void *)in(dir, "l.db"));
            CHECK(cx_error_is(e, &cx_OperationalError));
            CHECK_STR(cx_error_message(e), "database is locked");
            CHECK_EQ(cx_sqlite_error_code(e) & 0xff, SQLITE_BUSY);
            cx_error_unref(e);
            cx_sqlite_exec(db, "COMMIT");
        }
    }
}

/* ---- errors ---- */

static void insert_duplicate(void *db) { cx_sqlite_exec(db, "INSERT INTO t VALUES (1)"); }

TEST(unique_violation_raises_integrity_error_with_sqlites_message_and_code)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (id INTEGER UNIQUE); INSERT INTO t VALUES (1)");
        cx_error *e = cx_protect(insert_duplicate, db);
        CHECK(cx_error_type(e) == &cx_IntegrityError);
        CHECK_STR(cx_error_message(e), "UNIQUE constraint failed: t.id");
        CHECK_EQ(cx_sqlite_error_code(e), SQLITE_CONSTRAINT_UNIQUE);
        cx_error_unref(e);
    }
}

static void insert_null(void *db) { cx_sqlite_exec(db, "INSERT INTO t VALUES (NULL)"); }

TEST(not_null_violation_keeps_the_extended_code)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (name TEXT NOT NULL)");
        cx_error *e = cx_protect(insert_null, db);
        CHECK(cx_error_is(e, &cx_IntegrityError));
        CHECK_EQ(cx_sqlite_error_code(e), SQLITE_CONSTRAINT_NOTNULL);
        CHECK_STR(cx_error_message(e), "NOT NULL constraint failed: t.name");
        cx_error_unref(e);
    }
}

static void query_missing_table(void *db) { cx_sqlite_exec(db, "SELECT * FROM nope"); }

TEST(missing_table_raises_operational_error_as_python_does)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e = cx_protect(query_missing_table, db);
        CHECK(cx_error_type(e) == &cx_OperationalError);
        CHECK_STR(cx_error_message(e), "no such table: nope");
        CHECK_EQ(cx_sqlite_error_code(e), SQLITE_ERROR);
        cx_error_unref(e);
    }
}

static void write_read_only(void *db) { cx_sqlite_exec(db, "INSERT INTO t VALUES (1)"); }

TEST(write_to_a_read_only_database_raises_operational_error)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "ro.db"), "CREATE TABLE t (x)");
        char uri[600];
        snprintf(uri, sizeof uri, "file:%s?mode=ro", in(dir, "ro.db"));
        cx_with (sqlite3 *db, cx_sqlite_open(uri)) {
            cx_error *e = cx_protect(write_read_only, db);
            CHECK(cx_error_is(e, &cx_OperationalError));
            CHECK_STR(cx_error_message(e), "attempt to write a readonly database");
            CHECK_EQ(cx_sqlite_error_code(e) & 0xff, SQLITE_READONLY);
            cx_error_unref(e);
        }
    }
}

static void insert_too_big(void *db)
{
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "INSERT INTO t VALUES (?)")) {
        cx_sqlite_bind_text(st, 1, "longer than the limit allows");
        cx_sqlite_step(st);
    }
}

TEST(a_value_over_the_length_limit_raises_data_error)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 10);
        cx_error *e = cx_protect(insert_too_big, db);
        CHECK(cx_error_type(e) == &cx_DataError);
        CHECK_EQ(cx_sqlite_error_code(e), SQLITE_TOOBIG);
        cx_error_unref(e);
    }
}

TEST(database_errors_derive_from_database_error_and_exception)
{
    const cx_type *all[] = {&cx_InterfaceError, &cx_DataError, &cx_OperationalError,
                            &cx_IntegrityError, &cx_InternalError, &cx_ProgrammingError,
                            &cx_NotSupportedError};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        CHECK(all[i]->base == &cx_DatabaseError);
        CHECK(cx_type_is(all[i], &cx_Exception));
    }
    CHECK(cx_DatabaseError.base == &cx_Exception);
    CHECK_STR(cx_IntegrityError.name, "IntegrityError");
}

TEST(error_code_is_zero_for_errors_not_raised_by_sqlite)
{
    cx_error *e = NULL;
    cx_try {
        cx_raise(&cx_IntegrityError, "raised by hand");
    } cx_except_any (err) {
        e = cx_error_ref(err);
    }
    CHECK_EQ(cx_sqlite_error_code(e), 0);
    cx_error_unref(e);
}

/* ---- statements ---- */

TEST(prepare_binds_a_statement_and_finalizes_it_at_exit)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT 1")) {
            CHECK(sqlite3_next_stmt(db, NULL) == st);
        }
        CHECK(sqlite3_next_stmt(db, NULL) == NULL);
    }
}

static void raise_with_statement(void *db)
{
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT 1")) {
        CHECK(cx_sqlite_step(st));
        cx_raise(&cx_ValueError, "mid-iteration");
    }
}

TEST(prepare_finalizes_when_the_body_raises)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e = cx_protect(raise_with_statement, db);
        CHECK(cx_error_is(e, &cx_ValueError));
        cx_error_unref(e);
        CHECK(sqlite3_next_stmt(db, NULL) == NULL);
    }
}

static void prepare_two(void *db)
{
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT 1; SELECT 2"))
        (void)st;
}

TEST(prepare_of_two_statements_raises_programming_error)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e = cx_protect(prepare_two, db);
        CHECK(cx_error_type(e) == &cx_ProgrammingError);
        CHECK_STR(cx_error_message(e), "you can only prepare one statement at a time");
        cx_error_unref(e);
        CHECK(sqlite3_next_stmt(db, NULL) == NULL);
    }
}

TEST(prepare_accepts_trailing_semicolons_and_comments)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:"))
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT 5; ;  -- five\n /* done */ "))
        CHECK(cx_sqlite_step(st) && sqlite3_column_int(st, 0) == 5);
}

static void prepare_empty(void *db)
{
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "  -- nothing here"))
        (void)st;
}

TEST(prepare_of_no_statement_raises_programming_error)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e = cx_protect(prepare_empty, db);
        CHECK(cx_error_type(e) == &cx_ProgrammingError);
        cx_error_unref(e);
    }
}

static void prepare_bad_syntax(void *db)
{
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELEC 1"))
        (void)st;
}

TEST(prepare_of_bad_syntax_raises_operational_error_with_sqlites_message)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e = cx_protect(prepare_bad_syntax, db);
        CHECK(cx_error_type(e) == &cx_OperationalError);
        CHECK_STR(cx_error_message(e), "near \"SELEC\": syntax error");
        cx_error_unref(e);
    }
}

TEST(bind_helpers_round_trip_every_type)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (i, d, s, b, n)");
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "INSERT INTO t VALUES (?, ?, ?, ?, ?)")) {
            cx_sqlite_bind_int(st, 1, INT64_C(1) << 40);
            cx_sqlite_bind_double(st, 2, 2.5);
            cx_sqlite_bind_text(st, 3, "O'Brien; DROP TABLE t");
            cx_sqlite_bind_blob(st, 4, "\0\1\2", 3);
            cx_sqlite_bind_null(st, 5);
            CHECK(!cx_sqlite_step(st));
        }
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT i, d, s, b, n FROM t")) {
            CHECK(cx_sqlite_step(st));
            CHECK_EQ(sqlite3_column_int64(st, 0), INT64_C(1) << 40);
            CHECK(sqlite3_column_double(st, 1) == 2.5);
            CHECK_STR((const char *)sqlite3_column_text(st, 2), "O'Brien; DROP TABLE t");
            CHECK_EQ(sqlite3_column_bytes(st, 3), 3);
            CHECK(memcmp(sqlite3_column_blob(st, 3), "\0\1\2", 3) == 0);
            CHECK_EQ(sqlite3_column_type(st, 4), SQLITE_NULL);
            CHECK(!cx_sqlite_step(st));
        }
    }
}

static void bind_out_of_range(void *db)
{
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT ?"))
        cx_sqlite_bind_int(st, 2, 1);
}

TEST(bind_out_of_range_raises_programming_error)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_error *e = cx_protect(bind_out_of_range, db);
        CHECK(cx_error_type(e) == &cx_ProgrammingError);
        CHECK_STR(cx_error_message(e), "parameter 2 out of range: the statement has 1");
        CHECK_EQ(cx_sqlite_error_code(e), SQLITE_RANGE);
        cx_error_unref(e);
    }
}

static void bind_missing_name(void *db)
{
    cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT :a"))
        cx_sqlite_param(st, ":b");
}

TEST(named_parameters_are_found_by_name_and_a_missing_one_raises)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT :a + :b")) {
            cx_sqlite_bind_int(st, cx_sqlite_param(st, ":b"), 40);
            cx_sqlite_bind_int(st, cx_sqlite_param(st, ":a"), 2);
            CHECK(cx_sqlite_step(st));
            CHECK_EQ(sqlite3_column_int(st, 0), 42);
        }
        cx_error *e = cx_protect(bind_missing_name, db);
        CHECK(cx_error_type(e) == &cx_ProgrammingError);
        CHECK_STR(cx_error_message(e), "no parameter named :b");
        cx_error_unref(e);
    }
}

TEST(step_returns_each_row_then_false)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)");
        long long sum = 0;
        int rows = 0;
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "SELECT x FROM t ORDER BY x"))
            while (cx_sqlite_step(st)) {
                sum += sqlite3_column_int64(st, 0);
                rows++;
            }
        CHECK_EQ(rows, 3);
        CHECK_EQ(sum, 6);
    }
}

TEST(a_failed_step_raises_and_the_statement_can_run_again_after_reset)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)");
        cx_with (sqlite3_stmt *st, cx_sqlite_prepare(db, "INSERT INTO t VALUES (?)")) {
            cx_sqlite_bind_int(st, 1, 1);
            cx_error *e = NULL;
            cx_try {
                cx_sqlite_step(st);
            } cx_except (&cx_IntegrityError, err) {
                e = cx_error_ref(err);
            }
            CHECK(e != NULL);
            CHECK_EQ(cx_sqlite_error_code(e), SQLITE_CONSTRAINT_PRIMARYKEY);
            CHECK_STR(cx_error_message(e), "UNIQUE constraint failed: t.id");
            cx_error_unref(e);
            cx_sqlite_reset(st);
            cx_sqlite_bind_int(st, 1, 2);
            CHECK(!cx_sqlite_step(st));
        }
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 2);
    }
}

TEST(exec_runs_every_statement_of_a_script)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);");
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 2);
    }
}

static void script_fails_midway(void *db)
{
    cx_sqlite_exec(db, "INSERT INTO t VALUES (1); INSERT INTO nope VALUES (2); INSERT INTO t VALUES (3)");
}

TEST(exec_stops_at_the_first_failing_statement)
{
    cx_with (sqlite3 *db, cx_sqlite_open(":memory:")) {
        cx_sqlite_exec(db, "CREATE TABLE t (x)");
        cx_error *e = cx_protect(script_fails_midway, db);
        CHECK_STR(cx_error_message(e), "no such table: nope");
        cx_error_unref(e);
        CHECK_EQ(scalar(db, "SELECT count(*) FROM t"), 1);
    }
}

static void raise_after_closing_with_error(void *path)
{
    cx_with (sqlite3 *db, cx_sqlite_open(path))
    cx_with (cx_sqlite_transaction(db)) {
        cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
        cx_sqlite_exec(db, "INSERT INTO t VALUES (1)");
    }
}

TEST(a_constraint_error_in_the_body_leaves_nothing_in_the_file)
{
    cx_with (const char *dir, cx_tempdir()) {
        make_table(in(dir, "c.db"), "CREATE TABLE t (x UNIQUE)");
        cx_error *e = cx_protect(raise_after_closing_with_error, (void *)in(dir, "c.db"));
        CHECK(cx_error_is(e, &cx_IntegrityError));
        cx_error_unref(e);
        CHECK_EQ(scalar_in(in(dir, "c.db"), "SELECT count(*) FROM t"), 0);
    }
}
