/* Task groups (asyncio.TaskGroup) and timeouts (asyncio.timeout). */
#include <math.h>
#include <time.h>

#include <cx/async.h>

#include "harness.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_then_log(void *arg)
{
    cx_sleep(0.001 * (double)(long)arg);
    th_log("done:%ld", (long)arg);
}

static void group_waits(void *arg)
{
    (void)arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_spawn(tg, sleep_then_log, (void *)200L);
        cx_taskgroup_spawn(tg, sleep_then_log, (void *)5L);
        th_log("body-end");
    }
    th_log("after");
}

TEST(taskgroup_exit_waits_for_every_task)
{
    cx_error *e = cx_run(group_waits, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "body-end done:5 done:200 after");
}

static void fail_after(void *arg)
{
    cx_sleep(0.001 * (double)(long)arg);
    cx_raise(&cx_ValueError, "failed after %ld ms", (long)arg);
}

static void slow_sibling(void *arg)
{
    (void)arg;
    cx_try {
        cx_sleep(10);
    } cx_except (&cx_CancelledError, e) {
        th_log("sibling-cancelled");
        cx_reraise();
    }
}

static void group_fails(void *arg)
{
    cx_error **out = arg;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_spawn(tg, slow_sibling, NULL);
            cx_taskgroup_spawn(tg, fail_after, (void *)5L);
        }
    } cx_except (&cx_ExceptionGroup, e) {
        *out = cx_error_ref(e);
    }
}

TEST(taskgroup_first_failure_cancels_the_siblings)
{
    cx_error *eg = NULL;
    double t0 = now_s();
    cx_error *e = cx_run(group_fails, &eg);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "sibling-cancelled");
    CHECK(now_s() - t0 < 5);
    cx_error_unref(eg);
}

TEST(taskgroup_failure_is_raised_as_an_exception_group_holding_it)
{
    cx_error *eg = NULL;
    cx_error *e = cx_run(group_fails, &eg);
    CHECK(e == NULL);
    CHECK(cx_error_is(eg, &cx_ExceptionGroup));
    CHECK(cx_error_is(eg, &cx_Exception));
    CHECK_EQ(cx_error_group_size(eg), 1);
    CHECK(cx_error_is(cx_error_group_item(eg, 0), &cx_ValueError));
    CHECK_STR(cx_error_message(cx_error_group_item(eg, 0)), "failed after 5 ms");
    CHECK(cx_error_group_item(eg, 1) == NULL);
    cx_error_unref(eg);
}

static void fail_now(void *arg)
{
    cx_raise(&cx_KeyError, "%s", (const char *)arg);
}

/* Fails in its turn when cancelled: a second error for the group. */
static void fail_when_cancelled(void *arg)
{
    cx_try {
        cx_sleep(10);
    } cx_except (&cx_CancelledError, e) {
        cx_raise(&cx_KeyError, "%s", (const char *)arg);
    }
}

static void group_two_failures(void *arg)
{
    cx_error **out = arg;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_spawn(tg, fail_when_cancelled, "two");
            cx_sleep(0.001);
            cx_taskgroup_spawn(tg, fail_now, "one");
        }
    } cx_except (&cx_ExceptionGroup, e) {
        *out = cx_error_ref(e);
    }
}

TEST(taskgroup_errors_of_several_tasks_are_raised_together)
{
    cx_error *eg = NULL;
    cx_error *e = cx_run(group_two_failures, &eg);
    CHECK(e == NULL);
    CHECK_EQ(cx_error_group_size(eg), 2);
    CHECK_STR(cx_error_message(cx_error_group_item(eg, 0)), "one");
    CHECK_STR(cx_error_message(cx_error_group_item(eg, 1)), "two");
    CHECK_STR(cx_error_message(eg), "unhandled errors in a TaskGroup (2 sub-exceptions)");
    char *text = th_printed(eg);
    CHECK(strstr(text, "KeyError: one") && strstr(text, "KeyError: two"));
    free(text);
    cx_error_unref(eg);
}

