/* TCP streams and listeners on libuv handles.  Every request lives on the
 * waiting task's stack, so a wait ends only once libuv has called back: a
 * cancelled wait first makes libuv finish (closing the handle cancels its
 * requests), then raises.  Handles are closed on every path out of a with. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct cx_stream {
    uv_tcp_t tcp;
    cx_task *reader;
    char *rbuf;
    size_t rlen;
    ssize_t rresult;
    bool rdone;
    bool closed;
    cx_task *closer;
};

struct cx_listener {
    uv_tcp_t tcp;
    int pending;       /* connections announced, not yet accepted */
    int error;         /* a failed announcement (libuv code) */
    cx_task *acceptor;
    bool closed;
    cx_task *closer;
};

/* A task waiting for one libuv callback. */
typedef struct {
    cx_task *task;
    int status;
    bool done;
} waiter;

static void waiter_done(waiter *w, int status)
{
    w->status = status;
    w->done = true;
    cx__task_wake(w->task);
}

/* Waits for w's callback; true if it came, false if a cancellation arrived
 * first (the request is still pending). */
static bool wait_cancellable(waiter *w)
{
    while (!w->done)
        if (!cx__task_park(true))
            return false;
    return true;
}

static void wait_shielded(waiter *w)
{
    while (!w->done)
        cx__task_park(false);
}

/* host NULL is "127.0.0.1", as "localhost" is. */
static void resolve(const char *who, const char *host, int port, struct sockaddr_storage *addr)
{
    if (port < 0 || port > 65535)
        cx_raise(&cx_ValueError, "%s: port %d out of range", who, port);
    if (!host || strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)addr) == 0)
        return;
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)addr) == 0)
        return;
    cx_raise(&cx_ValueError, "%s: host %s is not an IP address (names are not resolved)", who,
             host);
}

/* ---- closing a handle and waiting for libuv to let go of it ---- */

static void stream_closed(uv_handle_t *h)
{
    cx_stream *s = h->data;
    s->closed = true;
    if (s->closer)
        cx__task_wake(s->closer);
}

static void stream_close(cx_stream *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->tcp))
        uv_close((uv_handle_t *)&s->tcp, stream_closed);
    s->closer = cx__current();
    while (!s->closed)
        cx__task_park(false);
    cx_free(s);
}

static cx_stream *stream_new(void)
{
    cx_stream *s = cx_malloc(sizeof *s);
    memset(s, 0, sizeof *s);
    uv_tcp_init(cx__async_loop(), &s->tcp);
    s->tcp.data = s;
    return s;
}

/* ---- connect ---- */

typedef struct {
    const char *host;
    int port;
    cx_stream *s;
} connect_state;

static void on_connect(uv_connect_t *req, int status) { waiter_done(req->data, status); }

static void *connect_enter(void *state)
{
    connect_state *cs = state;
    cx_task *t = cx__async_task("cx_tcp_connect");
    struct sockaddr_storage addr;
    resolve("cx_tcp_connect", cs->host, cs->port, &addr);
    cx__task_checkpoint(t);
    cx_stream *s = stream_new();
    waiter w = {t, 0, false};
    uv_connect_t req;
    req.data = &w;
    int rc = uv_tcp_connect(&req, &s->tcp, (struct sockaddr *)&addr, on_connect);
    if (rc < 0) {
        stream_close(s);
        cx__async_raise_uv(rc, "connect %s:%d", cs->host, cs->port);
    }
    if (!wait_cancellable(&w)) {
        uv_close((uv_handle_t *)&s->tcp, stream_closed);
        wait_shielded(&w);
        stream_close(s);
        cx__task_raise_cancelled(t);
    }
    if (w.status < 0) {
        stream_close(s);
        cx__async_raise_uv(w.status, "connect %s:%d", cs->host, cs->port);
    }
    cs->s = s;
    return s;
}

static bool stream_exit(void *state, cx_error *err)
{
    (void)err;
    connect_state *cs = state;
    stream_close(cs->s);
    return false;
}

static const cx_manager_type connect_type = {"tcp_connect", connect_enter, stream_exit};

cx_manager cx_tcp_connect(const char *host, int port)
{
    connect_state s = {host, port, NULL};
    return cx_manager_make(&connect_type, &s, sizeof s);
}

/* ---- reading and writing ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    cx_stream *s = h->data;
    *buf = uv_buf_init(s->rbuf, (unsigned)s->rlen);
}

static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    cx_stream *s = h->data;
    if (nread == 0)
        return; /* nothing this time (EAGAIN) */
    uv_read_stop(h);
    s->rresult = nread;
    s->rdone = true;
    if (s->reader)
        cx__task_wake(s->reader);
}

size_t cx_stream_read(cx_stream *s, void *buf, size_t len)
{
    cx_task *t = cx__async_task("cx_stream_read");
    CX__ASYNC_NEED(s, "cx_stream_read", "s");
    cx__async_check_buffer("cx_stream_read", buf, len);
    cx__task_checkpoint(t);
    if (s->reader)
        cx_raise(&cx_RuntimeError, "cx_stream_read: another task is reading this stream");
    if (len == 0)
        return 0;
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    s->rbuf = buf;
    s->rlen = len;
    s->rdone = false;
    s->reader = t;
    int rc = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (rc < 0)
        cx__async_raise_uv(rc, "read");
    while (!s->rdone) {
        if (!cx__task_park(true)) {
            uv_read_stop((uv_stream_t *)&s->tcp);
            s->reader = NULL;
            cx__task_raise_cancelled(t);
        }
    }
    s->reader = NULL;
    if (s->rresult == UV_EOF)
        return 0;
    if (s->rresult < 0)
        cx__async_raise_uv((int)s->rresult, "read");
    return (size_t)s->rresult;
}

