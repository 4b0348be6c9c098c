/* Generators: a body on its own coroutine, with its own frame chain, and
 * the values and errors that cross a cx_yield. */
#include <errno.h>
#include <stddef.h>

#include <cx/contextlib.h>
#include <cx/gen.h>

#include "../core/internal.h"
#include "coro.h"

/* Ordered: step() tells every state but the usual two apart with one
 * comparison.  GEN_CLOSED: cx_gen_close gave it up (quarantine, below). */
enum { GEN_CREATED, GEN_SUSPENDED, GEN_RUNNING, GEN_FINISHED, GEN_CLOSED };

struct cx_gen {
    cx_gen_fn *fn;
    void *arg;
    int status;
    cx__coro *coro;     /* taken at first resume; kept while pooled */
    size_t stack;       /* coro's stack size */
    cx__coro *resumer;  /* the context that resumed it */
    cx__frame *base;    /* gen_main's landing frame on coro, NULL if none yet:
                         * each body starts with it as its whole chain */
    cx__state other;    /* the side not running: the generator's chain while
                         * suspended, the resumer's while it runs */
    void *value;        /* what crosses the cx_yield */
    cx_error *thrown;   /* raised at the cx_yield on resume (owned) */
    cx_error *escaped;  /* what the body raised (owned) */
    cx_gen *next;       /* in the thread's pool */
    unsigned serial;    /* which use of this (pooled) struct */
    const cx__site *made_at; /* a manager's: the user's cx_contextmanager, named
                              * by "generator didn't yield / stop" */
};

/* ---- which context runs on this thread ---- */

/* NULL: the thread's own context, until the thread's first resume leaves
 * that context's address here (both mean the same).  Initial-exec: one
 * %fs-relative access.  Read and written only before a switch, or after one
 * on the resumer's side, which is on the same thread as before it. */
static __thread cx__coro *running __attribute__((tls_model("initial-exec")));

__attribute__((noinline, cold)) static cx__coro *thread_context(void) { return cx__coro_thread(); }

/* Out of line: after a switch the thread may be another one, so the TLS
 * address must be computed afresh, never cached across the switch. */
__attribute__((noinline)) cx__coro *cx__coro_current(void)
{
    return running ? running : cx__coro_thread();
}

__attribute__((noinline)) void cx__coro_set_current(cx__coro *c) { running = c; }

/* For the overflow handler (coro.c): reads the thread-local only, so it is
 * async-signal-safe; NULL means the thread's own context. */
cx__coro *cx__coro_running_raw(void);
cx__coro *cx__coro_running_raw(void) { return running; }

/* ---- per-thread pools: a generator manager's enter+exit allocates
 * nothing once the thread has used one ----
 *
 * Two lists of finished generators, each keeping its stack parked:
 * - the pool (LIFO, at most GEN_POOL_MAX): what new generators are taken
 *   from.  Past the bound a generator is freed and its stack goes to the
 *   process's pool (coro.c), which trims it, so a burst's memory returns.
 * - the quarantine (FIFO, GEN_QUARANTINE long): where cx_gen_close puts a
 *   generator, marked GEN_CLOSED, before it may be reused.  A handle used
 *   after cx_gen_close finds the mark and raises instead of driving another
 *   generator, until GEN_QUARANTINE more generators were closed on the
 *   thread and the struct is taken for a new one.  Under ASan a struct that
 *   leaves the quarantine is freed, so ASan reports any later use.  Kept
 *   within the L1 cache's associativity: stack tops lie whole pages apart,
 *   so they share cache sets, and a program that makes and closes
 *   generators in turn rotates through the quarantine's stacks; past the
 *   number of ways each cycle met cache misses.
 * A generator manager's handle never leaves cx (its serial guards it), so
 * its generator goes straight back to the pool. */

#define GEN_POOL_MAX 64
#define GEN_QUARANTINE 8

static __thread cx_gen *pool __attribute__((tls_model("initial-exec")));
/* Places left in the pool; 0 also until the thread first uses it (the one
 * test on the way in covers both). */
