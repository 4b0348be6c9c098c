/* Tasks nobody awaits: cx_task_detach and cx_taskgroup_start free each task
 * as soon as it ends, report (detach) or collect (group) its error, and
 * leave every kept handle stale. */
#include <stdint.h>
#include <sys/wait.h>

#include <cx/async.h>

#include "harness.h"
#include "stale.h"

static void napping(void *arg) { cx_sleep(0.01); ++*(int *)arg; }
static void fails(void *arg) { (void)arg; cx_raise(&cx_KeyError, "lost key"); }
static void detach_it(void *t) { cx_task_detach(t); }

/* Counts the occurrences of needle in hay. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- cx_task_detach ---- */

static void detach_running(void *arg)
{
    int *ran = arg;
    cx_task *t = cx_spawn(napping, ran);
    cx_task_detach(t);
    CHECK(!cx_task_done(t)); /* still running: the handle works until it is freed */
    cx_sleep(0.05);
    CHECK_EQ(*ran, 1);
    check_stale(cx_protect(done_it, t), "cx_task_done");
}

TEST(task_detached_runs_to_its_end_and_is_freed_then)
{
    int ran = 0;
    CHECK(cx_run(detach_running, &ran) == NULL);
    CHECK_EQ(ran, 1);
}

static void detach_ended(void *arg)
{
    int *ran = arg;
    cx_task *t = cx_spawn(count, ran);
    cx_sleep(0);
    CHECK(cx_task_done(t));
    cx_task_detach(t); /* freed here */
    check_stale(cx_protect(done_it, t), "cx_task_done");
}

TEST(task_detach_of_an_ended_task_frees_it_at_once)
{
    int ran = 0;
    CHECK(cx_run(detach_ended, &ran) == NULL);
    CHECK_EQ(ran, 1);
}

static void detach_twice(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(napping, &(int){0});
    cx_task_detach(t);
    check_stale(cx_protect(detach_it, t), "cx_task_detach");
}

TEST(task_detach_twice_raises_value_error_naming_a_stale_handle)
{
    CHECK(cx_run(detach_twice, NULL) == NULL);
}

static void detach_fails_then_waits(void *arg)
{
    (void)arg;
    cx_task_detach(cx_spawn(fails, NULL));
    cx_sleep(0.01);
    fputs("main goes on\n", stderr);
}

static void run_detached_failure(void *arg)
{
    (void)arg;
    cx_error *e = cx_run(detach_fails_then_waits, NULL);
    exit(e ? 3 : 0);
}

