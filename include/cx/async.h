/* cx/async.h — async with, tasks, task groups and timeouts on a libuv loop
 * (library cx-async: `pkg-config cx-async`, CMake target cx::async).
 *
 *   static void fetch(void *arg) {                  // a task
 *       cx_async_with (cx_timeout(2.0))              // asyncio.timeout(2)
 *       cx_async_with (cx_stream *s, cx_tcp_connect("127.0.0.1", 8080)) {
 *           cx_stream_write(s, "ping\n", 5);
 *           char buf[64];
 *           size_t n = cx_stream_read(s, buf, sizeof buf);   // suspends
 *           ...
 *       }
 *   }
 *   static void main_task(void *arg) {
 *       cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
 *           cx_taskgroup_spawn(tg, fetch, NULL);
 *           cx_taskgroup_spawn(tg, fetch, NULL);
 *       }                                   // waits for both
 *   }
 *   cx_error *e = cx_run(main_task, NULL);  // NULL, or main_task's error
 *
 * Tasks are stackful coroutines: a task suspends inside any function it
 * calls (cx_sleep, a read, a manager's enter or exit), so every cx manager is
 * an async manager inside a task and `cx_async_with` is `cx_with` plus a check
 * that it runs inside a task.  The async forms raise cx_RuntimeError outside
 * a task.  Cancellation is a cx_CancelledError (a BaseException) raised at the
 * task's suspension point; its with blocks, defers and finally clauses run.
 * One loop per thread; tasks never move between threads.
 * A blocking call (sleep(3), read(2) on a socket, a synchronous PQexec) stalls
 * every task of the loop: use the functions here instead (docs/async.md).
 * A NULL generator, function, stack, listener, stream, file, path,
 * connection or SQL text raises cx_ValueError naming the function and
 * argument (a manager's, when it is made); an `arg` may be NULL: it is only
 * passed along.  A buffer may be NULL only with a length of 0, and a length
 * over PTRDIFF_MAX raises cx_ValueError. */
#ifndef CX_ASYNC_H
#define CX_ASYNC_H

#include <stdint.h>

#include "cx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the loop and its tasks ---- */

typedef struct cx_task cx_task;

/* asyncio.run: makes a libuv loop, runs main(arg) as its first task, and runs
 * the loop until main ends (Ctrl-C: see cx_run_threads); tasks still running then are cancelled and run to
 * their end.  Returns NULL, or the error main raised (the caller owns it).  A
 * failed task nobody awaited is printed to stderr ("task exception was never
 * retrieved").  If every task waits and nothing can wake them, the tasks are
 * cancelled and a cx_RuntimeError naming the deadlock is returned.  Raises
 * cx_RuntimeError when called inside a running loop, cx_ValueError for a
 * NULL main. */
CX_API cx_error *cx_run(void (*main)(void *arg), void *arg);

/* asyncio.run on every core: n loops in n threads (the caller's is the first),
 * each running main(arg) as its first task; n <= 0 means one per online CPU.
 * Returns when every loop has ended: NULL, the one loop's error, or a
 * cx_ExceptionGroup "unhandled errors in cx_run_threads (N sub-exceptions)"
 * holding each failed loop's error in loop order (the caller owns it).  A
 * loop whose thread could not be made fails with cx_RuntimeError; the
 * others still run.  Tasks stay on the loop they were spawned on; what main
 * shares between loops through `arg` is the caller's to make thread-safe.
 * Raises cx_ValueError for a NULL main, cx_RuntimeError inside a loop.
 *
 * Ctrl-C, for cx_run and cx_run_threads alike: while they run, and only if
 * SIGINT had its default action when they started, SIGINT cancels each
 * loop's main task; when the tasks have unwound, a main that ended with
 * cx_CancelledError is returned as a new cx_KeyboardInterrupt (under
 * cx_run_threads, one cx_KeyboardInterrupt; other errors then are printed).
 * A second SIGINT while they unwind ends the process by SIGINT's default
 * action.  Afterwards SIGINT has its default action again. */