static __thread unsigned pool_room __attribute__((tls_model("initial-exec")));
static __thread bool pool_marked __attribute__((tls_model("initial-exec")));
static __thread cx_gen *quarantine_head, *quarantine_tail;
static __thread unsigned quarantine_n;

/* Frees g (finished or abandoned, its errors released) and gives its
 * stack back to the process's pool. */
static void gen_release(cx_gen *g)
{
    if (g->coro)
        cx__coro_free(g->coro);
    cx__dealloc(g);
}

static void pool_drain(void)
{
    pool_marked = false; /* a refill marks the thread's caches used again */
    pool_room = 0;
    while (pool) {
        cx_gen *g = pool;
        pool = g->next;
        gen_release(g);
    }
    while (quarantine_head) {
        cx_gen *g = quarantine_head;
        quarantine_head = g->next;
        gen_release(g);
    }
    quarantine_tail = NULL;
    quarantine_n = 0;
}

__attribute__((constructor)) static void pool_register(void)
{
    cx__thread_drain_register(pool_drain);
}

/* The pool's first use on the thread (again after a drain): the thread's
 * end must drain it. */
static void pool_mark(void)
{
    if (!pool_marked) {
        cx__thread_cache_used();
        pool_marked = true;
        pool_room = GEN_POOL_MAX; /* unmarked, the pool is empty */
    }
}

__attribute__((noinline, cold)) static void pool_put_cold(cx_gen *g)
{
    if (pool_marked) { /* full */
        gen_release(g);
        return;
    }
    pool_mark();
    pool_room--;
    g->next = pool;
    pool = g;
}

/* Parks g, whose errors are released and whose stack is parked or freed. */
static inline void pool_put(cx_gen *g)
{
    if (__builtin_expect(pool_room == 0, 0)) {
        pool_put_cold(g);
        return;
    }
    pool_room--;
    g->next = pool;
    pool = g;
}

/* The pool's first generator, taken (the pool is not empty). */
static inline void pool_pop(cx_gen *g)
{
    pool = g->next;
    pool_room++;
}

/* g's errors released; its stack freed if it was abandoned mid-body (it
 * cannot be parked for reuse). */
static inline void gen_clear(cx_gen *g)
{
    if (g->escaped || g->thrown) {
        cx_error_unref(g->escaped);
        cx_error_unref(g->thrown);
        g->escaped = g->thrown = NULL;
    }
    if (g->status != GEN_FINISHED && g->coro) {
        cx__coro_free(g->coro);
        g->coro = NULL;
        g->base = NULL;
    }
}

static inline void gen_recycle(cx_gen *g)
{
    gen_clear(g);
    pool_put(g);
}

/* cx_gen_close's end: g waits in the quarantine, marked closed; the oldest
 * there moves on to the pool (under ASan: is freed). */
static void gen_retire(cx_gen *g)
{
    gen_clear(g);
    g->status = GEN_CLOSED;
    pool_mark();
    g->next = NULL;
    if (quarantine_tail)
        quarantine_tail->next = g;
    else
        quarantine_head = g;
    quarantine_tail = g;
    if (++quarantine_n <= GEN_QUARANTINE)
        return;
    cx_gen *old = quarantine_head;
    quarantine_head = old->next;
    quarantine_n--;
#ifdef CX__CORO_ASAN
    gen_release(old);
#else
    pool_put(old);
#endif
}

/* The thread's parked stacks go back to the process (whose pool then
 * unmaps them): the process's mappings ran out. */
static void pool_release_stacks(void)
{
    for (cx_gen *g = pool; g; g = g->next)
        if (g->coro) {
            cx__coro_free(g->coro);
            g->coro = NULL;
            g->base = NULL;
        }
    for (cx_gen *g = quarantine_head; g; g = g->next)
        if (g->coro) {
            cx__coro_free(g->coro);
            g->coro = NULL;
            g->base = NULL;
        }
    cx__coro_pool_release();
}

/* ---- switching ---- */

