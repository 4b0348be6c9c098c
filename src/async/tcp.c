/* TCP streams, listeners and servers on libuv handles.  Every request
 * lives on the waiting task's stack, so a wait ends only once libuv has
 * called back: a cancelled wait first makes libuv finish (closing the
 * handle cancels its requests), then raises.  Handles are closed on every
 * path out of a with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
    /* A connection of a cx_tcp_serve: its server, its handler's task. */
    cx_server *server;
    cx_task *task;
    cx_stream *prev_conn, *next_conn;
};

/* A task waiting in an accept, queued first come first served. */
typedef struct acceptor {
    cx_task *task;
    struct acceptor *next;
} acceptor;

struct cx_listener {
    uv_tcp_t tcp;
    cx__shared_port *shared; /* under cx_run_threads: the port its loops share */
    int pending;       /* connections announced, not yet accepted */
    int error;         /* a failed announcement (libuv code) */
    acceptor *acceptors, *acceptors_tail;
    bool closing;      /* its close began: queued acceptors leave with EBADF */
    bool closed;
    cx_task *closer;
};

struct cx_server {
    cx_listener *l;
    void (*handler)(cx_stream *s, void *arg);
    void *arg;
    cx_task *acceptor;  /* the accept loop's task; NULL once it ended */
    cx_stream *conns;   /* the connections whose handler has not ended */
    size_t nconns;
    cx_task *closer;    /* the exit, waiting for them */
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

/* The tasks still waiting in an accept are woken to fail (EBADF), and the
 * listener is freed only once the last has left its queue. */
static void listener_close(cx_listener *l)
{
    if (l->shared)
        cx__shared_port_leave(l->shared);
    l->closing = true;
    for (acceptor *a = l->acceptors; a; a = a->next)
        cx__task_wake(a->task);
    if (!uv_is_closing((uv_handle_t *)&l->tcp))
        uv_close((uv_handle_t *)&l->tcp, listener_closed);
    l->closer = cx__current();
    while (!l->closed || l->acceptors)
        cx__task_park(false);
    cx_free(l);
}

/* Wakes as many queued acceptors as there are connections (or an error)
 * to take, oldest first; each takes itself off the queue. */
static void on_connection(uv_stream_t *server, int status)
{
    cx_listener *l = server->data;
    if (status < 0)
        l->error = status;
    else
        l->pending++;
    int n = l->pending + (l->error != 0);
    for (acceptor *a = l->acceptors; a && n > 0; a = a->next, n--)
        cx__task_wake(a->task);
}

static int backlog_setting; /* 0: SOMAXCONN */

void cx_tcp_set_backlog(int backlog)
{
    if (backlog < 0)
        cx_raise(&cx_ValueError, "cx_tcp_set_backlog: backlog %d is negative", backlog);
    __atomic_store_n(&backlog_setting, backlog, __ATOMIC_RELAXED);
}

int cx_tcp_backlog(void)
{
    int b = __atomic_load_n(&backlog_setting, __ATOMIC_RELAXED);
    return b ? b : SOMAXCONN;
}

/* Binds l to addr; under cx_run_threads, with SO_REUSEPORT to the port the
 * loops share (the kernel spreads the connections over their sockets). */
static int listener_bind(cx_listener *l, struct sockaddr_storage *addr, const char *host,
                         int port)
{
    cx__loops *loops = cx__async_loops();
    if (!loops)
        return uv_tcp_bind(&l->tcp, (struct sockaddr *)addr, 0);
    uv_os_fd_t fd;
    int rc = uv_fileno((uv_handle_t *)&l->tcp, &fd);
    int on = 1;
    if (rc == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        rc = -errno;
    if (rc < 0)
        return rc;
    /* The first loop to listen on host:port picks the port (port 0: the
     * kernel's choice); the others bind to it. */
    l->shared = cx__shared_port_join(loops, host, port);
    if (l->shared->port) {
        if (addr->ss_family == AF_INET)
            ((struct sockaddr_in *)addr)->sin_port = htons((uint16_t)l->shared->port);
        else
            ((struct sockaddr_in6 *)addr)->sin6_port = htons((uint16_t)l->shared->port);
    }
    rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)addr, 0);
    struct sockaddr_storage bound;
    int len = sizeof bound;
    if (rc == 0 && !l->shared->port &&
        uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &len) == 0)
        cx__shared_port_set(l->shared, ntohs(bound.ss_family == AF_INET
                                                 ? ((struct sockaddr_in *)&bound)->sin_port
                                                 : ((struct sockaddr_in6 *)&bound)->sin6_port));
    else
        cx__shared_port_set(l->shared, l->shared->port); /* lets the next loop in */
    return rc;
}

