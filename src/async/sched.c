/* Tasks on a libuv loop: spawning, the ready queue, parking and waking,
 * cancellation, sleeping, awaiting, and cx_run's whole life of a loop.
 *
 * A task is a stackful coroutine with its own frame chain (cx__state),
 * swapped with the loop's at each switch exactly as a generator's is.  A task
 * may suspend while it runs a generator (an async generator, an
 * @asynccontextmanager): it then resumes on that generator's coroutine. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched.h"

/* Initial-exec, as the core's hot thread-locals are (error.c). */
static __thread cx__sched *sched __attribute__((tls_model("initial-exec"))); /* this thread's loop */
static __thread cx_task *running __attribute__((tls_model("initial-exec"))); /* NULL: the loop */

/* A task never changes threads (each loop is its thread's): these are read
 * and written directly, their addresses holding across a switch. */

cx_task *cx__current(void) { return running; }

cx_task *cx_current_task(void)
{
    cx_task *t = running;
    return t ? cx__task_handle(t) : NULL;
}
bool cx__async_running(void) { return sched != NULL; }
cx__loops *cx__async_loops(void) { return sched ? sched->loops : NULL; }
uv_loop_t *cx__async_loop(void) { return &sched->loop; }

cx_task *cx__async_task(const char *what)
{
    cx_task *t = running;
    if (!t)
        cx_raise(&cx_RuntimeError, "%s: not inside a task (run it from cx_run or cx_spawn)",
                 what);
    return t;
}

/* ---- errors ---- */

cx_error *cx__async_error_at(const char *file, int line, const char *func, const cx_type *t,
                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_error *e = cx__error_new(file, line, func, t, fmt, ap);
    va_end(ap);
    return e;
}

static void unref_error(void *e) { cx_error_unref(e); }

void cx__async_throw_owned(cx_error *e)
{
    cx_scope {
        cx_defer(unref_error, e);
        cx_throw(e);
    }
    abort(); /* not reached: cx_throw raises */
}

void cx__async_raise_uv(int status, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* libuv's codes are negated errno values on Unix. */
    cx_raise_errno(-status, "%s", what);
}

/* ---- switching ---- */

static void swap_state(cx_task *t)
{
    cx__state *s = &cx__ts;
    cx__state mine = *s;
    *s = t->other;
    t->other = mine;
    t->outer = cx__coro_swap_outer_handling(t->outer);
}

/* Without guard pages an overflow is found only after the fact; a task this
 * close to its stack's end when it suspends is stopped before it corrupts
 * its neighbour.  The report runs on the loop's stack: this one may not
 * have room left for write(2) and abort(3). */
#define STACK_MARGIN 2048

static void stack_check(cx_task *t)
{
    char here;
    /* Below the margin, or already past the end (a large frame may step
     * over the margin in one go). */
    if ((uintptr_t)&here < (uintptr_t)t->slot + STACK_MARGIN && t->coro == cx__coro_current())
        t->stack_exhausted = true;
}

static void stack_report(void)
{
    static const char msg[] = "cx: task stack nearly exhausted, raise it with "
                              "cx_async_set_stack_size()\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        abort();
    abort();
}

/* From a task straight to the next: the loop's frame state, which the
 * running task keeps in `other`, passes from t to next. */
static void handoff_state(cx_task *t, cx_task *next)
{
    cx__state *s = &cx__ts;
    cx__state loop = t->other;
    t->other = *s;
    *s = next->other;
    next->other = loop;
    cx__handled *loop_outer = t->outer;
    t->outer = cx__coro_swap_outer_handling(next->outer);
    next->outer = loop_outer;
}

static void task_freed_slot(cx_task *t);

/* t runs from its next switch on. */
static void mark_running(cx_task *t)
{
    t->status = CX__TASK_RUNNING;
    running = t;
    cx__coro_set_current(t->resume_at);
}

/* What a task that switched away leaves to whoever runs next, on a stack
 * that is not its own: the report of a stack found nearly exhausted, and
 * the freeing of a finished task nobody holds.  Called by every side right
 * after a switch lands on it. */
static void after_switch(cx__sched *s)
{
    cx_task *t = s->switched_from;
    if (!t)
        return;
    s->switched_from = NULL;
    if (t->stack_exhausted)
        stack_report();
    if (t->status == CX__TASK_DONE && t->released)
        task_freed_slot(t);
}

