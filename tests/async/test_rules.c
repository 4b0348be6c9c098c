/* Rules that cut across the module: cancellation never hides a real error,
 * stack size setting, loops on several threads. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include <cx/async.h>

#include "harness.h"

static void *plain_enter(void *state)
{
    (void)state;
    return NULL;
}

static bool raising_exit(void *state, cx_error *err)
{
    (void)state;
    cx_sleep(0.001); /* an exit may suspend even while cancelled */
    cx_raise(&cx_ValueError, "exit failed while handling %s",
             err ? cx_error_type(err)->name : "nothing");
}

static const cx_manager_type raising_type = {"raising", plain_enter, raising_exit};

static void cancelled_inside_raising_exit(void *arg)
{
    (void)arg;
    cx_async_with (cx_manager_make(&raising_type, NULL, 0)) {
        cx_sleep(10);
    }
}

static void cancel_then_await(void *arg)
{
    cx_error **out = arg;
    cx_task *t = cx_spawn(cancelled_inside_raising_exit, NULL);
    cx_sleep(0.01);
    cx_task_cancel(t);
    cx_try {
        cx_await_task(t);
    } cx_except_any (e) {
        *out = cx_error_ref(e);
    }
}

TEST(cancellation_never_hides_an_error_raised_by_an_exit_handler)
{
    cx_error *got = NULL;
    cx_error *e = cx_run(cancel_then_await, &got);
    CHECK(e == NULL);
    CHECK(cx_error_is(got, &cx_ValueError));
    CHECK_STR(cx_error_message(got), "exit failed while handling CancelledError");
    CHECK(cx_error_is(cx_error_context(got), &cx_CancelledError));
    cx_error_unref(got);
}

static void timeout_with_raising_exit(void *arg)
{
    (void)arg;
    cx_async_with (cx_timeout(0.01))
    cx_async_with (cx_manager_make(&raising_type, NULL, 0)) {
        cx_sleep(10);
    }
}

TEST(timeout_lets_an_exit_handler_error_through_instead_of_timeout_error)
{
    cx_error *e = cx_run(timeout_with_raising_exit, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

static void big_frame(void *arg)
{
    volatile char buf[96 * 1024];
    for (size_t i = 0; i < sizeof buf; i += 512)
        buf[i] = (char)i;
    cx_sleep(0.001);
    *(int *)arg = buf[512];
}

static void run_big_frame(void *arg)
{
    cx_await_task(cx_spawn(big_frame, arg));
}

TEST(async_stack_size_setting_gives_tasks_of_the_next_run_that_much_stack)
{
    size_t before = cx_async_stack_size();
    cx_async_set_stack_size(256 * 1024);
    CHECK_EQ(cx_async_stack_size(), 256 * 1024);
    int v = 0;
    cx_error *e = cx_run(run_big_frame, &v);
    cx_async_set_stack_size(before);
    CHECK(e == NULL);
    CHECK_EQ(v, (char)512);
}

TEST(async_stack_size_setting_has_a_16_kib_floor)
{
    size_t before = cx_async_stack_size();
    cx_async_set_stack_size(1000);
    CHECK_EQ(cx_async_stack_size(), 16 * 1024);
    cx_async_set_stack_size(before);
}

static void count_to(void *arg)
{
    long *n = arg;
    for (int i = 0; i < 50; i++) {
        cx_sleep(0.001);
        (*n)++;
    }
}

static void loop_main(void *arg)
{
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_spawn(tg, count_to, arg);
        cx_taskgroup_spawn(tg, count_to, arg);
    }
}

static void *loop_thread(void *arg)
{
    cx_error *e = cx_run(loop_main, arg);
    return e;
}

TEST(loops_on_two_threads_run_independently)
{
    pthread_t a, b;
    long na = 0, nb = 0;
    CHECK(pthread_create(&a, NULL, loop_thread, &na) == 0);
    CHECK(pthread_create(&b, NULL, loop_thread, &nb) == 0);
    void *ea, *eb;
    pthread_join(a, &ea);
    pthread_join(b, &eb);
    CHECK(ea == NULL && eb == NULL);
    CHECK_EQ(na, 100);
    CHECK_EQ(nb, 100);
}

static void check_done_flags(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(count_to, &(long){0});
    CHECK(!cx_task_done(t));
    CHECK(cx_current_task() != NULL);
    cx_await_task(t);
}

TEST(task_is_not_done_until_its_function_returned)
{
    CHECK(cx_current_task() == NULL);
    cx_error *e = cx_run(check_done_flags, NULL);
    CHECK(e == NULL);
}

/* A sync @contextmanager is an async one inside a task: its body may
 * suspend too. */
static void sync_cm(cx_gen *g, void *arg)
{
    (void)arg;
    cx_sleep(0.001);
    cx_yield(g, "v");
    cx_sleep(0.001);
    th_log("after-yield");
}

static void use_sync_cm(void *arg)
{
    (void)arg;
    cx_with (const char *v, cx_contextmanager(sync_cm, NULL))
        th_log("%s", v);
}

TEST(plain_contextmanager_body_may_suspend_inside_a_task)
{
    cx_error *e = cx_run(use_sync_cm, NULL);
    CHECK(e == NULL);
    CHECK_STR(th_trace, "v after-yield");
}

/* The error a task handles while it is suspended inside a generator is its
 * own: another task raising meanwhile does not chain to it. */
static void gen_that_sleeps(cx_gen *g, void *arg)
{
    (void)arg;
    cx_sleep(0.02);
    cx_yield(g, NULL);
}

static void handle_and_suspend_in_generator(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_ValueError, "task a's");
    } cx_except (&cx_ValueError, e) {
        cx_gen *g = cx_agen_new(gen_that_sleeps, NULL);
        cx_anext(g, NULL);
        cx_aclose(g);
    }
}

