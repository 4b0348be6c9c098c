/* PostgreSQL without blocking the loop: libpq's non-blocking connect and
 * query functions, their socket watched with a uv_poll handle while the
 * task is parked.  Errors are cx-pg's (cx_pg_raise): the same SQLSTATE
 * mapping, the same OperationalError for a lost or refused connection. */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <cx/pg.h>

#include "internal.h"
#include "../pg/args.h"
#include "../pg/conninfo.h"

enum { FD_READY, FD_CANCELLED, FD_TIMED_OUT };

typedef struct {
    uv_poll_t poll;
    uv_timer_t timer;
    cx_task *task;
    bool ready, timed_out;
    int open_handles;
} fd_wait;

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    fd_wait *w = h->data;
    w->ready = true;
    uv_poll_stop(h);
    cx__task_wake(w->task);
}

static void on_timer(uv_timer_t *h)
{
    fd_wait *w = h->data;
    w->timed_out = true;
    cx__task_wake(w->task);
}

static void on_handle_closed(uv_handle_t *h)
{
    fd_wait *w = h->data;
    w->open_handles--;
    cx__task_wake(w->task);
}

/* Suspends until fd is readable (or writable), a cancellation comes (only
 * if `cancellable`) or `timeout_ms` pass (0: no limit).  Returns FD_READY,
 * FD_CANCELLED, FD_TIMED_OUT, or libuv's (negative) error; raises nothing. */
static int wait_fd_for(cx_task *t, int fd, bool writable, bool cancellable, uint64_t timeout_ms)
{
    fd_wait w = {.task = t};
    int rc = uv_poll_init(cx__async_loop(), &w.poll, fd);
    if (rc < 0)
        return rc;
    w.poll.data = &w;
    w.open_handles = 1;
    if (timeout_ms) {
        uv_timer_init(cx__async_loop(), &w.timer);
        w.timer.data = &w;
        w.open_handles++;
        uv_timer_start(&w.timer, on_timer, timeout_ms, 0);
    }
    uv_poll_start(&w.poll, writable ? UV_WRITABLE : UV_READABLE, on_poll);
    int how = FD_READY;
    while (!w.ready && !w.timed_out) {
        if (!cx__task_park(cancellable)) {
            how = FD_CANCELLED;
            break;
        }
    }
    if (how == FD_READY && !w.ready)
        how = FD_TIMED_OUT;
    uv_close((uv_handle_t *)&w.poll, on_handle_closed);
    if (timeout_ms)
        uv_close((uv_handle_t *)&w.timer, on_handle_closed);
    while (w.open_handles)
        cx__task_park(false);
    return how;
}

/* wait_fd_for without a time limit; true when ready, false when a
 * cancellation came first.  Raises OSError when the socket cannot be
 * watched. */
static bool wait_fd(cx_task *t, int fd, bool writable, bool cancellable)
{
    int how = wait_fd_for(t, fd, writable, cancellable, 0);
    if (how < 0)
        cx__async_raise_uv(how, "postgresql: watch socket");
    return how == FD_READY;
}

/* ---- connect ---- */

typedef struct {
    const char *conninfo;
    PGconn *c;
} connect_state;

/* When the connect must be given up (uv_hrtime nanoseconds, 0: never): its
 * connect_timeout, from the conninfo, PGCONNECT_TIMEOUT or cx's default,
 * read as libpq reads it (at most that long for the whole attempt; 1 counts
 * as 2; 0 or less waits for ever). */
static uint64_t connect_deadline(PGconn *c)
{
    long secs = 0;
    PQconninfoOption *opts = PQconninfo(c);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (o->val && strcmp(o->keyword, "connect_timeout") == 0)
            secs = strtol(o->val, NULL, 10);
    PQconninfoFree(opts);
    if (secs <= 0)
        return 0;
    return uv_hrtime() + (uint64_t)(secs < 2 ? 2 : secs) * 1000000000u;
}

/* Milliseconds left before `deadline` (0: no deadline; at least 1). */
static uint64_t ms_left(uint64_t deadline)
{
    if (!deadline)
        return 0;
    uint64_t now = uv_hrtime();
    return now >= deadline ? 1 : (deadline - now + 999999) / 1000000;
}

