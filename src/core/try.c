/* The state machine behind cx_try: body, handler, else, finally. */
#include <stdlib.h>

#include "internal.h"

/* A raise from the body is caught for the handlers: they run inside the
 * frame again, so finally survives their raises; the frame's own handling
 * excludes this node, so such a raise drops it.  One from a handler or the
 * else clause only waits for finally. */
void cx__try_landed(cx__try *t)
{
    cx_error *e = cx__take_thrown();
    /* Only the body, a handler and the else clause run inside the frame. */
    CX_ASSERT(e != NULL);
    CX_ASSERT(t->phase == CX__TRY_BODY || t->phase == CX__TRY_HANDLE ||
              t->phase == CX__TRY_ELSE);
    if (t->phase == CX__TRY_BODY) {
        cx__jump_push(&t->j);
        cx__handled_push(&t->node, e);
        t->phase = CX__TRY_LANDED;
    } else {
        t->pending = e;
        t->phase = CX__TRY_FAILED;
    }
}

static int enter_finally(cx__try *t)
{
    t->phase = CX__TRY_FINALLY;
    if (t->pending)
        cx__handled_push(&t->node, t->pending);
    return 1;
}

/* Leaves the handler: a matched error is done with, an unmatched one goes on
 * to finally and is re-raised after it.  The frame and the node come off
 * the chain in one store (cx__store_frame_pair: the next cx_try pushes). */
__attribute__((noinline)) static int end_handler(cx__try *t)
{
    cx_error *e = t->node.err;
    CX_ASSERT(t->phase == CX__TRY_HANDLE && cx__ts.top == &t->j.f);
    cx__store_frame_pair(&cx__ts, t->j.f.prev, t->node.prev);
    if (!t->matched) {
        t->pending = e;
        return enter_finally(t);
    }
    enter_finally(t);
    cx_error_unref(e);
    return 1;
}

/* The phases that touch an error; the others are try.h's cx__try_next
 * (which calls here only for these: no loop between the two). */
int cx__try_step(cx__try *t)
{
    /* Every caught raise ends a handler: that step comes first, without the
     * table, and saves no register (end_handler is out of line). */
    if (t->phase == CX__TRY_HANDLE)
        return end_handler(t);
    switch (t->phase) {
    case CX__TRY_BODY: /* left by break */
        cx__jump_pop(&t->j);
        return enter_finally(t);
    case CX__TRY_FAILED:
        return enter_finally(t);
    case CX__TRY_FINALLY:
        if (!t->pending)
            return cx__try_next(t);
        t->phase = CX__TRY_DONE;
        cx__handled_pop(&t->node);
        cx__error_passed(t->pending, "cx_try", t->site);
        cx__propagate(t->pending);
    case CX__TRY_SETUP:
    case CX__TRY_READY:
    case CX__TRY_PROBE:
    case CX__TRY_BODY_END:
    case CX__TRY_ELSE:
        return cx__try_next(t);
    default:
        return 0;
    }
}

/* The Itanium C++ ABI's per-thread exception state, present only in C++
 * programs (libstdc++, libc++abi): it counts the exceptions unwinding now. */
struct cx__cxa_eh_globals {
    void *caught_exceptions;
    unsigned int uncaught_exceptions;
};
extern struct cx__cxa_eh_globals *__cxa_get_globals(void) __attribute__((weak));

static bool cxx_exception_unwinding(void)
{
    return __cxa_get_globals && __cxa_get_globals()->uncaught_exceptions > 0;
}

/* Takes the statement's frame, and its handled error if a handler was
 * running, off the chain: the state the statement found. */
static void restore_chain(cx__try *t)
{
    switch (t->phase) {
    case CX__TRY_HANDLE:
        cx__store_frame_pair(&cx__ts, t->j.f.prev, t->node.prev);
        cx_error_unref(t->node.err);
        break;
    case CX__TRY_FINALLY: /* popped on the way in; nothing pending */
        break;
    default:
        cx__jump_pop(&t->j);
        break;
    }
}

/* Runs only when the statement is left by return or goto (a raise skips it),
 * or by a C++ exception unwinding through it. */
void cx__try_cleanup(cx__try *t)
{
    static const cx__site inside_cx = {"(cx)", "?", 0};
    const cx__site *at = t->site ? t->site : &inside_cx;
    if (t->phase == CX__TRY_SETUP)
        return;
    /* Raising here would longjmp out of the C++ unwinder: the exception
     * would be lost and the C++ frames in between left half-destroyed.
     * Like an exception escaping a noexcept function, that ends the process. */
    if (cxx_exception_unwinding()) {
        fprintf(stderr, "cx: a C++ exception left the cx_try at %s:%d; C++ exceptions "
                        "must be caught inside cx_try bodies (see docs/cxx.md)\n",
                at->file, at->line);
        abort();
    }
    int phase = t->phase;
    cx_error *pending = phase == CX__TRY_FINALLY ? t->pending : NULL;
    CX_ASSERT(phase != CX__TRY_DONE);
    if (phase != CX__TRY_FINALLY && t->has_finally) {
        /* Raised with the handled error, if any, still handled: the report's
         * context.  The unwinder then drops the node. */
        if (phase == CX__TRY_HANDLE)
            cx__jump_pop(&t->j);
        else
            restore_chain(t);
        t->phase = CX__TRY_DONE;
        cx__raise(at->file, at->line, at->func, &cx_RuntimeError,
                  "cx_try at %s:%d in %s() left by return or goto: its cx_finally "
                  "clause cannot run (use cx_using or cx_defer for cleanups that must "
                  "survive return)", at->file, at->line, at->func);
    }
    if (pending) /* the finally clause cut short: its error goes on */
        t->pending = NULL, cx__handled_pop(&t->node);
    else
        restore_chain(t);
    t->phase = CX__TRY_DONE;
    if (pending) {
        cx__error_passed(pending, "cx_try", t->site);
        cx__propagate(pending);
    }
}
