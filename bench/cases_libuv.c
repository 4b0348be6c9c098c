/* echo_roundtrip's floor: the exchange written as libuv callbacks by hand,
 * as libuv's own echo examples do it (one loop, a listener, the server's
 * connection and the client), each side's buffers allocated once. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "bench.h"

enum { MSG = 64 };

typedef struct {
    uv_loop_t loop;
    uv_tcp_t listener, conn, client;
    uv_connect_t connect_req;
    uv_write_t conn_write, client_write;
    char conn_buf[4096], client_buf[4096], out[MSG];
    size_t got;
    long n, done;
    bool failed;
} echo;

static void alloc_conn(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    echo *e = h->data;
    (void)size;
    *buf = uv_buf_init(e->conn_buf, sizeof e->conn_buf);
}

static void alloc_client(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    echo *e = h->data;
    (void)size;
    *buf = uv_buf_init(e->client_buf, sizeof e->client_buf);
}

static void written(uv_write_t *req, int status)
{
    echo *e = req->data;
    if (status < 0)
        e->failed = true;
}

/* The server: what it reads goes back (one message in flight at a time,
 * so one write request will do). */
static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    echo *e = s->data;
    if (nread > 0) {
        uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
        if (uv_write(&e->conn_write, s, &b, 1, written) < 0)
            e->failed = true;
    } else if (nread < 0) {
        uv_close((uv_handle_t *)s, NULL);
        uv_close((uv_handle_t *)&e->listener, NULL);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    echo *e = server->data;
    if (status < 0 || uv_tcp_init(&e->loop, &e->conn) < 0) {
        e->failed = true;
        return;
    }
    e->conn.data = e;
    if (uv_accept(server, (uv_stream_t *)&e->conn) < 0 ||
        uv_read_start((uv_stream_t *)&e->conn, alloc_conn, conn_read) < 0)
        e->failed = true;
}

static void send_message(echo *e)
{
    uv_buf_t b = uv_buf_init(e->out, MSG);
    if (uv_write(&e->client_write, (uv_stream_t *)&e->client, &b, 1, written) < 0)
        e->failed = true;
}

/* The client: a whole message back is a round trip; the next one follows. */
static void client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    echo *e = s->data;
    (void)buf;
    if (nread < 0) {
        e->failed = true;
        uv_close((uv_handle_t *)s, NULL);
        return;
    }
    e->got += (size_t)nread;
    if (e->got < MSG)
        return;
    e->got -= MSG;
    if (++e->done < e->n)
        send_message(e);
    else
        uv_close((uv_handle_t *)s, NULL); /* the server sees the end and closes */
}

static void connected(uv_connect_t *req, int status)
{
    echo *e = req->data;
    if (status < 0 ||
        uv_read_start((uv_stream_t *)&e->client, alloc_client, client_read) < 0) {
        e->failed = true;
        uv_close((uv_handle_t *)&e->client, NULL);
        uv_close((uv_handle_t *)&e->listener, NULL);
        return;
    }
    send_message(e);
}

void c_libuv_echo_roundtrip(long n)
{
    echo *e = calloc(1, sizeof *e);
    if (!e) {
        bench_failure = "failed (no memory)";
        return;
    }
    e->n = n;
    memset(e->out, 'e', sizeof e->out);
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_loop_init(&e->loop);
    uv_tcp_init(&e->loop, &e->listener);
    uv_tcp_init(&e->loop, &e->client);
    e->listener.data = e->client.data = e->connect_req.data = e;
    e->conn_write.data = e->client_write.data = e;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    if (uv_tcp_bind(&e->listener, (struct sockaddr *)&addr, 0) < 0 ||
        uv_listen((uv_stream_t *)&e->listener, SOMAXCONN, on_connection) < 0 ||
        uv_tcp_getsockname(&e->listener, (struct sockaddr *)&bound, &len) < 0) {
        bench_failure = "failed (listen)";
        return;
    }
    addr.sin_port = ((struct sockaddr_in *)&bound)->sin_port;
    if (n > 0)
        uv_tcp_connect(&e->connect_req, &e->client, (struct sockaddr *)&addr, connected);
    else {
        uv_close((uv_handle_t *)&e->client, NULL);
        uv_close((uv_handle_t *)&e->listener, NULL);
    }
    uv_run(&e->loop, UV_RUN_DEFAULT);
    if (e->failed || e->done != (n > 0 ? n : 0))
        bench_failure = "failed (the echo did not complete)";
    uv_loop_close(&e->loop);
    free(e);
}