/* How much of a suspended task's stack, below its bookkeeping, is fetched
 * ahead (prefetch_task): what one suspended in cx_sleep inside an async
 * with uses (about 1 KiB), with room. */
#define PREFETCH_STACK 1536

/* With many tasks ready, each is on a page of its own, cold: the next one's
 * bookkeeping and the top of its stack are fetched while this one runs. */
static void prefetch_task(const cx_task *t)
{
    const char *end = (const char *)(t + 1);
    for (const char *p = (const char *)t - PREFETCH_STACK; p < end; p += 64)
        __builtin_prefetch(p, 1);
}

static cx_task *ready_pop(cx__sched *s)
{
    cx_task *t = s->ready_head;
    s->ready_head = t->next_ready;
    if (s->ready_head)
        prefetch_task(s->ready_head);
    else
        s->ready_tail = NULL;
    s->nready--;
    t->queued = false;
    return t;
}

/* At most this many tasks run one after another, each switching straight
 * to the next, before the loop polls I/O and timers (it polls at once when
 * no task is ready): a loop iteration costs about what a dozen switches do,
 * and a task that only ever yields (cx_sleep(0)) must not starve the I/O. */
#define HANDOFFS_PER_POLL 64

/* The budget spent: the next suspension goes through the loop. */
void cx__poll_soon(void) { sched->handoffs = HANDOFFS_PER_POLL; }

/* The task to switch to straight from t, which suspends, or NULL to go
 * through the loop: when none is ready, the budget is spent, main has ended
 * (the loop then runs asyncio.run's last rounds itself), t is the next
 * (a yield with nothing else ready), or t must be reported from another
 * stack (after_switch). */
static cx_task *next_handoff(cx__sched *s, cx_task *t)
{
    if (!s->nready || s->cancel_pending || s->handoffs >= HANDOFFS_PER_POLL ||
        s->ready_head == t || t->stack_exhausted)
        return NULL;
    s->handoffs++;
    return ready_pop(s);
}

/* The running task t stops running: the next ready task, or the loop,
 * runs.  Returns when t is resumed.  The switch is inline, as a
 * generator's (cx__coro_jump): t resumes at a label in here. */
static void suspend(cx_task *t)
{
    cx__sched *s = t->s;
    stack_check(t);
    t->resume_at = cx__coro_current();
    s->switched_from = t;
    cx_task *next = next_handoff(s, t);
    if (next) {
        mark_running(next);
        handoff_state(t, next);
        cx__coro_jump(t->resume_at, next->resume_at);
    } else {
        swap_state(t);
        running = NULL;
        cx__coro_set_current(s->loop_coro);
        cx__coro_jump(t->resume_at, s->loop_coro);
    }
    after_switch(s);
}

/* From the loop into t; returns when a task switches back to the loop. */
static void resume(cx__sched *s, cx_task *t)
{
    mark_running(t);
    swap_state(t);
    cx__coro_jump(s->loop_coro, t->resume_at);
    after_switch(s);
}

static void on_idle(uv_idle_t *h);

void cx__task_wake(cx_task *t)
{
    if (t->queued || (t->status != CX__TASK_PARKED && t->status != CX__TASK_NEW))
        return;
    cx__sched *s = t->s;
    t->queued = true;
    t->next_ready = NULL;
    if (s->ready_tail)
        s->ready_tail->next_ready = t;
    else
        s->ready_head = t;
    s->ready_tail = t;
    if (s->nready++ == 0)
        uv_idle_start(&s->idle, on_idle);
}

/* Rounds run back to back while tasks are ready, up to ROUNDS_PER_POLL of
 * them per loop iteration (and HANDOFFS_PER_POLL switches between tasks).
 * In a round, the tasks ready when it began run once each, in the order
 * they became ready; a task woken meanwhile runs after them.  I/O and
 * timers are polled when no task is ready, and at least every loop
 * iteration, so a task that never waits on anything but cx_sleep(0) cannot
 * starve them. */
#define ROUNDS_PER_POLL 32

static void cancel_all(cx__sched *s);

