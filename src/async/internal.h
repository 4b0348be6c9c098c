/* Internal to cx-async: the scheduler, its tasks, and the one way a task
 * waits (park) and is woken (wake). */
#ifndef CX_ASYNC_INTERNAL_H
#define CX_ASYNC_INTERNAL_H

#include <stdint.h>
#include <uv.h>

#include <cx/async.h>

#include "../core/internal.h"
#include "../coro/coro.h"

#define CX__NOT_QUEUED UINT32_MAX

/* A point in time the loop's one timer fires for: sleeps and timeouts. */
typedef struct cx__deadline {
    uint64_t at;   /* uv_hrtime() nanoseconds */
    uint32_t seq;   /* ties break first come, first served (compared mod 2^32) */
    uint32_t index; /* in the heap, or CX__NOT_QUEUED (timers.c) */
    void (*fire)(struct cx__deadline *d);
    struct cx__deadline *prev, *next; /* in the FIFO (timers.c) */
} cx__deadline;

typedef struct cx__sched cx__sched;

/* CX__TASK_FREED: its memory went back to the loop's slots (a handle to it
 * is stale: its generation no longer matches, sched.c). */
enum { CX__TASK_NEW, CX__TASK_RUNNING, CX__TASK_PARKED, CX__TASK_DONE, CX__TASK_FREED };

struct cx_task {
    cx__sched *s;
    /* Kept when the slot is reused (task_new leaves them): a handle is the
     * slot's index and its generation, bumped each time a task is freed;
     * the coroutine is restarted.  Below the slot's top word, which the
     * free list borrows. */
    uint32_t index;
    uint32_t gen;
    cx__coro *coro;
    cx__coro *resume_at;     /* the coroutine it suspended on (its own, or a
                              * generator's it was running) */
    cx__state other;         /* the frame state of the side not running */
    cx__handled *outer;      /* and its resumer link (see gen.c) */
    void (*fn)(void *);
    void *arg;
    int status;
    bool queued;             /* in the ready queue */
    bool park_cancellable;
    bool must_cancel;        /* raise CancelledError at the next suspension */
    bool released;           /* its owner let go: free once done */
    bool detached;           /* cx_task_detach: its error is reported when freed */
    bool runs_cancelled;     /* fn runs even if cancelled before it started
                              * (server tasks that must clean up) */
    bool is_main;
    bool stack_exhausted;    /* found near its stack's end: the loop reports it */
    int cancel_requests;     /* asyncio's cancelling() */
    cx_error *error;         /* how it ended (owned) */
    cx_task *waiter;         /* the task in cx_await_task on it */
    cx_task *next_ready;     /* after it in the ready queue */
    cx_task *prev_all, *next_all;
    cx_taskgroup *group;     /* the group that owns it, or NULL */
    cx_task *next_in_group, *prev_in_group;
    void *slot;              /* its stack's memory */
};

/* CX_API marks what cx-async-pg (a second library) uses. */

/* The running task, or NULL; raises cx_RuntimeError naming `what` when none. */
CX_API cx_task *cx__async_task(const char *what);
/* Suspends the running task until cx__task_wake.  Returns false when a
 * cancellation woke it (only if `cancellable`): undo the wait, then
 * cx__task_raise_cancelled.  Wakes may be spurious: wait in a loop. */
CX_API bool cx__task_park(bool cancellable);
/* Makes a parked task ready (no effect otherwise). */
CX_API void cx__task_wake(cx_task *t);
/* Raises the pending cancellation if there is one. */
CX_API void cx__task_checkpoint(cx_task *t);
CX_API _Noreturn void cx__task_raise_cancelled(cx_task *t);
/* asyncio's Task.uncancel(): one cancellation request fewer; returns how
 * many remain. */
int cx__task_uncancel(cx_task *t);
/* Frees a finished task's memory (its group's exit does this). */
void cx__task_free(cx_task *t);
/* The running task (the task itself, not its handle), or NULL. */
cx_task *cx__current(void);
/* cx_spawn without its checks, returning the task rather than its handle. */
cx_task *cx__spawn(void (*fn)(void *), void *arg);
/* Task.cancel() on the task itself. */
void cx__task_cancel(cx_task *t);
/* The handle user code holds for t (see cx__task_of). */
cx_task *cx__task_handle(const cx_task *t);
/* The task a handle names; raises cx_ValueError "<what>: stale task handle
 * (the task was released)" for one whose task was freed, cx_ValueError for
 * NULL. */
cx_task *cx__task_of(const cx_task *h, const char *what);

/* cx_run's whole life of a loop on this thread; `sigint`: Ctrl-C cancels main
 * (the caller saw SIGINT at its default action, cx__sigint_is_default). */
typedef struct cx__loops cx__loops;
cx_error *cx__run_loop(void (*main)(void *), void *arg, bool sigint, cx__loops *loops);
/* The cx_run_threads run this loop belongs to, or NULL under cx_run. */
cx__loops *cx__async_loops(void);

/* A port the listeners of a cx_run_threads run share (SO_REUSEPORT, tcp.c):
 * the first loop to listen on host:port binds first and sets `port` (its
 * choice for port 0); cx__shared_port_join waits until it has. */
typedef struct cx__shared_port {
    cx__loops *loops; /* the run it belongs to */
    char *host;
    int requested, port;
    bool binding;
    int users;
    struct cx__shared_port *next;
} cx__shared_port;
cx__shared_port *cx__shared_port_join(cx__loops *loops, const char *host, int port);
void cx__shared_port_set(cx__shared_port *p, int port);
void cx__shared_port_leave(cx__shared_port *p);
bool cx__sigint_is_default(void);
/* A loop runs on this thread. */
bool cx__async_running(void);

CX_API uv_loop_t *cx__async_loop(void);
uint64_t cx__async_now(void);
void cx__deadline_add(cx__deadline *d, uint64_t at);
/* The loop polls, and so runs its timers, before a task runs again: a
 * deadline already due fires before the running task's next step (as
 * asyncio's call_soon of it would). */
void cx__poll_soon(void);
void cx__deadline_remove(cx__deadline *d);

/* The task group hears of its tasks' ends. */
void cx__taskgroup_task_done(cx_taskgroup *g, cx_task *t);

/* An error built (not raised) with the caller owning it. */
#define cx__async_error(...) cx__async_error_at(CX__SITE, __VA_ARGS__)
cx_error *cx__async_error_at(const char *file, int line, const char *func, const cx_type *t,
                             const char *fmt, ...) CX__PRINTF(5, 6);
/* Raises e (owned by the caller, who gives up its reference) as `raise e`. */
_Noreturn void cx__async_throw_owned(cx_error *e);
/* Raises cx_ValueError "<who>: <arg> is NULL" unless p is set: one compare
 * where the argument is used, the raise out of line. */
__attribute__((cold)) _Noreturn void cx__async_null(const char *who, const char *arg);
#define CX__ASYNC_NEED(p, who, arg)                                            \
    do {                                                                       \
        if (__builtin_expect((p) == NULL, 0))                                  \
            cx__async_null(who, arg);                                          \
    } while (0)
/* Raises cx_ValueError unless buf and len describe a buffer: buf may be
 * NULL only when len is 0, and no object is larger than PTRDIFF_MAX. */
void cx__async_check_buffer(const char *who, const void *buf, size_t len);

/* Raises the OSError subclass for a libuv error code. */
CX_API _Noreturn void cx__async_raise_uv(int status, const char *fmt, ...) CX__PRINTF(2, 3);

#endif