CX_API cx_error *cx_run_threads(int n, void (*main)(void *arg), void *arg);

/* asyncio.create_task: starts fn(arg) as a new task of the running loop; it
 * first runs when the calling task next suspends.  The caller owns the task
 * and releases it with cx_await_task or cx_task_detach (a task never
 * released is freed when cx_run ends).  Raises cx_RuntimeError outside a
 * task, cx_ValueError for a NULL fn, cx_MemoryError.
 *
 * A cx_task * is a handle, not the task's address: once its task is freed
 * (released and ended) every use of it raises cx_ValueError "...: stale
 * task handle (the task was released)", never acts on a later task. */
CX_API cx_task *cx_spawn(void (*fn)(void *arg), void *arg);

/* Gives up the handle of a task the caller owns (cx_spawn's): the task runs
 * on and is freed as soon as it ends (at once if it has ended).  An error
 * it ends with (cancellations excepted) is printed to stderr once, as
 * "task exception was never retrieved".  t is stale from now on for
 * cx_await_task and for cx_task_detach; cx_task_cancel and cx_task_done
 * work until the task is freed.  Raises cx_ValueError for NULL or a stale
 * handle, cx_RuntimeError for the main task, a task group's task or a task
 * another task is awaiting. */
CX_API void cx_task_detach(cx_task *t);

/* `await task`: suspends until t ends, releases t, then raises what t raised
 * (unchanged; a cancelled t raises cx_CancelledError).  If the awaiting task
 * is cancelled while it waits, t is cancelled too (as asyncio does) and
 * released, and cx_CancelledError is raised.  t is released on every path
 * but these, which leave it untouched: cx_RuntimeError outside a task, for a
 * task awaiting itself, and for a task another task is already awaiting;
 * cx_ValueError for NULL and for a handle already released (a stale handle,
 * see cx_spawn). */
CX_API void cx_await_task(cx_task *t);

/* Task.cancel(): asks t to end; cx_CancelledError is raised at its current
 * or next suspension point (a task that has not started never runs its
 * function).  No effect on a finished task or NULL.  Raises cx_ValueError
 * only for a stale handle (t released and freed, see cx_spawn). */
CX_API void cx_task_cancel(cx_task *t);

/* True once t has ended (returned, raised or been cancelled).  Raises
 * cx_ValueError for NULL or a stale handle (see cx_spawn). */
CX_API bool cx_task_done(const cx_task *t);

/* The running task's handle, or NULL outside a task.  It does not own the
 * task: for a detached task or one of cx_taskgroup_start's it goes stale
 * when the task ends. */
CX_API cx_task *cx_current_task(void);

/* asyncio.sleep: suspends the running task for `seconds` (0 or less: lets
 * the other ready tasks run first).  Raises cx_CancelledError when cancelled,
 * cx_RuntimeError outside a task, cx_ValueError for NaN. */
CX_API void cx_sleep(double seconds);

/* Bytes of stack for each task of loops started from now on (default
 * 64 KiB for 0, rounded to whole pages; less than 16 KiB is raised to 16 KiB;
 * more than 256 MiB raises cx_ValueError).  Task stacks are carved
 * from large mappings without guard pages, so that 100,000 tasks fit in the
 * kernel's mapping limit: a task that overflows its stack corrupts memory.
 * A task found within 2 KiB of its stack's end when it suspends ends the
 * process with a message naming this function. */
CX_API void cx_async_set_stack_size(size_t bytes);
CX_API size_t cx_async_stack_size(void); /* the stack size tasks start with now */

/* ---- async with and the async forms of contextlib ---- */

/* `async with`: cx_with, plus cx_RuntimeError when not inside a task (raised
 * before enter).  Same forms: cx_async_with (mgr) / cx_async_with (T *v, mgr). */
#define cx_async_with(...)                                                     \
    CX__PICK3(__VA_ARGS__, CX__AWITH_BIND, CX__AWITH_PLAIN, _)(__VA_ARGS__)
