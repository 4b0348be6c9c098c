/* The state machine behind cx_with: enter, body, exit exactly once. */
#include <string.h>

#include "internal.h"

cx_manager cx_manager_make(const cx_manager_type *type, const void *state, size_t size)
{
    if (size > CX_MANAGER_STATE_SIZE)
        cx_raise(&cx_ValueError, "manager %s: state of %zu bytes exceeds %d",
                 type->name, size, CX_MANAGER_STATE_SIZE);
    cx_manager m;
    m.type = type;
    if (state)
        memcpy(m.state.bytes, state, size);
    else
        memset(m.state.bytes, 0, size);
    return m;
}

void *cx_manager_enter(cx_manager *m) { return m->type->enter(m->state.bytes); }

/* Python calls __exit__ inside an implicit except clause: a raise from it
 * chains the error it was given. */
bool cx_manager_exit(cx_manager *m, cx_error *err)
{
    if (!err)
        return m->type->exit(m->state.bytes, NULL);
    cx__handled node;
    cx__handling_push(&node, cx_error_ref(err));
    bool suppressed = m->type->exit(m->state.bytes, err);
    cx_error_unref(cx__handling_pop(&node));
    return suppressed;
}

cx__with *cx__with_init(cx__with *w, cx_manager m)
{
    w->phase = CX__WITH_SETUP;
    w->m = m;
    return w;
}

/* If enter raises, the frame was never pushed: neither body nor exit runs. */
void cx__with_enter(cx__with *w)
{
    w->phase = CX__WITH_DONE;
    w->value = w->m.type->enter(w->m.state.bytes);
    cx__jump_push(&w->j);
    w->phase = CX__WITH_READY;
}

void cx__with_landed(cx__with *w) { w->phase = CX__WITH_CAUGHT; }

static void exit_clean(cx__with *w)
{
    cx__jump_pop(&w->j);
    w->phase = CX__WITH_DONE;
    w->m.type->exit(w->m.state.bytes, NULL);
}

/* The node owns the error while exit looks at it; if exit raises, the
 * unwinder drops that reference and the new error keeps it as context. */
static void exit_with_error(cx__with *w)
{
    cx__handled node;
    w->phase = CX__WITH_DONE;
    cx__handling_push(&node, cx__landed());
    bool suppressed = w->m.type->exit(w->m.state.bytes, node.err);
    cx_error *e = cx__handling_pop(&node);
    if (suppressed)
        cx_error_unref(e);
    else
        cx__propagate(e);
}

int cx__with_step(cx__with *w)
{
    switch (w->phase) {
    case CX__WITH_SETUP:
        return 1;
    case CX__WITH_READY:
        w->phase = CX__WITH_BODY;
        return 1;
    case CX__WITH_BODY:     /* left by break */
    case CX__WITH_BODY_END: /* ended, or left by continue */
        exit_clean(w);
        return 0;
    case CX__WITH_CAUGHT:
        exit_with_error(w);
        return 0;
    default:
        return 0;
    }
}

/* Runs when the statement is left by return or goto (a raise skips it). */
void cx__with_cleanup(cx__with *w)
{
    if (w->phase == CX__WITH_READY || w->phase == CX__WITH_BODY ||
        w->phase == CX__WITH_BODY_END)
        exit_clean(w);
}
