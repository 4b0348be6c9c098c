/* cx-async's errors name the user's call: its file, line and function,
 * never a file of cx's own (docs/errors.md).  Each task keeps its own call
 * site across its suspensions. */
#include <math.h>

#include <cx/async.h>

#include "harness.h"

/* A port on 127.0.0.1 nobody listens on: bound, learnt, closed. */
static int closed_port(void)
{
    int port = 0;
    cx_async_with (cx_listener *l, cx_tcp_listen("127.0.0.1", 0))
        port = cx_listener_port(l);
    return port;
}

static void connect_refused(void *arg)
{
    (void)arg;
    int port = closed_port();
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_async_with (cx_stream *s, cx_tcp_connect("127.0.0.1", port)) (void)s);
    CHECK(cx_error_is(e, &cx_ConnectionRefusedError));
    cx_error_unref(e);
    th_log("checked");
}

TEST(tcp_connect_refused_names_the_tasks_line)
{
    CHECK(cx_run(connect_refused, NULL) == NULL);
    CHECK_STR(th_trace, "checked");
}

/* ---- two tasks interleaving ---- */

static int connect_line, busy_line;
static int connecting, busy_steps_while_connecting;
static cx_error *connect_error, *busy_error;

static void connects(void *arg)
{
    int port = *(int *)arg;
    cx_try {
        connecting = 1;
        connect_line = __LINE__; cx_async_with (cx_stream *s, cx_tcp_connect("127.0.0.1", port)) (void)s;
    } cx_except_any (err) {
        connect_error = cx_error_ref(err);
    }
    connecting = 0;
}

/* Makes calls of its own, each recording its line, while the other task
 * waits for its connection; then fails itself. */
static void busy(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100 && (i < 2 || connecting); i++) {
        cx_sleep(0);
        if (connecting)
            busy_steps_while_connecting++;
    }
    cx_try {
        busy_line = __LINE__; cx_sleep(NAN);
    } cx_except_any (err) {
        busy_error = cx_error_ref(err);
    }
}

static void interleave(void *arg)
{
    (void)arg;
    int port = closed_port();
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_spawn(tg, connects, &port);
        cx_taskgroup_spawn(tg, busy, NULL);
    }
}

TEST(interleaved_tasks_each_name_their_own_call)
{
    CHECK(cx_run(interleave, NULL) == NULL);
    CHECK(busy_steps_while_connecting > 0);
    CHECK(cx_error_is(connect_error, &cx_ConnectionRefusedError));
    CHECK_SITE(connect_error, __FILE__, connect_line, "connects");
    CHECK(cx_error_is(busy_error, &cx_ValueError));
    CHECK_SITE(busy_error, __FILE__, busy_line, "busy");
    cx_error_unref(connect_error);
    cx_error_unref(busy_error);
}

/* ---- sleep and timeout misuse ---- */

TEST(sleep_outside_a_task_names_the_callers_line)
{
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_sleep(0.001));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
}

TEST(timeout_outside_a_task_names_the_with_line)
{
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_with (cx_timeout(1.0)) th_log("body"));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void bad_sleeps(void *arg)
{
    (void)arg;
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_sleep(NAN));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
    CHECK_RAISES_HERE(e, cx_async_with (cx_timeout(NAN)) th_log("body"));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
    CHECK_RAISES_HERE(e, cx_await_task(cx_current_task()));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
    th_log("checked");
}

TEST(sleep_timeout_and_await_misuse_in_a_task_name_the_tasks_line)
{
    CHECK(cx_run(bad_sleeps, NULL) == NULL);
    CHECK_STR(th_trace, "checked");
}

/* A timeout that expires: exit's TimeoutError names the statement. */
static void times_out(void *arg)
{
    (void)arg;
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_async_with (cx_timeout(0.001)) cx_sleep(10));
    CHECK(cx_error_is(e, &cx_TimeoutError));
    cx_error_unref(e);
    th_log("checked");
}

TEST(an_expired_timeout_names_the_with_line)
{
    CHECK(cx_run(times_out, NULL) == NULL);
    CHECK_STR(th_trace, "checked");
}

/* ---- a new task starts with its spawn's site ---- */

static void sleeps_through_a_pointer(void *arg)
{
    (void)arg;
    void (*sleep_fn)(double) = cx_sleep; /* records no site */
    sleep_fn(NAN);
}

static int spawn_line;

static void spawns(void *arg)
{
    (void)arg;
    spawn_line = __LINE__; cx_task *t = cx_spawn(sleeps_through_a_pointer, NULL);
    cx_error *e = NULL;
    cx_try {
        cx_await_task(t);
    } cx_except_any (err) {
        e = cx_error_ref(err);
    }
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_SITE(e, __FILE__, spawn_line, "spawns");
    cx_error_unref(e);
    th_log("checked");
}

TEST(a_task_that_records_no_call_names_its_spawn)
{
    CHECK(cx_run(spawns, NULL) == NULL);
    CHECK_STR(th_trace, "checked");
}

/* ---- an ExceptionGroup prints 15 members, then a count ---- */

/* Task 0 fails first; the others, cancelled in their sleep, fail too. */
static void fails(void *arg)
{
    long i = (long)arg;
    cx_try {
        cx_sleep(i == 0 ? 0.001 : 10);
    } cx_except (&cx_CancelledError, err) {
        (void)err;
    }
    cx_raise(&cx_ValueError, "task %ld failed", i);
}

static int group_line;

static void twenty_fail(void *arg)
{
    cx_error **out = arg;
    cx_try {
        group_line = __LINE__; cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
            for (long i = 0; i < 20; i++)
                cx_taskgroup_spawn(tg, fails, (void *)i);
        }
    } cx_except (&cx_ExceptionGroup, err) {
        *out = cx_error_ref(err);
    }
}

TEST(an_exception_group_of_twenty_prints_fifteen_and_a_count)
{
    cx_error *e = NULL;
    CHECK(cx_run(twenty_fail, &e) == NULL);
    CHECK_EQ(cx_error_group_size(e), 20);
    CHECK_SITE(e, __FILE__, group_line, "twenty_fail");
    char *text = th_printed(e);
    char rule[64];
    for (int i = 1; i <= 16; i++) {
        snprintf(rule, sizeof rule, "---------------- %d ----------------\n", i);
        CHECK((strstr(text, rule) != NULL) == (i <= 15));
    }
    CHECK(strstr(text, "    +---------------- ... ----------------\n"
                       "    | and 5 more exceptions\n"
                       "    +------------------------------------\n") != NULL);
    free(text);
    cx_error_unref(e);
}