/* Every function that switches stacks inside and then returns is entered
 * through the gate of switch_*.S, which keeps the return predictor right
 * across the switch (see there): cx_gen_next, cx_yield and the internal
 * entries the managers use.  Without cx's own switch (ucontext) or under a
 * sanitizer, the gate is a plain call. */
typedef bool gate_b_fn(void *a, void *b, void *c);
typedef void *gate_p_fn(void *a, void *b, void *c);
/* A generator manager's enter and exit are defined in switch_*.S as named
 * entries into the gate, each with its cx__gen_cm_*_gated function (in
 * every build that has the .S file).  cx_yield and cx_gen_next stay C
 * functions: the ABI check reads their types from the debug information. */
void *cx__gen_cm_enter_gated(void *state);
bool cx__gen_cm_exit_gated(void *state, cx_error *err);
void *cx__gen_cm_enter(void *state);
bool cx__gen_cm_exit(void *state, cx_error *err);
#if !CX_CORO_UCONTEXT && !defined(CX__CORO_SANITIZED)
bool cx__gen_gate_b(void *a, void *b, void *c, gate_b_fn *fn);
void *cx__gen_gate_p(void *a, void *b, void *c, gate_p_fn *fn);
#else
static inline bool cx__gen_gate_b(void *a, void *b, void *c, gate_b_fn *fn)
{
    return fn(a, b, c);
}
static inline void *cx__gen_gate_p(void *a, void *b, void *c, gate_p_fn *fn)
{
    return fn(a, b, c);
}
#endif

/* cx__coro_default_stack(), asked once and kept here (0: not yet asked),
 * so that taking a pooled generator costs one comparison. */
static size_t default_bytes;

static size_t stack_default(void)
{
    size_t b = __atomic_load_n(&default_bytes, __ATOMIC_RELAXED);
    if (!b) {
        b = cx__coro_default_stack();
        __atomic_store_n(&default_bytes, b, __ATOMIC_RELAXED);
    }
    return b;
}

void cx_gen_set_stack_size(size_t bytes)
{
    if (bytes && (bytes < CX__CORO_MIN_STACK || bytes > CX__CORO_MAX_STACK))
        cx_raise(&cx_ValueError, "cx_gen_set_stack_size: %zu bytes is outside %zu..%zu", bytes,
                 (size_t)CX__CORO_MIN_STACK, (size_t)CX__CORO_MAX_STACK);
    cx__coro_set_default_stack(bytes);
    __atomic_store_n(&default_bytes, cx__coro_default_stack(), __ATOMIC_RELAXED);
}

/* Each direction swaps the thread's frame chain and handled errors with the
 * saved ones, so each side finds its own.  Done by the side leaving, before
 * the switch, on the thread it runs on: field by field through cx__ts
 * (%fs-relative each), no copy of the state through a pointer, and word by
 * word: a 16-byte load of the pair just written by two 8-byte stores
 * waits for them (no store forwarding).  The third
 * word, thrown, is not swapped: it holds an error only from a raise to its
 * landing in the same context, which takes it (cx__landed), and is NULL at
 * every switch. */
static inline void swap_state(cx_gen *g)
{
    cx__frame *top = cx__ts.top, *gtop = g->other.top;
    cx__handled *handling = cx__ts.handling, *ghandling = g->other.handling;
    __asm__("" : "+r"(top), "+r"(gtop), "+r"(handling), "+r"(ghandling));
    cx__ts.top = gtop;
    cx__ts.handling = ghandling;
    g->other.top = top;
    g->other.handling = handling;
}

/* A body's end, however it ended: the generator reports it, gives the
 * thread's state back to its resumer and parks until the next body (a
 * generator reused from the pool) resumes it here.  The generator's own
 * state is not kept: what is left of its chain is the landing frame, or
 * nothing after a landing, and the next body's start (gen_start) sets it
 * afresh.  Gated, as every switch that returns: the resumer's `ret` after
 * this switch, and this one's after the next resume, both go to the gate's
 * call site (predicted).  Out of line, as every use of thread-local data on
 * the generator's side: the next body may run on another thread, and where
 * the gate is a plain call (ucontext, sanitizers) gen_main would otherwise
 * keep the first thread's address of cx__ts for the whole loop.  A bare
 * switch: nothing here or in the gate needs a callee-saved register after
 * it, and gen_main reloads what it needs (park). */
