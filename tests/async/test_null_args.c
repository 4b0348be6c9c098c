/* The NULL-and-range audit of libcx-async and libcx-async-pg
 * (tests/nullargs.h says how it works): every exported function, NULL for
 * each pointer argument, absurd values for each size, count or port, each
 * call in a forked child and, but for the "async.h outside a task" group,
 * inside a task of its own loop.  Built without cx-async-pg
 * (CX_TEST_NO_ASYNC_PG), it audits libcx-async alone. */
#include <limits.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#if !CX_TEST_NO_ASYNC_PG
#include <libpq-fe.h>
#endif

#include <cx/async.h>
#include <cx/dberror.h>

#include "nullargs.h"

/* Calls that fail today in code this change does not own; each is a crash
 * or a wrong outcome reported for its owner.  Empty it as they are fixed
 * (a listed call that passes fails the run). */
static const char *const na_known_gaps[] = {
    NULL,
};

static const char *const na_no_pointers[] = {
    "cx_async_exitstack_new", "cx_async_stack_size", "cx_current_task", "cx_taskgroup_new",
    "cx_tcp_backlog",
    NULL,
};

#if CX_TEST_NO_ASYNC_PG
static const char *const na_libraries[] = {"libcx-async.so", NULL};
#else
static const char *const na_libraries[] = {"libcx-async.so", "libcx-async-pg.so", NULL};
#endif

static void (*task_call)(void);

static void task_main(void *arg)
{
    (void)arg;
    task_call();
}

/* cx_run hands back what the task raised: raise a copy of it so the child
 * judges it like any other raise. */
static void raise_returned(cx_error *e)
{
    if (!e)
        return;
    const cx_type *type = cx_error_type(e);
    char message[512];
    snprintf(message, sizeof message, "%s", cx_error_message(e));
    cx_error_unref(e);
    cx_raise(type, "%s", message);
}

#define OUTSIDE "async.h outside a task"

static void na_invoke(void (*call)(void))
{
    if (strcmp(na_current->header, OUTSIDE) == 0) {
        call();
        return;
    }
    task_call = call;
    raise_returned(cx_run(task_main, NULL));
}

/* ---- helpers the calls use ---- */

static void nothing(void *arg) { (void)arg; }
static void raise_key_error(void *arg) { (void)arg; cx_raise(&cx_KeyError, "k"); }
static void one_yield(cx_gen *g, void *arg) { (void)arg; cx_yield(g, NULL); }
static bool exit_false(void *arg, cx_error *err) { (void)arg, (void)err; return false; }
static void serve_nothing(cx_stream *s, void *arg) { (void)s, (void)arg; }

/* A connected stream (to a listener of our own) around `body`. */
#define WITH_STREAM(s)                                                         \
    cx_with (cx_listener *l_, cx_tcp_listen("127.0.0.1", 0))                  \
    cx_with (cx_stream *s, cx_tcp_connect("127.0.0.1", cx_listener_port(l_)))

#define WITH_AFILE(f) cx_with (cx_afile *f, cx_async_open("/dev/zero", O_RDONLY, 0))

#if !CX_TEST_NO_ASYNC_PG
/* A PGconn that never connected (no server is needed for these checks). */
static void finish_conn(void *c) { PQfinish(c); }

static PGconn *dead_conn(void)
{
    PGconn *c = PQconnectdb("host=/nonexistent-cx-null-args connect_timeout=1");
    CHECK(c != NULL);
    return na_keep(c, finish_conn); /* finished after the call */
}
#endif

/* ===================================================== outside any task */
#define NA_HEADER OUTSIDE

NA_CASE(cx_run, "main", VALUE_ERROR("cx_run: main is NULL"), cx_run(NULL, NULL));
NA_CASE(cx_run, "arg", RETURNS, raise_returned(cx_run(nothing, NULL)));
NA_CASE(cx_run_threads, "main", VALUE_ERROR("cx_run_threads: main is NULL"),
        cx_run_threads(2, NULL, NULL));
NA_CASE(cx_run_threads, "arg", RETURNS, raise_returned(cx_run_threads(2, nothing, NULL)));
NA_CASE(cx_run_threads, "n=INT_MIN", RETURNS, raise_returned(cx_run_threads(INT_MIN, nothing, NULL)));
/* Documented: at least 16 KiB; 0 is the default. */
NA_CASE(cx_async_set_stack_size, "bytes=0", RETURNS, {
    cx_async_set_stack_size(0);
    raise_returned(cx_run(nothing, NULL));
});
NA_CASE(cx_async_set_stack_size, "bytes=SIZE_MAX", VALUE_ERROR("cx_async_set_stack_size: "), {
    cx_async_set_stack_size(SIZE_MAX);
    raise_returned(cx_run(nothing, NULL));
});
NA_CASE(cx_error_group_size, "e", RETURNS, CHECK_EQ(cx_error_group_size(NULL), 0));
NA_CASE(cx_error_group_item, "e", RETURNS, CHECK(cx_error_group_item(NULL, 0) == NULL));
NA_CASE(cx_error_group_item, "i=SIZE_MAX", RETURNS, {
    cx_error *e = cx_protect(raise_key_error, NULL);
    CHECK(cx_error_group_item(e, SIZE_MAX) == NULL);
    cx_error_unref(e);
});