/* A listening socket on host:port, or an OSError. */
static cx_listener *listener_open(const char *who, const char *host, int port)
{
    struct sockaddr_storage addr;
    resolve(who, host, port, &addr);
    cx_listener *l = cx_malloc(sizeof *l);
    memset(l, 0, sizeof *l);
    /* Under cx_run_threads the socket is made now, for SO_REUSEPORT. */
    int rc = cx__async_loops() ? uv_tcp_init_ex(cx__async_loop(), &l->tcp, addr.ss_family)
                               : uv_tcp_init(cx__async_loop(), &l->tcp);
    if (rc < 0) {
        cx_free(l);
        cx__async_raise_uv(rc, "listen %s:%d", host ? host : "127.0.0.1", port);
    }
    l->tcp.data = l;
    rc = listener_bind(l, &addr, host ? host : "127.0.0.1", port);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, cx_tcp_backlog(), on_connection);
    if (rc < 0) {
        listener_close(l);
        cx__async_raise_uv(rc, "listen %s:%d", host ? host : "127.0.0.1", port);
    }
    return l;
}

static void *listen_enter(void *state)
{
    listen_state *ls = state;
    cx__async_task("cx_tcp_listen");
    ls->l = listener_open("cx_tcp_listen", ls->host, ls->port);
    return ls->l;
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

static void acceptor_leave(cx_listener *l, acceptor *a)
{
    acceptor **p = &l->acceptors, *prev = NULL;
    while (*p != a) {
        prev = *p;
        p = &(*p)->next;
    }
    *p = a->next;
    if (l->acceptors_tail == a)
        l->acceptors_tail = prev;
}

/* Waits for the next connection and accepts it into *out; returns 0 or a
 * libuv error code.  Raises only cx_CancelledError. */
static int accept_one(cx_listener *l, cx_task *t, cx_stream **out)
{
    cx__task_checkpoint(t);
    while (!l->pending && !l->error && !l->closing) {
        acceptor a = {t, NULL};
        if (l->acceptors_tail)
            l->acceptors_tail->next = &a;
        else
            l->acceptors = &a;
        l->acceptors_tail = &a;
        bool woken = cx__task_park(true);
        acceptor_leave(l, &a);
        if (l->closing && !l->acceptors && l->closer)
            cx__task_wake(l->closer); /* the last to leave lets it free l */
        if (!woken)
            cx__task_raise_cancelled(t);
    }
    if (l->closing)
        return UV_EBADF;
    if (l->error) {
        int e = l->error;
        l->error = 0;
        return e;
    }
    cx_stream *s = stream_new();
    int rc = uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&s->tcp);
    l->pending--;
    if (rc < 0) {
        stream_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void *accept_enter(void *state)
{
    accept_state *as = state;
    cx_task *t = cx__async_task("cx_tcp_accept");
    int rc = accept_one(as->l, t, &as->s);
    if (rc < 0)
        cx__async_raise_uv(rc, "accept");
    return as->s;
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

/* ---- serving: asyncio.start_server ---- */

static void report(const char *what, const cx_error *e)
{
    fprintf(stderr, "cx: cx_tcp_serve: %s\n", what);
    cx_error_print(e, stderr);
}

static void run_handler(void *p)
{
    cx_stream *s = p;
    s->server->handler(s, s->server->arg);
}

/* A connection's task: the handler (unless the server closed before it
 * started), then the stream is closed whatever happened. */
static void conn_main(void *p)
{
    cx_stream *s = p;
    cx_server *srv = s->server;
    cx_error *e = cx__current()->must_cancel ? NULL : cx_protect(run_handler, s);
    if (s->prev_conn)
        s->prev_conn->next_conn = s->next_conn;
    else
        srv->conns = s->next_conn;
    if (s->next_conn)
        s->next_conn->prev_conn = s->prev_conn;
    stream_close(s);
    if (e && !cx_error_is(e, &cx_CancelledError))
        report("unhandled error in a connection handler", e);
    cx_error_unref(e);
    if (--srv->nconns == 0 && srv->closer)
        cx__task_wake(srv->closer);
}

static void spawn_conn(void *p)
{
    cx_stream *s = p;
    s->task = cx__spawn(conn_main, s);
}

/* asyncio pauses accepting this long when the process is out of descriptors
 * or memory, rather than spinning. */
#define ACCEPT_RETRY_DELAY 1.0

static void accept_loop(void *p)
{
    cx_server *srv = p;
    cx_task *me = cx__current();
    for (;;) {
        cx_stream *s = NULL;
        int rc = accept_one(srv->l, me, &s);
        if (rc < 0) {
            fprintf(stderr, "cx: cx_tcp_serve: accept: %s\n", uv_strerror(rc));
            if (rc == UV_EMFILE || rc == UV_ENFILE || rc == UV_ENOBUFS || rc == UV_ENOMEM)
                cx_sleep(ACCEPT_RETRY_DELAY);
            continue;
        }
        s->server = srv;
        cx_error *e = cx_protect(spawn_conn, s);
        if (e) { /* no memory for its task: the connection is dropped */
            stream_close(s);
            report("no task for a connection", e);
            cx_error_unref(e);
            cx_sleep(ACCEPT_RETRY_DELAY);
            continue;
        }
        s->task->released = true;       /* freed when it ends */
        s->task->runs_cancelled = true; /* it closes the stream even then */
        s->next_conn = srv->conns;
        if (srv->conns)
            srv->conns->prev_conn = s;
        srv->conns = s;
        srv->nconns++;
    }
}

static void acceptor_main(void *p)
{
    cx_server *srv = p;
    cx_error *e = cx_protect(accept_loop, srv);
    if (e && !cx_error_is(e, &cx_CancelledError))
        report("the accept loop stopped", e);
    cx_error_unref(e);
    srv->acceptor = NULL;
    if (srv->closer)
        cx__task_wake(srv->closer);
}

typedef struct {
    const char *host;
    int port;
    void (*handler)(cx_stream *s, void *arg);
    void *arg;
    cx_server *srv;
} serve_state;

static void spawn_acceptor(void *p)
{
    cx_server *srv = p;
    srv->acceptor = cx__spawn(acceptor_main, srv);
}

static void *serve_enter(void *state)
{
    serve_state *ss = state;
    cx__async_task("cx_tcp_serve");
    cx_listener *l = listener_open("cx_tcp_serve", ss->host, ss->port);
    cx_server *srv = cx_malloc(sizeof *srv);
    memset(srv, 0, sizeof *srv);
    srv->l = l;
    srv->handler = ss->handler;
    srv->arg = ss->arg;
    cx_error *e = cx_protect(spawn_acceptor, srv);
    if (e) {
        listener_close(l);
        cx_free(srv);
        cx__propagate(e);
    }
    srv->acceptor->released = true;
    srv->acceptor->runs_cancelled = true; /* its end wakes the exit even then */
    ss->srv = srv;
    return srv;
}

/* Server.close() + wait_closed(): no more accepting, the handlers still
 * running cancelled and waited for, the listener closed. */
static bool serve_exit(void *state, cx_error *err)
{
    (void)err;
    cx_server *srv = ((serve_state *)state)->srv;
    srv->closer = cx__current();
    if (srv->acceptor)
        cx__task_cancel(srv->acceptor);
    for (cx_stream *c = srv->conns; c; c = c->next_conn)
        cx__task_cancel(c->task);
    while (srv->acceptor || srv->nconns)
        cx__task_park(false);
    listener_close(srv->l);
    cx_free(srv);
    return false;
}

static const cx_manager_type serve_type = {"tcp_serve", serve_enter, serve_exit};

cx_manager cx_tcp_serve(const char *host, int port, void (*handler)(cx_stream *s, void *arg),
                        void *arg)
{
    CX__ASYNC_NEED(handler, "cx_tcp_serve", "handler");
    serve_state s = {host, port, handler, arg, NULL};
    return cx_manager_make(&serve_type, &s, sizeof s);
}

int cx_server_port(const cx_server *srv)
{
    CX__ASYNC_NEED(srv, "cx_server_port", "srv");
    return cx_listener_port(srv->l);
}