/* asyncio.run stops the loop in the iteration after main's end, so the
 * tasks main's end woke (an awaiter of main) run once, seeing its result,
 * before what is left is cancelled. */
static void cancel_left_over(cx__sched *s)
{
    s->cancel_pending = false;
    cancel_all(s);
}

static void on_idle(uv_idle_t *h)
{
    cx__sched *s = h->data;
    s->handoffs = 0;
    for (int round = 0; round < ROUNDS_PER_POLL && s->nready; round++) {
        bool after_main = s->cancel_pending; /* main ended in an earlier round */
        for (size_t n = s->nready; n && s->nready; n--) { /* hand-offs take from it too */
            resume(s, ready_pop(s));
            if (s->handoffs >= HANDOFFS_PER_POLL)
                break;
        }
        if (after_main)
            cancel_left_over(s);
        if (s->handoffs >= HANDOFFS_PER_POLL)
            break;
    }
    if (s->cancel_pending && !s->nready)
        cancel_left_over(s);
    if (!s->nready)
        uv_idle_stop(&s->idle);
    if (s->main_done && s->live == 0)
        uv_stop(&s->loop);
}

bool cx__task_park(bool cancellable)
{
    cx_task *t = running;
    t->status = CX__TASK_PARKED;
    t->park_cancellable = cancellable;
    suspend(t);
    return !(cancellable && t->must_cancel);
}

void cx__task_raise_cancelled(cx_task *t)
{
    t->must_cancel = false;
    cx_raise(&cx_CancelledError, "%s", "");
}

void cx__task_checkpoint(cx_task *t)
{
    if (t->must_cancel)
        cx__task_raise_cancelled(t);
}

int cx__task_uncancel(cx_task *t)
{
    if (t->cancel_requests > 0)
        t->cancel_requests--;
    return t->cancel_requests;
}

/* ---- handles ----
 *
 * User code never holds a task's address: a handle is the task's slot
 * index (plus one, so that no handle is NULL) in the low IDX_BITS and the
 * slot's generation above them.  Freeing a task bumps its slot's
 * generation, so every handle to it goes stale at once, however soon the
 * slot carries a new task; a loop's slots start from a generation of their
 * own, so a handle of another loop is refused too.  (The generation
 * wraps in a handle: after 2^32 reuses of one slot a stale handle could
 * match again, after 2^12 where pointers have 32 bits: docs/async.md.) */
#define IDX_BITS (UINTPTR_MAX > 0xffffffffu ? 32 : 20)
#define IDX_MASK (((uintptr_t)1 << IDX_BITS) - 1)

static cx_task *task_at(const cx__sched *s, void *slot)
{
    size_t tsize = (sizeof(cx_task) + 63) & ~(size_t)63;
    return (cx_task *)((char *)slot + s->slots.slot_size - tsize);
}

cx_task *cx__task_handle(const cx_task *t)
{
    return (cx_task *)(((uintptr_t)t->gen << IDX_BITS) | ((uintptr_t)t->index + 1));
}

static _Noreturn void raise_stale(const char *what)
{
    cx_raise(&cx_ValueError, "%s: stale task handle (the task was released)", what);
}

cx_task *cx__task_of(const cx_task *h, const char *what)
{
    CX__ASYNC_NEED(h, what, "t");
    cx__sched *s = sched;
    uintptr_t i = (uintptr_t)h & IDX_MASK;
    void *slot = s && i ? cx__slot_at(&s->slots, i - 1) : NULL;
    if (!slot)
        raise_stale(what);
    cx_task *t = task_at(s, slot);
    if (cx__task_handle(t) != h || t->status == CX__TASK_FREED)
        raise_stale(what);
    return t;
}

static void task_cancel(cx_task *t)
{
    if (t->status == CX__TASK_DONE)
        return;
    t->cancel_requests++;
    if (t->must_cancel)
        return;
    t->must_cancel = true;
    if (t->status == CX__TASK_PARKED && t->park_cancellable)
        cx__task_wake(t);
}

void cx__task_cancel(cx_task *t) { task_cancel(t); }

void cx_task_cancel(cx_task *h)
{
    if (!h)
        return;
    task_cancel(cx__task_of(h, "cx_task_cancel"));
}

bool cx_task_done(const cx_task *h)
{
    return cx__task_of(h, "cx_task_done")->status == CX__TASK_DONE;
}

