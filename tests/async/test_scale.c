/* 100,000 concurrent tasks, each inside an async with that sleeps 10 ms.
 * Prints the peak RSS per task, the stack size and the wall time. */
#include <time.h>

#include <cx/async.h>

#include "harness.h"

#define TASKS 100000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


typedef struct {
    long active, peak, entered, exited;
} gauge;

static void *gauge_enter(void *state)
{
    gauge *g = *(gauge **)state;
    g->entered++;
    if (++g->active > g->peak)
        g->peak = g->active;
    return g;
}

static bool gauge_exit(void *state, cx_error *err)
{
    (void)err;
    gauge *g = *(gauge **)state;
    g->active--;
    g->exited++;
    return false;
}

static const cx_manager_type gauge_type = {"gauge", gauge_enter, gauge_exit};

static void one_task(void *arg)
{
    cx_manager m = cx_manager_make(&gauge_type, &arg, sizeof arg);
    cx_async_with (m) {
        cx_sleep(0.010);
    }
}

static void spawn_all(void *arg)
{
    gauge *g = arg;
    cx_task **tasks = malloc(TASKS * sizeof *tasks);
    CHECK(tasks != NULL);
    for (int i = 0; i < TASKS; i++)
        tasks[i] = cx_spawn(one_task, g);
    for (int i = 0; i < TASKS; i++)
        cx_await_task(tasks[i]);
    free(tasks);
}

TEST(scale_100000_tasks_each_in_an_async_with_that_sleeps_complete)
{
    gauge g = {0};
    long base = th_status_kib("VmRSS");
    double t0 = now_s();
    cx_error *e = cx_run(spawn_all, &g);
    double wall = now_s() - t0;
    long peak = th_status_kib("VmHWM");
    CHECK(e == NULL);
    CHECK_EQ(g.entered, TASKS);
    CHECK_EQ(g.exited, TASKS);
    CHECK_EQ(g.peak, TASKS); /* all of them were inside the with at once */
    double per_task = (double)(peak - base) * 1024.0 / TASKS;
    printf("tasks: %d, stack size: %zu bytes (virtual, per task), "
           "peak RSS per task: %.0f bytes (%.2f KiB), wall time: %.3f s\n",
           TASKS, cx_async_stack_size(), per_task, per_task / 1024.0, wall);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(per_task <= 8192); /* the benchmark target */
#endif
}
