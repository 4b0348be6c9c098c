/* Task handles kept after the task was released: each use raises
 * cx_ValueError instead of acting on the task that reuses the memory. */
#include <stdint.h>

#include <cx/async.h>

#include "harness.h"

static void nothing(void *arg) { (void)arg; }
static void count(void *arg) { ++*(int *)arg; }

static void await_it(void *t) { cx_await_task(t); }
static void cancel_it(void *t) { cx_task_cancel(t); }
static void done_it(void *t) { (void)cx_task_done(t); }

static void check_stale(cx_error *e, const char *what)
{
    CHECK(e && cx_error_is(e, &cx_ValueError));
    char want[128];
    snprintf(want, sizeof want, "%s: stale task handle (the task was released)", what);
    CHECK_STR(cx_error_message(e), want);
    cx_error_unref(e);
}

static void await_twice(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    check_stale(cx_protect(await_it, t), "cx_await_task");
}

TEST(task_await_of_a_released_handle_raises_value_error)
{
    CHECK(cx_run(await_twice, NULL) == NULL);
}

static void cancel_after_release(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    int ran = 0;
    cx_task *next = cx_spawn(count, &ran); /* may take the released memory */
    check_stale(cx_protect(cancel_it, t), "cx_task_cancel");
    cx_await_task(next);
    CHECK_EQ(ran, 1); /* not cancelled through the stale handle */
}

TEST(task_cancel_of_a_released_handle_raises_value_error_and_spares_the_next_task)
{
    CHECK(cx_run(cancel_after_release, NULL) == NULL);
}

static void done_after_release(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    check_stale(cx_protect(done_it, t), "cx_task_done");
}

TEST(task_done_of_a_released_handle_raises_value_error)
{
    CHECK(cx_run(done_after_release, NULL) == NULL);
}

static void many_after_release(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    for (int i = 0; i < 7; i++)
        cx_await_task(cx_spawn(nothing, NULL));
    check_stale(cx_protect(cancel_it, t), "cx_task_cancel");
}

TEST(task_stale_handle_is_detected_while_7_more_tasks_are_released)
{
    CHECK(cx_run(many_after_release, NULL) == NULL);
}

static void set_task_stack(void *bytes) { cx_async_set_stack_size((size_t)(uintptr_t)bytes); }

TEST(task_stack_size_of_size_max_raises_value_error)
{
    size_t before = cx_async_stack_size();
    cx_error *e = cx_protect(set_task_stack, (void *)(uintptr_t)SIZE_MAX);
    CHECK(e && cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
    CHECK_EQ(cx_async_stack_size(), before);
}
