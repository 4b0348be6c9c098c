/* cx-pg against the real PostgreSQL server of the pg_server fixture:
 * connections, parameterised statements, errors by SQLSTATE, transactions
 * and savepoints. */
#include <stdlib.h>
#include <unistd.h>

#include "server.h"

/* ---- the guide's DatabaseConnection ---- */

static void database_connection(bool fail)
{
    cx_with (PGconn *conn, cx_pg_connect(NULL))
    cx_with (cx_pg_transaction(conn)) {
        const char *p[] = {"1", "Alice"};
        cx_pg_exec(conn, "INSERT INTO guide_users VALUES ($1, $2)", 2, p);
        if (fail)
            cx_raise(&cx_ValueError, "the body failed after the insert");
    }
}

static void database_connection_failing(void *arg)
{
    (void)arg;
    database_connection(true);
}

TEST(guide_database_connection_commits_on_success_and_rolls_back_on_error)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL))
        pg_fresh_table(c, "guide_users", "id integer, name text");
    cx_error *e = cx_protect(database_connection_failing, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
    cx_with (PGconn *c, cx_pg_connect(NULL))
        CHECK_EQ(pg_scalar(c, "SELECT count(*) FROM guide_users"), 0);
    database_connection(false);
    cx_with (PGconn *c, cx_pg_connect(NULL))
        CHECK_EQ(pg_scalar(c, "SELECT count(*) FROM guide_users WHERE name = 'Alice'"), 1);
}

/* ---- cx_pg_connect ---- */

TEST(connect_with_null_takes_the_pg_environment)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        CHECK_EQ(PQstatus(c), CONNECTION_OK);
        CHECK_STR(PQdb(c), getenv("PGDATABASE"));
        CHECK_STR(PQuser(c), getenv("PGUSER"));
    }
}

TEST(connect_with_a_conninfo_string_uses_it)
{
    pg_env();
    char conninfo[600];
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=%s dbname=postgres",
             getenv("PGHOST"), getenv("PGPORT"), getenv("PGUSER"));
    cx_with (PGconn *c, cx_pg_connect(conninfo))
        CHECK_STR(PQdb(c), "postgres");
}

TEST(connect_closes_the_connection_at_exit)
{
    pg_env();
    long long pid = 0;
    cx_with (PGconn *c, cx_pg_connect(NULL))
        pid = pg_scalar(c, "SELECT pg_backend_pid()");
    long long alive = 1;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld", pid);
    /* The backend ends just after the client leaves: at once normally, after
     * seconds on a loaded machine (the loop ends as soon as it is gone). */
    cx_with (PGconn *c, cx_pg_connect(NULL))
        for (int i = 0; i < 1500 && (alive = pg_scalar(c, sql)) != 0; i++) /* 30 s */
            usleep(20000);
    CHECK_EQ(alive, 0);
}

/* ---- cx_pg_query ---- */

TEST(query_binds_the_rows_of_a_select)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL))
    cx_with (PGresult *r, cx_pg_query(c, "SELECT g, g * g FROM generate_series(1, 3) g", 0, NULL)) {
        CHECK_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
        CHECK_EQ(PQntuples(r), 3);
        CHECK_STR(PQgetvalue(r, 2, 1), "9");
    }
}

TEST(query_parameters_are_sent_apart_from_the_sql)
{
    pg_env();
    const char *hostile = "x'); DROP TABLE params_t; --";
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "params_t", "s text");
        const char *p[] = {hostile};
        CHECK_EQ(cx_pg_exec(c, "INSERT INTO params_t VALUES ($1)", 1, p), 1);
        cx_with (PGresult *r, cx_pg_query(c, "SELECT s FROM params_t", 0, NULL)) {
            CHECK_EQ(PQntuples(r), 1);
            CHECK_STR(PQgetvalue(r, 0, 0), hostile);
        }
    }
}

