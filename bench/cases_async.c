/* The cx side of the async cases: tasks on cx-async's libuv loop.  Built
 * only when the cx_async target exists (cmake/bench.cmake). */
#include <stdio.h>
#include <stdlib.h>

#include <cx/async.h>

#include "bench.h"
#include "managers.h"

/* Runs main_fn(arg) as the first task of a new loop.  A failure is printed
 * and reported to the driver, which then shows the row as failed. */
static void run(void (*main_fn)(void *), void *arg)
{
    cx_error *e = cx_run(main_fn, arg);
    if (e) {
        static char why[256];
        cx_error_print(e, stderr);
        snprintf(why, sizeof why, "failed (%s: %s)", cx_error_type(e)->name,
                 cx_error_message(e));
        bench_failure = why;
        cx_error_unref(e);
    }
}

/* @asynccontextmanager async def trivial_acm(): yield 1 */
static void trivial_acm(cx_gen *g, void *arg) { cx_yield(g, arg); }

/* ---- async_with_acm: async with over an async generator manager, in a task ---- */

static void with_acm_main(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++)
        cx_async_with (void *v, cx_asynccontextmanager(trivial_acm, arg))
            bench_touch(v);
}

void cx_async_with_acm(long n) { run(with_acm_main, &n); }

/* ---- task_spawn_await: await create_task(nop()) ---- */

static void nop_task(void *arg) { bench_touch(arg); }

static void spawn_main(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++)
        cx_await_task(cx_spawn(nop_task, arg));
}

void cx_task_spawn_await(long n) { run(spawn_main, &n); }

/* ---- tasks_100k: n tasks at once, each an async with around a 10 ms sleep ---- */

/* The async with is over a class-based manager (enter/exit do nothing), on
 * both sides: async_with_acm measures generator managers. */
static void one_task(void *arg)
{
    (void)arg;
    cx_async_with (cx_manager_make(&bench_nop_type, NULL, 0))
        cx_sleep(0.010);
}

static void many_main(void *arg)
{
    long n = *(long *)arg;
    cx_task **tasks = malloc((size_t)n * sizeof *tasks);
    if (!tasks)
        cx_raise(&cx_MemoryError, "tasks_100k: no memory for %ld tasks", n);
    for (long i = 0; i < n; i++)
        tasks[i] = cx_spawn(one_task, NULL);
    for (long i = 0; i < n; i++)
        cx_await_task(tasks[i]);
    free(tasks);
}

void cx_tasks_many(long n) { run(many_main, &n); }
