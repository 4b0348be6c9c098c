/* Non-blocking PostgreSQL on the loop, against the private server of the
 * CTest fixture pg_server (its PG* variables are in the file CX_PG_ENV). */
#include <time.h>
#include <unistd.h>

#include <cx/async.h>
#include <cx/pg.h>

#include "../pg/server.h"

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
    pg_env();
    cx_error *e = cx_run(query_value, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "42");
}

/* The ticker counts its turns on the loop: a count that moves while another
 * task is inside a call means that call let the loop run other tasks (one
 * that blocks the thread leaves it still).  The first QUICK_TICKS turns yield
 * with cx_sleep(0), so they need no clock, only a loop that keeps running
 * ready tasks while the caller waits: a loaded machine cannot make them
 * miss, however late its timers fire.  After them the ticker naps between
 * turns, so that a wait of seconds does not spin a CPU. */
enum { QUICK_TICKS = 20 };

static void count_ticks(void *arg)
{
    int *ticks = arg;
    for (;;) {
        cx_sleep(*ticks < QUICK_TICKS ? 0 : 0.01);
        (*ticks)++;
    }
}

static void stop_ticker(cx_task *ticker)
{
    cx_task_cancel(ticker);
    cx_try {
        cx_await_task(ticker);
    } cx_except (&cx_CancelledError, e) {
    }
}

typedef struct {
    int ticks;        /* the ticker's turns */
    int during_query; /* of them, while the query waited on the server */
} query_ticks;

static void slow_query_with_ticker(void *arg)
{
    query_ticks *qt = arg;
    cx_async_with (PGconn *c, cx_pg_async_connect(NULL)) {
        /* Spawned once connected: the quick turns are left for the query. */
        cx_task *ticker = cx_spawn(count_ticks, &qt->ticks);
        cx_try {
            int before = qt->ticks;
            cx_async_with (PGresult *r, cx_pg_async_query(c, "SELECT pg_sleep(0.3)", 0, NULL))
                (void)r;
            qt->during_query = qt->ticks - before;
        } cx_finally {
            stop_ticker(ticker);
        }
    }
}

TEST(pg_async_query_leaves_the_other_tasks_running)
{
    pg_env();
    query_ticks qt = {0, 0};
    cx_error *e = cx_run(slow_query_with_ticker, &qt);
    CHECK(e == NULL);
    CHECK(qt.during_query >= QUICK_TICKS);
}

/* Long enough that one sleep after the other (4 s) stands well clear of
 * both at once (2 s) plus a loaded machine's delays. */
#define SERVER_SLEEP_S 2.0
#define STR_(x) #x
#define STR(x) STR_(x)

static void one_sleeper(void *arg)
{
    (void)arg;
    cx_async_with (PGconn *c, cx_pg_async_connect(NULL))
    cx_async_with (PGresult *r,
                   cx_pg_async_query(c, "SELECT pg_sleep(" STR(SERVER_SLEEP_S) ")", 0, NULL))
        (void)r;
}

static void two_connections(void *arg)
{
    double t0 = pg_now();
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_spawn(tg, one_sleeper, NULL);
        cx_taskgroup_spawn(tg, one_sleeper, NULL);
    }
    *(double *)arg = pg_now() - t0;
}

TEST(pg_async_queries_on_two_connections_run_concurrently)
{
    pg_env();
    double took = 0;
    cx_error *e = cx_run(two_connections, &took);
    CHECK(e == NULL);
    CHECK(took >= SERVER_SLEEP_S);
    CHECK(took < 2 * SERVER_SLEEP_S); /* one after the other would take 4 s */
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
    pg_env();
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
    pg_env();
    double t0 = pg_now();
    cx_error *e = cx_run(query_timeout, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "timeout 7");
    CHECK(pg_now() - t0 < 10);
}

static void bad_server_at(void *conninfo)
{
    cx_async_with (PGconn *c, cx_pg_async_connect(conninfo))
        (void)c;
}

TEST(pg_async_connect_to_a_missing_server_raises_operational_error)
{
    cx_error *e = cx_run(bad_server_at, "host=/nonexistent/cx-socket-dir port=1 connect_timeout=5");
    CHECK(cx_error_is(e, &cx_OperationalError));
    cx_error_unref(e);
}

/* ---- connecting: passwords hidden, a deadline, the loop kept running ---- */

static cx_error *async_connect_error(const char *conninfo)
{
    cx_error *e = cx_run(bad_server_at, (void *)conninfo);
    CHECK(e != NULL);
    return e;
}

TEST(pg_async_connect_with_a_wrong_password_never_shows_it)
{
    pg_env();
    char conninfo[600];
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=%s dbname=%s password=Hunter2-wrong",
             getenv("PGHOST"), getenv("PGPORT"), getenv("CX_PG_SECRET_USER"),
             getenv("PGDATABASE"));
    cx_error *e = async_connect_error(conninfo);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(strstr(cx_error_message(e), "password authentication failed") != NULL);
    pg_check_hidden(e, "Hunter2-wrong");
    cx_error_unref(e);
}

TEST(pg_async_connect_masks_a_password_echoed_by_a_bad_option_value)
{
    /* libpq quotes the bad port value, which is the password. */
    cx_error *e = async_connect_error("host=/tmp port=Pw-9x7 password=Pw-9x7");
    CHECK(cx_error_is(e, &cx_DatabaseError));
    pg_check_hidden(e, "Pw-9x7");
    CHECK(strstr(cx_error_message(e), "********") != NULL);
    cx_error_unref(e);
}

TEST(pg_async_connect_with_a_malformed_conninfo_holding_a_password_never_shows_it)
{
    cx_error *e = async_connect_error("host=/tmp password=S3cr3t 'unterminated");
    CHECK(cx_error_type(e) == &cx_ProgrammingError);
    pg_check_hidden(e, "S3cr3t");
    cx_error_unref(e);
}

typedef struct {
    const char *conninfo;
    int ticks;
    double took;
} silent_connect;

static void connect_beside_a_ticker(void *arg)
{
    silent_connect *sc = arg;
    /* It first runs when the connect waits: its turns are the connect's. */
    cx_task *ticker = cx_spawn(count_ticks, &sc->ticks);
    double t0 = pg_now();
    cx_try {
        cx_async_with (PGconn *c, cx_pg_async_connect(sc->conninfo))
            (void)c;
    } cx_finally {
        sc->took = pg_now() - t0;
        stop_ticker(ticker);
    }
}

TEST(pg_async_connect_to_a_silent_server_times_out_and_leaves_other_tasks_running)
{
    int port;
    int s = pg_silent_listener(&port);
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d connect_timeout=2 sslmode=disable",
             port);
    silent_connect sc = {conninfo, 0, 0};
    cx_error *e = cx_run(connect_beside_a_ticker, &sc);
    close(s);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(strstr(cx_error_message(e), "timeout expired") != NULL);
    CHECK(sc.took >= 1.5 && sc.took < 6.0);
    CHECK(sc.ticks >= QUICK_TICKS);
    cx_error_unref(e);
}

TEST(pg_async_connect_to_a_silent_server_honours_pgconnect_timeout)
{
    int port;
    int s = pg_silent_listener(&port);
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d sslmode=disable", port);
    setenv("PGCONNECT_TIMEOUT", "2", 1);
    silent_connect sc = {conninfo, 0, 0};
    cx_error *e = cx_run(connect_beside_a_ticker, &sc);
    unsetenv("PGCONNECT_TIMEOUT");
    close(s);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(sc.took >= 1.5 && sc.took < 6.0);
    cx_error_unref(e);
}