/* ========================================================== in a task */
#undef NA_HEADER
#define NA_HEADER "async.h"

NA_CASE(cx_spawn, "fn", VALUE_ERROR("cx_spawn: fn is NULL"), cx_spawn(NULL, NULL));
NA_CASE(cx_spawn, "arg", RETURNS, cx_await_task(cx_spawn(nothing, NULL)));
NA_CASE(cx_await_task, "t", VALUE_ERROR("cx_await_task: "), cx_await_task(NULL));
/* Documented: never raises; there is nothing to cancel. */
NA_CASE(cx_task_cancel, "t", RETURNS, cx_task_cancel(NULL));
NA_CASE(cx_task_done, "t", VALUE_ERROR("cx_task_done: t is NULL"), cx_task_done(NULL));
NA_CASE(cx_task_detach, "t", VALUE_ERROR("cx_task_detach: t is NULL"), cx_task_detach(NULL));
NA_CASE(cx_sleep, "seconds=NaN", VALUE_ERROR("cx_sleep: seconds is NaN"), cx_sleep(NAN));
NA_CASE(cx_sleep, "seconds=-INFINITY", RETURNS, cx_sleep(-INFINITY));
NA_CASE(cx_asynccontextmanager, "fn", VALUE_ERROR("cx_asynccontextmanager: fn is NULL"),
        cx_async_with (cx_asynccontextmanager(NULL, NULL)) {});
NA_CASE(cx_agen_new, "fn", VALUE_ERROR("cx_agen_new: fn is NULL"), cx_agen_new(NULL, NULL));
NA_CASE(cx_anext, "g", VALUE_ERROR("cx_anext: g is NULL"), cx_anext(NULL, NULL));
NA_CASE(cx_anext, "out", RETURNS, {
    cx_gen *g = cx_agen_new(one_yield, NULL);
    CHECK(cx_anext(g, NULL));
    cx_aclose(g);
});
/* As cx_gen_close(NULL): nothing to close. */
NA_CASE(cx_aclose, "g", RETURNS, cx_aclose(NULL));
NA_CASE(cx_aclosing, "g", VALUE_ERROR("cx_aclosing: g is NULL"),
        cx_async_with (cx_aclosing(NULL)) {});
NA_CASE(cx_async_exitstack_enter, "s", VALUE_ERROR("cx_async_exitstack_enter: s is NULL"),
        cx_async_exitstack_enter(NULL, cx_nullcontext(NULL)));
NA_CASE(cx_async_exitstack_push_async_exit, "s",
        VALUE_ERROR("cx_async_exitstack_push_async_exit: s is NULL"),
        cx_async_exitstack_push_async_exit(NULL, exit_false, NULL));
NA_CASE(cx_async_exitstack_push_async_exit, "exit",
        VALUE_ERROR("cx_async_exitstack_push_async_exit: exit is NULL"),
        cx_async_with (cx_exitstack *s, cx_async_exitstack_new())
            cx_async_exitstack_push_async_exit(s, NULL, NULL));
NA_CASE(cx_async_exitstack_push_async_callback, "s",
        VALUE_ERROR("cx_async_exitstack_push_async_callback: s is NULL"),
        cx_async_exitstack_push_async_callback(NULL, nothing, NULL));
NA_CASE(cx_async_exitstack_push_async_callback, "fn",
        VALUE_ERROR("cx_async_exitstack_push_async_callback: fn is NULL"),
        cx_async_with (cx_exitstack *s, cx_async_exitstack_new())
            cx_async_exitstack_push_async_callback(s, NULL, NULL));
NA_CASE(cx_async_exitstack_aclose, "s", VALUE_ERROR("cx_async_exitstack_aclose: s is NULL"),
        cx_async_exitstack_aclose(NULL));
NA_CASE(cx_taskgroup_spawn, "tg", VALUE_ERROR("cx_taskgroup_spawn: tg is NULL"),
        cx_taskgroup_spawn(NULL, nothing, NULL));
/* Caught in the group's body: an error leaving it would come out of the group
 * wrapped in an ExceptionGroup, as asyncio's TaskGroup does. */
