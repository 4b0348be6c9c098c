/* Generators: a body on its own coroutine, with its own frame chain, and
 * the values and errors that cross a cx_yield. */
#include <string.h>

#include <cx/gen.h>

#include "../core/internal.h"
#include "coro.h"

enum { GEN_CREATED, GEN_SUSPENDED, GEN_RUNNING, GEN_FINISHED };

struct cx_gen {
    cx_gen_fn *fn;
    void *arg;
    int status;
    cx__coro *coro;     /* taken at first resume; kept while pooled */
    cx__coro *resumer;  /* the context that resumed it */
    cx__state other;    /* the side not running: the generator's chain while
                         * suspended, the resumer's while it runs */
    void *value;        /* what crosses the cx_yield */
    cx_error *thrown;   /* raised at the cx_yield on resume (owned) */
    cx_error *escaped;  /* what the body raised (owned) */
    cx_gen *next;       /* in the thread's pool */
    unsigned serial;    /* which use of this (pooled) struct */
};

/* ---- which context runs on this thread ---- */

static __thread cx__coro *running; /* NULL: the thread's own context */

/* Out of line: after a switch the thread may be another one, so the TLS
 * address must be computed afresh, never cached across the switch. */
__attribute__((noinline)) cx__coro *cx__coro_current(void)
{
    return running ? running : cx__coro_thread();
}

__attribute__((noinline)) void cx__coro_set_current(cx__coro *c) { running = c; }

#define current cx__coro_current
#define set_current cx__coro_set_current

/* cx-async swaps the resumer link (cx__outer_handling) with each task, as
 * it swaps the frame state: a task suspended inside a generator must not
 * lend its handled error to the next task that runs. */
CX_API cx__handled *cx__coro_swap_outer_handling(cx__handled *n)
{
    cx__handled *old = cx__outer_handling();
    cx__set_outer_handling(n);
    return old;
}

/* ---- a per-thread pool: a generator manager's enter+exit allocates nothing
 * once the thread has used one ---- */

static __thread cx_gen *pool;

static void pool_drain(void)
{
    while (pool) {
        cx_gen *g = pool;
        pool = g->next;
        if (g->coro)
            cx__coro_free(g->coro);
        cx__dealloc(g);
    }
}

__attribute__((constructor)) static void pool_register(void)
{
    cx__thread_drain_register(pool_drain);
}

static void gen_recycle(cx_gen *g)
{
    cx_error_unref(g->escaped);
    cx_error_unref(g->thrown);
    g->escaped = g->thrown = NULL;
    if (g->status != GEN_FINISHED && g->coro) {
        /* Abandoned mid-body: its stack cannot be parked for reuse. */
        cx__coro_free(g->coro);
        g->coro = NULL;
    }
    if (!pool)
        cx__thread_cache_used();
    g->next = pool;
    pool = g;
}

/* ---- switching ---- */

void cx_gen_set_stack_size(size_t bytes) { cx__coro_set_default_stack(bytes); }

/* Each direction swaps the thread's state with the saved one, so each side
 * finds its own frame chain. */
static void switch_to(cx_gen *g, cx__coro *from, cx__coro *to)
{
    cx__state *s = cx__state_get();
    cx__state mine = *s;
    *s = g->other;
    g->other = mine;
    cx__coro_switch(from, to);
}

static void gen_body(void *p)
{
    cx_gen *g = p;
    g->fn(g, g->arg);
}

/* The coroutine's whole life: run a body, report how it ended, park.  A
 * generator reused from the pool resumes it here for its next body. */
static void gen_main(void *p)
{
    cx_gen *g = p;
    for (;;) {
        g->escaped = cx_protect(gen_body, g);
        g->status = GEN_FINISHED;
        switch_to(g, g->coro, g->resumer);
    }
}

/* Runs g until it yields or finishes. */
static void resume(cx_gen *g)
{
    if (!g->coro) {
        g->coro = cx__coro_new(0, gen_main, g);
        if (!g->coro)
            cx_raise_errno(12 /* ENOMEM */, "generator: no stack");
    }
    cx__coro *back = current();
    g->resumer = back;
    g->status = GEN_RUNNING;
    set_current(g->coro);
    /* Python links a resumed generator's exc_info to its resumer's: an error
     * raised in the generator chains to what the resumer is handling. */
    cx__handled *outer = cx__outer_handling();
    cx__set_outer_handling(cx__state_get()->handling ? cx__state_get()->handling : outer);
    switch_to(g, back, g->coro);
    cx__set_outer_handling(outer);
    set_current(back == cx__coro_thread() ? NULL : back);
}

