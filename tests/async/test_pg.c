/* Non-blocking PostgreSQL on the loop, against the private server of the
 * CTest fixture pg_server (its PG* variables are in the file CX_PG_ENV). */
#include <time.h>

#include <cx/async.h>
#include <cx/pg.h>

#include "harness.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads the fixture's KEY=VALUE lines into the environment. */
static void load_pg_env(void)
{
    const char *path = getenv("CX_PG_ENV");
    if (!path || !*path)
        th_fail(__FILE__, __LINE__, "CX_PG_ENV is not set: run through ctest (fixture pg_server)");
    FILE *f = fopen(path, "r");
    if (!f)
        th_fail(__FILE__, __LINE__, "CX_PG_ENV names no readable file");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            setenv(line, eq + 1, 1);
        }
    }
    fclose(f);
}

static void query_value(void *arg)
{
    (void)arg;
    cx_async_with (PGconn *c, cx_pg_async_connect(NULL)) {
        const char *p[] = {"41"};
        cx_async_with (PGresult *r, cx_pg_async_query(c, "SELECT $1::int + 1", 1, p)) {
            CHECK_EQ(PQntuples(r), 1);
            th_log("%s", PQgetvalue(r, 0, 0));
        }
    }
}

TEST(pg_async_connect_and_query_returns_the_rows)
{
    load_pg_env();
    cx_error *e = cx_run(query_value, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "42");
}

static void count_ticks(void *arg)
{
    for (;;) {
        cx_sleep(0.01);
        (*(int *)arg)++;
    }
}

static void slow_query_with_ticker(void *arg)
{
    int *ticks = arg;
    cx_task *ticker = cx_spawn(count_ticks, ticks);
    cx_async_with (PGconn *c, cx_pg_async_connect(NULL))
    cx_async_with (PGresult *r, cx_pg_async_query(c, "SELECT pg_sleep(0.3)", 0, NULL))
        (void)r;
    cx_task_cancel(ticker);
    cx_try {
        cx_await_task(ticker);
    } cx_except (&cx_CancelledError, e) {
    }
}

TEST(pg_async_query_leaves_the_other_tasks_running)
{
    load_pg_env();
    int ticks = 0;
    cx_error *e = cx_run(slow_query_with_ticker, &ticks);
    CHECK(e == NULL);
    CHECK(ticks >= 10); /* ~30 ticks of 10 ms while the server slept 0.3 s */
}

static void one_sleeper(void *arg)
{
    (void)arg;
    cx_async_with (PGconn *c, cx_pg_async_connect(NULL))
    cx_async_with (PGresult *r, cx_pg_async_query(c, "SELECT pg_sleep(1.0)", 0, NULL))
        (void)r;
}

static void two_connections(void *arg)
{
    double t0 = now_s();
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_spawn(tg, one_sleeper, NULL);
        cx_taskgroup_spawn(tg, one_sleeper, NULL);
    }
    *(double *)arg = now_s() - t0;
}

TEST(pg_async_queries_on_two_connections_run_concurrently)
{
    load_pg_env();
    double took = 0;
    cx_error *e = cx_run(two_connections, &took);
    CHECK(e == NULL);
    CHECK(took >= 1.0);
    CHECK(took < 1.9); /* one after the other would take 2 s */
}

static void bad_query(void *arg)
{
    (void)arg;
    cx_async_with (PGconn *c, cx_pg_async_connect(NULL))
    cx_async_with (PGresult *r, cx_pg_async_query(c, "SELECT * FROM no_such_table_here", 0, NULL))
        (void)r;
}

TEST(pg_async_failed_query_raises_the_error_for_its_sqlstate)
{
    load_pg_env();
    cx_error *e = cx_run(bad_query, NULL);
    CHECK(cx_error_is(e, &cx_ProgrammingError));
    CHECK_STR(cx_pg_error_sqlstate(e), "42P01");
    CHECK(strstr(cx_error_message(e), "no_such_table_here") != NULL);
    cx_error_unref(e);
}

static void query_timeout(void *arg)
{
    (void)arg;
    cx_async_with (PGconn *c, cx_pg_async_connect(NULL)) {
        cx_try {
            cx_async_with (cx_timeout(0.1))
            cx_async_with (PGresult *r, cx_pg_async_query(c, "SELECT pg_sleep(30)", 0, NULL))
                (void)r;
        } cx_except (&cx_TimeoutError, e) {
            th_log("timeout");
        }
        cx_async_with (PGresult *r, cx_pg_async_query(c, "SELECT 7", 0, NULL))
            th_log("%s", PQgetvalue(r, 0, 0));
    }
}

TEST(pg_async_query_cut_by_a_timeout_is_cancelled_and_the_connection_stays_usable)
{
    load_pg_env();
    double t0 = now_s();
    cx_error *e = cx_run(query_timeout, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "timeout 7");
    CHECK(now_s() - t0 < 10);
}

static void bad_server(void *arg)
{
    (void)arg;
    cx_async_with (PGconn *c, cx_pg_async_connect("host=/nonexistent/cx-socket-dir port=1 connect_timeout=5"))
        (void)c;
}

TEST(pg_async_connect_to_a_missing_server_raises_operational_error)
{
    cx_error *e = cx_run(bad_server, NULL);
    CHECK(cx_error_is(e, &cx_OperationalError));
    cx_error_unref(e);
}
