/* cx_tcp_serve (asyncio.start_server), several acceptors on one listener,
 * the listen backlog, and servers under load: real loopback sockets on a
 * real loop. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <math.h>
#include <time.h>

#include <cx/async.h>

#include "harness.h"

static void echo(cx_stream *s, void *arg)
{
    (void)arg;
    char buf[4096];
    size_t n;
    while ((n = cx_stream_read(s, buf, sizeof buf)) > 0)
        cx_stream_write(s, buf, n);
}

/* Reads exactly len bytes (fails the test at an early end of stream). */
static void read_all(cx_stream *s, char *buf, size_t len)
{
    while (len) {
        size_t n = cx_stream_read(s, buf, len);
        CHECK(n > 0);
        buf += n;
        len -= n;
    }
}

typedef struct {
    int port;
    int done;
} client_run;

/* A client: sends 64 bytes, reads them back, closes. */
static void echo_client(void *arg)
{
    client_run *c = arg;
    char out[64], in[64];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (char)('a' + (i + (size_t)c->done) % 26);
    cx_async_with (cx_stream *s, cx_tcp_connect("127.0.0.1", c->port)) {
        cx_stream_write(s, out, sizeof out);
        read_all(s, in, sizeof in);
    }
    CHECK(memcmp(in, out, sizeof in) == 0);
    c->done++;
}

/* ---- the basics ---- */

static void serve_three(void *arg)
{
    (void)arg;
    client_run run = {0, 0}, *c = &run;
    cx_async_with (cx_server *srv, cx_tcp_serve("127.0.0.1", 0, echo, NULL)) {
        c->port = cx_server_port(srv);
        CHECK(c->port > 0);
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new())
            for (int i = 0; i < 3; i++)
                cx_taskgroup_start(tg, echo_client, c);
    }
    CHECK_EQ(c->done, 3);
}

TEST(serve_runs_the_handler_for_each_connection_and_echoes)
{
    int fds = th_count_fds();
    CHECK(cx_run(serve_three, NULL) == NULL);
    CHECK_EQ(th_count_fds(), fds);
}

static void returns_at_once(cx_stream *s, void *arg)
{
    (void)s;
    ++*(int *)arg;
}

static void serve_closing(void *arg)
{
    (void)arg;
    int handled = 0;
    cx_async_with (cx_server *srv, cx_tcp_serve(NULL, 0, returns_at_once, &handled))
    cx_async_with (cx_stream *s, cx_tcp_connect(NULL, cx_server_port(srv))) {
        char c;
        CHECK_EQ(cx_stream_read(s, &c, 1), 0); /* the server closed it */
    }
    CHECK_EQ(handled, 1);
}

TEST(serve_closes_the_stream_when_the_handler_returns)
{
    CHECK(cx_run(serve_closing, NULL) == NULL);
}

static void fails_first(cx_stream *s, void *arg)
{
    int *calls = arg;
    if ((*calls)++ == 0)
        cx_raise(&cx_KeyError, "bad client");
    echo(s, NULL);
}

static void serve_after_error(void *arg)
{
    (void)arg;
    int calls = 0;
    cx_async_with (cx_server *srv, cx_tcp_serve(NULL, 0, fails_first, &calls)) {
        cx_async_with (cx_stream *s, cx_tcp_connect(NULL, cx_server_port(srv))) {
            char c;
            CHECK_EQ(cx_stream_read(s, &c, 1), 0); /* closed after the error */
        }
        client_run c = {cx_server_port(srv), 0};
        echo_client(&c); /* still served */
        CHECK_EQ(c.done, 1);
    }
    CHECK_EQ(calls, 2);
    fputs("server exited\n", stderr);
}

static void run_serve_after_error(void *arg)
{
    (void)arg;
    exit(cx_run(serve_after_error, NULL) ? 3 : 0);
}

static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

TEST(serve_handler_error_is_reported_once_and_the_server_goes_on)
{
    char *err = NULL;
    int status = th_run_child(run_serve_after_error, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(occurrences(err, "unhandled error in a connection handler"), 1);
    CHECK_EQ(occurrences(err, "bad client"), 1);
    CHECK(strstr(err, "server exited") != NULL);
    free(err);
}

typedef struct {
    int started, cleaned;
} handler_log;

static void waits_forever(cx_stream *s, void *arg)
{
    handler_log *log = arg;
    log->started++;
    cx_try {
        char c;
        cx_stream_read(s, &c, 1); /* the client never writes */
    } cx_finally {
        log->cleaned++;
    }
}

static void client_until_closed(void *arg)
{
    cx_async_with (cx_stream *s, cx_tcp_connect(NULL, *(int *)arg)) {
        char c;
        CHECK_EQ(cx_stream_read(s, &c, 1), 0);
    }
}

static void serve_then_exit(void *arg)
{
    handler_log *log = arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_async_with (cx_server *srv, cx_tcp_serve(NULL, 0, waits_forever, log)) {
            int port = cx_server_port(srv);
            for (int i = 0; i < 3; i++)
                cx_taskgroup_spawn(tg, client_until_closed, &port);
            while (log->started < 3)
                cx_sleep(0.001);
            CHECK_EQ(log->cleaned, 0);
        } /* cancels the three handlers and waits for them */
        CHECK_EQ(log->cleaned, 3);
    }
}