cx_gen *cx_gen_new(cx_gen_fn *fn, void *arg)
{
    cx_gen *g = pool;
    if (g) {
        pool = g->next;
        if (g->coro && cx__coro_stack_size(g->coro) != cx__coro_default_stack()) {
            cx__coro_free(g->coro); /* the stack size was changed since */
            g->coro = NULL;
        }
    } else {
        g = cx_malloc(sizeof *g);
        g->coro = NULL;
        g->serial = 0;
    }
    g->serial++;
    g->fn = fn;
    g->arg = arg;
    g->status = GEN_CREATED;
    memset(&g->other, 0, sizeof g->other);
    g->value = NULL;
    g->thrown = NULL;
    g->escaped = NULL;
    g->next = NULL;
    return g;
}

bool cx_gen_finished(const cx_gen *g) { return g->status == GEN_FINISHED; }

void *cx_yield(cx_gen *g, void *value)
{
    if (g->status != GEN_RUNNING || current() != g->coro)
        cx_raise(&cx_RuntimeError, "cx_yield: not inside the running generator");
    g->value = value;
    g->status = GEN_SUSPENDED;
    switch_to(g, g->coro, g->resumer);
    if (g->thrown) {
        cx_error *e = g->thrown;
        g->thrown = NULL;
        /* As CPython's throw(): raised as it is, except that a generator
         * suspended inside a handler chains it to the error it handles. */
        if (cx__state_get()->handling)
            cx__error_set_context(e, cx__state_get()->handling->err);
        cx__propagate(e);
    }
    return NULL;
}

/* Runs g one step; returns true if it yielded.  An error the body raised is
 * handed back (owned) in *raised. */
static bool step(cx_gen *g, cx_error **raised)
{
    if (g->status == GEN_RUNNING)
        cx_raise(&cx_ValueError, "generator already executing");
    *raised = NULL;
    if (g->status == GEN_FINISHED)
        return false;
    resume(g);
    if (g->status != GEN_FINISHED)
        return true;
    *raised = g->escaped;
    g->escaped = NULL;
    return false;
}

bool cx_gen_next(cx_gen *g, void **out)
{
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

bool cx__gen_throw(cx_gen *g, cx_error *err, cx_error **raised)
{
    if (g->status == GEN_CREATED) { /* never started: nothing to unwind */
        g->status = GEN_FINISHED;
        *raised = cx_error_ref(err);
        return false;
    }
    if (g->status == GEN_SUSPENDED)
        g->thrown = cx_error_ref(err);
    return step(g, raised);
}

void cx__gen_free(cx_gen *g) { gen_recycle(g); }

/* Still the generator `serial` named, and not started: a manager's copy can
 * tell whether its generator was entered before (pooled structs are freed
 * only when their thread ends). */
bool cx__gen_unstarted(const cx_gen *g, unsigned serial)
{
    return g->serial == serial && g->status == GEN_CREATED;
}

unsigned cx__gen_serial(const cx_gen *g) { return g->serial; }

static void gen_free(void *g) { gen_recycle(g); }

void cx_gen_close(cx_gen *g)
{
    if (!g)
        return;
    cx_scope {
        cx_defer(gen_free, g);
        if (g->status != GEN_SUSPENDED) {
            if (g->status == GEN_CREATED)
                g->status = GEN_FINISHED;
            break;
        }
        cx_error *exit = cx__error_make(__FILE__, __LINE__, "cx_gen_close",
                                        &cx_GeneratorExit, "%s", "");
        /* As Python's close(): GeneratorExit chains to the error being handled. */
        cx__error_set_context(exit, cx__handled_error());
        cx_error *raised;
        bool yielded = cx__gen_throw(g, exit, &raised);
        cx_error_unref(exit);
        if (yielded)
            cx_raise(&cx_RuntimeError, "generator ignored GeneratorExit");
        if (raised && !cx_error_is(raised, &cx_GeneratorExit))
            cx__propagate(raised);
        cx_error_unref(raised);
    }
}