static void group_body_interrupted(void *arg)
{
    (void)arg;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_spawn(tg, fail_after, (void *)1L);
            cx_try {
                cx_sleep(10);
            } cx_except (&cx_CancelledError, e) {
                th_log("body-cancelled");
                cx_reraise();
            }
        }
    } cx_except (&cx_ExceptionGroup, e) {
        th_log("group:%zu", cx_error_group_size(e));
    }
}

TEST(taskgroup_failure_cancels_the_body_and_absorbs_that_cancellation)
{
    cx_error *e = cx_run(group_body_interrupted, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "body-cancelled group:1");
}

static void group_body_raises(void *arg)
{
    (void)arg;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_spawn(tg, slow_sibling, NULL);
            cx_sleep(0.001);
            cx_raise(&cx_IndexError, "from the body");
        }
    } cx_except (&cx_ExceptionGroup, e) {
        th_log("group:%s", cx_error_message(cx_error_group_item(e, 0)));
    }
}

TEST(taskgroup_body_error_cancels_the_tasks_and_joins_the_group)
{
    cx_error *e = cx_run(group_body_raises, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "sibling-cancelled group:from the body");
}

static void group_in_task(void *arg)
{
    (void)arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_spawn(tg, slow_sibling, NULL);
        cx_taskgroup_spawn(tg, slow_sibling, NULL);
    }
    th_log("not-reached");
}

static void cancel_group_owner(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(group_in_task, NULL);
    cx_sleep(0.01);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_CancelledError, e) {
        th_log("owner-cancelled");
    }
}

TEST(taskgroup_cancellation_of_the_enclosing_task_propagates_into_the_group)
{
    cx_error *e = cx_run(cancel_group_owner, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "sibling-cancelled sibling-cancelled owner-cancelled");
}

static void group_spawn_while_aborting(void *arg)
{
    (void)arg;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_spawn(tg, fail_now, "x");
            cx_sleep(0); /* the failure happens; the body is cancelled */
            th_log("not-reached");
        }
    } cx_except (&cx_ExceptionGroup, e) {
        th_log("group");
    }
}

TEST(taskgroup_body_cancelled_by_a_failure_never_continues)
{
    cx_error *e = cx_run(group_spawn_while_aborting, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "group");
}

static void spawn_while_shutting_down(void *arg)
{
    (void)arg;
    cx_try {
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_spawn(tg, fail_now, "x");
            cx_try {
                cx_sleep(1);
            } cx_except (&cx_CancelledError, e) {
                cx_try {
                    cx_taskgroup_spawn(tg, fail_now, "late");
                } cx_except (&cx_RuntimeError, e2) {
                    th_log("refused");
                }
                cx_reraise();
            }
        }
    } cx_except (&cx_ExceptionGroup, e) {
        th_log("group:%zu", cx_error_group_size(e));
    }
}

TEST(taskgroup_spawn_while_shutting_down_after_a_failure_raises_runtime_error)
{
    cx_error *e = cx_run(spawn_while_shutting_down, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "refused group:1");
}

static void await_group_task(void *arg)
{
    (void)arg;
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_task *t = cx_taskgroup_spawn(tg, sleep_then_log, (void *)1L);
        cx_await_task(t);
        th_log("awaited:%d", cx_task_done(t));
    }
}

TEST(taskgroup_task_may_be_awaited_inside_the_group)
{
    cx_error *e = cx_run(await_group_task, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "done:1 awaited:1");
}

/* ---- timeouts ---- */

static void timeout_expires(void *arg)
{
    (void)arg;
    double t0 = now_s();
    cx_try {
        cx_async_with (cx_timeout(0.02)) {
            cx_try {
                cx_sleep(10);
            } cx_finally {
                th_log("body-cleanup");
            }
        }
    } cx_except (&cx_TimeoutError, e) {
        th_log("timeout");
        CHECK(cx_error_is(cx_error_cause(e), &cx_CancelledError));
    }
    double took = now_s() - t0;
    CHECK(took >= 0.02 && took < 5);
}

TEST(timeout_cancels_the_body_and_raises_timeout_error_at_the_end)
{
    cx_error *e = cx_run(timeout_expires, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "body-cleanup timeout");
}

static void timeout_in_time(void *arg)
{
    (void)arg;
    cx_async_with (cx_timeout(1.0)) {
        cx_sleep(0.005);
        th_log("body");
    }
    cx_sleep(0.002);
    th_log("after");
}