TEST(serve_exit_cancels_the_running_handlers_and_waits_for_them)
{
    handler_log log = {0, 0};
    int fds = th_count_fds();
    CHECK(cx_run(serve_then_exit, &log) == NULL);
    CHECK_EQ(log.cleaned, 3);
    CHECK_EQ(th_count_fds(), fds);
}

static int forever_port;

static void serve_forever(void *arg)
{
    (void)arg;
    cx_async_with (cx_server *srv, cx_tcp_serve(NULL, 0, echo, NULL)) {
        forever_port = cx_server_port(srv);
        cx_sleep(INFINITY);
    }
}

static void await_it(void *t) { cx_await_task(t); }

static void cancel_serve_forever(void *arg)
{
    (void)arg;
    cx_task *server = cx_spawn(serve_forever, NULL);
    cx_sleep(0);
    client_run c = {forever_port, 0};
    echo_client(&c);
    CHECK_EQ(c.done, 1);
    cx_task_cancel(server);
    cx_error *e = cx_protect(await_it, server);
    CHECK(e && cx_error_is(e, &cx_CancelledError));
    cx_error_unref(e);
}

TEST(serve_forever_in_a_task_ends_when_the_task_is_cancelled)
{
    int fds = th_count_fds();
    CHECK(cx_run(cancel_serve_forever, NULL) == NULL);
    CHECK_EQ(th_count_fds(), fds);
}

static void serve_on_taken_port(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen(NULL, 0)) {
        cx_error *e = NULL;
        cx_try {
            cx_async_with (cx_tcp_serve(NULL, cx_listener_port(l), echo, NULL)) {}
        } cx_except (&cx_OSError, err) {
            e = cx_error_ref(err);
        }
        CHECK(e != NULL);
        CHECK(strstr(cx_error_message(e), "listen ") != NULL);
        cx_error_unref(e);
    }
}

TEST(serve_on_a_port_in_use_raises_os_error_at_enter)
{
    CHECK(cx_run(serve_on_taken_port, NULL) == NULL);
}

/* ---- several acceptors, the backlog ---- */

static void accept_one_conn(void *arg)
{
    cx_listener *l = arg;
    cx_async_with (cx_stream *s, cx_tcp_accept(l))
        cx_stream_write(s, "x", 1);
}

static void connect_and_read(void *arg)
{
    cx_async_with (cx_stream *s, cx_tcp_connect(NULL, *(int *)arg)) {
        char c;
        CHECK_EQ(cx_stream_read(s, &c, 1), 1);
        CHECK_EQ(c, 'x');
    }
}

static void three_acceptors(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen(NULL, 0)) {
        int port = cx_listener_port(l);
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            for (int i = 0; i < 3; i++)
                cx_taskgroup_start(tg, accept_one_conn, l);
            cx_sleep(0); /* all three wait in accept */
            for (int i = 0; i < 3; i++)
                cx_taskgroup_start(tg, connect_and_read, &port);
        }
    }
}

TEST(tcp_accept_in_several_tasks_on_one_listener_serves_each_of_them)
{
    CHECK(cx_run(three_acceptors, NULL) == NULL);
}

/* Two tasks wait in accept when the listener's with block ends: each gets
 * OSError (EBADF), and the listener's memory outlives them (ASan). */
typedef struct {
    cx_listener *l;
    int failed_with_ebadf;
} closing_run;

static void accept_until_closed(void *arg)
{
    closing_run *r = arg;
    cx_try {
        cx_async_with (cx_stream *s, cx_tcp_accept(r->l))
            (void)s;
    }
    cx_except (&cx_OSError, e) {
        if (cx_error_errno(e) == EBADF)
            r->failed_with_ebadf++;
    }
}

static void close_under_acceptors(void *arg)
{
    closing_run *r = arg;
    cx_task *t[2];
    cx_async_with (cx_listener *l, cx_tcp_listen(NULL, 0)) {
        r->l = l;
        t[0] = cx_spawn(accept_until_closed, r);
        t[1] = cx_spawn(accept_until_closed, r);
        cx_sleep(0); /* both wait in accept */
    }
    cx_await_task(t[0]);
    cx_await_task(t[1]);
}

TEST(tcp_listener_closed_under_waiting_acceptors_fails_each_with_ebadf)
{
    closing_run r = {NULL, 0};
    cx_error *e = cx_run(close_under_acceptors, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.failed_with_ebadf, 2);
}

static void set_backlog(void *arg) { cx_tcp_set_backlog(*(int *)arg); }