TEST(task_detached_error_is_reported_once_as_never_retrieved_when_it_ends)
{
    char *err = NULL;
    int status = th_run_child(run_detached_failure, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(occurrences(err, "task exception was never retrieved"), 1);
    CHECK_EQ(occurrences(err, "lost key"), 1);
    /* reported when the task ended, not when cx_run did */
    CHECK(strstr(err, "never retrieved") < strstr(err, "main goes on"));
    free(err);
}

static void detach_then_cancel(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(napping, &(int){0});
    cx_task_detach(t);
    cx_task_cancel(t);
    cx_sleep(0.02);
}

static void run_detached_cancel(void *arg)
{
    (void)arg;
    exit(cx_run(detach_then_cancel, NULL) ? 3 : 0);
}

TEST(task_detached_and_cancelled_is_not_reported)
{
    char *err = NULL;
    int status = th_run_child(run_detached_cancel, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_STR(err, "");
    free(err);
}

static void detach_main(void *arg)
{
    (void)arg;
    cx_error *e = cx_protect(detach_it, cx_current_task());
    CHECK(e && cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "cx_task_detach: the main task belongs to cx_run");
    cx_error_unref(e);
}

TEST(task_detach_of_the_main_task_raises_runtime_error)
{
    CHECK(cx_run(detach_main, NULL) == NULL);
}

static void detach_group_task(void *arg)
{
    (void)arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_task *t = cx_taskgroup_spawn(tg, nothing, NULL);
        cx_error *e = cx_protect(detach_it, t);
        CHECK(e && cx_error_is(e, &cx_RuntimeError));
        CHECK_STR(cx_error_message(e), "cx_task_detach: the task belongs to a task group");
        cx_error_unref(e);
    }
}

TEST(task_detach_of_a_task_group_task_raises_runtime_error)
{
    CHECK(cx_run(detach_group_task, NULL) == NULL);
}


static void detach_awaited(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(napping, &(int){0});
    cx_task *awaiter = cx_spawn(await_it, t);
    cx_sleep(0);
    cx_error *e = cx_protect(detach_it, t);
    CHECK(e && cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "cx_task_detach: the task is being awaited");
    cx_error_unref(e);
    cx_await_task(awaiter);
}

TEST(task_detach_of_an_awaited_task_raises_runtime_error)
{
    CHECK(cx_run(detach_awaited, NULL) == NULL);
}

/* A task may detach itself through its own handle: it runs on, and is
 * freed at its end from the stack of whoever runs next. */
static void self_detaching(void *arg)
{
    int *steps = arg;
    ++*steps;
    cx_task_detach(cx_current_task());
    cx_sleep(0);
    ++*steps;
}

static void spawn_self_detaching(void *arg)
{
    for (int i = 0; i < 100; i++)
        cx_spawn(self_detaching, arg);
    cx_sleep(0.01);
}

TEST(task_that_detaches_itself_runs_on_and_is_freed_at_its_end)
{
    int steps = 0;
    CHECK(cx_run(spawn_self_detaching, &steps) == NULL);
    CHECK_EQ(steps, 200);
}

/* ---- stale handles never reach a later task ---- */

static cx_task *kept;

static void keep_own_handle(void *arg)
{
    (void)arg;
    kept = cx_current_task();
}


static void stale_after_reuse(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    /* Every slot the loop has is reused many times over. */
    for (int i = 0; i < 10000; i++)
        cx_task_detach(cx_spawn(nothing, NULL));
    cx_sleep(0);
    int ran = 0;
    cx_task *next = cx_spawn(count, &ran);
    check_stale(cx_protect(cancel_it, t), "cx_task_cancel");
    check_stale(cx_protect(done_it, t), "cx_task_done");
    check_stale(cx_protect(await_it, t), "cx_await_task");
    cx_await_task(next);
    CHECK_EQ(ran, 1); /* not cancelled through the stale handle */
}

TEST(task_stale_handle_is_detected_after_10000_tasks_reused_its_memory)
{
    CHECK(cx_run(stale_after_reuse, NULL) == NULL);
}

static void started_keeps_handle(void *arg)
{
    (void)arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_start(tg, keep_own_handle, NULL);
        cx_sleep(0);
        int ran = 0;
        cx_taskgroup_start(tg, count, &ran);
        check_stale(cx_protect(cancel_it, kept), "cx_task_cancel");
        cx_sleep(0);
        CHECK_EQ(ran, 1);
    }
}

TEST(task_handle_of_a_started_task_is_stale_once_it_ended)
{
    CHECK(cx_run(started_keeps_handle, NULL) == NULL);
}

static void keep_main(void *arg)
{
    (void)arg;
    kept = cx_current_task();
}

static void use_other_loops_handle(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL); /* likely the same slot as the old main */
    check_stale(cx_protect(cancel_it, kept), "cx_task_cancel");
    cx_await_task(t);
}

TEST(task_handle_of_an_ended_loop_is_stale_in_the_next_loop_and_outside_any)
{
    CHECK(cx_run(keep_main, NULL) == NULL);
    check_stale(cx_protect(done_it, kept), "cx_task_done");
    CHECK(cx_run(use_other_loops_handle, NULL) == NULL);
}

/* ---- cx_taskgroup_start ---- */

static void start_and_fail(void *arg)
{
    int *ran = arg;
    cx_error *e = NULL;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_start(tg, napping, ran);
            cx_taskgroup_start(tg, fails, NULL);
            cx_sleep(1.0); /* interrupted by the failure */
        }
    } cx_except (&cx_ExceptionGroup, eg) {
        e = cx_error_ref(eg);
    }
    CHECK(e != NULL);
    CHECK_EQ(cx_error_group_size(e), 1);
    CHECK(cx_error_is(cx_error_group_item(e, 0), &cx_KeyError));
    CHECK_STR(cx_error_message(cx_error_group_item(e, 0)), "lost key");
    cx_error_unref(e);
}

TEST(taskgroup_started_task_error_joins_the_group_and_cancels_the_rest)
{
    int ran = 0;
    CHECK(cx_run(start_and_fail, &ran) == NULL);
    CHECK_EQ(ran, 0); /* the sleeping sibling was cancelled */
}