TEST(timeout_body_that_finishes_in_time_is_untouched)
{
    cx_error *e = cx_run(timeout_in_time, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "body after");
}

static void nested_inner_first(void *arg)
{
    (void)arg;
    cx_async_with (cx_timeout(5.0)) {
        cx_try {
            cx_async_with (cx_timeout(0.01)) {
                cx_sleep(10);
            }
        } cx_except (&cx_TimeoutError, e) {
            th_log("inner");
        }
        cx_sleep(0.001);
        th_log("outer-body-goes-on");
    }
}

TEST(timeout_nested_inner_expiring_is_caught_inside_the_outer)
{
    cx_error *e = cx_run(nested_inner_first, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "inner outer-body-goes-on");
}

static void nested_outer_first(void *arg)
{
    (void)arg;
    cx_try {
        cx_async_with (cx_timeout(0.01)) {
            cx_try {
                cx_async_with (cx_timeout(5.0)) {
                    cx_sleep(10);
                }
            } cx_except (&cx_TimeoutError, e) {
                th_log("wrong:inner");
            } cx_except (&cx_CancelledError, e) {
                th_log("inner-sees-cancelled");
                cx_reraise();
            }
        }
    } cx_except (&cx_TimeoutError, e) {
        th_log("outer");
    }
}

TEST(timeout_nested_outer_expiring_passes_through_the_inner_one)
{
    cx_error *e = cx_run(nested_outer_first, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "inner-sees-cancelled outer");
}

static void timed_task(void *arg)
{
    (void)arg;
    cx_async_with (cx_timeout(5.0)) {
        cx_sleep(10);
    }
}

static void cancel_timed(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(timed_task, NULL);
    cx_sleep(0.01);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_CancelledError, e) {
        th_log("cancelled");
    } cx_except (&cx_TimeoutError, e) {
        th_log("wrong:timeout");
    }
}

TEST(timeout_lets_a_cancellation_from_elsewhere_pass_unchanged)
{
    cx_error *e = cx_run(cancel_timed, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "cancelled");
}

static void timeout_zero(void *arg)
{
    (void)arg;
    cx_try {
        cx_async_with (cx_timeout(0)) {
            th_log("runs-until-first-suspension");
            cx_sleep(1);
            th_log("not-reached");
        }
    } cx_except (&cx_TimeoutError, e) {
        th_log("timeout");
    }
}

TEST(timeout_of_zero_cancels_at_the_first_suspension)
{
    cx_error *e = cx_run(timeout_zero, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "runs-until-first-suspension timeout");
}

/* asyncio.timeout(0) call_soon()s its expiry: it runs before the task's
 * next step, so even a cx_sleep(0) (a suspension that is ready at once) is
 * where the cancellation lands. */
static void await_task(void *t) { cx_await_task(t); }

static void yield_forever(void *arg)
{
    (void)arg;
    for (;;)
        cx_sleep(0);
}

static void timeout_zero_then_yield(void *arg)
{
    int siblings = (int)(long)arg;
    cx_task *ts[4];
    for (int i = 0; i < siblings; i++)
        ts[i] = cx_spawn(yield_forever, NULL); /* ready: sleep(0) hands off to them */
    cx_try {
        cx_async_with (cx_timeout(0)) {
            th_log("runs-until-first-suspension");
            cx_sleep(0);
            th_log("not-reached");
        }
    } cx_except (&cx_TimeoutError, e) {
        th_log("timeout");
    }
    for (int i = 0; i < siblings; i++) {
        cx_task_cancel(ts[i]);
        cx_error_unref(cx_protect(await_task, ts[i]));
    }
}

TEST(timeout_of_zero_cancels_at_the_first_suspension_even_a_sleep_zero)
{
    CHECK(cx_run(timeout_zero_then_yield, (void *)0L) == NULL);
    CHECK_STR(th_trace, "runs-until-first-suspension timeout");
}

TEST(timeout_of_zero_cancels_at_a_sleep_zero_that_hands_off_to_ready_tasks)
{
    CHECK(cx_run(timeout_zero_then_yield, (void *)4L) == NULL);
    CHECK_STR(th_trace, "runs-until-first-suspension timeout");
}

