/* The cx side of the async cases: tasks on cx-async's libuv loop.  Built
 * only when the cx_async target exists (cmake/bench.cmake). */
#define _GNU_SOURCE /* sched_setaffinity */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cx/async.h>

#include "bench.h"
#include "managers.h"

extern char **environ;

/* A loop's failure is printed and reported to the driver, which then
 * shows the row as failed. */
static void report(cx_error *e)
{
    if (e) {
        static char why[256];
        cx_error_print(e, stderr);
        snprintf(why, sizeof why, "failed (%s: %s)", cx_error_type(e)->name,
                 cx_error_message(e));
        bench_failure = why;
        cx_error_unref(e);
    }
}

/* Runs main_fn(arg) as the first task of a new loop. */
static void run(void (*main_fn)(void *), void *arg) { report(cx_run(main_fn, arg)); }

/* @asynccontextmanager async def trivial_acm(): yield 1 */
static void trivial_acm(cx_gen *g, void *arg) { cx_yield(g, arg); }

/* ---- async_with_acm: async with over an async generator manager, in a task ---- */

static void with_acm_main(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++)
        cx_async_with (void *v, cx_asynccontextmanager(trivial_acm, arg))
            bench_touch(v);
}

void cx_async_with_acm(long n) { run(with_acm_main, &n); }

/* ---- task_spawn_await: await create_task(nop()) ---- */

static void nop_task(void *arg) { bench_touch(arg); }

static void spawn_main(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++)
        cx_await_task(cx_spawn(nop_task, arg));
}

void cx_task_spawn_await(long n) { run(spawn_main, &n); }

/* ---- tasks_100k: n tasks at once in one task group, each an async with
 * around a 10 ms sleep ---- */

/* The async with is over a class-based manager (enter/exit do nothing), on
 * both sides: async_with_acm measures generator managers. */
static void one_task(void *arg)
{
    (void)arg;
    cx_async_with (cx_manager_make(&bench_nop_type, NULL, 0))
        cx_sleep(0.010);
}

/* asyncio's `async with TaskGroup() as tg: tg.create_task(...)`: a task the
 * group frees as soon as it ends, no handle kept. */
static void many_main(void *arg)
{
    long n = *(long *)arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new())
        for (long i = 0; i < n; i++)
            cx_taskgroup_start(tg, one_task, NULL);
}

void cx_tasks_many(long n) { run(many_main, &n); }

/* ---- echo_roundtrip: a client task and a server task, 64-byte messages ---- */

enum { ECHO_BYTES = 64 };

static void read_exactly(cx_stream *s, char *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        size_t n = cx_stream_read(s, buf + got, len - got);
        if (n == 0)
            cx_raise(&cx_RuntimeError, "echo: the peer closed early");
        got += n;
    }
}

/* The server's handler: echoes what it reads until the client closes. */
static void echo_back(cx_stream *s, void *arg)
{
    (void)arg;
    char buf[4096];
    size_t n;
    while ((n = cx_stream_read(s, buf, sizeof buf)) > 0)
        cx_stream_write(s, buf, n);
}

static void echo_client(int port, long n)
{
    char out[ECHO_BYTES], in[ECHO_BYTES];
    memset(out, 'e', sizeof out);
    cx_with (cx_stream *c, cx_tcp_connect("127.0.0.1", port))
        for (long i = 0; i < n; i++) {
            cx_stream_write(c, out, sizeof out);
            read_exactly(c, in, sizeof in);
        }
}

static void echo_main(void *arg)
{
    long n = *(long *)arg;
    cx_with (cx_server *srv, cx_tcp_serve("127.0.0.1", 0, echo_back, NULL))
        echo_client(cx_server_port(srv), n);
}

void cx_echo_roundtrip(long n) { run(echo_main, &n); }

/* ---- echo_2_loops: the same server on one loop or two, clients elsewhere ----
 * The clients are another process (this program again, --echo-client):
 * ECHO_CLIENTS connections, each making its share of the n round trips with
 * blocking sockets.  The server's first loop to listen starts it and every
 * loop serves until it has exited. */

