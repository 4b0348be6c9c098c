/* asyncio.TaskGroup: the group waits for its tasks; the first failure
 * cancels the siblings and the body; errors leave together as one
 * ExceptionGroup. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

CX_API const cx_type cx_ExceptionGroup = {"ExceptionGroup", &cx_Exception};

struct cx_taskgroup {
    cx_task *parent;
    cx_task *tasks;            /* the tasks not freed yet, newest first: those
                                * cx_taskgroup_start started leave it (and are
                                * freed) when they end, the others stay until
                                * the group's end for their handles */
    size_t live;
    bool entered, exiting, done;
    bool aborting;             /* a failure (or a cancellation) cancelled the tasks */
    bool parent_cancel_requested;
    cx_error **errors;         /* owned */
    size_t nerrors, cap;
};

size_t cx_error_group_size(const cx_error *e)
{
    return e && cx_error_is(e, &cx_ExceptionGroup) ? cx__error_item_count(e) : 0;
}

cx_error *cx_error_group_item(const cx_error *e, size_t i)
{
    return i < cx_error_group_size(e) ? cx__error_item(e, i) : NULL;
}

static void add_error(cx_taskgroup *g, cx_error *e)
{
    if (g->nerrors == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        cx_error **errors = realloc(g->errors, cap * sizeof *errors);
        if (!errors)
            return; /* the error is lost only when memory is */
        g->errors = errors;
        g->cap = cap;
    }
    g->errors[g->nerrors++] = cx_error_ref(e);
}

static void abort_tasks(cx_taskgroup *g)
{
    g->aborting = true;
    for (cx_task *t = g->tasks; t; t = t->next_in_group)
        cx__task_cancel(t);
}

static void unlink_task(cx_taskgroup *g, cx_task *t)
{
    if (t->prev_in_group)
        t->prev_in_group->next_in_group = t->next_in_group;
    else
        g->tasks = t->next_in_group;
    if (t->next_in_group)
        t->next_in_group->prev_in_group = t->prev_in_group;
    t->group = NULL;
}

void cx__taskgroup_task_done(cx_taskgroup *g, cx_task *t)
{
    g->live--;
    if (t->released)
        unlink_task(g, t); /* no handle: the scheduler frees it now */
    if (t->error && !cx_error_is(t->error, &cx_CancelledError)) {
        add_error(g, t->error);
        if (!g->aborting) {
            abort_tasks(g);
            if (!g->exiting && !g->parent_cancel_requested) {
                /* The body is still running: it is interrupted too. */
                g->parent_cancel_requested = true;
                cx__task_cancel(g->parent);
            }
        }
    }
    if (g->exiting && g->live == 0)
        cx__task_wake(g->parent);
}

static cx_task *group_spawn(const char *who, cx_taskgroup *g, void (*fn)(void *), void *arg)
{
    cx__async_task(who);
    CX__ASYNC_NEED(g, who, "tg");
    CX__ASYNC_NEED(fn, who, "fn");
    if (!g->entered || g->done)
        cx_raise(&cx_RuntimeError, "%s: the task group is not active", who);
    if (g->aborting)
        cx_raise(&cx_RuntimeError, "%s: the task group is shutting down", who);
    cx_task *t = cx__spawn(fn, arg);
    t->group = g;
    t->next_in_group = g->tasks;
    if (g->tasks)
        g->tasks->prev_in_group = t;
    g->tasks = t;
    g->live++;
    return t;
}

cx_task *cx_taskgroup_spawn(cx_taskgroup *g, void (*fn)(void *), void *arg)
{
    return cx__task_handle(group_spawn("cx_taskgroup_spawn", g, fn, arg));
}

void cx_taskgroup_start(cx_taskgroup *g, void (*fn)(void *), void *arg)
{
    group_spawn("cx_taskgroup_start", g, fn, arg)->released = true;
}

typedef struct {
    cx_taskgroup *g;
} tg_state;

static void *tg_enter(void *state)
{
    tg_state *s = state;
    cx_task *me = cx__async_task("cx_taskgroup_new");
    cx_taskgroup *g = cx_malloc(sizeof *g);
    memset(g, 0, sizeof *g);
    g->parent = me;
    g->entered = true;
    s->g = g;
    return g;
}

static void tg_free(cx_taskgroup *g)
{
    while (g->tasks) {
        cx_task *t = g->tasks;
        unlink_task(g, t);
        cx__task_free(t);
    }
    for (size_t i = 0; i < g->nerrors; i++)
        cx_error_unref(g->errors[i]);
    free(g->errors);
    cx_free(g);
}

static void tg_release(void *g) { tg_free(g); }

static bool tg_exit(void *state, cx_error *err)
{
    cx_taskgroup *g = ((tg_state *)state)->g;
    cx_task *me = g->parent;
    bool propagate_cancel = false;
    bool suppress = false;
    cx_scope {
        cx_defer(tg_release, g);
        g->exiting = true;
        if (err && cx_error_is(err, &cx_CancelledError)) {
            /* Our own request (a task failed) is taken back; any other
             * cancellation is the enclosing task's and goes on after. */
            if (!(g->parent_cancel_requested && cx__task_uncancel(me) == 0))
                propagate_cancel = true;
            g->parent_cancel_requested = false;
        } else if (err) {
            add_error(g, err);
        }
        if (err && !g->aborting)
            abort_tasks(g);
        if (g->parent_cancel_requested && me->must_cancel) {
            /* Our request never reached a suspension point (the body ended
             * or raised first): take it back before waiting. */
            me->must_cancel = false;
            cx__task_uncancel(me);
            g->parent_cancel_requested = false;
        }
        while (g->live) {
            if (!cx__task_park(true)) {
                me->must_cancel = false;
                propagate_cancel = true;
                if (!g->aborting)
                    abort_tasks(g);
            }
        }
        g->done = true;
        if (g->parent_cancel_requested) {
            /* A task failed after the body ended: the body never saw it. */
            cx__task_uncancel(me);
            me->must_cancel = false;
        }
        if (g->nerrors) {
            cx_error *eg = cx__async_error(&cx_ExceptionGroup,
                                           "unhandled errors in a TaskGroup (%zu sub-exception%s)",
                                           g->nerrors, g->nerrors == 1 ? "" : "s");
            cx__error_set_items(eg, g->errors, g->nerrors);
            g->nerrors = 0;
            if (eg->refs > 0)
                eg->suppress_context = 1; /* raise ... from None: the errors are inside */
            cx__async_throw_owned(eg);
        }
        if (propagate_cancel) {
            if (err && cx_error_is(err, &cx_CancelledError))
                suppress = false; /* re-raised as it is */
            else
                cx_raise(&cx_CancelledError, "%s", "");
        } else if (err && cx_error_is(err, &cx_CancelledError)) {
            suppress = true;
        }
    }
    return suppress;
}

static const cx_manager_type taskgroup_type = {"taskgroup", tg_enter, tg_exit};

cx_manager cx_taskgroup_new(void)
{
    cx__async_task("cx_taskgroup_new");
    tg_state s = {NULL};
    return cx_manager_make(&taskgroup_type, &s, sizeof s);
}