/* ---- a task's life ---- */

static void task_body(void *p)
{
    cx_task *t = p;
    if (!t->runs_cancelled)
        cx__task_checkpoint(t); /* cancelled before it started */
    t->fn(t->arg);
}

static void cancel_all(cx__sched *s)
{
    for (cx_task *t = s->all; t; t = t->next_all)
        if (!t->is_main)
            task_cancel(t);
}

static void task_ended(cx_task *t)
{
    cx__sched *s = t->s;
    t->status = CX__TASK_DONE;
    s->live--;
    if (t->waiter)
        cx__task_wake(t->waiter);
    if (t->group)
        cx__taskgroup_task_done(t->group, t);
    if (t->is_main) {
        s->main_done = true;
        s->cancel_pending = true; /* asyncio.run: what main leaves running is cancelled */
    }
    if (s->main_done && s->live == 0)
        uv_stop(&s->loop);
}

static void task_main(void *p)
{
    cx_task *t = p;
    after_switch(t->s); /* a task's first switch lands here */
    t->error = cx_protect(task_body, t);
    task_ended(t);
    suspend(t);
    abort(); /* a finished task is never resumed */
}

static cx_task *task_new(cx__sched *s, void (*fn)(void *), void *arg)
{
    size_t index;
    bool fresh;
    char *slot = cx__slot_take(&s->slots, &index, &fresh);
    if (!slot)
        cx__coro_raise_unmapped("task", errno);
    size_t tsize = (sizeof(cx_task) + 63) & ~(size_t)63;
    cx_task *t = task_at(s, slot);
    if (fresh) {
        /* index < IDX_MASK: 2^20 slots of 16 KiB or more outgrow a 32-bit
         * address space, 2^32 any 64-bit one. */
        t->index = (uint32_t)index;
        t->gen = s->gen_seed;
    }
    /* Field by field: clearing the whole struct (rep stosq) was a tenth of
     * a spawn and an await. */
    t->s = s;
    /* Until it makes a call of its own, the task's errors name its spawn. */
    t->other = (cx__state){.here = cx__ts.here};
    t->outer = NULL;
    t->fn = fn;
    t->arg = arg;
    t->status = CX__TASK_NEW;
    t->queued = false;
    t->park_cancellable = false;
    t->must_cancel = false;
    t->released = false;
    t->detached = false;
    t->runs_cancelled = false;
    t->is_main = false;
    t->stack_exhausted = false;
    t->cancel_requests = 0;
    t->error = NULL;
    t->waiter = NULL;
    t->prev_all = NULL;
    t->group = NULL;
    t->next_in_group = NULL;
    t->prev_in_group = NULL;
    t->slot = slot;
    if (fresh)
        t->coro = cx__coro_new_on(slot, s->slots.slot_size - tsize, task_main, t);
    else /* the coroutine of the slot's last task, which ended */
        cx__coro_restart(t->coro, task_main, t);
    t->resume_at = t->coro;
    t->next_all = s->all;
    if (s->all)
        s->all->prev_all = t;
    s->all = t;
    s->live++;
    cx__task_wake(t);
    return t;
}

static void task_unlink(cx_task *t)
{
    cx__sched *s = t->s;
    if (t->prev_all)
        t->prev_all->next_all = t->next_all;
    else
        s->all = t->next_all;
    if (t->next_all)
        t->next_all->prev_all = t->prev_all;
}

static void report_unretrieved(const cx_error *e)
{
    fputs("cx: task exception was never retrieved\n", stderr);
    cx_error_print(e, stderr);
}

static void task_freed_slot(cx_task *t)
{
    cx__sched *s = t->s;
    if (t->detached && t->error && !cx_error_is(t->error, &cx_CancelledError))
        report_unretrieved(t->error);
    task_unlink(t);
    t->status = CX__TASK_FREED;
    t->gen++; /* every handle to it is stale from now on */
    cx_error_unref(t->error);
    cx__slot_give(&s->slots, t->slot); /* its coroutine with it (task_new) */
}

/* The main task is cx_run's to free (it reads its error at the end), even
 * when another task awaited it.  A task some task awaits is freed by that
 * one once it has woken (a group's end may release one of its tasks first:
 * the waiter still reads it). */
