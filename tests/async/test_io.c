/* Real async I/O: files through libuv's thread pool, TCP on 127.0.0.1. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cx/async.h>

#include "harness.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void scratch_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "/tmp/cx-async-%d-%s", (int)getpid(), name);
}

static void write_then_read(void *arg)
{
    const char *path = arg;
    cx_async_with (cx_afile *f, cx_async_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) {
        cx_afile_write(f, "hello ", 6, -1);
        cx_afile_write(f, "async", 5, -1);
        cx_afile_sync(f);
    }
    char buf[64] = {0};
    cx_async_with (cx_afile *f, cx_async_open(path, O_RDONLY, 0)) {
        size_t n = cx_afile_read(f, buf, sizeof buf - 1, 0);
        buf[n] = '\0';
        CHECK_EQ(cx_afile_read(f, buf + n, 4, (int64_t)n), 0); /* end of file */
    }
    th_log("%s", buf);
}

TEST(async_file_write_then_read_round_trips_the_bytes)
{
    char path[128];
    scratch_path(path, sizeof path, "rw");
    cx_error *e = cx_run(write_then_read, path);
    unlink(path);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "hello async");
}

static void open_missing(void *arg)
{
    (void)arg;
    cx_async_with (cx_afile *f, cx_async_open("/nonexistent/cx/file", O_RDONLY, 0))
        (void)f;
}

TEST(async_open_of_a_missing_file_raises_file_not_found_error)
{
    cx_error *e = cx_run(open_missing, NULL);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    CHECK(strstr(cx_error_message(e), "/nonexistent/cx/file") != NULL);
    cx_error_unref(e);
}

/* The ticker yields to the loop (cx_sleep(0)) and counts its turns until told
 * to stop: a count that moves while another task is inside a call means that
 * call let the loop run other tasks.  No clock is involved, so a loaded
 * machine cannot make it miss. */
typedef struct {
    volatile bool stop;
    volatile long ticks;
} ticker_state;

static void ticker_task(void *arg)
{
    ticker_state *ts = arg;
    while (!ts->stop) {
        ts->ticks++;
        cx_sleep(0);
    }
}

enum { WRITES = 8 };

static void file_io_with_ticker(void *arg)
{
    const char *path = arg;
    ticker_state ts = {false, 0};
    int moved = 0; /* writes during which the ticker advanced */
    cx_task *tick = cx_spawn(ticker_task, &ts);
    static char big[1 << 20];
    memset(big, 'x', sizeof big);
    cx_async_with (cx_afile *f, cx_async_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) {
        for (int i = 0; i < WRITES; i++) {
            long before = ts.ticks;
            cx_afile_write(f, big, sizeof big, -1);
            moved += ts.ticks > before;
        }
    }
    ts.stop = true;
    cx_await_task(tick);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ(st.st_size, (long)WRITES << 20);
    th_log("ticker-advanced-during-%d-of-%d-writes", moved, WRITES);
}

TEST(async_file_writes_leave_other_tasks_running)
{
    char path[128];
    scratch_path(path, sizeof path, "big");
    cx_error *e = cx_run(file_io_with_ticker, path);
    unlink(path);
    CHECK(e == NULL);
    /* A write(2) done on the loop thread would leave the ticker still. */
    CHECK_STR(th_trace, "ticker-advanced-during-8-of-8-writes");
}

/* ---- TCP ---- */

static void echo_server(void *arg)
{
    cx_listener *l = arg;
    cx_async_with (cx_stream *s, cx_tcp_accept(l)) {
        char buf[256];
        size_t n;
        while ((n = cx_stream_read(s, buf, sizeof buf)) > 0)
            cx_stream_write(s, buf, n);
    }
}

static void echo_round_trip(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0)) {
        cx_task *server = cx_spawn(echo_server, l);
        cx_async_with (cx_stream *c, cx_tcp_connect("127.0.0.1", cx_listener_port(l))) {
            cx_stream_write(c, "ping", 4);
            char buf[16] = {0};
            size_t got = 0;
            while (got < 4)
                got += cx_stream_read(c, buf + got, sizeof buf - 1 - got);
            th_log("%s", buf);
            cx_stream_shutdown(c);
            CHECK_EQ(cx_stream_read(c, buf, sizeof buf), 0);
        }
        cx_await_task(server);
    }
}

TEST(tcp_client_and_server_exchange_bytes_on_localhost)
{
    cx_error *e = cx_run(echo_round_trip, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "ping");
}

