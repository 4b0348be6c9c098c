/* The frame chain and the one throw path. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "../port/port.h"

/* Aligned to 32 bytes, which it fits in: its words, which every statement
 * writes, are one cache line wherever the thread's block of thread-locals
 * puts it (docs/benchmarks.md, "mutex_with"). */
_Static_assert(sizeof(cx__state) <= 32, "cx__ts fits its alignment");
__thread cx__state cx__ts __attribute__((tls_model("initial-exec"), aligned(32)));

cx__state *cx__state_get(void) { return &cx__ts; }

/* Never called: named by clang's CX__SETJMP (frame.h). */
volatile int cx__never;
int cx__returns_twice(void) { return 0; }

cx_error *cx__landed(void)
{
    cx_error *e = cx__take_thrown();
    CX_ASSERT(e != NULL);
    return e;
}

void cx__handling_push(cx__handled *n, cx_error *e) { cx__handled_push(n, e); }

cx_error *cx__handling_pop(cx__handled *n) { return cx__handled_pop(n); }

/* The constructs above `keep` are being abandoned by a raise: drop the
 * references their handled errors held. */
void cx__handling_release_to(cx__state *s, cx__handled *keep)
{
    while (s->handling && s->handling != keep) {
        cx__handled *n = s->handling;
        s->handling = n->prev;
        cx_error_unref(n->err);
    }
}

static _Noreturn void jump_to(cx__jump *j)
{
#ifdef CX__BUILTIN_JUMP
    __builtin_longjmp(j->jb, 1);
#elif defined(CX__TSAN) || defined(CX__WINDOWS)
    /* TSan unwinds its shadow stack on longjmp but not on _longjmp (there it
     * grows at every raise until it overflows); a _setjmp buffer saved no
     * signal mask, so longjmp restores none.  Windows has longjmp alone
     * (frame.h: setjmp). */
    longjmp(j->jb, 1);
#else
    _longjmp(j->jb, 1);
#endif
}

/* The pair store: the frame the error lands in pushes again soon (a cx_try
 * entering its handler), reading the pair in one load. */
static _Noreturn void land(cx__frame *f, cx_error *e)
{
    CX_ASSERT(f->kind == CX__FRAME_JUMP && e != NULL);
    cx__store_frame_pair(&cx__ts, f->prev, f->handling);
    cx__ts.thrown = e;
    jump_to((cx__jump *)f);
}

__attribute__((noinline)) static _Noreturn void unwind(cx_error *e)
{
    cx__state *s = &cx__ts;
    for (;;) {
        cx__frame *f = s->top;
        if (!f) {
            cx__handling_release_to(s, NULL);
            cx__unhandled(e);
        }
        cx__handling_release_to(s, f->handling);
        if (f->kind == CX__FRAME_JUMP)
            land(f, e);
        CX_ASSERT(f->kind == CX__FRAME_USING || f->kind == CX__FRAME_DEFER);
        s->top = f->prev;
        if (f->kind == CX__FRAME_USING)
            e = cx__using_unwind((cx__using *)f, e);
        else
            e = cx__defer_unwind((cx__defer *)f, e);
    }
}

/* The common raise lands in the innermost frame with nothing to release on
 * the way: no call and no register saved before the jump. */
_Noreturn void cx__propagate(cx_error *e)
{
    cx__frame *f = cx__ts.top;
    if (__builtin_expect(f && f->kind == CX__FRAME_JUMP && f->handling == cx__ts.handling, 1))
        land(f, e);
    unwind(e);
}

/* ---- the bottom of the stack ---- */

static cx_unhandled_hook *unhandled_hook;

cx_unhandled_hook *cx_set_unhandled_hook(cx_unhandled_hook *hook)
{
    return __atomic_exchange_n(&unhandled_hook, hook, __ATOMIC_ACQ_REL);
}

struct hook_call {
    cx_unhandled_hook *hook;
    cx_error *e;
};

static void call_hook(void *arg)
{
    struct hook_call *c = arg;
    c->hook(c->e);
}

_Noreturn void cx__unhandled(cx_error *e)
{
    cx_unhandled_hook *hook = __atomic_load_n(&unhandled_hook, __ATOMIC_ACQUIRE);
    /* The hook runs inside a boundary: an error escaping it would otherwise
     * come back here, into the hook again, until the stack ran out.  As
     * Python does when sys.excepthook raises: its error, then the original,
     * then the default ending. */
    cx_error *failed = hook ? cx_protect(call_hook, &(struct hook_call){hook, e}) : NULL;
    fflush(stdout);
    if (failed) {
        fputs("Error in unhandled-error hook:\n", stderr);
        cx_error_print(failed, stderr);
        fputs("\nOriginal exception was:\n", stderr);
        cx_error_unref(failed);
    }
    cx_error_print(e, stderr);
    cx_error_unref(e);
    if (cx__port_on_main_thread())
        exit(1);
    pthread_exit(NULL);
    __builtin_unreachable(); /* winpthreads does not declare pthread_exit noreturn */
}

/* ---- the boundary ---- */

/* A boundary hands errors back rather than raising them: a NULL fn gives
 * its ValueError as the result (raised inside the boundary), as a raise
 * inside fn would. */
cx_error *cx_protect(void (*fn)(void *arg), void *arg)
{
    cx__jump j;
    if (CX__SETJMP(j.jb))
        return cx__landed();
    cx__jump_push(&j);
    if (!fn)
        cx_raise(&cx_ValueError, "cx_protect: fn is NULL");
    fn(arg);
    cx__jump_pop(&j);
    return NULL;
}