__attribute__((noinline)) static void *park_gated(void *p, void *unused1, void *unused2)
{
    cx_gen *g = p;
    (void)unused1, (void)unused2;
    g->status = GEN_FINISHED;
    cx__frame *top = g->other.top;
    cx__handled *handling = g->other.handling;
    __asm__("" : "+r"(top), "+r"(handling)); /* word by word: see swap_state */
    cx__ts.top = top;
    cx__ts.handling = handling;
    cx__coro_jump_bare(g->coro, g->resumer);
    return NULL;
}

/* Always inline: GCC keeps it out of line in gen_main's loop otherwise, a
 * call and return more around every finished body (generator_cm). */
static inline __attribute__((always_inline)) void park(cx_gen *g)
{
    cx__gen_gate_p(g, NULL, NULL, park_gated);
    cx__coro_forget_saved();
}

#ifdef CX__BUILTIN_JUMP
/* The first body's chain is empty (gen_start): the landing frame goes on
 * it here, out of line, as gen_main never touches thread-local data (each
 * body may run on another thread than the one before). */
__attribute__((noinline)) static void base_first(cx__jump *base) { cx__ts.top = &base->f; }

/* The coroutine's whole life: run a body, report how it ended, park.  The
 * frame an error escaping a body lands in is this function's own, set up
 * once (a jump buffer stays valid while its function runs, and this one
 * never returns), and stays the bottom of the generator's chain: it links
 * to nothing and was pushed with nothing handled, so every later body
 * starts with it as its chain (gen_start) and a body costs no push, no pop
 * and no setjmp. */
static void gen_main(void *p)
{
    cx_gen *g = p;
    cx__jump base;
    base.f.prev = NULL;
    base.f.handling = NULL;
    base.f.kind = CX__FRAME_JUMP;
    g->base = &base.f;
    if (CX__SETJMP(base.jb)) {
        g->escaped = cx__landed(); /* the unwinder popped base */
        park(g);
    } else {
        base_first(&base);
    }
    for (;;) { /* twice over: one taken jump back every other body */
        g->fn(g, g->arg);
        park(g);
        g->fn(g, g->arg);
        park(g);
    }
}
#else
/* libc's _setjmp (TSan follows only it): one cx_protect per body. */
static void gen_body(void *p)
{
    cx_gen *g = p;
    g->fn(g, g->arg);
}

static void gen_main(void *p)
{
    cx_gen *g = p;
    for (;;) {
        g->escaped = cx_protect(gen_body, g);
        park(g);
    }
}
#endif

/* When the process's mappings ran out, the stacks this thread keeps parked
 * are given back first: after a burst of live generators ends, new ones
 * (and threads) can be mapped again. */
__attribute__((noinline, cold)) static void take_stack(cx_gen *g)
{
    g->coro = cx__coro_new(0, gen_main, g);
    if (!g->coro && errno == ENOMEM) {
        pool_release_stacks();
        g->coro = cx__coro_new(0, gen_main, g);
    }
    if (!g->coro)
        cx__coro_raise_unmapped("generator", errno);
    g->stack = cx__coro_stack_size(g->coro);
}

/* Python links a resumed generator's exc_info to its resumer's: an error
 * raised in the generator chains to what the resumer is handling.  Only
 * when the resumer handles one does the link change (with none, the
 * generator sees the link the resumer sees, as it is). */
__attribute__((noinline)) static void switch_in_handling(cx_gen *g, cx__coro *back)
{
    cx__handled *outer = cx__coro_swap_outer_handling(cx__ts.handling);
    swap_state(g);
    cx__coro_jump(back, g->coro);
    cx__set_outer_handling(outer);
}