TEST(query_null_parameter_is_sql_null)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        const char *p[] = {NULL, "7"};
        cx_with (PGresult *r, cx_pg_query(c, "SELECT $1::int IS NULL, $2::int + 1", 2, p)) {
            CHECK_STR(PQgetvalue(r, 0, 0), "t");
            CHECK_STR(PQgetvalue(r, 0, 1), "8");
        }
    }
}

TEST(exec_returns_the_number_of_rows_affected)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "exec_t", "x int");
        CHECK_EQ(cx_pg_exec(c, "INSERT INTO exec_t SELECT generate_series(1, 5)", 0, NULL), 5);
        CHECK_EQ(cx_pg_exec(c, "DELETE FROM exec_t WHERE x > 3", 0, NULL), 2);
    }
}

static void empty_query(void *c) { cx_pg_exec(c, "  ", 0, NULL); }

TEST(empty_query_raises_programming_error)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        cx_error *e = cx_protect(empty_query, c);
        CHECK(cx_error_type(e) == &cx_ProgrammingError);
        cx_error_unref(e);
    }
}

static void copy_in(void *c) { cx_pg_exec(c, "COPY copy_t FROM STDIN", 0, NULL); }

TEST(copy_raises_not_supported_and_leaves_the_connection_usable)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "copy_t", "x int");
        cx_error *e = cx_protect(copy_in, c);
        CHECK(cx_error_type(e) == &cx_NotSupportedError);
        cx_error_unref(e);
        CHECK_EQ(pg_scalar(c, "SELECT 41 + 1"), 42);
        CHECK_EQ(PQtransactionStatus(c), PQTRANS_IDLE);
    }
}

/* ---- errors by SQLSTATE ---- */

static cx_error *exec_error(PGconn *c, const char *sql, int n, const char *const *p)
{
    cx_error *volatile got = NULL;
    cx_try {
        cx_pg_exec(c, sql, n, p);
    } cx_except_any (e) {
        got = cx_error_ref(e);
    }
    CHECK(got != NULL);
    return got;
}

TEST(unique_violation_raises_integrity_error_with_sqlstate_23505)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "uniq_t", "id int PRIMARY KEY");
        cx_pg_exec(c, "INSERT INTO uniq_t VALUES (1)", 0, NULL);
        cx_error *e = exec_error(c, "INSERT INTO uniq_t VALUES (1)", 0, NULL);
        CHECK(cx_error_type(e) == &cx_IntegrityError);
        CHECK_STR(cx_pg_error_sqlstate(e), "23505");
        CHECK_STR(cx_error_message(e), "duplicate key value violates unique constraint \"uniq_t_pkey\"\n"
                                       "DETAIL:  Key (id)=(1) already exists.");
        cx_error_unref(e);
    }
}

TEST(not_null_violation_raises_integrity_error_with_sqlstate_23502)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "notnull_t", "name text NOT NULL");
        const char *p[] = {NULL};
        cx_error *e = exec_error(c, "INSERT INTO notnull_t VALUES ($1)", 1, p);
        CHECK(cx_error_is(e, &cx_IntegrityError));
        CHECK_STR(cx_pg_error_sqlstate(e), "23502");
        cx_error_unref(e);
    }
}

TEST(syntax_error_raises_programming_error_with_sqlstate_42601)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        cx_error *e = exec_error(c, "SELEC 1", 0, NULL);
        CHECK(cx_error_type(e) == &cx_ProgrammingError);
        CHECK_STR(cx_pg_error_sqlstate(e), "42601");
        CHECK_STR(cx_error_message(e), "syntax error at or near \"SELEC\"");
        cx_error_unref(e);
    }
}

TEST(missing_table_raises_programming_error_with_sqlstate_42p01)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        cx_error *e = exec_error(c, "SELECT * FROM no_such_table", 0, NULL);
        CHECK(cx_error_type(e) == &cx_ProgrammingError);
        CHECK_STR(cx_pg_error_sqlstate(e), "42P01");
        CHECK_STR(cx_error_message(e), "relation \"no_such_table\" does not exist");
        cx_error_unref(e);
    }
}

