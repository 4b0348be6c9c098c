/* cx_defer: a deferred call is a frame in the deferring block. */
#include "internal.h"

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