void cx__task_free(cx_task *t)
{
    if (t->is_main)
        return;
    t->released = true;
    if (t->status == CX__TASK_DONE && t != running && !t->waiter)
        task_freed_slot(t);
}

cx_task *cx__spawn(void (*fn)(void *), void *arg) { return task_new(sched, fn, arg); }

cx_task *cx_spawn(void (*fn)(void *), void *arg)
{
    cx_task *me = cx__async_task("cx_spawn");
    if (!fn)
        cx_raise(&cx_ValueError, "cx_spawn: fn is NULL");
    return cx__task_handle(task_new(me->s, fn, arg));
}

void cx_task_detach(cx_task *h)
{
    cx_task *t = cx__task_of(h, "cx_task_detach");
    if (t->released)
        raise_stale("cx_task_detach");
    if (t->is_main)
        cx_raise(&cx_RuntimeError, "cx_task_detach: the main task belongs to cx_run");
    if (t->group)
        cx_raise(&cx_RuntimeError, "cx_task_detach: the task belongs to a task group");
    if (t->waiter)
        cx_raise(&cx_RuntimeError, "cx_task_detach: the task is being awaited");
    t->detached = true;
    cx__task_free(t);
}

void cx_await_task(cx_task *h)
{
    cx_task *me = cx__async_task("cx_await_task");
    if (!h)
        cx_raise(&cx_ValueError, "cx_await_task: the task is NULL");
    cx_task *t = cx__task_of(h, "cx_await_task");
    if (t->released)
        raise_stale("cx_await_task");
    if (t == me)
        cx_raise(&cx_RuntimeError, "cx_await_task: a task cannot await itself");
    if (t->waiter)
        cx_raise(&cx_RuntimeError, "cx_await_task: the task is already awaited");
    while (t->status != CX__TASK_DONE) {
        t->waiter = me;
        if (!cx__task_park(true)) {
            t->waiter = NULL;
            task_cancel(t);
            if (!t->group)
                cx__task_free(t);
            cx__task_raise_cancelled(me);
        }
    }
    t->waiter = NULL;
    cx_error *e = cx_error_ref(t->error);
    if (!t->group)
        cx__task_free(t);
    if (e)
        cx__propagate(e);
}

/* ---- sleeping ---- */

typedef struct {
    cx__deadline d;
    cx_task *t;
} sleeper;

static void sleep_fire(cx__deadline *d) { cx__task_wake(((sleeper *)d)->t); }

void cx_sleep(double seconds)
{
    cx_task *t = cx__async_task("cx_sleep");
    if (isnan(seconds))
        cx_raise(&cx_ValueError, "cx_sleep: seconds is NaN");
    cx__task_checkpoint(t);
    if (seconds <= 0) {
        t->status = CX__TASK_PARKED;
        cx__task_wake(t);
        if (!cx__task_park(true))
            cx__task_raise_cancelled(t);
        return;
    }
    sleeper sl = {.d = {.index = CX__NOT_QUEUED, .fire = sleep_fire}, .t = t};
    double ns = seconds * 1e9;
    uint64_t now = cx__async_now();
    cx__deadline_add(&sl.d, ns >= (double)(UINT64_MAX - now) ? UINT64_MAX : now + (uint64_t)ns);
    while (sl.d.index != CX__NOT_QUEUED) {
        if (!cx__task_park(true)) {
            cx__deadline_remove(&sl.d);
            cx__task_raise_cancelled(t);
        }
    }
}

/* ---- cx_run ---- */

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Every task ended: report the failures nobody retrieved, free them all. */
static void free_tasks(cx__sched *s)
{
    while (s->all) {
        cx_task *t = s->all;
        if (!t->is_main && !t->released && !t->group && t->error &&
            !cx_error_is(t->error, &cx_CancelledError))
            report_unretrieved(t->error);
        task_freed_slot(t);
    }
}