TEST(tcp_backlog_defaults_to_somaxconn_and_can_be_set)
{
    CHECK_EQ(cx_tcp_backlog(), SOMAXCONN);
    int b = 16;
    CHECK(cx_protect(set_backlog, &b) == NULL);
    CHECK_EQ(cx_tcp_backlog(), 16);
    b = -1;
    cx_error *e = cx_protect(set_backlog, &b);
    CHECK(e && cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_tcp_set_backlog: backlog -1 is negative");
    cx_error_unref(e);
    CHECK_EQ(cx_tcp_backlog(), 16);
    b = 0;
    CHECK(cx_protect(set_backlog, &b) == NULL);
    CHECK_EQ(cx_tcp_backlog(), SOMAXCONN);
}

/* ---- load ---- */

/* Each connection holds two descriptors in this process (client and server
 * side): raise the soft limit to the hard one. */
static void raise_fd_limit(rlim_t want)
{
    struct rlimit r;
    CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0);
    if (r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0);
    }
    if (r.rlim_cur < want)
        th_log("only %ld descriptors allowed", (long)r.rlim_cur);
    CHECK(r.rlim_cur >= want);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { BURST = 1000 };

static void burst(void *arg)
{
    client_run *c = arg;
    cx_async_with (cx_server *srv, cx_tcp_serve(NULL, 0, echo, NULL)) {
        c->port = cx_server_port(srv);
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new())
            for (int i = 0; i < BURST; i++)
                cx_taskgroup_start(tg, echo_client, c);
    }
}

TEST(scale_serve_a_burst_of_1000_simultaneous_connections_completely)
{
    raise_fd_limit(2 * BURST + 64);
    int fds = th_count_fds();
    client_run c = {0, 0};
    double t0 = now_s();
    CHECK(cx_run(burst, &c) == NULL);
    fprintf(stderr, "burst: %d of %d connections served in %.3f s\n", c.done, BURST,
            now_s() - t0);
    CHECK_EQ(c.done, BURST);
    CHECK_EQ(th_count_fds(), fds);
}

/* ---- the soak: a long-running server keeps its memory and descriptors ---- */

enum { SOAK_SEQUENTIAL = 20000, SOAK_CONCURRENT = 1000 };


typedef struct {
    client_run c;
    long rss_warm, rss_seq, rss_end;
    int fds_warm, fds_end;
} soak_run;

static void sequential(client_run *c, int n)
{
    for (int i = 0; i < n; i++)
        echo_client(c);
}

static void concurrent(client_run *c, int n)
{
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new())
        for (int i = 0; i < n; i++)
            cx_taskgroup_start(tg, echo_client, c);
    cx_sleep(0.01); /* the handlers of the last connections see their end */
}

/* Warm-up: the loop's task stacks, libuv's and malloc's pools grow to what
 * 1,000 connections at once need (a client and a handler task each).  Then
 * 20,000 connections one after the other and 1,000 at once again must not
 * add to them. */
static void soak(void *arg)
{
    soak_run *r = arg;
    cx_async_with (cx_server *srv, cx_tcp_serve(NULL, 0, echo, NULL)) {
        r->c.port = cx_server_port(srv);
        sequential(&r->c, SOAK_CONCURRENT);
        concurrent(&r->c, SOAK_CONCURRENT);
        r->rss_warm = th_status_kib("VmRSS");
        r->fds_warm = th_count_fds();
        sequential(&r->c, SOAK_SEQUENTIAL);
        r->rss_seq = th_status_kib("VmRSS");
        concurrent(&r->c, SOAK_CONCURRENT);
        r->rss_end = th_status_kib("VmRSS");
        r->fds_end = th_count_fds();
    }
}

TEST(scale_soak_echo_server_keeps_memory_and_descriptors_flat)
{
    raise_fd_limit(2 * SOAK_CONCURRENT + 64);
    int fds = th_count_fds();
    soak_run r = {{0, 0}, 0, 0, 0, 0, 0};
    double t0 = now_s();
    CHECK(cx_run(soak, &r) == NULL);
    fprintf(stderr,
            "soak: %d connections in %.2f s; VmRSS after warm-up %ld KiB, after %d sequential "
            "%ld KiB, after %d concurrent %ld KiB (%+ld KiB); descriptors in the loop %d -> %d, "
            "outside %d -> %d\n",
            r.c.done, now_s() - t0, r.rss_warm, SOAK_SEQUENTIAL, r.rss_seq, SOAK_CONCURRENT,
            r.rss_end, r.rss_end - r.rss_warm, r.fds_warm, r.fds_end, fds, th_count_fds());
    CHECK_EQ(r.c.done, 2 * SOAK_CONCURRENT + SOAK_SEQUENTIAL + SOAK_CONCURRENT);
    CHECK_EQ(r.fds_end, r.fds_warm);
    CHECK_EQ(th_count_fds(), fds);
    if (!TH_HEAVY_MAPPING_SKIPPED())
        CHECK(r.rss_end - r.rss_warm <= 5 * 1024);
}
