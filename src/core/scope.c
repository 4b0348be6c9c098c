/* cx_scope and cx_defer: deferred calls that run LIFO on every path out. */
#include "internal.h"

cx__scope *cx__scope_begin(cx__scope *s)
{
    s->f.prev = cx__ts.top;
    s->f.handling = cx__ts.handling;
    s->f.kind = CX__FRAME_SCOPE;
    s->n = 0;
    s->cap = CX__SCOPE_INLINE;
    s->heap = NULL;
    cx__ts.top = &s->f;
    return s;
}

static cx__defer *slots(cx__scope *s) { return s->heap ? s->heap : s->inline_; }

static void grow(cx__scope *s, void (*fn)(void *), void *arg)
{
    unsigned cap = s->cap * 2;
    cx__defer *more = cx__alloc(cap * sizeof *more);
    if (!more) {
        fn(arg);
        cx_raise(&cx_MemoryError, "cx_defer: no memory to record a deferred call");
    }
    for (unsigned i = 0; i < s->n; i++)
        more[i] = slots(s)[i];
    cx__dealloc(s->heap);
    s->heap = more;
    s->cap = cap;
}

void cx__scope_defer(cx__scope *s, void (*fn)(void *), void *arg)
{
    if (s->n == s->cap)
        grow(s, fn, arg);
    slots(s)[s->n++] = (cx__defer){fn, arg};
}

/* The count drops before each call, so a call that raises is never run twice
 * when the unwinder comes back to this scope for the rest. */
static void run_defers(cx__scope *s)
{
    while (s->n) {
        cx__defer d = slots(s)[--s->n];
        d.fn(d.arg);
    }
    cx__dealloc(s->heap);
    s->heap = NULL;
    cx__ts.top = s->f.prev;
}

void cx__scope_end(cx__scope *s) { run_defers(s); }

/* Called by the unwinder with the scope on top: the rest of its calls run
 * with `e` being handled.  One that raises re-enters here through the
 * unwinder, with the new error (chained to e). */
cx_error *cx__scope_unwind(cx__scope *s, cx_error *e)
{
    cx__handling_push(&s->node, e);
    run_defers(s);
    return cx__handling_pop(&s->node);
}