/* Runs g until it yields or finishes.  This side stays on its thread. */
static inline void resume(cx_gen *g)
{
    if (__builtin_expect(!g->coro, 0))
        take_stack(g);
    cx__coro *back = running;
    if (__builtin_expect(!back, 0))
        back = thread_context();
    g->resumer = back;
    g->status = GEN_RUNNING;
    running = g->coro;
    if (__builtin_expect(cx__ts.handling != NULL, 0)) {
        switch_in_handling(g, back);
    } else {
        swap_state(g);
        cx__coro_jump(back, g->coro);
    }
    running = g->resumer; /* back, read where g already is */
}

/* A new use of g: a body not started, its frame chain the landing frame
 * alone (empty until the coroutine has run its first body). */
static inline void gen_start(cx_gen *g, cx_gen_fn *fn, void *arg)
{
    g->serial++;
    g->fn = fn;
    g->arg = arg;
    g->status = GEN_CREATED;
    g->other.top = g->base;
    g->other.handling = NULL;
}

/* The general way to a fresh generator: from the pool or malloc, with its
 * stack dropped if the default stack size changed since it was made. */
__attribute__((noinline)) static cx_gen *gen_make(cx_gen_fn *fn, void *arg)
{
    cx_gen *g = pool;
    if (g) {
        pool_pop(g);
        if (g->coro && g->stack != stack_default()) {
            cx__coro_free(g->coro); /* the stack size was changed since */
            g->coro = NULL;
            g->base = NULL;
        }
    } else {
        g = cx_malloc(sizeof *g);
        g->coro = NULL;
        g->stack = 0;
        g->base = NULL;
        g->serial = 0;
    }
    gen_start(g, fn, arg);
    g->thrown = NULL;
    g->escaped = NULL;
    g->next = NULL;
    return g;
}

/* The usual way: the pool's first generator, whose stack (if it has one:
 * the first resume takes one otherwise) is parked in gen_main's loop and
 * has the current default size.  Its errors are
 * NULL: gen_recycle clears them, and cx__gen_cm_exit_gated parks only a
 * generator that finished after its cx_yield took what was thrown in and
 * whose escaped error it took.  No register to save, no call. */
static inline cx_gen *gen_take(cx_gen_fn *fn, void *arg)
{
    cx_gen *g = pool;
    if (__builtin_expect(!g || g->stack != __atomic_load_n(&default_bytes, __ATOMIC_RELAXED), 0))
        return gen_make(fn, arg);
    pool_pop(g);
    gen_start(g, fn, arg);
    return g;
}

cx_gen *cx_gen_new(cx_gen_fn *fn, void *arg)
{
    if (!fn)
        cx__null_argument("cx_gen_new", "fn");
    return gen_take(fn, arg);
}

/* A handle cx_gen_close gave up, or a generator resumed from inside
 * itself: Python's ValueError, never an action on another generator. */
__attribute__((noinline, cold)) static _Noreturn void refuse(const cx_gen *g, const char *what)
{
    if (g->status == GEN_CLOSED)
        cx__raise(CX__SITE, &cx_ValueError,
                  "%s: stale generator handle (the generator was closed)", what);
    cx__raise(CX__SITE, &cx_ValueError, "generator already executing");
}

bool cx_gen_finished(const cx_gen *g)
{
    if (!g)
        cx__null_argument("cx_gen_finished", "g");
    if (g->status == GEN_CLOSED)
        refuse(g, "cx_gen_finished");
    return g->status == GEN_FINISHED;
}

/* Raises what was thrown in at a cx_yield.  Out of line: the generator may
 * have been resumed on another thread, so its thread-local state is looked
 * up afresh. */
__attribute__((noinline)) static _Noreturn void raise_thrown(cx_gen *g)
{
    cx_error *e = g->thrown;
    g->thrown = NULL;
    /* As CPython's throw(): raised as it is, except that a generator
     * suspended inside a handler chains it to the error it handles. */
    if (cx__state_get()->handling)
        e = cx__error_chain(e, cx__state_get()->handling->err);
    cx__propagate(e);
}

