/* The state machine behind cx_with: enter, body, exit exactly once. */
#include <string.h>

#include "internal.h"

void cx__manager_too_big(const char *file, int line, const char *func,
                         const cx_manager_type *type, size_t size)
{
    if (!type)
        cx__raise(file, line, func, &cx_ValueError, "cx_manager_make: type is NULL");
    cx__raise(file, line, func, &cx_ValueError,
              "cx_manager_make: state of %zu bytes exceeds %d (manager %s)", size,
              CX_MANAGER_STATE_SIZE, type->name ? type->name : "(unnamed)");
}

/* The exported function behind the inline form, for callers that take its
 * address or are not C. */
#undef cx_manager_make
cx_manager cx_manager_make(const cx_manager_type *type, const void *state, size_t size)
{
    return cx__manager_make(type, state, size, CX__CALLER);
}

__attribute__((noinline, cold)) static _Noreturn void unusable(const char *who,
                                                                const cx_manager *m)
{
    if (!m)
        cx_raise(&cx_ValueError, "%s: m is NULL", who);
    cx_raise(&cx_ValueError, "%s: m has no type", who);
}

void *cx_manager_enter(cx_manager *m)
{
    if (!m || !m->type)
        unusable("cx_manager_enter", m);
    return m->type->enter(m->state.bytes);
}

/* Python calls __exit__ inside an implicit except clause: a raise from it
 * chains the error it was given. */
bool cx_manager_exit(cx_manager *m, cx_error *err)
{
    if (!m || !m->type)
        unusable("cx_manager_exit", m);
    if (!err)
        return m->type->exit(m->state.bytes, NULL);
    cx__handled node;
    cx__handling_push(&node, cx_error_ref(err));
    bool suppressed = m->type->exit(m->state.bytes, err);
    cx_error_unref(cx__handling_pop(&node));
    return suppressed;
}

/* The node owns the error while exit looks at it; if exit raises, the
 * unwinder drops that reference and the new error keeps it as context. */
void cx__with_exit_error(cx__with *w)
{
    cx__handled node;
    cx__handling_push(&node, cx__landed());
    if (w->site) /* a user's statement, not one of cx's own */
        cx__ts.here = w->site;
    bool suppressed = w->m.type->exit(w->m.state.bytes, node.err);
    cx_error *e = cx__handling_pop(&node);
    if (!suppressed) {
        cx__error_passed(e, "cx_with", w->site);
        cx__propagate(e);
    }
    cx_error_unref(e);
}