TEST(division_by_zero_raises_data_error_with_sqlstate_22012)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        const char *p[] = {"0"};
        cx_error *e = exec_error(c, "SELECT 1 / $1::int", 1, p);
        CHECK(cx_error_type(e) == &cx_DataError);
        CHECK_STR(cx_pg_error_sqlstate(e), "22012");
        CHECK_STR(cx_error_message(e), "division by zero");
        cx_error_unref(e);
    }
}

TEST(a_parameter_of_the_wrong_type_raises_data_error)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        const char *p[] = {"abc"};
        cx_error *e = exec_error(c, "SELECT $1::int", 1, p);
        CHECK(cx_error_type(e) == &cx_DataError);
        CHECK_STR(cx_pg_error_sqlstate(e), "22P02");
        cx_error_unref(e);
    }
}

TEST(statement_timeout_raises_operational_error_with_sqlstate_57014)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        cx_pg_exec(c, "SET statement_timeout = 50", 0, NULL);
        cx_error *e = exec_error(c, "SELECT pg_sleep(5)", 0, NULL);
        CHECK(cx_error_type(e) == &cx_OperationalError);
        CHECK_STR(cx_pg_error_sqlstate(e), "57014");
        CHECK_STR(cx_error_message(e), "canceling statement due to statement timeout");
        cx_error_unref(e);
    }
}

TEST(sqlstate_classes_map_like_psycopg)
{
    CHECK(cx_pg_error_type("23503") == &cx_IntegrityError);
    CHECK(cx_pg_error_type("42703") == &cx_ProgrammingError);
    CHECK(cx_pg_error_type("22001") == &cx_DataError);
    CHECK(cx_pg_error_type("08006") == &cx_OperationalError);
    CHECK(cx_pg_error_type("53300") == &cx_OperationalError);
    CHECK(cx_pg_error_type("57P01") == &cx_OperationalError);
    CHECK(cx_pg_error_type("40001") == &cx_OperationalError);
    CHECK(cx_pg_error_type("0A000") == &cx_NotSupportedError);
    CHECK(cx_pg_error_type("25P02") == &cx_InternalError);
    CHECK(cx_pg_error_type("XX000") == &cx_InternalError);
    CHECK(cx_pg_error_type(NULL) == &cx_OperationalError);
}

TEST(sqlstate_is_null_for_errors_not_raised_by_pg)
{
    cx_error *e = NULL;
    cx_try {
        cx_raise(&cx_IntegrityError, "raised by hand");
    } cx_except_any (err) {
        e = cx_error_ref(err);
    }
    CHECK(cx_pg_error_sqlstate(e) == NULL);
    cx_error_unref(e);
}

/* ---- cx_pg_transaction ---- */

/* A transaction on c that inserts 100 into `table`, then raises KeyError. */
typedef struct {
    PGconn *c;
    const char *table;
} target;

static void insert_then_raise(void *arg)
{
    target *t = arg;
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (100)", t->table);
    cx_with (cx_pg_transaction(t->c)) {
        cx_pg_exec(t->c, sql, 0, NULL);
        cx_raise(&cx_KeyError, "boom");
    }
}

TEST(transaction_commits_and_other_connections_see_the_rows)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL))
    cx_with (PGconn *other, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "txn_commit_t", "x int");
        cx_with (cx_pg_transaction(c)) {
            CHECK_EQ(PQtransactionStatus(c), PQTRANS_INTRANS);
            cx_pg_exec(c, "INSERT INTO txn_commit_t VALUES (1)", 0, NULL);
            CHECK_EQ(pg_scalar(other, "SELECT count(*) FROM txn_commit_t"), 0);
        }
        CHECK_EQ(PQtransactionStatus(c), PQTRANS_IDLE);
        CHECK_EQ(pg_scalar(other, "SELECT count(*) FROM txn_commit_t"), 1);
    }
}