static void on_write(uv_write_t *req, int status) { waiter_done(req->data, status); }

void cx_stream_write(cx_stream *s, const void *buf, size_t len)
{
    cx_task *t = cx__async_task("cx_stream_write");
    CX__ASYNC_NEED(s, "cx_stream_write", "s");
    cx__async_check_buffer("cx_stream_write", buf, len);
    cx__task_checkpoint(t);
    while (len) {
        size_t n = len > UINT32_MAX ? UINT32_MAX : len;
        uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
        waiter w = {t, 0, false};
        uv_write_t req;
        req.data = &w;
        int rc = uv_write(&req, (uv_stream_t *)&s->tcp, &b, 1, on_write);
        if (rc < 0)
            cx__async_raise_uv(rc, "write");
        if (!wait_cancellable(&w)) {
            /* A write cannot be taken back: closing the stream cancels it. */
            if (!uv_is_closing((uv_handle_t *)&s->tcp))
                uv_close((uv_handle_t *)&s->tcp, stream_closed);
            wait_shielded(&w);
            cx__task_raise_cancelled(t);
        }
        if (w.status < 0)
            cx__async_raise_uv(w.status, "write");
        buf = (const char *)buf + n;
        len -= n;
    }
}

static void on_shutdown(uv_shutdown_t *req, int status) { waiter_done(req->data, status); }

void cx_stream_shutdown(cx_stream *s)
{
    cx_task *t = cx__async_task("cx_stream_shutdown");
    CX__ASYNC_NEED(s, "cx_stream_shutdown", "s");
    waiter w = {t, 0, false};
    uv_shutdown_t req;
    req.data = &w;
    int rc = uv_shutdown(&req, (uv_stream_t *)&s->tcp, on_shutdown);
    if (rc < 0)
        cx__async_raise_uv(rc, "shutdown");
    wait_shielded(&w); /* quick: the kernel only queues a FIN */
    if (w.status < 0)
        cx__async_raise_uv(w.status, "shutdown");
}

/* ---- listening and accepting ---- */

typedef struct {
    const char *host;
    int port;
    cx_listener *l;
} listen_state;

static void listener_closed(uv_handle_t *h)
{
    cx_listener *l = h->data;
    l->closed = true;
    if (l->closer)
        cx__task_wake(l->closer);
}

static void listener_close(cx_listener *l)
{
    if (!uv_is_closing((uv_handle_t *)&l->tcp))
        uv_close((uv_handle_t *)&l->tcp, listener_closed);
    l->closer = cx__current();
    while (!l->closed)
        cx__task_park(false);
    cx_free(l);
}

static void on_connection(uv_stream_t *server, int status)
{
    cx_listener *l = server->data;
    if (status < 0)
        l->error = status;
    else
        l->pending++;
    if (l->acceptor)
        cx__task_wake(l->acceptor);
}

static void *listen_enter(void *state)
{
    listen_state *ls = state;
    cx__async_task("cx_tcp_listen");
    struct sockaddr_storage addr;
    resolve("cx_tcp_listen", ls->host, ls->port, &addr);
    cx_listener *l = cx_malloc(sizeof *l);
    memset(l, 0, sizeof *l);
    uv_tcp_init(cx__async_loop(), &l->tcp);
    l->tcp.data = l;
    int rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_connection);
    if (rc < 0) {
        listener_close(l);
        cx__async_raise_uv(rc, "listen %s:%d", ls->host, ls->port);
    }
    ls->l = l;
    return l;
}

static bool listen_exit(void *state, cx_error *err)
{
    (void)err;
    listener_close(((listen_state *)state)->l);
    return false;
}

static const cx_manager_type listen_type = {"tcp_listen", listen_enter, listen_exit};

cx_manager cx_tcp_listen(const char *host, int port)
{
    listen_state s = {host, port, NULL};
    return cx_manager_make(&listen_type, &s, sizeof s);
}

int cx_listener_port(const cx_listener *l)
{
    CX__ASYNC_NEED(l, "cx_listener_port", "l");
    struct sockaddr_storage addr;
    int len = sizeof addr;
    if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    if (addr.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

typedef struct {
    cx_listener *l;
    cx_stream *s;
} accept_state;

static void *accept_enter(void *state)
{
    accept_state *as = state;
    cx_task *t = cx__async_task("cx_tcp_accept");
    cx_listener *l = as->l;
    cx__task_checkpoint(t);
    if (l->acceptor)
        cx_raise(&cx_RuntimeError, "cx_tcp_accept: another task is accepting");
    while (!l->pending && !l->error) {
        l->acceptor = t;
        bool woken = cx__task_park(true);
        l->acceptor = NULL;
        if (!woken)
            cx__task_raise_cancelled(t);
    }
    if (l->error) {
        int e = l->error;
        l->error = 0;
        cx__async_raise_uv(e, "accept");
    }
    cx_stream *s = stream_new();
    int rc = uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&s->tcp);
    l->pending--;
    if (rc < 0) {
        stream_close(s);
        cx__async_raise_uv(rc, "accept");
    }
    as->s = s;
    return s;
}

static bool accept_exit(void *state, cx_error *err)
{
    (void)err;
    stream_close(((accept_state *)state)->s);
    return false;
}

static const cx_manager_type accept_type = {"tcp_accept", accept_enter, accept_exit};

cx_manager cx_tcp_accept(cx_listener *l)
{
    CX__ASYNC_NEED(l, "cx_tcp_accept", "l");
    accept_state s = {l, NULL};
    return cx_manager_make(&accept_type, &s, sizeof s);
}
