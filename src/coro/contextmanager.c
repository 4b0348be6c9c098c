/* @contextmanager: contextlib._GeneratorContextManager, case by case. */
#include <stdlib.h>

#include <cx/gen.h>

#include "../core/internal.h"
#include "coro.h"

bool cx__gen_throw(cx_gen *g, cx_error *err, cx_error **raised);
void cx__gen_free(cx_gen *g);
const cx__site *cx__gen_made_at(const cx_gen *g);

typedef cx__cm_state cm_state;

/* cx_contextmanager, the enter and the usual exit are gen.c's (they take a
 * pooled generator and switch to it in their own frame, see its gate); the
 * rarer exits come back here. */

static void release(void *state)
{
    cm_state *s = state;
    if (s->g)
        cx__gen_free(s->g);
}

/* contextlib's `try: raise RuntimeError(what) finally: self.gen.close()`:
 * the generator's remaining cleanups run (GeneratorExit is thrown in at its
 * cx_yield) while the RuntimeError is being handled; the close frees it.
 * The error names the user's cx_contextmanager (the body's calls moved the
 * recorded site since). */
_Noreturn void cx__cm_didnt_stop(void *state, const char *what);
_Noreturn void cx__cm_didnt_stop(void *state, const char *what)
{
    cm_state *s = state;
    cx_gen *g = s->g;
    s->g = NULL;
    cx__ts.here = cx__gen_made_at(g);
    cx_try {
        cx_raise(&cx_RuntimeError, "%s", what);
    } cx_finally {
        cx_gen_close(g);
    }
    abort(); /* not reached: the finally re-raises */
}

/* The body ended without error: the generator must finish now. */
static void finish(cm_state *s)
{
    cx_error *raised;
    if (cx__gen_throw(s->g, NULL, &raised))
        cx__cm_didnt_stop(s, "generator didn't stop");
    if (raised)
        cx__propagate(raised);
}

/* The body raised err: throw it in at the cx_yield.  The generator catching
 * it suppresses it; raising the same error propagates it unchanged (exit
 * returns false); raising another propagates that. */
static bool finish_with(cm_state *s, cx_error *err)
{
    cx_error *raised;
    unsigned mark = cx__error_trail_mark(err);
    if (cx__gen_throw(s->g, err, &raised))
        cx__cm_didnt_stop(s, "generator didn't stop after throw()");
    if (!raised)
        return true;
    if (raised == err) {
        cx__error_trail_cut(raised, mark); /* as cx__gen_cm_exit_gated's */
        cx_error_unref(raised);
        return false;
    }
    cx__propagate(raised);
}

/* The general exit: the generator is released however finishing it ends. */
bool cx__cm_exit_any(void *state, cx_error *err);
bool cx__cm_exit_any(void *state, cx_error *err)
{
    cm_state *s = state;
    bool suppressed = false;
    cx_scope {
        cx_defer(release, s);
        if (err)
            suppressed = finish_with(s, err);
        else
            finish(s);
    }
    return suppressed;
}

void cx_call_with(cx_manager m, void (*fn)(void *), void *arg)
{
    if (!fn)
        cx_raise(&cx_ValueError, "cx_call_with: fn is NULL");
    cx_with (m)
        fn(arg);
}