TEST(transaction_rolls_back_and_propagates_when_the_body_raises)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "txn_rollback_t", "x int");
        cx_error *e = cx_protect(insert_then_raise, &(target){c, "txn_rollback_t"});
        CHECK(cx_error_type(e) == &cx_KeyError);
        CHECK(cx_error_context(e) == NULL);
        cx_error_unref(e);
        CHECK_EQ(PQtransactionStatus(c), PQTRANS_IDLE);
        CHECK_EQ(pg_scalar(c, "SELECT count(*) FROM txn_rollback_t"), 0);
    }
}

static void nested_violation(void *c)
{
    cx_with (cx_pg_transaction(c))
        cx_pg_exec(c, "INSERT INTO nested_t VALUES (1)", 0, NULL); /* duplicate */
}

TEST(constraint_violation_in_a_nested_savepoint_rolls_back_only_that_level)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "nested_t", "id int PRIMARY KEY");
        cx_with (cx_pg_transaction(c)) {
            cx_pg_exec(c, "INSERT INTO nested_t VALUES (1)", 0, NULL);
            cx_error *e = cx_protect(nested_violation, c);
            CHECK(cx_error_is(e, &cx_IntegrityError));
            CHECK_STR(cx_pg_error_sqlstate(e), "23505");
            CHECK(cx_error_context(e) == NULL); /* the rollback to the savepoint worked */
            cx_error_unref(e);
            CHECK_EQ(PQtransactionStatus(c), PQTRANS_INTRANS); /* not aborted */
            cx_pg_exec(c, "INSERT INTO nested_t VALUES (2)", 0, NULL);
        }
        CHECK_EQ(pg_scalar(c, "SELECT sum(id) FROM nested_t"), 3);
    }
}

TEST(nested_transaction_rows_commit_with_the_outer_one)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "nested_ok_t", "x int");
        cx_with (cx_pg_transaction(c)) {
            cx_pg_exec(c, "INSERT INTO nested_ok_t VALUES (1)", 0, NULL);
            cx_with (cx_pg_transaction(c))
                cx_pg_exec(c, "INSERT INTO nested_ok_t VALUES (2)", 0, NULL);
            CHECK_EQ(PQtransactionStatus(c), PQTRANS_INTRANS);
        }
        CHECK_EQ(pg_scalar(c, "SELECT sum(x) FROM nested_ok_t"), 3);
    }
}

static void outer_fails_after_inner(void *c)
{
    cx_with (cx_pg_transaction(c)) {
        cx_with (cx_pg_transaction(c))
            cx_pg_exec(c, "INSERT INTO outer_t VALUES (2)", 0, NULL);
        cx_raise(&cx_RuntimeError, "outer fails");
    }
}

TEST(outer_rollback_undoes_a_released_savepoint)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "outer_t", "x int");
        cx_error *e = cx_protect(outer_fails_after_inner, c);
        CHECK(cx_error_type(e) == &cx_RuntimeError);
        cx_error_unref(e);
        CHECK_EQ(pg_scalar(c, "SELECT count(*) FROM outer_t"), 0);
    }
}

TEST(nesting_depth_is_per_connection)
{
    pg_env();
    cx_with (PGconn *a, cx_pg_connect(NULL))
    cx_with (PGconn *b, cx_pg_connect(NULL)) {
        pg_fresh_table(a, "depth_t", "x int");
        cx_with (cx_pg_transaction(a)) {
            cx_pg_exec(a, "INSERT INTO depth_t VALUES (1)", 0, NULL);
            /* b's first transaction is a BEGIN of its own, rolled back whole. */
            cx_error *e = cx_protect(insert_then_raise, &(target){b, "depth_t"});
            cx_error_unref(e);
            CHECK_EQ(PQtransactionStatus(b), PQTRANS_IDLE);
            CHECK_EQ(PQtransactionStatus(a), PQTRANS_INTRANS);
        }
        CHECK_EQ(pg_scalar(b, "SELECT sum(x) FROM depth_t"), 1);
    }
}

