/* async with, @asynccontextmanager, async generators, aclosing and
 * AsyncExitStack: managers and generators whose code suspends the task. */
#include <cx/async.h>

#include "harness.h"

/* A manager whose enter and exit both suspend. */
static void *slow_enter(void *state)
{
    cx_sleep(0.002);
    th_log("enter:%s", *(const char **)state);
    return *(void **)state;
}

static bool slow_exit(void *state, cx_error *err)
{
    cx_sleep(0.002);
    th_log("exit:%s:%s", *(const char **)state, err ? cx_error_type(err)->name : "ok");
    return false;
}

static const cx_manager_type slow_type = {"slow", slow_enter, slow_exit};

static cx_manager slow(const char *name)
{
    return cx_manager_make(&slow_type, &name, sizeof name);
}

static void with_slow(void *arg)
{
    (void)arg;
    cx_async_with (const char *name, slow("a")) {
        cx_sleep(0.001);
        th_log("body:%s", name);
    }
}

TEST(async_with_enter_and_exit_may_suspend)
{
    cx_error *e = cx_run(with_slow, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "enter:a body:a exit:a:ok");
}

static void async_with_outside(void *arg)
{
    (void)arg;
    cx_async_with (cx_nullcontext(NULL)) {
        th_log("body");
    }
}

