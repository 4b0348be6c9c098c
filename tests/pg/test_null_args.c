/* The NULL-and-range audit of libcx-pg (tests/nullargs.h says how it works):
 * every exported function, NULL for each pointer argument, absurd counts,
 * each call in a forked child.  No server is needed: a connection that
 * never connected stands beside the argument under test. */
#include <stdlib.h>

#include <cx/pg.h>

#include "nullargs.h"

/* Calls that fail today in code this change does not own; each is a crash
 * or a wrong outcome reported for its owner.  Empty it as they are fixed
 * (a listed call that passes fails the run). */
static const char *const na_known_gaps[] = {
    NULL,
};

static const char *const na_no_pointers[] = {NULL};

static const char *const na_libraries[] = {"libcx-pg.so", NULL};

static void na_invoke(void (*call)(void)) { call(); }

static void finish_conn(void *c) { PQfinish(c); }

static PGconn *dead_conn(void)
{
    PGconn *c = PQconnectdb("host=/nonexistent-cx-null-args connect_timeout=1");
    CHECK(c != NULL);
    return na_keep(c, finish_conn); /* finished after the call */
}

#define NA_HEADER "pg.h"

/* Documented: the PG* environment (here a server that is not there). */
NA_CASE(cx_pg_connect, "conninfo", RAISES(cx_OperationalError), {
    setenv("PGHOST", "/nonexistent-cx-null-args", 1);
    setenv("PGCONNECT_TIMEOUT", "2", 1);
    cx_with (cx_pg_connect(NULL)) {}
});
NA_CASE(cx_pg_transaction, "c", VALUE_ERROR("cx_pg_transaction: c is NULL"),
        cx_with (cx_pg_transaction(NULL)) {});
NA_CASE(cx_pg_query, "c", VALUE_ERROR("cx_pg_query: c is NULL"),
        cx_with (cx_pg_query(NULL, "SELECT 1", 0, NULL)) {});
NA_CASE(cx_pg_query, "sql", VALUE_ERROR("cx_pg_query: sql is NULL"),
        cx_with (cx_pg_query(dead_conn(), NULL, 0, NULL)) {});
NA_CASE(cx_pg_query, "nparams=-1", VALUE_ERROR("cx_pg_query: nparams -1"),
        cx_with (cx_pg_query(dead_conn(), "SELECT 1", -1, NULL)) {});
NA_CASE(cx_pg_query, "params", VALUE_ERROR("cx_pg_query: params is NULL"),
        cx_with (cx_pg_query(dead_conn(), "SELECT $1", 1, NULL)) {});
NA_CASE(cx_pg_exec, "c", VALUE_ERROR("cx_pg_exec: c is NULL"),
        cx_pg_exec(NULL, "SELECT 1", 0, NULL));
NA_CASE(cx_pg_exec, "sql", VALUE_ERROR("cx_pg_exec: sql is NULL"),
        cx_pg_exec(dead_conn(), NULL, 0, NULL));
NA_CASE(cx_pg_exec, "nparams=-1", VALUE_ERROR("cx_pg_exec: nparams -1"),
        cx_pg_exec(dead_conn(), "SELECT 1", -1, NULL));
NA_CASE(cx_pg_exec, "params", VALUE_ERROR("cx_pg_exec: params is NULL"),
        cx_pg_exec(dead_conn(), "SELECT $1", 1, NULL));
/* No error carries no SQLSTATE. */
NA_CASE(cx_pg_error_sqlstate, "e", RETURNS, CHECK(cx_pg_error_sqlstate(NULL) == NULL));
/* Documented: OperationalError. */
NA_CASE(cx_pg_error_type, "sqlstate", RETURNS,
        CHECK(cx_pg_error_type(NULL) == &cx_OperationalError));
NA_CASE(cx_pg_raise, "c", VALUE_ERROR("cx_pg_raise: c is NULL"), cx_pg_raise(NULL, NULL));
/* Documented: c's last error, as OperationalError. */
NA_CASE(cx_pg_raise, "res", RAISES(cx_OperationalError), cx_pg_raise(dead_conn(), NULL));

TEST(pg_h_functions_survive_null_and_absurd_arguments) { na_run_header("pg.h"); }
TEST(every_function_libcx_pg_exports_has_null_and_range_cases) { na_check_coverage(); }
