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

/* Task churn: tasks that end at once, some spawning and detaching more,
 * released every way there is (detached, a group's start, awaited,
 * cancelled before they ran), so that slots are freed and retaken on every
 * side of a switch.  Each task that was not cancelled runs exactly once. */
static void ends_at_once(void *arg) { (void)arg; }

static void churned(void *arg)
{
    long *ran = arg;
    ++*ran;
    if (*ran % 3 == 0)
        cx_task_detach(cx_spawn(ends_at_once, NULL));
    if (*ran % 5 == 0)
        cx_sleep(0);
}

static void await_cancelled(cx_task *t)
{
    cx_try {
        cx_await_task(t);
        CHECK(!"cancelled before it ran");
    } cx_except (&cx_CancelledError, e) {
        (void)e;
    }
}

static void churn(void *arg)
{
    long *ran = arg, n = *ran;
    *ran = 0;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        for (long i = 0; i < n; i++) {
            switch (i % 4) {
            case 0: cx_task_detach(cx_spawn(churned, ran)); break;
            case 1: cx_taskgroup_start(tg, churned, ran); break;
            case 2: cx_await_task(cx_spawn(churned, ran)); break;
            default: {
                cx_task *t = cx_spawn(churned, ran);
                cx_task_cancel(t);
                await_cancelled(t);
            }
            }
            if (i % 97 == 0)
                cx_sleep(0);
        }
    }
    cx_sleep(0); /* the last detached ones */
}

TEST(scale_100000_tasks_churned_through_every_release_each_run_once)
{
    long ran = TASKS;
    CHECK(cx_run(churn, &ran) == NULL);
    CHECK_EQ(ran, TASKS / 4 * 3);
}

/* 5,000 a loop: TSan runs it too (74 s for 20,000). */
static void churn_5000(void *arg)
{
    (void)arg;
    long ran = 5000;
    churn(&ran);
    CHECK_EQ(ran, 3750);
}

TEST(scale_run_threads_two_loops_each_churning_5000_tasks)
{
    CHECK(cx_run_threads(2, churn_5000, NULL) == NULL);
}
