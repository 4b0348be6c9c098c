/* @contextmanager: contextlib._GeneratorContextManager, case by case. */
#include <stdlib.h>

#include <cx/gen.h>

#include "../core/internal.h"

bool cx__gen_throw(cx_gen *g, cx_error *err, cx_error **raised);
void cx__gen_free(cx_gen *g);
bool cx__gen_unstarted(const cx_gen *g, unsigned serial);
unsigned cx__gen_serial(const cx_gen *g);

typedef struct {
    cx_gen *g;
    unsigned serial;
} cm_state;

static void *cm_enter(void *state)
{
    cm_state *s = state;
    if (!cx__gen_unstarted(s->g, s->serial))
        cx_raise(&cx_RuntimeError, "generator manager is single-use: entered twice");
    void *value;
    cx_try {
        if (!cx_gen_next(s->g, &value))
            cx_raise_from(&cx_RuntimeError, NULL, "generator didn't yield"); /* from None */
    } cx_except_any (e) {
        cx__gen_free(s->g);
        cx_reraise();
    }
    return value;
}

static void release(void *state)
{
    cm_state *s = state;
    if (s->g)
        cx__gen_free(s->g);
}

/* contextlib's `try: raise RuntimeError(what) finally: self.gen.close()`:
 * the generator's remaining cleanups run (GeneratorExit is thrown in at its
 * cx_yield) while the RuntimeError is being handled; the close frees it. */
static _Noreturn void didnt_stop(cm_state *s, const char *what)
{
    cx_gen *g = s->g;
    s->g = NULL;
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
        didnt_stop(s, "generator didn't stop");
    if (raised)
        cx__propagate(raised);
}

/* The body raised err: throw it in at the cx_yield.  The generator catching
 * it suppresses it; raising the same error propagates it unchanged (exit
 * returns false); raising another propagates that. */
static bool finish_with(cm_state *s, cx_error *err)
{
    cx_error *raised;
    if (cx__gen_throw(s->g, err, &raised))
        didnt_stop(s, "generator didn't stop after throw()");
    if (!raised)
        return true;
    if (raised == err) {
        cx_error_unref(raised);
        return false;
    }
    cx__propagate(raised);
}

static bool cm_exit(void *state, cx_error *err)
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

static const cx_manager_type contextmanager_type = {"contextmanager", cm_enter, cm_exit};

/* The generator is made now, so that every copy of the manager value shares
 * it and a second enter is seen. */
cx_manager cx_contextmanager(cx_gen_fn *fn, void *arg)
{
    cx_gen *g = cx_gen_new(fn, arg);
    cm_state s = {g, cx__gen_serial(g)};
    return cx_manager_make(&contextmanager_type, &s, sizeof s);
}

void cx_call_with(cx_manager m, void (*fn)(void *), void *arg)
{
    cx_with (m)
        fn(arg);
}
