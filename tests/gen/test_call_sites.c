/* Generator misuse names the user's call: its file, line and function,
 * never a file of cx's own (docs/errors.md). */
#include <sys/file.h>

#include <cx/gen.h>
#include <cx/sync.h>

#include "harness.h"

static int inner_line;

static void resumes_itself(cx_gen *g, void *arg)
{
    (void)arg;
    inner_line = __LINE__; cx_gen_next(g, NULL);
}

TEST(resuming_a_running_generator_names_the_inner_call)
{
    cx_gen *g = cx_gen_new(resumes_itself, NULL);
    cx_error *e = NULL;
    cx_try {
        cx_gen_next(g, NULL);
    } cx_except_any (err) {
        e = cx_error_ref(err);
    }
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "generator already executing");
    CHECK_SITE(e, __FILE__, inner_line, "resumes_itself");
    cx_error_unref(e);
    cx_gen_close(g);
}

static void counts(cx_gen *g, void *arg)
{
    (void)arg;
    for (long i = 0; i < 3; i++)
        cx_yield(g, (void *)i);
}

TEST(resuming_a_closed_generator_names_the_callers_line)
{
    cx_gen *g = cx_gen_new(counts, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_gen_next(g, NULL));
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(strstr(cx_error_message(e), "stale generator handle") != NULL);
    cx_error_unref(e);
    CHECK_RAISES_HERE(e, cx_gen_close(g));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

TEST(yield_outside_the_generator_names_the_callers_line)
{
    cx_gen *g = cx_gen_new(counts, NULL);
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_yield(g, NULL));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
    cx_gen_close(g);
}

TEST(gen_new_with_no_function_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, (void)cx_gen_new(NULL, NULL));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

/* The body's own calls record their sites too; the error about the body
 * still names the user's statement. */
static void yields_twice(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, NULL);
    (void)cx_gen_finished(g);
    cx_yield(g, NULL);
}

TEST(a_manager_that_does_not_stop_names_the_with_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_with (cx_contextmanager(yields_twice, NULL)) th_log("body"));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator didn't stop");
    CHECK_STR(th_trace, "body");
    cx_error_unref(e);
}

static void finishes_at_once(cx_gen *g, void *arg)
{
    (void)arg;
    (void)cx_gen_finished(g);
}

TEST(a_manager_that_does_not_yield_names_the_with_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_with (cx_contextmanager(finishes_at_once, NULL)) th_log("body"));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator didn't yield");
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void ignores_exit(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_except (&cx_GeneratorExit, err) {
        (void)err;
        (void)cx_gen_finished(g);
    }
    cx_yield(g, NULL);
}

TEST(a_generator_ignoring_close_names_the_close_call)
{
    cx_gen *g = cx_gen_new(ignores_exit, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_gen_close(g));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator ignored GeneratorExit");
    cx_error_unref(e);
}

TEST(call_with_a_null_function_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_call_with(cx_nullcontext(NULL), NULL, NULL));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

static void nothing(void *arg) { (void)arg; }

/* cx_call_with's own with statement is cx's: the manager's error names the
 * user's cx_call_with. */
TEST(call_with_a_manager_that_fails_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_call_with(cx_flock(-1, LOCK_EX), nothing, NULL));
    CHECK(cx_error_is(e, &cx_OSError));
    cx_error_unref(e);
}
