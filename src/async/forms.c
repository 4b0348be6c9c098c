/* The async forms of with and contextlib.  Inside a task every manager may
 * suspend, so each is its sync counterpart plus the inside-a-task check. */
#include "internal.h"

cx_manager cx__async_manager(cx_manager m)
{
    cx__async_task("cx_async_with");
    return m;
}

cx_manager cx_asynccontextmanager(cx_gen_fn *fn, void *arg)
{
    cx__async_task("cx_asynccontextmanager");
    return cx_contextmanager(fn, arg);
}

cx_gen *cx_agen_new(cx_gen_fn *fn, void *arg)
{
    cx__async_task("cx_agen_new");
    return cx_gen_new(fn, arg);
}

bool cx_anext(cx_gen *g, void **out)
{
    cx__async_task("cx_anext");
    return cx_gen_next(g, out);
}

void cx_aclose(cx_gen *g)
{
    cx__async_task("cx_aclose");
    cx_gen_close(g);
}

static void aclose_obj(void *g) { cx_aclose(g); }

cx_manager cx_aclosing(cx_gen *g)
{
    cx__async_task("cx_aclosing");
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
    return cx_exitstack_enter(s, m);
}

void cx_async_exitstack_push_async_exit(cx_exitstack *s,
                                        bool (*exit)(void *arg, cx_error *err), void *arg)
{
    cx__async_task("cx_async_exitstack_push_async_exit");
    cx_exitstack_push(s, exit, arg);
}

void cx_async_exitstack_push_async_callback(cx_exitstack *s, void (*fn)(void *arg), void *arg)
{
    cx__async_task("cx_async_exitstack_push_async_callback");
    cx_exitstack_callback(s, fn, arg);
}

void cx_async_exitstack_aclose(cx_exitstack *s)
{
    cx__async_task("cx_async_exitstack_aclose");
    cx_exitstack_close(s);
}