TEST(async_with_outside_a_task_raises_runtime_error_before_enter)
{
    cx_error *e = cx_protect(async_with_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void cancel_inside_with(void *arg)
{
    (void)arg;
    cx_async_with (slow("c")) {
        cx_sleep(10);
    }
}

static void cancel_with_main(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(cancel_inside_with, NULL);
    while (!strstr(th_trace, "enter:c")) /* inside the body, however slow the machine */
        cx_sleep(0.001);
    cx_sleep(0.002);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_CancelledError, e) {
        th_log("cancelled");
    }
}

TEST(async_with_exit_sees_the_cancellation_and_may_suspend_in_it)
{
    cx_error *e = cx_run(cancel_with_main, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "enter:c exit:c:CancelledError cancelled");
}

static void acm_body(cx_gen *g, void *arg)
{
    (void)arg;
    cx_sleep(0.001);
    th_log("setup");
    cx_try {
        cx_yield(g, "resource");
    } cx_finally {
        cx_sleep(0.001);
        th_log("teardown");
    }
}

static void use_acm(void *arg)
{
    (void)arg;
    cx_async_with (const char *r, cx_asynccontextmanager(acm_body, NULL)) {
        cx_sleep(0.001);
        th_log("using:%s", r);
    }
}

TEST(asynccontextmanager_body_suspends_before_and_after_its_yield)
{
    cx_error *e = cx_run(use_acm, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "setup using:resource teardown");
}

static void acm_suppress(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_except (&cx_ValueError, e) {
        cx_sleep(0.001);
        th_log("handled:%s", cx_error_message(e));
    }
}

static void acm_suppress_main(void *arg)
{
    (void)arg;
    cx_async_with (cx_asynccontextmanager(acm_suppress, NULL)) {
        cx_sleep(0.001);
        cx_raise(&cx_ValueError, "in body");
    }
    th_log("after");
}

TEST(asynccontextmanager_catching_the_body_error_suppresses_it)
{
    cx_error *e = cx_run(acm_suppress_main, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "handled:in body after");
}

static void acm_no_yield(cx_gen *g, void *arg)
{
    (void)g, (void)arg;
    cx_sleep(0.001);
}

static void acm_no_yield_main(void *arg)
{
    (void)arg;
    cx_async_with (cx_asynccontextmanager(acm_no_yield, NULL)) {
        th_log("body");
    }
}

TEST(asynccontextmanager_that_does_not_yield_raises_runtime_error)
{
    cx_error *e = cx_run(acm_no_yield_main, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator didn't yield");
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void acm_outside(void *arg)
{
    (void)arg;
    cx_asynccontextmanager(acm_body, NULL);
}

TEST(asynccontextmanager_outside_a_task_raises_runtime_error)
{
    cx_error *e = cx_protect(acm_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

/* The guide's async generator: yields values, sleeping between them; its
 * cleanup runs however the iteration ends. */
static void ticker(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        for (long i = 0; i < 5; i++) {
            cx_sleep(0.001);
            cx_yield(g, (void *)i);
        }
    } cx_finally {
        cx_sleep(0.001);
        th_log("cleanup");
    }
}

static void iterate_all(void *arg)
{
    (void)arg;
    cx_gen *g = cx_agen_new(ticker, NULL);
    void *v;
    while (cx_anext(g, &v))
        th_log("%ld", (long)v);
    cx_aclose(g);
}

TEST(async_generator_yields_every_value_while_sleeping_between_them)
{
    cx_error *e = cx_run(iterate_all, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "0 1 2 3 4 cleanup");
}

static void break_early(void *arg)
{
    (void)arg;
    cx_async_with (cx_gen *g, cx_aclosing(cx_agen_new(ticker, NULL))) {
        void *v;
        while (cx_anext(g, &v)) {
            th_log("%ld", (long)v);
            if ((long)v == 1)
                break;
        }
    }
    th_log("after");
}

TEST(aclosing_runs_the_generator_cleanup_when_the_loop_breaks_early)
{
    cx_error *e = cx_run(break_early, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "0 1 cleanup after");
}

static void two_iterators(void *arg)
{
    (void)arg;
    cx_gen *g = cx_agen_new(ticker, NULL);
    void *v;
    cx_anext(g, &v);
    th_log("first:%ld", (long)v);
    cx_aclose(g);
}

static void concurrent_generators(void *arg)
{
    (void)arg;
    cx_task *a = cx_spawn(two_iterators, NULL);
    cx_task *b = cx_spawn(two_iterators, NULL);
    cx_await_task(a);
    cx_await_task(b);
}

TEST(async_generators_in_concurrent_tasks_each_keep_their_own_state)
{
    cx_error *e = cx_run(concurrent_generators, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "first:0 first:0 cleanup cleanup");
}

static void cancel_in_generator(void *arg)
{
    (void)arg;
    cx_async_with (cx_gen *g, cx_aclosing(cx_agen_new(ticker, NULL))) {
        void *v;
        while (cx_anext(g, &v))
            cx_sleep(10);
    }
}

static void cancel_generator_user(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(cancel_in_generator, NULL);
    cx_sleep(0.01);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_CancelledError, e) {
        th_log("cancelled");
    }
}

TEST(cancelling_a_task_iterating_an_async_generator_closes_it)
{
    cx_error *e = cx_run(cancel_generator_user, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "cleanup cancelled");
}

static void suspended_in_generator(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_sleep(10); /* the task is cancelled while the generator runs */
        cx_yield(g, NULL);
    } cx_finally {
        th_log("generator-finally");
    }
}

static void cancel_inside_generator(void *arg)
{
    (void)arg;
    cx_gen *g = cx_agen_new(suspended_in_generator, NULL);
    cx_try {
        cx_anext(g, NULL);
    } cx_finally {
        cx_aclose(g);
    }
}

static void cancel_inside_generator_main(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(cancel_inside_generator, NULL);
    cx_sleep(0.01);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except (&cx_CancelledError, e) {
        th_log("cancelled");
    }
}

TEST(cancellation_is_raised_inside_an_async_generator_suspended_in_its_body)
{
    cx_error *e = cx_run(cancel_inside_generator_main, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "generator-finally cancelled");
}

static void anext_outside(void *arg)
{
    cx_anext(arg, NULL);
}

TEST(anext_outside_a_task_raises_runtime_error)
{
    cx_gen *g = cx_gen_new(ticker, NULL);
    cx_error *e = cx_protect(anext_outside, g);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
    cx_gen_close(g);
}

static bool async_exit_fn(void *arg, cx_error *err)
{
    cx_sleep(0.001);
    th_log("exit:%s:%s", (const char *)arg, err ? cx_error_message(err) : "none");
    return false;
}

static void async_callback_fn(void *arg)
{
    cx_sleep(0.001);
    th_log("callback:%s", (const char *)arg);
}

static void exitstack_main(void *arg)
{
    (void)arg;
    cx_async_with (cx_exitstack *s, cx_async_exitstack_new()) {
        cx_async_exitstack_enter(s, slow("m"));
        cx_async_exitstack_push_async_exit(s, async_exit_fn, "x");
        cx_async_exitstack_push_async_callback(s, async_callback_fn, "y");
        th_log("body");
    }
}

TEST(async_exitstack_runs_suspending_exits_and_callbacks_lifo)
{
    cx_error *e = cx_run(exitstack_main, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "enter:m body callback:y exit:x:none exit:m:ok");
}

static bool suppress_after_sleep(void *arg, cx_error *err)
{
    (void)arg;
    cx_sleep(0.001);
    return err && cx_error_is(err, &cx_KeyError);
}

static void exitstack_suppress(void *arg)
{
    (void)arg;
    cx_async_with (cx_exitstack *s, cx_async_exitstack_new()) {
        cx_async_exitstack_push_async_exit(s, async_exit_fn, "below");
        cx_async_exitstack_push_async_exit(s, suppress_after_sleep, NULL);
        cx_raise(&cx_KeyError, "k");
    }
    th_log("after");
}

TEST(async_exitstack_exit_that_suppresses_hides_the_error_from_those_below)
{
    cx_error *e = cx_run(exitstack_suppress, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "exit:below:none after");
}

static bool sync_exit_fn(void *arg, cx_error *err)
{
    th_log("sync-exit:%s:%s", (const char *)arg, err ? cx_error_message(err) : "none");
    return false;
}

static void sync_callback_fn(void *arg) { th_log("sync-callback:%s", (const char *)arg); }

static void exitstack_mixed(void *arg)
{
    (void)arg;
    cx_async_with (cx_exitstack *s, cx_async_exitstack_new()) {
        cx_exitstack_enter(s, slow("m")); /* the sync enter; the manager suspends */
        cx_async_exitstack_push_async_exit(s, async_exit_fn, "a");
        cx_exitstack_push(s, sync_exit_fn, "b");
        cx_async_exitstack_push_async_callback(s, async_callback_fn, "c");
        cx_exitstack_callback(s, sync_callback_fn, "d");
        CHECK_EQ(cx_exitstack_size(s), 5);
        th_log("body");
    }
}

TEST(async_exitstack_runs_sync_and_async_entries_together_lifo)
{
    cx_error *e = cx_run(exitstack_mixed, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "enter:m body sync-callback:d callback:c sync-exit:b:none "
                        "exit:a:none exit:m:ok");
}

static void exitstack_aclose(void *arg)
{
    (void)arg;
    cx_async_with (cx_exitstack *s, cx_async_exitstack_new()) {
        cx_async_exitstack_push_async_exit(s, async_exit_fn, "a");
        cx_exitstack_callback(s, sync_callback_fn, "b");
        cx_async_exitstack_push_async_callback(s, async_callback_fn, "c");
        cx_async_exitstack_aclose(s); /* the async entries sleep in it */
        th_log("after-aclose:%zu", cx_exitstack_size(s));
    }
    th_log("after-block");
}

TEST(async_exitstack_aclose_runs_the_entries_now_and_not_again_at_exit)
{
    cx_error *e = cx_run(exitstack_aclose, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "callback:c sync-callback:b exit:a:none after-aclose:0 after-block");
}

static void exitstack_reuse(void *arg)
{
    (void)arg;
    cx_async_with (cx_exitstack *s, cx_async_exitstack_new()) {
        cx_async_exitstack_push_async_callback(s, async_callback_fn, "first");
        cx_async_exitstack_aclose(s);
        cx_async_exitstack_push_async_callback(s, async_callback_fn, "second");
        th_log("body");
    }
}

TEST(async_exitstack_after_aclose_takes_new_entries_and_runs_them_at_exit)
{
    cx_error *e = cx_run(exitstack_reuse, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "callback:first body callback:second");
}

static void exitstack_outside(void *arg)
{
    (void)arg;
    cx_async_exitstack_new();
}

TEST(async_exitstack_outside_a_task_raises_runtime_error)
{
    cx_error *e = cx_protect(exitstack_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

/* ---- the guide's two async examples, as the tour writes them ---- */

static void async_database_connection(cx_gen *g, void *arg)
{
    (void)arg;
    th_log("connecting");
    cx_sleep(0.1); /* simulate an async connection */
    const char *connection = "Async DB Connection";
    cx_try {
        cx_yield(g, (void *)connection);
    } cx_finally {
        th_log("closing");
        cx_sleep(0.1);
    }
}

static void guide_main(void *arg)
{
    (void)arg;
    cx_async_with (const char *conn, cx_asynccontextmanager(async_database_connection, NULL)) {
        th_log("using:%s", conn);
        cx_sleep(0.2); /* simulate async work */
    }
}

TEST(guide_async_database_connection_connects_uses_and_closes)
{
    cx_error *e = cx_run(guide_main, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "connecting using:Async DB Connection closing");
}

static void async_generator(cx_gen *g, void *arg)
{
    (void)arg;
    static const char *items[] = {"Item 0", "Item 1", "Item 2", "Item 3", "Item 4"};
    cx_try {
        for (int i = 0; i < 5; i++) {
            cx_yield(g, (void *)items[i]);
            cx_sleep(0.1);
        }
    } cx_finally {
        th_log("cleaned-up");
    }
}

static void process_async_data(void *arg)
{
    (void)arg;
    cx_async_with (cx_gen *agen, cx_aclosing(cx_agen_new(async_generator, NULL))) {
        void *item;
        while (cx_anext(agen, &item)) {
            th_log("received:%s", (const char *)item);
            if (strcmp(item, "Item 2") == 0)
                break; /* ends the iteration early: aclosing's exit runs the cleanup */
        }
    }
}

TEST(guide_aclosing_early_break_runs_the_async_generator_cleanup)
{
    cx_error *e = cx_run(process_async_data, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "received:Item 0 received:Item 1 received:Item 2 cleaned-up");
}

static void slow_agen(cx_gen *g, void *arg)
{
    (void)arg;
    cx_sleep(0.05);
    cx_yield(g, NULL);
}

static void iterate_slowly(void *arg)
{
    void *v;
    cx_anext(arg, &v);
}

static void close_while_running(void *arg)
{
    (void)arg;
    cx_gen *g = cx_agen_new(slow_agen, NULL);
    cx_task *t = cx_spawn(iterate_slowly, g);
    cx_sleep(0.01); /* t is suspended inside g now */
    cx_try {
        cx_aclose(g);
    } cx_except (&cx_RuntimeError, e) {
        th_log("aclose-refused");
    }
    cx_try {
        cx_anext(g, NULL);
    } cx_except (&cx_RuntimeError, e) {
        th_log("anext-refused");
    }
    cx_await_task(t);
    cx_aclose(g);
}

TEST(aclose_or_anext_of_a_generator_another_task_is_inside_raises_runtime_error)
{
    cx_error *e = cx_run(close_while_running, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "aclose-refused anext-refused");
}