/* Reads until end of stream, giving up after 5 s (a peer that never closes
 * fails the test with cx_TimeoutError instead of hanging it). */
static void read_to_end(cx_stream *s, const char *who)
{
    char buf[64];
    size_t got = 0, n;
    cx_async_with (cx_timeout(5.0))
        while ((n = cx_stream_read(s, buf + got, sizeof buf - 1 - got)) > 0)
            got += n;
    buf[got] = '\0';
    th_log("%s-read:%s %s-read-end-of-stream", who, buf, who);
}

static void server_reads_to_end(void *arg)
{
    cx_async_with (cx_stream *s, cx_tcp_accept(arg))
        read_to_end(s, "server");
}

static void client_block_ends(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0)) {
        cx_task *server = cx_spawn(server_reads_to_end, l);
        cx_async_with (cx_stream *c, cx_tcp_connect("127.0.0.1", cx_listener_port(l)))
            cx_stream_write(c, "bye", 3); /* no shutdown: only the exit ends the stream */
        cx_await_task(server); /* the client task lives on, its stream's block ended */
    }
}

TEST(tcp_connect_exit_closes_the_connection_so_the_server_reads_end_of_stream)
{
    cx_error *e = cx_run(client_block_ends, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "server-read:bye server-read-end-of-stream");
}

static void server_block_ends(void *arg)
{
    cx_async_with (cx_stream *s, cx_tcp_accept(arg))
        cx_stream_write(s, "bye", 3);
    th_log("server-block-ended");
}

static void accepted_block_ends(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0)) {
        cx_task *server = cx_spawn(server_block_ends, l);
        cx_async_with (cx_stream *c, cx_tcp_connect("127.0.0.1", cx_listener_port(l))) {
            cx_await_task(server); /* its block has ended; this one has not */
            read_to_end(c, "client");
        }
    }
}

TEST(tcp_accept_exit_closes_the_connection_so_the_client_reads_end_of_stream)
{
    cx_error *e = cx_run(accepted_block_ends, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "server-block-ended client-read:bye client-read-end-of-stream");
}

static void connect_refused(void *arg)
{
    (void)arg;
    int port;
    /* A port nobody listens on: bind one, learn it, close it. */
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0))
        port = cx_listener_port(l);
    cx_async_with (cx_stream *s, cx_tcp_connect("127.0.0.1", port))
        (void)s;
}

TEST(tcp_connect_to_a_closed_port_raises_connection_refused_error)
{
    cx_error *e = cx_run(connect_refused, NULL);
    CHECK(cx_error_is(e, &cx_ConnectionRefusedError));
    cx_error_unref(e);
}

static void listen_twice(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *a, cx_tcp_listen("127.0.0.1", 0))
    cx_async_with (cx_listener *b, cx_tcp_listen("127.0.0.1", cx_listener_port(a)))
        (void)b;
}

TEST(tcp_listen_on_a_port_in_use_raises_os_error)
{
    cx_error *e = cx_run(listen_twice, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EADDRINUSE);
    cx_error_unref(e);
}

static void reader_forever(void *arg)
{
    cx_listener *l = arg;
    cx_async_with (cx_stream *s, cx_tcp_accept(l)) {
        char buf[16];
        cx_stream_read(s, buf, sizeof buf); /* the client never writes */
    }
}

static void cancel_read(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0)) {
        cx_task *server = cx_spawn(reader_forever, l);
        cx_async_with (cx_stream *c, cx_tcp_connect("127.0.0.1", cx_listener_port(l))) {
            (void)c;
            cx_sleep(0.02);
            cx_task_cancel(server);
            cx_try {
                cx_await_task(server);
            } cx_except (&cx_CancelledError, e) {
                th_log("server-cancelled");
            }
        }
    }
}

TEST(tcp_read_is_cancelled_at_its_suspension_and_the_stream_closed)
{
    cx_error *e = cx_run(cancel_read, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "server-cancelled");
}

static void accept_timeout(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0)) {
        cx_try {
            cx_async_with (cx_timeout(0.02))
            cx_async_with (cx_stream *s, cx_tcp_accept(l))
                (void)s;
        } cx_except (&cx_TimeoutError, e) {
            th_log("timeout");
        }
    }
}

TEST(tcp_accept_under_a_timeout_raises_timeout_error_when_nobody_connects)
{
    cx_error *e = cx_run(accept_timeout, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "timeout");
}