static void start_many(void *arg)
{
    int *ran = arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        for (int i = 0; i < 1000; i++)
            cx_taskgroup_start(tg, count, ran);
    }
}

TEST(taskgroup_exit_waits_for_every_started_task)
{
    int ran = 0;
    CHECK(cx_run(start_many, &ran) == NULL);
    CHECK_EQ(ran, 1000);
}

static void start_after_failure(void *arg)
{
    (void)arg;
    cx_error *volatile e = NULL;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_start(tg, fails, NULL);
            cx_try {
                cx_sleep(1.0);
            } cx_except (&cx_CancelledError, c) {
                (void)c;
                cx_try {
                    cx_taskgroup_start(tg, nothing, NULL);
                } cx_except (&cx_RuntimeError, r) {
                    e = cx_error_ref(r);
                }
                cx_reraise();
            }
        }
    } cx_except (&cx_ExceptionGroup, eg) {
        (void)eg;
    }
    CHECK(e != NULL);
    CHECK_STR(cx_error_message(e), "cx_taskgroup_start: the task group is shutting down");
    cx_error_unref(e);
}

TEST(taskgroup_start_into_a_group_shutting_down_raises_runtime_error)
{
    CHECK(cx_run(start_after_failure, NULL) == NULL);
}

/* ---- memory stays flat ---- */


enum { FLAT_TASKS = 100000, FLAT_BATCH = 1000 };

typedef struct {
    int ran;
    long rss_warm, rss_end;
    bool group;
} flat_run;

static void spawn_batch(flat_run *r, cx_taskgroup *tg)
{
    for (int i = 0; i < FLAT_BATCH; i++) {
        if (tg)
            cx_taskgroup_start(tg, count, &r->ran);
        else
            cx_task_detach(cx_spawn(count, &r->ran));
    }
    cx_sleep(0); /* they run and end */
}

static void flat_body(flat_run *r, cx_taskgroup *tg)
{
    for (int b = 0; b < FLAT_TASKS / FLAT_BATCH; b++) {
        spawn_batch(r, tg);
        if (b == 9)
            r->rss_warm = th_status_kib("VmRSS");
    }
    r->rss_end = th_status_kib("VmRSS");
}

static void flat_main(void *arg)
{
    flat_run *r = arg;
    if (r->group) {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new())
            flat_body(r, tg);
    } else {
        flat_body(r, NULL);
    }
}

static void check_flat(flat_run *r, const char *what)
{
    CHECK(cx_run(flat_main, r) == NULL);
    CHECK_EQ(r->ran, FLAT_TASKS);
    fprintf(stderr, "%s: VmRSS %ld KiB after %d tasks, %ld KiB after %d (%+ld KiB)\n", what,
            r->rss_warm, 10 * FLAT_BATCH, r->rss_end, FLAT_TASKS, r->rss_end - r->rss_warm);
    /* Kept, they would take about 4 KiB each: 360 MiB. */
    if (!TH_HEAVY_MAPPING_SKIPPED())
        CHECK(r->rss_end - r->rss_warm < 2048);
}

TEST(scale_100000_detached_tasks_leave_resident_memory_flat)
{
    flat_run r = {.group = false};
    check_flat(&r, "detached");
}

TEST(scale_100000_tasks_started_in_one_group_leave_resident_memory_flat)
{
    flat_run r = {.group = true};
    check_flat(&r, "cx_taskgroup_start");
}

/* Last-freed-first: the task spawned right after a detached one ended takes
 * its slot, every time; the old handle never reaches it. */
static void reuse_after_detach(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        cx_task *old = cx_spawn(nothing, NULL);
        cx_task_detach(old);
        cx_sleep(0); /* old ends and is freed */
        int ran = 0;
        cx_task *next = cx_spawn(count, &ran);
        check_stale(cx_protect(cancel_it, old), "cx_task_cancel");
        check_stale(cx_protect(done_it, old), "cx_task_done");
        check_stale(cx_protect(await_it, old), "cx_await_task");
        check_stale(cx_protect(detach_it, old), "cx_task_detach");
        CHECK(!cx_task_done(next));
        cx_await_task(next);
        CHECK_EQ(ran, 1);
    }
}

TEST(task_detached_handle_stays_stale_while_its_slot_is_reused_1000_times)
{
    CHECK(cx_run(reuse_after_detach, NULL) == NULL);
}