static void *yield_gated(void *p, void *value, void *unused)
{
    cx_gen *g = p;
    (void)unused;
    if (!g || g->status != GEN_RUNNING || running != g->coro) /* g->coro: not NULL */
        cx__raise(CX__SITE, &cx_RuntimeError,
                  "cx_yield: not inside the running generator");
    g->value = value;
    g->status = GEN_SUSPENDED;
    swap_state(g);
    cx__coro_jump(g->coro, g->resumer);
    if (g->thrown)
        raise_thrown(g);
    return NULL;
}

void *cx_yield(cx_gen *g, void *value) { return cx__gen_gate_p(g, value, NULL, yield_gated); }

/* Runs g one step; returns true if it yielded.  An error the body raised is
 * handed back (owned) in *raised. */
static inline bool step(cx_gen *g, cx_error **raised)
{
    *raised = NULL;
    if (__builtin_expect(g->status >= GEN_RUNNING, 0)) {
        if (g->status == GEN_FINISHED)
            return false;
        refuse(g, "cx_gen_next");
    }
    resume(g);
    if (__builtin_expect(g->status != GEN_FINISHED, 1))
        return true;
    *raised = g->escaped;
    g->escaped = NULL;
    return false;
}

static bool next_gated(void *p, void *o, void *unused)
{
    cx_gen *g = p;
    void **out = o;
    (void)unused;
    cx_error *raised;
    if (step(g, &raised)) {
        if (out)
            *out = g->value;
        return true;
    }
    if (raised)
        cx__propagate(raised);
    return false;
}

bool cx_gen_next(cx_gen *g, void **out)
{
    if (!g)
        cx__null_argument("cx_gen_next", "g");
    return cx__gen_gate_b(g, out, NULL, next_gated);
}

static bool throw_gated(void *p, void *e, void *r)
{
    cx_gen *g = p;
    cx_error *err = e;
    cx_error **raised = r;
    if (g->status == GEN_CREATED) { /* never started: nothing to unwind */
        g->status = GEN_FINISHED;
        *raised = cx_error_ref(err);
        return false;
    }
    if (g->status == GEN_SUSPENDED)
        g->thrown = cx_error_ref(err);
    return step(g, raised);
}

bool cx__gen_throw(cx_gen *g, cx_error *err, cx_error **raised)
{
    return cx__gen_gate_b(g, err, raised, throw_gated);
}

/* ---- a generator manager's enter and usual exit (contextmanager.c's
 * cm_enter and cm_exit tail-call these) ---- */

bool cx__cm_exit_any(void *state, cx_error *err);
_Noreturn void cx__cm_didnt_stop(void *state, const char *what);

static void take_stack_protected(void *g) { take_stack(g); }

/* Runs the unstarted generator *gp to its first cx_yield and returns the
 * value.  Otherwise, as contextlib's `except: free; raise`: the generator is
 * freed, then what it raised (or a failure to get its stack, or
 * RuntimeError "generator didn't yield", from None) propagates. */
void *cx__gen_cm_enter_gated(void *state)
{
    cx__cm_state *s = state;
    cx_gen *g = s->g;
    /* Still the generator the manager made, and not started: a manager's
     * copy tells whether it was entered before (pooled structs are freed
     * only when their thread ends). */
    if (g->serial != s->serial || g->status != GEN_CREATED)
        cx__raise(CX__SITE, &cx_RuntimeError,
                  "generator manager is single-use: entered twice");
    cx_error *raised;
    if (!g->coro && (raised = cx_protect(take_stack_protected, g))) {
        gen_recycle(g);
        cx__propagate(raised);
    }
    if (step(g, &raised))
        return g->value;
    const cx__site *at = g->made_at;
    gen_recycle(g);
    if (raised)
        cx__propagate(raised);
    cx__ts.here = at;
    cx__raise_from(CX__SITE, &cx_RuntimeError, NULL,
                   "generator didn't yield"); /* from None */
}

/* The manager type's enter (contextmanager.c) is its gate. */
#if CX_CORO_UCONTEXT
void *cx__gen_cm_enter(void *state) { return cx__gen_cm_enter_gated(state); }
#endif

/* The usual exit, the generator suspended at its cx_yield: it is resumed
 * here (with err thrown in, if any) and freed before its error, if any,
 * propagates, as contextmanager.c's general exit does on the way out. */