static void *pg_connect_enter(void *state)
{
    connect_state *s = state;
    cx_task *t = cx__async_task("cx_pg_async_connect");
    cx__task_checkpoint(t);
    cx__pg_conninfo ci;
    cx__pg_conninfo_parse(&ci, s->conninfo);
    PGconn *c = PQconnectStartParams(ci.keys + ci.first, ci.values + ci.first, 1);
    if (!c) {
        cx__pg_conninfo_free(&ci);
        cx_raise(&cx_MemoryError, "postgresql: no memory for a connection");
    }
    if (PQstatus(c) == CONNECTION_BAD)
        cx__pg_raise_connect_failure(c, &ci, NULL);
    uint64_t deadline = connect_deadline(c);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED)
            cx__pg_raise_connect_failure(c, &ci, NULL);
        int how = wait_fd_for(t, PQsocket(c), st == PGRES_POLLING_WRITING, true, ms_left(deadline));
        if (how == FD_TIMED_OUT)
            cx__pg_raise_connect_failure(c, &ci, "timeout expired");
        if (how < 0)
            cx__pg_raise_connect_failure(c, &ci, uv_strerror(how));
        if (how == FD_CANCELLED) {
            PQfinish(c);
            cx__pg_conninfo_free(&ci);
            cx__task_raise_cancelled(t);
        }
        st = PQconnectPoll(c);
    }
    cx__pg_conninfo_free(&ci);
    if (PQsetnonblocking(c, 1) != 0) {
        cx_try {
            cx_pg_raise(c, NULL);
        } cx_finally {
            PQfinish(c);
        }
    }
    s->c = c;
    return c;
}

static bool pg_connect_exit(void *state, cx_error *err)
{
    (void)err;
    PQfinish(((connect_state *)state)->c);
    return false;
}

static const cx_manager_type pg_connect_type = {"pg_async_connect", pg_connect_enter,
                                                pg_connect_exit};

cx_manager cx_pg_async_connect(const char *conninfo)
{
    connect_state s = {conninfo, NULL};
    return cx_manager_make(&pg_connect_type, &s, sizeof s);
}

/* ---- query ---- */

/* Takes every result of the query in flight; returns the first (the caller
 * owns it), clearing the others. */
static PGresult *drain(cx_task *t, PGconn *c, bool cancellable, bool *cancelled)
{
    PGresult *first = NULL;
    for (;;) {
        while (PQisBusy(c)) {
            if (!wait_fd(t, PQsocket(c), false, cancellable)) {
                /* Ask the server to stop, then read to the end regardless:
                 * the connection stays usable. */
                *cancelled = true;
                char errbuf[256];
                PGcancel *cancel = PQgetCancel(c);
                if (cancel) {
                    PQcancel(cancel, errbuf, sizeof errbuf);
                    PQfreeCancel(cancel);
                }
                cancellable = false;
            }
            if (!PQconsumeInput(c)) {
                PQclear(first);
                return NULL;
            }
        }
        PGresult *r = PQgetResult(c);
        if (!r)
            return first;
        if (!first)
            first = r;
        else
            PQclear(r);
    }
}

typedef struct {
    PGconn *c;
    const char *sql;
    int nparams;
    const char *const *params;
    PGresult *r;
} query_state;

/* Sends what libpq buffered.  Not cancellable: half a query on the wire
 * would leave the connection unusable; a cancellation waits for the drain,
 * which cancels the query on the server. */
static void flush_all(cx_task *t, PGconn *c)
{
    int rc;
    while ((rc = PQflush(c)) == 1)
        wait_fd(t, PQsocket(c), true, false);
    if (rc < 0)
        cx_pg_raise(c, NULL);
}

static void *pg_query_enter(void *state)
{
    query_state *q = state;
    cx_task *t = cx__async_task("cx_pg_async_query");
    cx__task_checkpoint(t);
    if (!PQsendQueryParams(q->c, q->sql, q->nparams, NULL, q->params, NULL, NULL, 0))
        cx_pg_raise(q->c, NULL);
    flush_all(t, q->c);
    bool cancelled = false;
    PGresult *r = drain(t, q->c, true, &cancelled);
    if (cancelled) {
        PQclear(r);
        cx__task_raise_cancelled(t);
    }
    if (!r)
        cx_pg_raise(q->c, NULL);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        cx_try {
            cx_pg_raise(q->c, r);
        } cx_finally {
            PQclear(r);
        }
    }
    q->r = r;
    return r;
}

static bool pg_query_exit(void *state, cx_error *err)
{
    (void)err;
    PQclear(((query_state *)state)->r);
    return false;
}

static const cx_manager_type pg_query_type = {"pg_async_query", pg_query_enter, pg_query_exit};

cx_manager cx_pg_async_query(struct pg_conn *c, const char *sql, int nparams,
                             const char *const *params)
{
    cx__pg_check_statement("cx_pg_async_query", c, sql, nparams, params);
    query_state s = {c, sql, nparams, params, NULL};
    return cx_manager_make(&pg_query_type, &s, sizeof s);
}
