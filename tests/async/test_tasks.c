/* Tasks on a real libuv loop: running, spawning, awaiting, sleeping, and
 * cancellation raised at the suspension point. */
#include <math.h>
#include <sys/wait.h>
#include <time.h>

#include <cx/async.h>

#include "harness.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nothing(void *arg) { (void)arg; }

/* libuv opens process-wide descriptors (its signal lock pipe) the first
 * time a loop is made: made here, before the harness counts descriptors. */
__attribute__((constructor)) static void warm_up_libuv(void)
{
    cx_error_unref(cx_run(nothing, NULL));
}

static void set_flag(void *arg) { *(int *)arg = 1; }

TEST(run_returns_null_when_main_finishes)
{
    int ran = 0;
    cx_error *e = cx_run(set_flag, &ran);
    CHECK(e == NULL);
    CHECK_EQ(ran, 1);
}

static void raise_value(void *arg)
{
    (void)arg;
    cx_raise(&cx_ValueError, "bad value");
}

TEST(run_returns_the_error_main_raised)
{
    cx_error *e = cx_run(raise_value, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "bad value");
    cx_error_unref(e);
}

static void nested_run(void *arg)
{
    (void)arg;
    cx_error *e = cx_run(nothing, NULL);
    cx_error_unref(e);
}