#define CX__AWITH_PLAIN(mgr) cx_with(CX__AT(cx__async_manager(mgr)))
#define CX__AWITH_BIND(decl, mgr) cx_with(decl, CX__AT(cx__async_manager(mgr)))
CX_API cx_manager cx__async_manager(cx_manager m);

/* @asynccontextmanager: cx_contextmanager's rules exactly (see cx/gen.h);
 * the generator body may suspend (cx_sleep, I/O) before and after its
 * cx_yield.  Raises cx_RuntimeError outside a task.  Single-use. */
CX_API cx_manager cx_asynccontextmanager(cx_gen_fn *fn, void *arg);

/* An async generator: a generator whose body may suspend the task that
 * iterates it.  cx_anext is `await anext(g)` (cx_gen_next's contract);
 * cx_aclose is `await g.aclose()` (cx_gen_close's: cx_GeneratorExit is
 * thrown in so the body's cleanups run, and they may suspend; g is freed).
 * Each raises cx_RuntimeError outside a task, and cx_anext and cx_aclose
 * raise it for a generator another task is suspended inside ("asynchronous
 * generator is already running").  The body yields with cx_yield. */
CX_API cx_gen *cx_agen_new(cx_gen_fn *fn, void *arg);
CX_API bool cx_anext(cx_gen *g, void **out); /* await anext(g) */
CX_API void cx_aclose(cx_gen *g); /* await g.aclose(); NULL does nothing */

/* contextlib.aclosing(g): binds g; exit calls cx_aclose(g) on every path,
 * so breaking out of the iteration early runs the generator's cleanup.
 * Raises cx_RuntimeError outside a task. */
CX_API cx_manager cx_aclosing(cx_gen *g);

/* AsyncExitStack: cx_exitstack_new's rules (cx/contextlib.h); binds a
 * cx_exitstack *; exits and callbacks may suspend.  The sync forms
 * (cx_exitstack_enter, _push, _callback, _pop_all) work on it too.  Raises
 * cx_RuntimeError outside a task.  Single-use. */
CX_API cx_manager cx_async_exitstack_new(void);
/* enter_async_context: enters m (its enter may suspend) and pushes its exit. */
CX_API void *cx_async_exitstack_enter(cx_exitstack *s, cx_manager m);
/* push_async_exit: exit(arg, err) runs at close and may suspend; returning
 * true suppresses err. */
CX_API void cx_async_exitstack_push_async_exit(cx_exitstack *s,
                                               bool (*exit)(void *arg, cx_error *err),
                                               void *arg);
/* push_async_callback: fn(arg) runs at close and may suspend; never suppresses. */
CX_API void cx_async_exitstack_push_async_callback(cx_exitstack *s, void (*fn)(void *arg),
                                                   void *arg);
/* aclose: runs the entries now, LIFO (cx_exitstack_close). */
CX_API void cx_async_exitstack_aclose(cx_exitstack *s);

/* ---- structured concurrency ---- */

typedef struct cx_taskgroup cx_taskgroup;

/* asyncio.TaskGroup: binds a cx_taskgroup *.  Exit waits for every task
 * spawned into the group.  The first task that fails cancels its siblings
 * and the body (the body's CancelledError is absorbed at exit); the errors
 * (tasks' and body's, cancellations excepted) are raised together as one
 * cx_ExceptionGroup "unhandled errors in a TaskGroup (N sub-exceptions)".
 * A cancellation of the enclosing task cancels every task in the group and
 * is raised after they ended.  Raises cx_RuntimeError outside a task.
 * Single-use. */
CX_API cx_manager cx_taskgroup_new(void);

/* Starts fn(arg) as a task of the group.  The group owns it: the handle
 * stays valid (for cx_task_cancel, cx_task_done) until the group's block
 * ends, and so does the task's memory; cx_await_task on it waits without
 * releasing it.  Raises cx_RuntimeError when the group is finished or
 * shutting down after a failure, or outside a task. */