NA_CASE(cx_taskgroup_spawn, "fn", VALUE_ERROR("cx_taskgroup_spawn: fn is NULL"), {
    char msg[128] = "";
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_try {
            cx_taskgroup_spawn(tg, NULL, NULL);
        } cx_except (&cx_ValueError, e) {
            snprintf(msg, sizeof msg, "%s", cx_error_message(e));
        }
    }
    if (msg[0])
        cx_raise(&cx_ValueError, "%s", msg);
});
NA_CASE(cx_taskgroup_start, "tg", VALUE_ERROR("cx_taskgroup_start: tg is NULL"),
        cx_taskgroup_start(NULL, nothing, NULL));
NA_CASE(cx_taskgroup_start, "fn", VALUE_ERROR("cx_taskgroup_start: fn is NULL"), {
    char msg[128] = "";
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_try {
            cx_taskgroup_start(tg, NULL, NULL);
        } cx_except (&cx_ValueError, e) {
            snprintf(msg, sizeof msg, "%s", cx_error_message(e));
        }
    }
    if (msg[0])
        cx_raise(&cx_ValueError, "%s", msg);
});
NA_CASE(cx_taskgroup_start, "arg", RETURNS,
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) cx_taskgroup_start(tg, nothing, NULL));
NA_CASE(cx_timeout, "seconds=NaN", VALUE_ERROR("cx_timeout: seconds is NaN"),
        cx_async_with (cx_timeout(NAN)) {});

/* ---- TCP ---- */

/* Documented: NULL is "127.0.0.1". */
NA_CASE(cx_tcp_connect, "host", RETURNS,
        cx_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0))
        cx_with (cx_tcp_connect(NULL, cx_listener_port(l))) {});
NA_CASE(cx_tcp_connect, "port=-1", VALUE_ERROR("cx_tcp_connect: port -1 out of range"),
        cx_with (cx_tcp_connect("127.0.0.1", -1)) {});
NA_CASE(cx_tcp_connect, "port=65536", VALUE_ERROR("cx_tcp_connect: port 65536 out of range"),
        cx_with (cx_tcp_connect("127.0.0.1", 65536)) {});
NA_CASE(cx_tcp_listen, "host", RETURNS, cx_with (cx_tcp_listen(NULL, 0)) {});
NA_CASE(cx_tcp_listen, "port=-1", VALUE_ERROR("cx_tcp_listen: port -1 out of range"),
        cx_with (cx_tcp_listen("127.0.0.1", -1)) {});
NA_CASE(cx_listener_port, "l", VALUE_ERROR("cx_listener_port: l is NULL"),
        cx_listener_port(NULL));
NA_CASE(cx_tcp_accept, "l", VALUE_ERROR("cx_tcp_accept: l is NULL"),
        cx_with (cx_tcp_accept(NULL)) {});
NA_CASE(cx_tcp_set_backlog, "backlog=-1", VALUE_ERROR("cx_tcp_set_backlog: backlog -1"),
        cx_tcp_set_backlog(-1));
/* Documented: 0 is SOMAXCONN; the kernel caps a large one. */
NA_CASE(cx_tcp_set_backlog, "backlog=INT_MAX", RETURNS, {
    cx_tcp_set_backlog(INT_MAX);
    cx_with (cx_tcp_listen(NULL, 0)) {}
    cx_tcp_set_backlog(0);
});
NA_CASE(cx_tcp_serve, "handler", VALUE_ERROR("cx_tcp_serve: handler is NULL"),
        cx_with (cx_tcp_serve("127.0.0.1", 0, NULL, NULL)) {});
/* Documented: NULL is "127.0.0.1"; arg is only passed along. */
NA_CASE(cx_tcp_serve, "host, arg", RETURNS, cx_with (cx_tcp_serve(NULL, 0, serve_nothing, NULL)) {});
NA_CASE(cx_tcp_serve, "port=-1", VALUE_ERROR("cx_tcp_serve: port -1 out of range"),
        cx_with (cx_tcp_serve("127.0.0.1", -1, serve_nothing, NULL)) {});
NA_CASE(cx_server_port, "srv", VALUE_ERROR("cx_server_port: srv is NULL"),
        cx_server_port(NULL));
NA_CASE(cx_stream_read, "s", VALUE_ERROR("cx_stream_read: s is NULL"),
        cx_stream_read(NULL, (char[8]){0}, 8));
NA_CASE(cx_stream_read, "buf", VALUE_ERROR("cx_stream_read: buf is NULL"),
        WITH_STREAM(s) cx_stream_read(s, NULL, 8));
/* Documented: nothing to read returns 0 at once. */
NA_CASE(cx_stream_read, "buf, len=0", RETURNS,
        WITH_STREAM(s) CHECK_EQ(cx_stream_read(s, NULL, 0), 0));
NA_CASE(cx_stream_read, "len=SIZE_MAX", VALUE_ERROR("cx_stream_read: len "),
        WITH_STREAM(s) cx_stream_read(s, (char[8]){0}, SIZE_MAX));