bool cx__gen_cm_exit_gated(void *state, cx_error *err)
{
    cx__cm_state *s = state;
    cx_gen *g = s->g;
    if (g->status != GEN_SUSPENDED)
        return cx__cm_exit_any(state, err);
    unsigned mark = 0;
    if (err) {
        g->thrown = cx_error_ref(err);
        mark = cx__error_trail_mark(err);
    }
    resume(g);
    if (__builtin_expect(g->status != GEN_FINISHED, 0))
        cx__cm_didnt_stop(state, err ? "generator didn't stop after throw()"
                                     : "generator didn't stop");
    /* Finished: its cx_yield took what was thrown in, its stack is parked. */
    cx_error *raised = g->escaped;
    g->escaped = NULL;
    pool_put(g);
    s->g = NULL;
    if (__builtin_expect(!raised, 1))
        return err != NULL;
    if (raised == err) {
        /* Raised again: the generator's statements leave the traceback, as
         * contextlib restores the body's (they were passed after the body's,
         * and would read as the generator calling the body). */
        cx__error_trail_cut(raised, mark);
        cx_error_unref(raised);
        return false;
    }
    cx__propagate(raised);
}

/* The manager type's exit (contextmanager.c) is its gate. */
#if CX_CORO_UCONTEXT
bool cx__gen_cm_exit(void *state, cx_error *err) { return cx__gen_cm_exit_gated(state, err); }
#endif

const cx_manager_type cx__contextmanager_type = {"contextmanager", cx__gen_cm_enter,
                                                 cx__gen_cm_exit};

/* The generator is made now, so that every copy of the manager value shares
 * it and a second enter is seen.  Returned in two registers (gen.h's inline
 * cx_contextmanager builds the manager around it). */
cx__cm_state cx__gen_cm_new(cx_gen_fn *fn, void *arg, const cx__site *site)
{
    cx__ts.here = site;
    if (!fn)
        cx__null_argument("cx_contextmanager", "fn");
    cx_gen *g = gen_take(fn, arg);
    g->made_at = site;
    return (cx__cm_state){g, g->serial};
}

/* The exported function behind the inline form, for callers that take its
 * address or are not C. */
#undef cx_contextmanager
cx_manager cx_contextmanager(cx_gen_fn *fn, void *arg)
{
    return cx__contextmanager(fn, arg, cx__ts.here);
}

void cx__gen_free(cx_gen *g) { gen_recycle(g); }

const cx__site *cx__gen_made_at(const cx_gen *g) { return g->made_at; }

static void gen_free(void *g) { gen_retire(g); }

void cx_gen_close(cx_gen *g)
{
    if (!g)
        return;
    if (g->status == GEN_RUNNING || g->status == GEN_CLOSED)
        refuse(g, "cx_gen_close");
    cx_scope {
        cx_defer(gen_free, g);
        if (g->status != GEN_SUSPENDED) {
            if (g->status == GEN_CREATED)
                g->status = GEN_FINISHED;
            break;
        }
        cx_error *exit = cx__error_make(CX__SITE, &cx_GeneratorExit, "%s", "");
        /* As Python's close(): GeneratorExit chains to the error being handled. */
        cx__error_set_context(exit, cx__handled_error());
        cx_error *raised;
        const cx__site *at = cx__ts.here; /* the user's call: the body's calls move it */
        bool yielded = cx__gen_throw(g, exit, &raised);
        cx_error_unref(exit);
        if (yielded) {
            cx__ts.here = at;
            cx_raise(&cx_RuntimeError, "generator ignored GeneratorExit");
        }
        if (raised && !cx_error_is(raised, &cx_GeneratorExit))
            cx__propagate(raised);
        cx_error_unref(raised);
    }
}

static void gen_closing_close(void *g)
{
    cx_gen_close(g);
}

cx_manager cx_gen_closing(cx_gen *g)
{
    if (!g)
        cx_raise(&cx_ValueError, "cx_gen_closing: g is NULL");
    return cx_closing(g, gen_closing_close);
}