CX_API cx_task *cx_taskgroup_spawn(cx_taskgroup *tg, void (*fn)(void *arg), void *arg);

/* cx_taskgroup_spawn without a handle: the task is freed as soon as it
 * ends, so a group may start any number of tasks over its life in bounded
 * memory.  Its error still joins the group's (first failure cancels the
 * rest, all raised in the ExceptionGroup at exit).  Raises as
 * cx_taskgroup_spawn. */
CX_API void cx_taskgroup_start(cx_taskgroup *tg, void (*fn)(void *arg), void *arg);

/* ExceptionGroup (base cx_Exception): several errors raised together. */
CX_API extern const cx_type cx_ExceptionGroup;
/* How many errors a cx_ExceptionGroup holds (0 for any other error). */
CX_API size_t cx_error_group_size(const cx_error *e);
/* The i-th of them (borrowed; valid while e is), or NULL past the end. */
CX_API cx_error *cx_error_group_item(const cx_error *e, size_t i);

/* asyncio.timeout(seconds): if the body is still running `seconds` after
 * enter, it is cancelled at its suspension point and exit raises
 * cx_TimeoutError (caused by that CancelledError).  A body that ends in time
 * is untouched; nested timeouts each convert only their own cancellation,
 * and a cancellation from elsewhere passes through unchanged.  INFINITY
 * never expires; 0 or less cancels at the first suspension.  Raises
 * cx_ValueError for NaN, cx_RuntimeError outside a task.  Reusable. */
CX_API cx_manager cx_timeout(double seconds);

/* ---- TCP (IPv4 and IPv6 literals, or "localhost") ---- */

typedef struct cx_stream cx_stream;
typedef struct cx_listener cx_listener; /* a listening TCP socket */

/* Connects to host:port (host NULL: "127.0.0.1"); binds a cx_stream *.
 * Enter suspends until connected and raises an OSError subclass
 * (ConnectionRefusedError, ...); cx_ValueError for a port outside 0..65535
 * or a host that is not an IP literal.  Exit closes the connection.
 * Single-use. */
CX_API cx_manager cx_tcp_connect(const char *host, int port);

/* Listens on host:port (host NULL: "127.0.0.1"; port 0: any free port, see
 * cx_listener_port) with cx_tcp_backlog()'s backlog; binds a cx_listener *.
 * Under cx_run_threads the loops that listen on the same host and port
 * (port 0 included: the first loop's choice) share it, each with a socket
 * of its own (SO_REUSEPORT): the kernel spreads the connections over them. 
 * Enter raises OSError (e.g. address in use), cx_ValueError as
 * cx_tcp_connect's.  Exit closes the listening socket.  Single-use. */
CX_API cx_manager cx_tcp_listen(const char *host, int port);
/* The port the listener is bound to. */
CX_API int cx_listener_port(const cx_listener *l);

/* The listen(2) backlog of the listeners and servers entered from now on,
 * process-wide (asyncio's start_server(backlog=...)): 0 (the default) is
 * SOMAXCONN; the kernel caps it at net.core.somaxconn.  Raises
 * cx_ValueError for a negative backlog. */
CX_API void cx_tcp_set_backlog(int backlog);
CX_API int cx_tcp_backlog(void); /* the backlog listeners get now */

/* Accepts the next connection (suspends until one arrives); binds a
 * cx_stream *, closed at exit.  Several tasks may accept on one listener:
 * they are served first come, first served.  If the listener is closed
 * while a task waits, that task's accept raises OSError (EBADF).  Raises OSError,
 * cx_CancelledError. */
CX_API cx_manager cx_tcp_accept(cx_listener *l);

typedef struct cx_server cx_server; /* a running cx_tcp_serve */

