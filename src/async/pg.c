/* PostgreSQL without blocking the loop: libpq's non-blocking connect and
 * query functions, their socket watched with a uv_poll handle while the
 * task is parked.  Errors are cx-pg's (cx_pg_raise): the same SQLSTATE
 * mapping, the same OperationalError for a lost or refused connection. */
#include <string.h>

#include <libpq-fe.h>
#include <cx/pg.h>

#include "internal.h"

typedef struct {
    uv_poll_t poll;
    cx_task *task;
    bool ready, closed;
    int status;
} fd_wait;

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    fd_wait *w = h->data;
    w->ready = true;
    w->status = status;
    uv_poll_stop(h);
    cx__task_wake(w->task);
}

static void on_poll_closed(uv_handle_t *h)
{
    fd_wait *w = h->data;
    w->closed = true;
    cx__task_wake(w->task);
}

static void poll_close(fd_wait *w)
{
    uv_close((uv_handle_t *)&w->poll, on_poll_closed);
    while (!w->closed)
        cx__task_park(false);
}

/* Suspends until fd is readable (or writable); true when ready, false when
 * a cancellation came first. */
static bool wait_fd(cx_task *t, int fd, bool writable, bool cancellable)
{
    fd_wait w = {.task = t};
    int rc = uv_poll_init(cx__async_loop(), &w.poll, fd);
    if (rc < 0)
        cx__async_raise_uv(rc, "postgresql: watch socket");
    w.poll.data = &w;
    uv_poll_start(&w.poll, writable ? UV_WRITABLE : UV_READABLE, on_poll);
    bool ok = true;
    while (!w.ready) {
        if (!cx__task_park(cancellable)) {
            ok = false;
            break;
        }
    }
    poll_close(&w);
    return ok;
}

/* ---- connect ---- */

typedef struct {
    const char *conninfo;
    PGconn *c;
} connect_state;

static void *pg_connect_enter(void *state)
{
    connect_state *s = state;
    cx_task *t = cx__async_task("cx_pg_async_connect");
    cx__task_checkpoint(t);
    PGconn *c = PQconnectStart(s->conninfo ? s->conninfo : "");
    if (!c)
        cx_raise(&cx_MemoryError, "postgresql: no memory for a connection");
    cx_try {
        if (PQstatus(c) == CONNECTION_BAD)
            cx_pg_raise(c, NULL);
        PostgresPollingStatusType st = PGRES_POLLING_WRITING;
        while (st != PGRES_POLLING_OK) {
            if (st == PGRES_POLLING_FAILED)
                cx_pg_raise(c, NULL);
            if (!wait_fd(t, PQsocket(c), st == PGRES_POLLING_WRITING, true))
                cx__task_raise_cancelled(t);
            st = PQconnectPoll(c);
        }
        if (PQsetnonblocking(c, 1) != 0)
            cx_pg_raise(c, NULL);
    } cx_except_any (e) {
        PQfinish(c);
        cx_reraise();
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
    query_state s = {c, sql, nparams, params, NULL};
    return cx_manager_make(&pg_query_type, &s, sizeof s);
}