NA_CASE(cx_stream_write, "s", VALUE_ERROR("cx_stream_write: s is NULL"),
        cx_stream_write(NULL, "x", 1));
NA_CASE(cx_stream_write, "buf", VALUE_ERROR("cx_stream_write: buf is NULL"),
        WITH_STREAM(s) cx_stream_write(s, NULL, 8));
NA_CASE(cx_stream_write, "buf, len=0", RETURNS, WITH_STREAM(s) cx_stream_write(s, NULL, 0));
NA_CASE(cx_stream_write, "len=SIZE_MAX", VALUE_ERROR("cx_stream_write: len "),
        WITH_STREAM(s) cx_stream_write(s, "x", SIZE_MAX));
NA_CASE(cx_stream_shutdown, "s", VALUE_ERROR("cx_stream_shutdown: s is NULL"),
        cx_stream_shutdown(NULL));

/* ---- files ---- */

NA_CASE(cx_async_open, "path", VALUE_ERROR("cx_async_open: path is NULL"),
        cx_with (cx_async_open(NULL, O_RDONLY, 0)) {});
NA_CASE(cx_afile_read, "f", VALUE_ERROR("cx_afile_read: f is NULL"),
        cx_afile_read(NULL, (char[8]){0}, 8, 0));
NA_CASE(cx_afile_read, "buf", VALUE_ERROR("cx_afile_read: buf is NULL"),
        WITH_AFILE(f) cx_afile_read(f, NULL, 8, 0));
NA_CASE(cx_afile_read, "buf, len=0", RETURNS,
        WITH_AFILE(f) CHECK_EQ(cx_afile_read(f, NULL, 0, 0), 0));
NA_CASE(cx_afile_read, "len=SIZE_MAX", VALUE_ERROR("cx_afile_read: len "),
        WITH_AFILE(f) cx_afile_read(f, (char[8]){0}, SIZE_MAX, 0));
NA_CASE(cx_afile_write, "f", VALUE_ERROR("cx_afile_write: f is NULL"),
        cx_afile_write(NULL, "x", 1, 0));
NA_CASE(cx_afile_write, "buf", VALUE_ERROR("cx_afile_write: buf is NULL"),
        cx_with (cx_afile *f, cx_async_open("/dev/null", O_WRONLY, 0))
            cx_afile_write(f, NULL, 8, 0));
NA_CASE(cx_afile_write, "buf, len=0", RETURNS,
        cx_with (cx_afile *f, cx_async_open("/dev/null", O_WRONLY, 0))
            cx_afile_write(f, NULL, 0, 0));
NA_CASE(cx_afile_write, "len=SIZE_MAX", VALUE_ERROR("cx_afile_write: len "),
        cx_with (cx_afile *f, cx_async_open("/dev/null", O_WRONLY, 0))
            cx_afile_write(f, "x", SIZE_MAX, 0));
NA_CASE(cx_afile_sync, "f", VALUE_ERROR("cx_afile_sync: f is NULL"), cx_afile_sync(NULL));

/* ---- PostgreSQL ---- */
#if !CX_TEST_NO_ASYNC_PG

/* Documented: the PG* environment (here a server that is not there). */
NA_CASE(cx_pg_async_connect, "conninfo", RAISES(cx_OperationalError), {
    setenv("PGHOST", "/nonexistent-cx-null-args", 1);
    setenv("PGCONNECT_TIMEOUT", "2", 1);
    cx_with (cx_pg_async_connect(NULL)) {}
});
NA_CASE(cx_pg_async_query, "c", VALUE_ERROR("cx_pg_async_query: c is NULL"),
        cx_with (cx_pg_async_query(NULL, "SELECT 1", 0, NULL)) {});
NA_CASE(cx_pg_async_query, "sql", VALUE_ERROR("cx_pg_async_query: sql is NULL"),
        cx_with (cx_pg_async_query(dead_conn(), NULL, 0, NULL)) {});
NA_CASE(cx_pg_async_query, "nparams=-1", VALUE_ERROR("cx_pg_async_query: nparams -1"),
        cx_with (cx_pg_async_query(dead_conn(), "SELECT 1", -1, NULL)) {});
NA_CASE(cx_pg_async_query, "params", VALUE_ERROR("cx_pg_async_query: params is NULL"),
        cx_with (cx_pg_async_query(dead_conn(), "SELECT $1", 1, NULL)) {});
#endif

TEST(async_h_functions_survive_null_and_absurd_arguments_outside_a_task)
{
    na_run_header(OUTSIDE);
}
TEST(async_h_functions_survive_null_and_absurd_arguments_in_a_task) { na_run_header("async.h"); }
TEST(every_function_libcx_async_exports_has_null_and_range_cases) { na_check_coverage(); }