/* asyncio.start_server as a manager: listens on host:port (as
 * cx_tcp_listen) and binds a cx_server *.  From enter until exit every
 * accepted connection runs handler(s, arg) in a task of its own; s is
 * closed when handler returns or raises (do not keep it).  A handler's
 * error (cancellations excepted) is printed to stderr once and never stops
 * the server; neither does a failed accept.  Exit stops accepting, cancels
 * the handlers still running, waits for them to end and closes the
 * listener (Server.close() + wait_closed()).  Enter raises as
 * cx_tcp_listen's; a NULL handler raises cx_ValueError.  Single-use. */
CX_API cx_manager cx_tcp_serve(const char *host, int port,
                               void (*handler)(cx_stream *s, void *arg), void *arg);
/* The port the server listens on (useful after port 0). */
CX_API int cx_server_port(const cx_server *srv);

/* Reads up to len bytes (suspends until some arrive); returns how many, 0
 * at end of stream (and at once for len 0).  Raises OSError (ConnectionResetError, ...),
 * cx_CancelledError (the bytes of a read cut short are lost), and
 * cx_RuntimeError while another task is reading the same stream. */
CX_API size_t cx_stream_read(cx_stream *s, void *buf, size_t len);
/* Writes all len bytes (suspends until the kernel took them).  Raises
 * OSError (BrokenPipeError, ...); a cancelled write closes the stream. */
CX_API void cx_stream_write(cx_stream *s, const void *buf, size_t len);
/* Ends the sending side (the peer reads end of stream). Raises OSError. */
CX_API void cx_stream_shutdown(cx_stream *s);

/* ---- files, through libuv's thread pool ---- */

typedef struct cx_afile cx_afile;

/* Opens path with open(2) flags and mode without blocking the loop; binds a
 * cx_afile *.  Enter raises an OSError subclass chosen by errno.  Exit
 * closes it; a failing close raises OSError.  Single-use. */
CX_API cx_manager cx_async_open(const char *path, int flags, int mode);
/* Reads up to len bytes at offset (-1: the file position); returns how
 * many, 0 at end of file.  Raises OSError. */
CX_API size_t cx_afile_read(cx_afile *f, void *buf, size_t len, int64_t offset);
/* Writes all len bytes at offset (-1: the file position).  Raises OSError. */
CX_API void cx_afile_write(cx_afile *f, const void *buf, size_t len, int64_t offset);
/* fsync(2).  Raises OSError. */
CX_API void cx_afile_sync(cx_afile *f);

/* ---- PostgreSQL without blocking the loop (library cx-async-pg,
 * `pkg-config cx-async-pg`, CMake target cx::async_pg; links libpq) ---- */

struct pg_conn;
struct pg_result;

/* PQconnectStart + PQconnectPoll driven by the loop; binds a PGconn *
 * (struct pg_conn *; include <cx/pg.h> for the type).  conninfo NULL: the
 * PG* environment.  Errors are cx-pg's (cx/pg.h), as cx_pg_connect's: enter
 * raises cx_ProgrammingError for a conninfo libpq cannot parse,
 * cx_OperationalError with libpq's message when the connection fails, and
 * "connect: timeout expired" when connect_timeout (conninfo or
 * PGCONNECT_TIMEOUT; 10 s if neither) passes first; a password never shows.
 * Exit closes the connection (PQfinish).  Single-use. */
CX_API cx_manager cx_pg_async_connect(const char *conninfo);

/* PQsendQueryParams (text parameters $1..$n), then waits for the result
 * with the loop (other tasks run meanwhile); binds the PGresult * (struct
 * pg_result *), cleared at exit.  A failed query raises cx-pg's error for
 * its SQLSTATE (cx_ProgrammingError, cx_IntegrityError, ...).  A cancelled
 * wait asks the server to cancel the query (PQcancel, a short blocking
 * exchange), reads the connection to its end so it stays usable, then
 * raises cx_CancelledError.  A negative nparams, or params NULL with
 * nparams > 0, raises cx_ValueError when the manager is made. */