/* Handles the tasks left open are closed; the loop and its memory go. */
static void close_loop(cx__sched *s)
{
    uv_walk(&s->loop, close_any, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    cx__timers_fini(s);
    if (cx__coro_free_on_caller_memory_matters()) /* 100,000 cold pages otherwise */
        for (void *slot; (slot = cx__slot_take_given(&s->slots));)
            cx__coro_free(task_at(s, slot)->coro);
    cx__slots_release(&s->slots);
    sched = NULL;
    cx_free(s);
}

typedef struct {
    cx__sched *s;
    void (*main)(void *);
    void *arg;
} start_args;

static void start_main(void *p)
{
    start_args *a = p;
    a->s->main = task_new(a->s, a->main, a->arg);
    a->s->main->is_main = true;
}

/* ---- Ctrl-C ---- */

bool cx__sigint_is_default(void)
{
    struct sigaction sa;
    return sigaction(SIGINT, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
           sa.sa_handler == SIG_DFL;
}

/* asyncio.Runner's SIGINT handler: the first cancels main; another, while
 * the tasks still unwind, ends the process as if it had not been caught. */
static void on_sigint(uv_signal_t *h, int signum)
{
    cx__sched *s = h->data;
    if (s->interrupts++ > 0) {
        signal(signum, SIG_DFL);
        raise(signum);
        return;
    }
    if (!s->main_done)
        task_cancel(s->main);
}

/* The watcher does not keep the loop alive (a deadlock is still seen).
 * Closing it with the loop gives SIGINT its default action back once no
 * loop of the process watches it. */
static void watch_sigint(cx__sched *s)
{
    if (uv_signal_init(&s->loop, &s->sigint) < 0)
        return;
    s->sigint.data = s;
    if (uv_signal_start(&s->sigint, on_sigint, SIGINT) < 0) {
        uv_close((uv_handle_t *)&s->sigint, NULL);
        return;
    }
    uv_unref((uv_handle_t *)&s->sigint);
}

/* Main ended by the cancellation a Ctrl-C asked for: KeyboardInterrupt, as
 * asyncio.run raises it.  A main that caught the cancellation and returned
 * keeps its result. */
static cx_error *interrupted_result(cx__sched *s, cx_error *result)
{
    if (!s->interrupts || !result || !cx_error_is(result, &cx_CancelledError))
        return result;
    cx_error_unref(result);
    return cx__async_error(&cx_KeyboardInterrupt, "%s", "");
}

cx_error *cx__run_loop(void (*main)(void *), void *arg, bool sigint, cx__loops *loops)
{
    if (sched)
        cx_raise(&cx_RuntimeError, "cx_run: a loop is already running on this thread");
    if (!main)
        cx_raise(&cx_ValueError, "cx_run: main is NULL");
    cx__sched *s = cx_malloc(sizeof *s);
    memset(s, 0, sizeof *s);
    int rc = uv_loop_init(&s->loop);
    if (rc < 0) {
        cx_free(s);
        cx__async_raise_uv(rc, "cx_run: uv_loop_init");
    }
    cx__slots_init(&s->slots);
    uv_idle_init(&s->loop, &s->idle);
    s->idle.data = s;
    cx__timers_init(s);
    s->loop_coro = cx__coro_current();
    static uint32_t loops_made;
    s->gen_seed = __atomic_add_fetch(&loops_made, 1, __ATOMIC_RELAXED) * 2654435761u;
    s->loops = loops;
    sched = s;

    cx_error *result = NULL;
    start_args start = {s, main, arg};
    cx_error *failed = cx_protect(start_main, &start);
    if (failed) { /* no memory for the first task */
        close_loop(s);
        cx__propagate(failed);
    }
    if (sigint)
        watch_sigint(s);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if (!s->main_done || s->live) {
        /* Every task waits on something that can never happen. */
        bool deadlock = !s->main_done;
        cancel_all(s);
        task_cancel(s->main);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        if (s->live) {
            fputs("cx: cx_run: tasks that ignore cancellation are still waiting\n", stderr);
            abort();
        }
        if (deadlock) {
            cx_error_unref(s->main->error);
            s->main->error = cx__async_error(&cx_RuntimeError,
                "cx_run: deadlock: every task is waiting and nothing can wake them");
        }
    }
    result = interrupted_result(s, s->main->error);
    s->main->error = NULL;
    free_tasks(s);
    close_loop(s);
    return result;
}

cx_error *cx_run(void (*main)(void *), void *arg)
{
    return cx__run_loop(main, arg, cx__sigint_is_default(), NULL);
}