TEST(run_inside_a_running_loop_raises_runtime_error)
{
    cx_error *e = cx_run(nested_run, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

static void spawn_outside(void *arg)
{
    (void)arg;
    cx_spawn(nothing, NULL);
}

TEST(spawn_outside_a_task_raises_runtime_error)
{
    cx_error *e = cx_protect(spawn_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

static void sleep_outside(void *arg)
{
    (void)arg;
    cx_sleep(0.01);
}

TEST(sleep_outside_a_task_raises_runtime_error)
{
    cx_error *e = cx_protect(sleep_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

static void sleep_50ms(void *arg)
{
    double t0 = now_s();
    cx_sleep(0.05);
    *(double *)arg = now_s() - t0;
}

TEST(sleep_suspends_for_at_least_the_given_time)
{
    double took = 0;
    cx_error *e = cx_run(sleep_50ms, &took);
    CHECK(e == NULL);
    CHECK(took >= 0.05);
    CHECK(took < 1.0);
}

static void sleeper_100ms(void *arg)
{
    (void)arg;
    cx_sleep(0.1);
}

#define SLEEPERS 20

/* How many sleepers are inside cx_sleep now, and the most there were at
 * once: tasks share one thread, so plain ints do. */
static int asleep, peak_asleep;

static void counted_sleeper_100ms(void *arg)
{
    (void)arg;
    if (++asleep > peak_asleep)
        peak_asleep = asleep;
    cx_sleep(0.1);
    asleep--;
}

static void many_sleepers(void *arg)
{
    cx_task *t[SLEEPERS];
    double t0 = now_s();
    for (int i = 0; i < SLEEPERS; i++)
        t[i] = cx_spawn(counted_sleeper_100ms, NULL);
    for (int i = 0; i < SLEEPERS; i++)
        cx_await_task(t[i]);
    *(double *)arg = now_s() - t0;
}

TEST(sleeping_tasks_run_concurrently)
{
    double took = 0;
    asleep = peak_asleep = 0;
    cx_error *e = cx_run(many_sleepers, &took);
    CHECK(e == NULL);
    /* The clock-free proof: every sleeper was asleep at the same time (a
     * sleep that blocked the loop would let only one in at once). */
    CHECK_EQ(peak_asleep, SLEEPERS);
    CHECK(took >= 0.1);
    /* Loose enough for a loaded machine: sequential sleeps would take 2 s. */
    CHECK(took < SLEEPERS * 0.1);
}

static void append_a(void *arg)
{
    (void)arg;
    th_log("a1");
    cx_sleep(0);
    th_log("a2");
}

static void append_b(void *arg)
{
    (void)arg;
    th_log("b1");
    cx_sleep(0);
    th_log("b2");
}

static void interleave(void *arg)
{
    (void)arg;
    cx_task *a = cx_spawn(append_a, NULL);
    cx_task *b = cx_spawn(append_b, NULL);
    th_log("main");
    cx_await_task(a);
    cx_await_task(b);
}

TEST(sleep_zero_lets_the_other_ready_tasks_run)
{
    cx_error *e = cx_run(interleave, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "main a1 b1 a2 b2");
}

static void fail_later(void *arg)
{
    (void)arg;
    cx_sleep(0.01);
    cx_raise(&cx_KeyError, "missing");
}

static void await_failing(void *arg)
{
    cx_task *t = cx_spawn(fail_later, NULL);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_KeyError, e) {
        *(int *)arg = 1;
    }
}

TEST(await_raises_what_the_task_raised)
{
    int caught = 0;
    cx_error *e = cx_run(await_failing, &caught);
    CHECK(e == NULL);
    CHECK_EQ(caught, 1);
}

static void compute(void *arg)
{
    cx_sleep(0.001);
    *(int *)arg = 42;
}

static void await_result(void *arg)
{
    cx_task *t = cx_spawn(compute, arg);
    cx_await_task(t);
}

TEST(await_returns_after_the_task_finished)
{
    int v = 0;
    cx_error *e = cx_run(await_result, &v);
    CHECK(e == NULL);
    CHECK_EQ(v, 42);
}

static void await_self(void *arg)
{
    (void)arg;
    cx_await_task(cx_current_task());
}

TEST(await_on_itself_raises_runtime_error)
{
    cx_error *e = cx_run(await_self, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

static void log_exit(void *arg)
{
    th_log("exit:%s", (const char *)arg);
}

static void sleep_long_in_scope(void *arg)
{
    (void)arg;
    cx_scope {
        cx_defer(log_exit, "defer");
        cx_try {
            cx_sleep(10);
            th_log("not-reached");
        } cx_finally {
            th_log("finally");
        }
    }
}

static void cancel_sleeper(void *arg)
{
    cx_task *t = cx_spawn(sleep_long_in_scope, NULL);
    cx_sleep(0.01);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_CancelledError, e) {
        *(int *)arg = 1;
    }
}

TEST(cancel_raises_cancelled_error_at_the_suspension_point_and_runs_cleanups)
{
    int cancelled = 0;
    double t0 = now_s();
    cx_error *e = cx_run(cancel_sleeper, &cancelled);
    CHECK(e == NULL);
    CHECK_EQ(cancelled, 1);
    CHECK_STR(th_trace, "finally exit:defer");
    CHECK(now_s() - t0 < 5);
}

static void never_runs(void *arg)
{
    (void)arg;
    th_log("ran");
}

static void cancel_before_start(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(never_runs, NULL);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_CancelledError, e) {
        th_log("cancelled");
    }
}

TEST(cancel_before_the_task_starts_means_it_never_runs)
{
    cx_error *e = cx_run(cancel_before_start, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "cancelled");
}

static void catch_cancel_and_go_on(void *arg)
{
    (void)arg;
    cx_try {
        cx_sleep(10);
    } cx_except (&cx_CancelledError, e) {
        th_log("caught");
    }
    cx_sleep(0.001); /* a task may go on after catching it */
    th_log("after");
}

static void cancel_caught(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(catch_cancel_and_go_on, NULL);
    cx_sleep(0.005);
    cx_task_cancel(t);
    cx_await_task(t);
    th_log("awaited");
}

TEST(a_task_that_catches_cancelled_error_continues)
{
    cx_error *e = cx_run(cancel_caught, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "caught after awaited");
}

static void cancel_finished(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_sleep(0.001);
    CHECK(cx_task_done(t));
    cx_task_cancel(t);
    cx_await_task(t); /* finished normally: no error */
}

TEST(cancel_of_a_finished_task_has_no_effect)
{
    cx_error *e = cx_run(cancel_finished, NULL);
    CHECK(e == NULL);
}

static void self_cancel(void *arg)
{
    (void)arg;
    cx_task_cancel(cx_current_task());
    th_log("still-running");
    cx_sleep(0);
    th_log("not-reached");
}

TEST(cancel_of_the_running_task_raises_at_its_next_suspension)
{
    cx_error *e = cx_run(self_cancel, NULL);
    CHECK(cx_error_is(e, &cx_CancelledError));
    CHECK_STR(th_trace, "still-running");
    cx_error_unref(e);
}

static void waiter_task(void *arg)
{
    cx_await_task(arg);
}

static void cancel_awaiter(void *arg)
{
    (void)arg;
    cx_task *inner = cx_spawn(sleep_long_in_scope, NULL);
    cx_task *outer = cx_spawn(waiter_task, inner);
    cx_sleep(0.01);
    cx_task_cancel(outer);
    cx_try {
        cx_await_task(outer);
    } cx_except (&cx_CancelledError, e) {
        th_log("outer-cancelled");
    }
    cx_sleep(0.01);
}

TEST(cancelling_an_awaiting_task_cancels_the_awaited_one)
{
    cx_error *e = cx_run(cancel_awaiter, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "finally exit:defer outer-cancelled"); /* the awaited task ran its cleanups */
}

static void forever(void *arg)
{
    (void)arg;
    cx_try {
        cx_sleep(1e6);
    } cx_finally {
        th_log("cleanup");
    }
}

static void leave_running(void *arg)
{
    (void)arg;
    cx_spawn(forever, NULL);
    cx_sleep(0.001);
}

TEST(run_cancels_the_tasks_main_left_running)
{
    double t0 = now_s();
    cx_error *e = cx_run(leave_running, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "cleanup");
    CHECK(now_s() - t0 < 5);
}

static void fail_silently(void *arg)
{
    (void)arg;
    cx_raise(&cx_IndexError, "nobody saw this");
}

static void spawn_and_forget(void *arg)
{
    (void)arg;
    cx_spawn(fail_silently, NULL);
    cx_sleep(0.001);
}

static void run_forgetful(void *arg)
{
    (void)arg;
    cx_error *e = cx_run(spawn_and_forget, NULL);
    exit(e ? 3 : 0);
}

TEST(run_reports_a_failed_task_nobody_awaited)
{
    char *err = NULL;
    int status = th_run_child(run_forgetful, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(err, "task exception was never retrieved") != NULL);
    CHECK(strstr(err, "IndexError: nobody saw this") != NULL);
    free(err);
}

static void sleep_nan(void *arg)
{
    (void)arg;
    cx_sleep(NAN);
}

TEST(sleep_with_nan_raises_value_error)
{
    cx_error *e = cx_run(sleep_nan, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

static void wait_for_nothing(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(waiter_task, cx_current_task());
    cx_await_task(t); /* t awaits us, we await t */
}

TEST(run_reports_a_deadlock_as_runtime_error)
{
    cx_error *e = cx_run(wait_for_nothing, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(strstr(cx_error_message(e), "deadlock") != NULL);
    cx_error_unref(e);
}

static const cx_type *seen_by_main_awaiter;

static void await_main(void *arg)
{
    cx_try {
        cx_await_task(arg);
    } cx_except_any (e) {
        seen_by_main_awaiter = cx_error_type(e);
    }
}

static void main_fails_while_awaited(void *arg)
{
    (void)arg;
    cx_spawn(await_main, cx_current_task());
    cx_sleep(0.001);
    cx_raise(&cx_ValueError, "main failed");
}

/* The awaiter gets main's error, and main's task stays cx_run's to free:
 * freed by the awaiter, its error was released twice. */
TEST(a_task_awaiting_the_main_task_leaves_its_error_to_cx_run)
{
    seen_by_main_awaiter = NULL;
    cx_error *e = cx_run(main_fails_while_awaited, NULL);
    CHECK(seen_by_main_awaiter == &cx_ValueError);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "main failed");
    cx_error_unref(e);
}

static void run_twice_main(void *arg)
{
    (*(int *)arg)++;
    cx_sleep(0.001);
}

TEST(run_can_run_again_after_a_loop_ended)
{
    int n = 0;
    CHECK(cx_run(run_twice_main, &n) == NULL);
    CHECK(cx_run(run_twice_main, &n) == NULL);
    CHECK_EQ(n, 2);
}

static void spawn_null(void *arg)
{
    (void)arg;
    cx_spawn(NULL, NULL);
}

TEST(spawn_of_a_null_function_raises_value_error)
{
    cx_error *e = cx_run(spawn_null, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

static void await_twice_waiter(void *arg)
{
    cx_try {
        cx_await_task(arg);
    } cx_except (&cx_RuntimeError, e) {
        th_log("second-awaiter-refused");
    }
}

static void await_from_two(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(sleeper_100ms, NULL);
    cx_task *other = cx_spawn(await_twice_waiter, t);
    cx_sleep(0.01); /* other is waiting on t by now */
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_RuntimeError, e) {
        th_log("main-refused");
    }
    cx_await_task(other);
}

TEST(await_on_a_task_another_task_awaits_raises_runtime_error)
{
    cx_error *e = cx_run(await_from_two, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "main-refused");
}

/* ---- the deadline queue and the ready rounds (the scheduler's fast paths) ---- */

/* Each sleeper sleeps until `deadline_base` + its ms, a time fixed before
 * any of them was spawned: however late a slow machine (Valgrind) starts a
 * task, its deadline is the one the test names.  The base lies a margin in
 * the future so that every deadline is still ahead when its task starts: a
 * task started past its deadline would sleep 0, which takes the ready queue
 * instead of the deadline queue and logs out of order. */
#define DEADLINE_MARGIN_S 0.3
static double deadline_base;

static void sleep_then_log(void *arg)
{
    int ms = *(int *)arg;
    cx_try {
        double left = deadline_base + ms / 1000.0 - now_s();
        cx_sleep(left > 0 ? left : 0);
        th_log("%d", ms);
    } cx_except (&cx_CancelledError, e) {
        th_log("cancelled-%d", ms);
    }
}

static void sleeps_in_mixed_order(void *arg)
{
    (void)arg;
    static int ms[] = {100, 20, 60, 40, 80, 120};
    cx_task *t[6];
    deadline_base = now_s() + DEADLINE_MARGIN_S;
    for (int i = 0; i < 6; i++)
        t[i] = cx_spawn(sleep_then_log, &ms[i]);
    for (int i = 0; i < 6; i++)
        cx_await_task(t[i]);
}

TEST(sleeps_end_in_deadline_order_whatever_order_they_began_in)
{
    cx_error *e = cx_run(sleeps_in_mixed_order, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "20 40 60 80 100 120");
}

static void cancel_a_middle_sleeper(void *arg)
{
    (void)arg;
    static int ms[] = {20, 40, 60, 80, 100};
    cx_task *t[5];
    deadline_base = now_s() + DEADLINE_MARGIN_S;
    for (int i = 0; i < 5; i++)
        t[i] = cx_spawn(sleep_then_log, &ms[i]);
    cx_sleep(0); /* every one is asleep */
    cx_task_cancel(t[2]);
    for (int i = 0; i < 5; i++)
        cx_await_task(t[i]);
}

TEST(cancelling_one_sleep_leaves_the_other_sleeps_in_order)
{
    cx_error *e = cx_run(cancel_a_middle_sleeper, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "cancelled-60 20 40 80 100");
}

static void spin_until_set(void *arg)
{
    volatile int *flag = arg;
    while (!*flag)
        cx_sleep(0);
}

static void set_after_sleep(void *arg)
{
    cx_sleep(0.01);
    *(volatile int *)arg = 1;
}

static void spinner_and_sleeper(void *arg)
{
    int flag = 0;
    double t0 = now_s();
    cx_task *spinner = cx_spawn(spin_until_set, &flag);
    cx_task *sleeper = cx_spawn(set_after_sleep, &flag);
    cx_await_task(sleeper);
    cx_await_task(spinner);
    *(double *)arg = now_s() - t0;
}

TEST(a_task_looping_on_sleep_zero_does_not_starve_a_timer)
{
    double took = 0;
    cx_error *e = cx_run(spinner_and_sleeper, &took);
    CHECK(e == NULL);
    CHECK(took >= 0.01);
    CHECK(took < 1.0);
}

enum { RING_TASKS = 129 };
static int ring_woken[RING_TASKS], ring_nwoken, ring_ncancelled;

static void ring_sleeper(void *arg)
{
    int i = (int)(intptr_t)arg;
    cx_try {
        cx_sleep(0.02 + i * 1e-4);
        ring_woken[ring_nwoken++] = i;
    } cx_except (&cx_CancelledError, e) {
        ring_ncancelled++;
    }
}

/* 128 sleeps in deadline order fill the queue; most are cancelled (holes
 * in it), then one more arrives and the queue is compacted. */
static void fill_cancel_and_add(void *arg)
{
    (void)arg;
    cx_task *t[RING_TASKS];
    for (int i = 0; i < RING_TASKS - 1; i++)
        t[i] = cx_spawn(ring_sleeper, (void *)(intptr_t)i);
    cx_sleep(0);
    for (int i = 1; i <= 100; i++)
        cx_task_cancel(t[i]);
    cx_sleep(0);
    t[RING_TASKS - 1] = cx_spawn(ring_sleeper, (void *)(intptr_t)(RING_TASKS + 200));
    for (int i = 0; i < RING_TASKS; i++)
        cx_await_task(t[i]);
}

TEST(sleeps_left_after_many_cancellations_still_end_in_deadline_order)
{
    cx_error *e = cx_run(fill_cancel_and_add, NULL);
    CHECK(e == NULL);
    CHECK_EQ(ring_ncancelled, 100);
    CHECK_EQ(ring_nwoken, RING_TASKS - 100);
    for (int i = 1; i < ring_nwoken; i++)
        CHECK(ring_woken[i - 1] < ring_woken[i]);
}

/* The ready queue: a task cancelled while it waits there, whether it never
 * ran (next in line after its canceller) or yielded (cx_sleep(0)). */
typedef struct {
    cx_task *victim;
    int steps;
} queued_victim;

static void step_yield_step(void *arg)
{
    queued_victim *q = arg;
    q->steps++;
    cx_sleep(0);
    q->steps++;
}

static void cancel_victim(void *arg)
{
    queued_victim *q = arg;
    cx_task_cancel(q->victim);
}

static void await_cancelled_victim(queued_victim *q)
{
    cx_try {
        cx_await_task(q->victim);
        th_log("not-cancelled");
    } cx_except (&cx_CancelledError, e) {
        th_log("cancelled:%d", q->steps);
    }
}

static void cancel_next_in_line(void *arg)
{
    (void)arg;
    queued_victim q = {0};
    cx_task *canceller = cx_spawn(cancel_victim, &q);
    q.victim = cx_spawn(step_yield_step, &q); /* queued right behind the canceller */
    cx_await_task(canceller);
    await_cancelled_victim(&q);
}

TEST(cancel_of_the_task_next_in_the_ready_queue_means_it_never_runs)
{
    CHECK(cx_run(cancel_next_in_line, NULL) == NULL);
    CHECK_STR(th_trace, "cancelled:0");
}

static void cancel_yielded(void *arg)
{
    (void)arg;
    queued_victim q = {0};
    q.victim = cx_spawn(step_yield_step, &q);
    cx_task *canceller = cx_spawn(cancel_victim, &q); /* runs while the victim is queued */
    cx_await_task(canceller);
    await_cancelled_victim(&q);
}

TEST(cancel_of_a_task_queued_by_its_sleep_zero_raises_cancelled_error_there)
{
    CHECK(cx_run(cancel_yielded, NULL) == NULL);
    CHECK_STR(th_trace, "cancelled:1");
}