static void raise_meanwhile(void *arg)
{
    cx_sleep(0.005); /* task a is inside its handler, suspended in the generator */
    cx_try {
        cx_raise(&cx_KeyError, "task b's");
    } cx_except (&cx_KeyError, e) {
        *(int *)arg = cx_error_context(e) == NULL;
    }
}

static void two_tasks_handling(void *arg)
{
    cx_task *a = cx_spawn(handle_and_suspend_in_generator, NULL);
    cx_task *b = cx_spawn(raise_meanwhile, arg);
    cx_await_task(a);
    cx_await_task(b);
}

TEST(an_error_handled_by_a_suspended_task_is_not_the_context_of_another_tasks_error)
{
    int clean = 0;
    cx_error *e = cx_run(two_tasks_handling, &clean);
    CHECK(e == NULL);
    CHECK_EQ(clean, 1);
}

/* Task stacks have no guard page; a task found near its stack's end when it
 * suspends stops the process with a message instead of corrupting memory. */
static volatile char *volatile deepest; /* buf escapes: its 256 bytes are on the stack */

static void descend(int depth)
{
    volatile char buf[256];
    buf[0] = 1;
    deepest = buf;
    cx_sleep(0); /* suspends at every depth: the one within 2 KiB of the end stops */
    if (depth > 0)
        descend(depth - 1);
    buf[1] = buf[0];
}

static void deep_task(void *arg)
{
    (void)arg;
    cx_sleep(0); /* binds cx_sleep now: lazy binding needs kilobytes of stack */
    descend(16 * 1024 / 256); /* deep enough to pass the end of a 16 KiB stack */
}

static void run_deep(void *arg)
{
    (void)arg;
    cx_async_set_stack_size(16 * 1024);
    cx_error *e = cx_run(deep_task, NULL);
    cx_error_unref(e);
    exit(0);
}

TEST(task_near_the_end_of_its_stack_when_it_suspends_stops_with_a_message)
{
    char *err = NULL;
    int status = th_run_child(run_deep, NULL, &err);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK(strstr(err, "task stack nearly exhausted") != NULL);
    CHECK(strstr(err, "cx_async_set_stack_size") != NULL);
    free(err);
}

/* Frames larger than the 2 KiB margin may step over it between two
 * suspensions: a task found past its stack's end (in the memory of the
 * task below it) is stopped as one found within the margin.  The task runs
 * second, so that the slot below its stack is the main task's. */
#define DESCEND_BY(bytes)                                                      \
    static void descend_##bytes(int depth)                                     \
    {                                                                          \
        volatile char buf[bytes];                                              \
        buf[0] = 1;                                                            \
        deepest = buf;                                                         \
        cx_sleep(0);                                                           \
        if (depth > 0)                                                         \
            descend_##bytes(depth - 1);                                        \
        buf[1] = buf[0];                                                       \
    }
DESCEND_BY(3072)
DESCEND_BY(3840)
DESCEND_BY(4096)
DESCEND_BY(5120)

static void (*const descents[])(int) = {descend_3072, descend_3840, descend_4096, descend_5120};

static void deep_in_big_steps(void *arg)
{
    cx_sleep(0); /* binds cx_sleep now */
    descents[(size_t)arg](8); /* 24 KiB or more: past the end of 16 KiB */
}

static void await_deep_in_big_steps(void *arg) { cx_await_task(cx_spawn(deep_in_big_steps, arg)); }

static void run_deep_in_big_steps(void *arg)
{
    cx_async_set_stack_size(16 * 1024);
    cx_error *e = cx_run(await_deep_in_big_steps, arg);
    cx_error_unref(e);
    exit(0);
}

TEST(task_past_the_end_of_its_stack_when_it_suspends_stops_with_a_message)
{
    for (size_t i = 0; i < sizeof descents / sizeof *descents; i++) {
        char *err = NULL;
        int status = th_run_child(run_deep_in_big_steps, (void *)i, &err);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
        CHECK(strstr(err, "task stack nearly exhausted") != NULL);
        free(err);
    }
}