static void timeout_zero_no_suspension(void *arg)
{
    (void)arg;
    cx_async_with (cx_timeout(0))
        th_log("body");
    cx_sleep(0); /* no cancellation left over */
    th_log("after");
}

TEST(timeout_of_zero_leaves_a_body_that_never_suspends_alone)
{
    CHECK(cx_run(timeout_zero_no_suspension, NULL) == NULL);
    CHECK_STR(th_trace, "body after");
}

static void timeout_infinite(void *arg)
{
    (void)arg;
    cx_async_with (cx_timeout(INFINITY)) {
        cx_sleep(0.001);
        th_log("body");
    }
}

TEST(timeout_of_infinity_never_expires)
{
    cx_error *e = cx_run(timeout_infinite, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "body");
}

static void timeout_outside(void *arg)
{
    (void)arg;
    cx_with (cx_timeout(1.0)) {
        th_log("body");
    }
}

TEST(timeout_outside_a_task_raises_runtime_error)
{
    cx_error *e = cx_protect(timeout_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void timeout_around_group(void *arg)
{
    (void)arg;
    cx_try {
        cx_async_with (cx_timeout(0.02))
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            cx_taskgroup_spawn(tg, slow_sibling, NULL);
            cx_taskgroup_spawn(tg, slow_sibling, NULL);
        }
    } cx_except (&cx_TimeoutError, e) {
        th_log("timeout");
    }
}

TEST(timeout_around_a_taskgroup_cancels_its_tasks)
{
    cx_error *e = cx_run(timeout_around_group, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "sibling-cancelled sibling-cancelled timeout");
}

static void timeout_reused(void *arg)
{
    (void)arg;
    cx_manager t = cx_timeout(0.01);
    for (int i = 0; i < 2; i++) {
        cx_try {
            cx_async_with (t) {
                cx_sleep(10);
            }
        } cx_except (&cx_TimeoutError, e) {
            th_log("timeout%d", i);
        }
    }
}

TEST(timeout_manager_value_can_be_entered_again)
{
    cx_error *e = cx_run(timeout_reused, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "timeout0 timeout1");
}

/* A task of a group (cx_taskgroup_spawn) awaited by a task outside it: the
 * group's end releases the task, and may come first (here the owner, its
 * cancellation queued before the member ends, runs before the awaiter);
 * the awaiter still sees the task's end, and never a later task that took
 * its memory. */
typedef struct {
    cx_task *owner, *member;
    int awaited;
} outside_await;

static void yield_once(void *arg) { (void)arg; cx_sleep(0); }

static void raise_key_error(void *arg) { (void)arg; cx_raise(&cx_KeyError, "a later task"); }

static void await_member(void *arg)
{
    outside_await *o = arg;
    cx_await_task(o->member);
    o->awaited = 1;
}

static void cancel_owner(void *arg) { cx_task_cancel(((outside_await *)arg)->owner); }

static void owner_of_group(void *arg)
{
    outside_await *o = arg;
    o->owner = cx_current_task();
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        o->member = cx_taskgroup_spawn(tg, yield_once, NULL);
        cx_task_detach(cx_spawn(await_member, o));
        cx_task_detach(cx_spawn(cancel_owner, o));
    }
}

static void outside_awaiter(void *arg)
{
    outside_await *o = arg;
    cx_task *owner = cx_spawn(owner_of_group, o);
    cx_error *e = cx_protect(await_task, owner);
    CHECK(e && cx_error_is(e, &cx_CancelledError));
    cx_error_unref(e);
    cx_task *later = cx_spawn(raise_key_error, NULL); /* may take the member's memory */
    cx_sleep(0.01);
    e = cx_protect(await_task, later);
    CHECK(e && cx_error_is(e, &cx_KeyError));
    cx_error_unref(e);
}

TEST(group_task_awaited_from_outside_is_seen_to_end_when_the_group_ends_first)
{
    outside_await o = {0};
    CHECK(cx_run(outside_awaiter, &o) == NULL);
    CHECK_EQ(o.awaited, 1);
}