static void swallow_an_error(void *c)
{
    cx_with (cx_pg_transaction(c)) {
        cx_pg_exec(c, "INSERT INTO swallow_t VALUES (1)", 0, NULL);
        cx_try {
            cx_pg_exec(c, "SELECT 1 / 0", 0, NULL);
        } cx_except (&cx_DataError, e) {
            (void)e; /* caught, but the transaction is aborted */
        }
    }
}

TEST(a_caught_error_that_aborted_the_transaction_makes_exit_raise_not_commit)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "swallow_t", "x int");
        cx_error *e = cx_protect(swallow_an_error, c);
        CHECK(cx_error_type(e) == &cx_InternalError);
        CHECK_STR(cx_pg_error_sqlstate(e), "25P02");
        cx_error_unref(e);
        CHECK_EQ(PQtransactionStatus(c), PQTRANS_IDLE);
        CHECK_EQ(pg_scalar(c, "SELECT count(*) FROM swallow_t"), 0);
    }
}

static void statement_after_an_error(void *c)
{
    cx_with (cx_pg_transaction(c)) {
        cx_try {
            cx_pg_exec(c, "SELECT 1 / 0", 0, NULL);
        } cx_except (&cx_DataError, e) {
            (void)e;
        }
        cx_pg_exec(c, "SELECT 1", 0, NULL);
    }
}

TEST(a_statement_in_an_aborted_transaction_raises_internal_error_25p02)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        cx_error *e = cx_protect(statement_after_an_error, c);
        CHECK(cx_error_type(e) == &cx_InternalError);
        CHECK_STR(cx_pg_error_sqlstate(e), "25P02");
        CHECK(strstr(cx_error_message(e), "current transaction is aborted") != NULL);
        cx_error_unref(e);
        CHECK_EQ(PQtransactionStatus(c), PQTRANS_IDLE);
    }
}

static void violate_deferred(void *c)
{
    cx_with (cx_pg_transaction(c))
        cx_pg_exec(c, "INSERT INTO deferred_child VALUES (99)", 0, NULL);
}

TEST(a_deferred_constraint_failing_at_commit_raises_integrity_error)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        cx_pg_exec(c, "SET client_min_messages = warning", 0, NULL);
        cx_pg_exec(c, "DROP TABLE IF EXISTS deferred_child, deferred_parent", 0, NULL);
        cx_pg_exec(c, "CREATE TABLE deferred_parent (id int PRIMARY KEY)", 0, NULL);
        cx_pg_exec(c, "CREATE TABLE deferred_child (p int REFERENCES deferred_parent "
                      "DEFERRABLE INITIALLY DEFERRED)", 0, NULL);
        cx_error *e = cx_protect(violate_deferred, c);
        CHECK(cx_error_is(e, &cx_IntegrityError));
        CHECK_STR(cx_pg_error_sqlstate(e), "23503");
        cx_error_unref(e);
        CHECK_EQ(PQtransactionStatus(c), PQTRANS_IDLE);
        CHECK_EQ(pg_scalar(c, "SELECT count(*) FROM deferred_child"), 0);
    }
}

TEST(transaction_inside_the_callers_own_begin_is_a_savepoint)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        pg_fresh_table(c, "own_begin_t", "x int");
        cx_pg_exec(c, "BEGIN", 0, NULL);
        cx_pg_exec(c, "INSERT INTO own_begin_t VALUES (1)", 0, NULL);
        cx_error *e = cx_protect(insert_then_raise, &(target){c, "own_begin_t"});
        cx_error_unref(e);
        CHECK_EQ(PQtransactionStatus(c), PQTRANS_INTRANS);
        cx_pg_exec(c, "COMMIT", 0, NULL);
        CHECK_EQ(pg_scalar(c, "SELECT sum(x) FROM own_begin_t"), 1);
    }
}