enum { ECHO_CLIENTS = 4 };

typedef struct {
    long n;
    pthread_mutex_t lock;
    bool started;
    pid_t client;
    int done; /* the client exited (status in `status`) */
    int status;
} echo_run;

static pid_t start_clients(int port, long n)
{
    char exe[64], p[16], c[16], k[32];
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)getpid());
    snprintf(p, sizeof p, "%d", port);
    snprintf(c, sizeof c, "%d", ECHO_CLIENTS);
    snprintf(k, sizeof k, "%ld", n);
    char *argv[] = {exe, "--echo-client", p, c, k, NULL};
    pid_t pid;
    if (posix_spawn(&pid, exe, NULL, NULL, argv, environ) != 0)
        cx_raise(&cx_OSError, "echo_2_loops: cannot start the clients");
    return pid;
}

static void serve_loops(void *arg)
{
    echo_run *r = arg;
    cx_with (cx_server *srv, cx_tcp_serve("127.0.0.1", 0, echo_back, NULL)) {
        pthread_mutex_lock(&r->lock);
        bool first = !r->started;
        r->started = true;
        pthread_mutex_unlock(&r->lock);
        if (first) {
            pid_t pid = start_clients(cx_server_port(srv), r->n);
            while (waitpid(pid, &r->status, WNOHANG) == 0)
                cx_sleep(0.0005);
            __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
        }
        while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
            cx_sleep(0.0005);
    }
    if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
        cx_raise(&cx_RuntimeError, "echo_2_loops: the clients failed");
}

/* The driver pins the process to one CPU; the loops' threads and the client
 * process inherit the caller's affinity, so this case runs on every CPU. */
static void echo_loops(long n, int loops)
{
    echo_run r = {.n = n, .lock = PTHREAD_MUTEX_INITIALIZER};
    cpu_set_t pinned, every;
    bool repin = sched_getaffinity(0, sizeof pinned, &pinned) == 0;
    CPU_ZERO(&every);
    for (long i = 0, cpus = sysconf(_SC_NPROCESSORS_ONLN); i < cpus && i < CPU_SETSIZE; i++)
        CPU_SET((int)i, &every);
    sched_setaffinity(0, sizeof every, &every);
    cx_error *e = cx_run_threads(loops, serve_loops, &r);
    if (repin)
        sched_setaffinity(0, sizeof pinned, &pinned);
    report(e);
}

void cx_echo_1_loop(long n) { echo_loops(n, 1); }
void cx_echo_2_loops(long n) { echo_loops(n, 2); }

/* One client connection of --echo-client: its share of round trips. */
typedef struct {
    int port;
    long n;
    int failed;
} client_conn;

static void *client_conn_run(void *arg)
{
    client_conn *c = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        c->failed = 1;
        return NULL;
    }
    char out[ECHO_BYTES], in[ECHO_BYTES];
    memset(out, 'e', sizeof out);
    for (long i = 0; i < c->n && !c->failed; i++) {
        if (write(fd, out, sizeof out) != (ssize_t)sizeof out)
            c->failed = 1;
        for (size_t got = 0; got < sizeof in && !c->failed;) {
            ssize_t k = read(fd, in + got, sizeof in - got);
            if (k <= 0)
                c->failed = 1;
            else
                got += (size_t)k;
        }
    }
    close(fd);
    return NULL;
}

int bench_echo_client(int port, int conns, long n)
{
    pthread_t t[64];
    client_conn c[64];
    if (conns < 1 || conns > 64)
        return 2;
    for (int i = 0; i < conns; i++) {
        c[i] = (client_conn){port, n / conns + (i < n % conns), 0};
        if (pthread_create(&t[i], NULL, client_conn_run, &c[i]) != 0)
            return 1;
    }
    int failed = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(t[i], NULL);
        failed |= c[i].failed;
    }
    return failed;
}