CX_API cx_manager cx_pg_async_query(struct pg_conn *c, const char *sql, int nparams,
                                    const char *const *params);

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_run(...) CX__AT(cx_run(__VA_ARGS__))
#define cx_run_threads(...) CX__AT(cx_run_threads(__VA_ARGS__))
#define cx_spawn(...) CX__AT(cx_spawn(__VA_ARGS__))
#define cx_await_task(...) CX__AT(cx_await_task(__VA_ARGS__))
#define cx_task_cancel(...) CX__AT(cx_task_cancel(__VA_ARGS__))
#define cx_task_done(...) CX__AT(cx_task_done(__VA_ARGS__))
#define cx_task_detach(...) CX__AT(cx_task_detach(__VA_ARGS__))
#define cx_sleep(...) CX__AT(cx_sleep(__VA_ARGS__))
#define cx_async_set_stack_size(...) CX__AT(cx_async_set_stack_size(__VA_ARGS__))
#define cx_asynccontextmanager(...) CX__AT(cx_asynccontextmanager(__VA_ARGS__))
#define cx_agen_new(...) CX__AT(cx_agen_new(__VA_ARGS__))
#define cx_anext(...) CX__AT(cx_anext(__VA_ARGS__))
#define cx_aclose(...) CX__AT(cx_aclose(__VA_ARGS__))
#define cx_aclosing(...) CX__AT(cx_aclosing(__VA_ARGS__))
#define cx_async_exitstack_new() CX__AT(cx_async_exitstack_new())
#define cx_async_exitstack_enter(...) CX__AT(cx_async_exitstack_enter(__VA_ARGS__))
#define cx_async_exitstack_push_async_exit(...) CX__AT(cx_async_exitstack_push_async_exit(__VA_ARGS__))
#define cx_async_exitstack_push_async_callback(...) CX__AT(cx_async_exitstack_push_async_callback(__VA_ARGS__))
#define cx_async_exitstack_aclose(...) CX__AT(cx_async_exitstack_aclose(__VA_ARGS__))
#define cx_taskgroup_new() CX__AT(cx_taskgroup_new())
#define cx_taskgroup_spawn(...) CX__AT(cx_taskgroup_spawn(__VA_ARGS__))
#define cx_taskgroup_start(...) CX__AT(cx_taskgroup_start(__VA_ARGS__))
#define cx_timeout(...) CX__AT(cx_timeout(__VA_ARGS__))
#define cx_tcp_connect(...) CX__AT(cx_tcp_connect(__VA_ARGS__))
#define cx_tcp_listen(...) CX__AT(cx_tcp_listen(__VA_ARGS__))
#define cx_listener_port(...) CX__AT(cx_listener_port(__VA_ARGS__))
#define cx_tcp_accept(...) CX__AT(cx_tcp_accept(__VA_ARGS__))
#define cx_tcp_set_backlog(...) CX__AT(cx_tcp_set_backlog(__VA_ARGS__))
#define cx_tcp_serve(...) CX__AT(cx_tcp_serve(__VA_ARGS__))
#define cx_server_port(...) CX__AT(cx_server_port(__VA_ARGS__))
#define cx_stream_read(...) CX__AT(cx_stream_read(__VA_ARGS__))
#define cx_stream_write(...) CX__AT(cx_stream_write(__VA_ARGS__))
#define cx_stream_shutdown(...) CX__AT(cx_stream_shutdown(__VA_ARGS__))
#define cx_async_open(...) CX__AT(cx_async_open(__VA_ARGS__))
#define cx_afile_read(...) CX__AT(cx_afile_read(__VA_ARGS__))
#define cx_afile_write(...) CX__AT(cx_afile_write(__VA_ARGS__))
#define cx_afile_sync(...) CX__AT(cx_afile_sync(__VA_ARGS__))
#define cx_pg_async_connect(...) CX__AT(cx_pg_async_connect(__VA_ARGS__))
#define cx_pg_async_query(...) CX__AT(cx_pg_async_query(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
