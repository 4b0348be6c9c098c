/* The async forms of with and contextlib.  Inside a task every manager may
 * suspend, so each is its sync counterpart plus the inside-a-task check. */
#include <stdint.h>

#include "internal.h"

void cx__async_null(const char *who, const char *arg)
{
    cx_raise(&cx_ValueError, "%s: %s is NULL", who, arg);
}

void cx__async_check_buffer(const char *who, const void *buf, size_t len)
{
    if (__builtin_expect(len > PTRDIFF_MAX, 0))
        cx_raise(&cx_ValueError, "%s: len %zu is larger than any buffer", who, len);
    if (__builtin_expect(!buf && len, 0))
        cx_raise(&cx_ValueError, "%s: buf is NULL", who);
}

cx_manager cx__async_manager(cx_manager m)
{
    cx__async_task("cx_async_with");
    return m;
}

cx_manager cx_asynccontextmanager(cx_gen_fn *fn, void *arg)
{
    cx__async_task("cx_asynccontextmanager");
    CX__ASYNC_NEED(fn, "cx_asynccontextmanager", "fn");
    return cx_contextmanager(fn, arg);
}

cx_gen *cx_agen_new(cx_gen_fn *fn, void *arg)
{
    cx__async_task("cx_agen_new");
    CX__ASYNC_NEED(fn, "cx_agen_new", "fn");
    return cx_gen_new(fn, arg);
}

/* The async generators a cx_anext is running on this thread (each record
 * lives in that cx_anext's frame): another task reaching for one of them
 * while its iterating task is suspended inside it is refused, as Python
 * refuses it, instead of closing a generator that is running. */
typedef struct running_agen {
    cx_gen *g;
    struct running_agen *prev, *next;
} running_agen;

static __thread running_agen *running_agens;

static void refuse_if_running(cx_gen *g, const char *what)
{
    for (running_agen *r = running_agens; r; r = r->next)
        if (r->g == g)
            cx_raise(&cx_RuntimeError, "%s: asynchronous generator is already running", what);
}

static void agen_unmark(void *p)
{
    running_agen *r = p;
    if (r->prev)
        r->prev->next = r->next;
    else
        running_agens = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

bool cx_anext(cx_gen *g, void **out)
{
    cx__async_task("cx_anext");
    CX__ASYNC_NEED(g, "cx_anext", "g");
    refuse_if_running(g, "anext()");
    running_agen r = {g, NULL, running_agens};
    if (running_agens)
        running_agens->prev = &r;
    running_agens = &r;
    bool yielded = false;
    cx_scope {
        cx_defer(agen_unmark, &r);
        yielded = cx_gen_next(g, out);
    }
    return yielded;
}

void cx_aclose(cx_gen *g)
{
    cx__async_task("cx_aclose");
    if (g)
        refuse_if_running(g, "aclose()");
    cx_gen_close(g);
}

static void aclose_obj(void *g) { cx_aclose(g); }

cx_manager cx_aclosing(cx_gen *g)
{
    cx__async_task("cx_aclosing");
    CX__ASYNC_NEED(g, "cx_aclosing", "g");
    return cx_closing(g, aclose_obj);
}

cx_manager cx_async_exitstack_new(void)
{
    cx__async_task("cx_async_exitstack_new");
    return cx_exitstack_new();
}

void *cx_async_exitstack_enter(cx_exitstack *s, cx_manager m)
{
    cx__async_task("cx_async_exitstack_enter");
    CX__ASYNC_NEED(s, "cx_async_exitstack_enter", "s");
    return cx_exitstack_enter(s, m);
}

void cx_async_exitstack_push_async_exit(cx_exitstack *s,
                                        bool (*exit)(void *arg, cx_error *err), void *arg)
{
    cx__async_task("cx_async_exitstack_push_async_exit");
    CX__ASYNC_NEED(s, "cx_async_exitstack_push_async_exit", "s");
    CX__ASYNC_NEED(exit, "cx_async_exitstack_push_async_exit", "exit");
    cx_exitstack_push(s, exit, arg);
}

void cx_async_exitstack_push_async_callback(cx_exitstack *s, void (*fn)(void *arg), void *arg)
{
    cx__async_task("cx_async_exitstack_push_async_callback");
    CX__ASYNC_NEED(s, "cx_async_exitstack_push_async_callback", "s");
    CX__ASYNC_NEED(fn, "cx_async_exitstack_push_async_callback", "fn");
    cx_exitstack_callback(s, fn, arg);
}

void cx_async_exitstack_aclose(cx_exitstack *s)
{
    cx__async_task("cx_async_exitstack_aclose");
    CX__ASYNC_NEED(s, "cx_async_exitstack_aclose", "s");
    cx_exitstack_close(s);
}
