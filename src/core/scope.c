/* cx_defer and cx_using: frames in the block that declares them, run in
 * place by the unwinder when a raise passes through. */
#include "internal.h"

/* Called by the unwinder, with d already popped: the call runs with `e`
 * being handled.  If it raises, the unwinder starts again from the frame
 * below with the new error, which keeps e as its context; the node's
 * reference to e is dropped then. */
cx_error *cx__defer_unwind(cx__defer *d, cx_error *e)
{
    CX_ASSERT(d->f.kind == CX__FRAME_DEFER && e != NULL);
    cx__handled node;
    cx__handling_push(&node, e);
    d->fn(d->arg);
    return cx__handling_pop(&node);
}

__attribute__((noinline, cold)) static _Noreturn void cannot_suppress(const cx__using *u,
                                                                      const cx_error *e)
{
    const cx__site *at = u->site;
    const char *name = u->m.type->name ? u->m.type->name : "(unnamed)";
    cx__raise(at->file, at->line, at->func, &cx_RuntimeError,
              "cx_using at %s:%d: manager %s asked to suppress %s, which cx_using "
              "cannot do (use cx_with to suppress)",
              at->file, at->line, name, cx_error_type(e)->name);
}

/* As a deferred call, with exit given the error (borrowed).  A manager
 * that would suppress it is a mistake said loudly: the error goes on as the
 * context of a RuntimeError naming the cx_using. */
cx_error *cx__using_unwind(cx__using *u, cx_error *e)
{
    CX_ASSERT(u->f.kind == CX__FRAME_USING && u->site != NULL && e != NULL);
    cx__handled node;
    cx__error_passed(e, "cx_using", u->site);
    cx__handling_push(&node, e);
    cx__ts.here = u->site;
    if (u->m.type->exit(u->m.state.bytes, e))
        cannot_suppress(u, e);
    return cx__handling_pop(&node);
}