static void serve_many(void *arg)
{
    cx_listener *l = arg;
    for (int i = 0; i < 10; i++) {
        cx_async_with (cx_stream *s, cx_tcp_accept(l)) {
            char c;
            if (cx_stream_read(s, &c, 1) == 1) {
                cx_sleep(0.02); /* every client waits this long */
                cx_stream_write(s, &c, 1);
            }
        }
    }
}

static void one_client(void *arg)
{
    int port = (int)(long)arg;
    cx_async_with (cx_stream *c, cx_tcp_connect("127.0.0.1", port)) {
        cx_stream_write(c, "z", 1);
        char r = 0;
        cx_stream_read(c, &r, 1);
        CHECK_EQ(r, 'z');
    }
}

static void many_clients(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0)) {
        long port = cx_listener_port(l);
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            for (int i = 0; i < 10; i++)
                cx_taskgroup_spawn(tg, one_client, (void *)port);
            serve_many(l);
        }
    }
}

TEST(tcp_clients_in_a_taskgroup_are_served_one_after_another)
{
    double t0 = now_s();
    cx_error *e = cx_run(many_clients, NULL);
    CHECK(e == NULL);
    CHECK(now_s() - t0 >= 0.2);
}

static void connect_outside(void *arg)
{
    (void)arg;
    cx_with (cx_stream *s, cx_tcp_connect("127.0.0.1", 9))
        (void)s;
}

TEST(tcp_connect_outside_a_task_raises_runtime_error)
{
    cx_error *e = cx_protect(connect_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

static void bad_host(void *arg)
{
    (void)arg;
    cx_async_with (cx_stream *s, cx_tcp_connect("not an address", 80))
        (void)s;
}

TEST(tcp_connect_to_a_name_that_is_not_an_address_raises_value_error)
{
    cx_error *e = cx_run(bad_host, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

static void sink_server(void *arg)
{
    void **a = arg;
    cx_listener *l = a[0];
    unsigned long *sum = a[1];
    cx_async_with (cx_stream *s, cx_tcp_accept(l)) {
        unsigned char buf[4096];
        size_t n;
        while ((n = cx_stream_read(s, buf, sizeof buf)) > 0)
            for (size_t i = 0; i < n; i++)
                *sum = *sum * 31 + buf[i];
    }
}

static void large_transfer(void *arg)
{
    unsigned long *sums = arg;
    enum { SIZE = 4 << 20 };
    unsigned char *data = malloc(SIZE);
    for (size_t i = 0; i < SIZE; i++) {
        data[i] = (unsigned char)(i * 7 + (i >> 11));
        sums[0] = sums[0] * 31 + data[i];
    }
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0)) {
        void *a[2] = {l, &sums[1]};
        cx_task *server = cx_spawn(sink_server, a);
        cx_async_with (cx_stream *c, cx_tcp_connect("127.0.0.1", cx_listener_port(l))) {
            cx_stream_write(c, data, SIZE); /* more than the socket buffers hold */
            cx_stream_shutdown(c);
        }
        cx_await_task(server);
    }
    free(data);
}

TEST(tcp_large_transfer_arrives_intact_and_in_order)
{
    unsigned long sums[2] = {0, 0};
    cx_error *e = cx_run(large_transfer, sums);
    CHECK(e == NULL);
    CHECK(sums[0] == sums[1]);
}

static void first_reader(void *arg)
{
    char buf[4];
    CHECK_EQ(cx_stream_read(arg, buf, sizeof buf), 1);
    th_log("first-reader-got-its-byte");
}

static void two_readers(void *arg)
{
    (void)arg;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0))
    cx_async_with (cx_stream *c, cx_tcp_connect("127.0.0.1", cx_listener_port(l)))
    cx_async_with (cx_stream *s, cx_tcp_accept(l)) {
        cx_task *t = cx_spawn(first_reader, s);
        cx_sleep(0.01); /* t waits in its read */
        char b;
        cx_try {
            cx_stream_read(s, &b, 1);
        } cx_except (&cx_RuntimeError, e) {
            th_log("second-reader-refused");
        }
        cx_stream_write(c, "x", 1);
        cx_await_task(t);
    }
}

TEST(tcp_read_from_a_second_task_while_one_reads_raises_runtime_error)
{
    cx_error *e = cx_run(two_readers, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "second-reader-refused first-reader-got-its-byte");
}
