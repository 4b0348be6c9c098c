/* cx_defer: a deferred call is a frame in the deferring block. */
#include "internal.h"

cx__defer *cx__defer_push(cx__defer *d)
{
    d->f.prev = cx__ts.top;
    d->f.handling = cx__ts.handling;
    d->f.kind = CX__FRAME_DEFER;
    cx__ts.top = &d->f;
    return d;
}

/* The block ends (a raise skips this: the unwinder ran the call). */
void cx__defer_run(cx__defer *d)
{
    cx__ts.top = d->f.prev;
    d->fn(d->arg);
}

/* Called by the unwinder, with d already popped: the call runs with `e`
 * being handled.  If it raises, the unwinder starts again from the frame
 * below with the new error, which keeps e as its context; the node's
 * reference to e is dropped then. */
cx_error *cx__defer_unwind(cx__defer *d, cx_error *e)
{
    cx__handled node;
    cx__handling_push(&node, e);
    d->fn(d->arg);
    return cx__handling_pop(&node);
}
