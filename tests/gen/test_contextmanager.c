/* cx_contextmanager: contextlib._GeneratorContextManager, case by case. */
#include <stdio.h>
#include <stdlib.h>

#include "probe.h"

static void simple(cx_gen *g, void *arg)
{
    th_log("setup");
    cx_yield(g, arg);
    th_log("teardown");
}

TEST(cm_binds_the_yielded_value)
{
    const char *volatile seen = NULL;
    cx_with (const char *v, cx_contextmanager(simple, "resource"))
        seen = v;
    CHECK_STR(seen, "resource");
}

TEST(cm_runs_setup_body_teardown_in_order)
{
    cx_with (cx_contextmanager(simple, NULL))
        th_log("body");
    CHECK_STR(th_trace, "setup body teardown");
}

static void no_yield(cx_gen *g, void *arg) { (void)g, (void)arg; }

static void enter_no_yield(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(no_yield, NULL))
        th_log("body");
}

TEST(cm_generator_that_does_not_yield_raises_runtime_error)
{
    cx_error *e = cx_protect(enter_no_yield, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator didn't yield");
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void yields_twice(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, NULL);
    cx_yield(g, NULL);
}

static void enter_yields_twice(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(yields_twice, NULL))
        th_log("body");
}

TEST(cm_generator_that_does_not_stop_raises_runtime_error)
{
    cx_error *e = cx_protect(enter_yields_twice, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator didn't stop");
    cx_error_unref(e);
}

static void sees_error(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_except_any (e) {
        th_log("at yield: %s", cx_error_type(e)->name);
        cx_reraise();
    }
}

static void body_raises(void *fn)
{
    cx_with (cx_contextmanager((cx_gen_fn *)fn, NULL))
        cx_raise(&cx_KeyError, "from the body");
}

TEST(cm_body_error_is_raised_at_the_yield)
{
    cx_error *e = cx_protect(body_raises, (void *)sees_error);
    CHECK_STR(th_trace, "at yield: KeyError");
    cx_error_unref(e);
}

TEST(cm_generator_reraising_the_same_error_propagates_it_unchanged)
{
    cx_error *e = cx_protect(body_raises, (void *)sees_error);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(cx_error_message(e), "from the body");
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

static int cm_with_line, cm_raise_line;

static void reraises_through_a_using(cx_gen *g, void *arg)
{
    (void)arg;
    cx_using (PROBE(.name = "in the generator"));
    cx_yield(g, NULL);
}

static void body_raises_into_a_using(void *arg)
{
    (void)arg;
    cm_with_line = __LINE__; cx_with (cx_contextmanager(reraises_through_a_using, NULL)) {
        cm_raise_line = __LINE__; cx_raise(&cx_KeyError, "from the body");
    }
}

/* contextlib restores the error's traceback when the generator raises it
 * again (`exc.__traceback__ = traceback`): Python's traceback shows the
 * with and the body, not the generator, whose statements the error passed
 * after the body's and which did not call the body. */
TEST(cm_generator_reraising_the_body_error_adds_none_of_its_statements_to_the_traceback)
{
    cx_error *e = cx_protect(body_raises_into_a_using, NULL);
    CHECK_STR(th_trace, "enter:in the generator exit:in the generator:KeyError");
    char *text = th_printed(e);
    char want[1024];
    snprintf(want, sizeof want,
             "Traceback (most recent call last):\n"
             "  File \"%s\", line %d, in body_raises_into_a_using\n"
             "    cx_with\n"
             "  File \"%s\", line %d, in body_raises_into_a_using\n"
             "KeyError: from the body\n",
             __FILE__, cm_with_line, __FILE__, cm_raise_line);
    CHECK_STR(text, want);
    free(text);
    cx_error_unref(e);
}

static void catches(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_except (&cx_KeyError, e) {
        th_log("handled");
    }
}

TEST(cm_generator_catching_the_error_suppresses_it)
{
    cx_with (cx_contextmanager(catches, NULL)) {
        cx_raise(&cx_KeyError, "swallowed");
        th_log("not reached");
    }
    th_log("after");
    CHECK_STR(th_trace, "handled after");
}

static void raises_other(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_except (&cx_KeyError, e) {
        cx_raise(&cx_ValueError, "translated");
    }
}

TEST(cm_generator_raising_another_error_chains_the_original_as_context)
{
    cx_error *e = cx_protect(body_raises, (void *)raises_other);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(cx_error_is(cx_error_context(e), &cx_KeyError));
    cx_error_unref(e);
}

static void yields_after_throw(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_except_any (e) {
        cx_yield(g, NULL);
    }
}

TEST(cm_yielding_again_after_a_throw_is_didnt_stop_after_throw)
{
    cx_error *e = cx_protect(body_raises, (void *)yields_after_throw);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator didn't stop after throw()");
    cx_error_unref(e);
}

static void enter_twice(void *arg)
{
    (void)arg;
    cx_manager m = cx_contextmanager(simple, NULL);
    cx_with (m) {}
    cx_with (m) th_log("second body");
}

TEST(cm_is_single_use_second_enter_raises_runtime_error)
{
    cx_error *e = cx_protect(enter_twice, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator manager is single-use: entered twice");
    CHECK(strstr(th_trace, "second body") == NULL);
    cx_error_unref(e);
}

static void with_finally(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_finally {
        th_log("finally");
    }
}

static int returns_inside(void)
{
    cx_with (cx_contextmanager(with_finally, NULL))
        return 5;
    return 0;
}

TEST(cm_body_left_by_return_resumes_the_generator_normally)
{
    CHECK_EQ(returns_inside(), 5);
    CHECK_STR(th_trace, "finally");
}

TEST(cm_body_left_by_break_resumes_the_generator_normally)
{
    for (volatile int i = 0; i < 2; i++)
        cx_with (cx_contextmanager(simple, NULL)) {
            th_log("body");
            break; /* cx-check: expected */
        }
    CHECK_STR(th_trace, "setup body teardown setup body teardown");
}

TEST(cm_finally_in_the_generator_runs_when_the_body_raises)
{
    cx_error *e = cx_protect(body_raises, (void *)with_finally);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(th_trace, "finally");
    cx_error_unref(e);
}

static void setup_fails(cx_gen *g, void *arg)
{
    (void)arg;
    cx_raise(&cx_OSError, "cannot acquire");
    cx_yield(g, NULL);
}

static void enter_setup_fails(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(setup_fails, NULL))
        th_log("body");
}

TEST(cm_error_before_the_yield_propagates_from_enter_and_skips_the_body)
{
    cx_error *e = cx_protect(enter_setup_fails, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void teardown_fails(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, NULL);
    cx_raise(&cx_RuntimeError, "teardown failed");
}

static void enter_teardown_fails(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(teardown_fails, NULL))
        th_log("body");
}

TEST(cm_error_after_the_yield_on_success_propagates_from_exit)
{
    cx_error *e = cx_protect(enter_teardown_fails, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "teardown failed");
    CHECK_STR(th_trace, "body");
    cx_error_unref(e);
}

/* The guide's error_handler: suppress ValueError, let the rest through. */
static void error_handler(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        th_log("activated");
        cx_yield(g, NULL);
    } cx_except (&cx_ValueError, e) {
        th_log("handled %s", cx_error_message(e));
    } cx_finally {
        th_log("deactivated");
    }
}

TEST(cm_guide_error_handler_suppresses_value_error)
{
    cx_with (cx_contextmanager(error_handler, NULL))
        cx_raise(&cx_ValueError, "This error will be caught!");
    th_log("continues");
    CHECK_STR(th_trace, "activated handled This error will be caught! deactivated continues");
}

static void other_error_in_handler(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(error_handler, NULL))
        cx_raise(&cx_TypeError, "unexpected");
}

TEST(cm_guide_error_handler_propagates_other_errors)
{
    cx_error *e = cx_protect(other_error_in_handler, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK_STR(th_trace, "activated deactivated");
    cx_error_unref(e);
}

static void named(cx_gen *g, void *arg)
{
    th_log("in:%s", (const char *)arg);
    cx_yield(g, NULL);
    th_log("out:%s", (const char *)arg);
}

TEST(cm_nested_managers_unwind_lifo)
{
    cx_with (cx_contextmanager(named, "a"))
    cx_with (cx_contextmanager(named, "b"))
        th_log("body");
    CHECK_STR(th_trace, "in:a in:b body out:b out:a");
}

static size_t allocations;
static void *counting_malloc(size_t n) { allocations++; return malloc(n); }
static void *counting_realloc(void *p, size_t n) { allocations++; return realloc(p, n); }

TEST(cm_enter_and_exit_allocate_nothing_in_steady_state)
{
    cx_with (cx_contextmanager(simple, NULL)) {} /* warms the thread's pools */
    cx_set_allocator(counting_malloc, counting_realloc, free);
    allocations = 0;
    for (volatile int i = 0; i < 1000; i++) {
        th_trace[0] = '\0';
        cx_with (cx_contextmanager(simple, NULL)) {}
    }
    cx_set_allocator(NULL, NULL, NULL);
    CHECK_EQ(allocations, 0);
}

TEST(cm_generator_manager_inside_a_generator_manager_generator)
{
    cx_with (cx_contextmanager(named, "outer")) {
        cx_with (cx_contextmanager(catches, NULL))
            cx_raise(&cx_KeyError, "inner");
        th_log("between");
    }
    CHECK_STR(th_trace, "in:outer handled between out:outer");
}

/* ContextDecorator: every call runs inside a fresh manager. */
static void track_entry_exit(cx_gen *g, void *name)
{
    th_log("Entering %s", (const char *)name);
    cx_yield(g, NULL);
    th_log("Exiting %s", (const char *)name);
}

static void work(void *arg) { (void)arg; th_log("work"); }

CX_DECORATED(tracked_work, cx_contextmanager(track_entry_exit, "work"), work)

TEST(decorated_function_runs_inside_a_fresh_manager_each_call)
{
    tracked_work(NULL);
    tracked_work(NULL);
    CHECK_STR(th_trace, "Entering work work Exiting work Entering work work Exiting work");
}

static void failing_work(void *arg) { (void)arg; cx_raise(&cx_ValueError, "work failed"); }

TEST(call_with_propagates_the_functions_error_after_exit)
{
    cx_error *volatile e = NULL;
    cx_try {
        cx_call_with(cx_contextmanager(track_entry_exit, "f"), failing_work, NULL);
    } cx_except_any (err) {
        e = cx_error_ref(err);
    }
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "Entering f");
    cx_error_unref(e);
}

static void lines(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        for (long i = 0;; i++)
            cx_yield(g, (void *)i);
    } cx_finally {
        th_log("generator cleaned up");
    }
}

TEST(closing_a_generator_left_early_runs_its_cleanup)
{
    cx_with (cx_gen *g, cx_gen_closing(cx_gen_new(lines, NULL))) {
        void *v;
        while (cx_gen_next(g, &v))
            if ((long)v == 3)
                break;
    }
    CHECK_STR(th_trace, "generator cleaned up");
}

TEST(gen_closing_binds_the_generator_and_closes_it_on_a_raise)
{
    cx_gen *volatile seen = NULL;
    cx_try {
        cx_with (cx_gen *g, cx_gen_closing(cx_gen_new(lines, NULL))) {
            seen = g;
            void *v;
            CHECK(cx_gen_next(g, &v));
            CHECK((long)v == 0);
            cx_raise(&cx_ValueError, "left by a raise");
        }
    } cx_except (&cx_ValueError, e) {
        th_log("caught %s", cx_error_message(e));
    }
    CHECK(seen != NULL);
    CHECK_STR(th_trace, "generator cleaned up caught left by a raise");
}

static void one_shot(cx_gen *g, void *arg)
{
    (void)g;
    (void)arg;
    th_log("one_shot ran");
}

TEST(gen_closing_a_finished_generator_closes_it_quietly)
{
    cx_with (cx_gen *g, cx_gen_closing(cx_gen_new(lines, NULL))) {
        void *v;
        CHECK(cx_gen_next(g, &v));
    }
    CHECK_STR(th_trace, "generator cleaned up");
    th_trace[0] = '\0';
    /* A generator that already returned: the exit's close has nothing to run. */
    cx_with (cx_gen *g, cx_gen_closing(cx_gen_new(one_shot, NULL))) {
        void *v;
        while (cx_gen_next(g, &v))
            ;
        CHECK(cx_gen_finished(g));
    }
    CHECK_STR(th_trace, "one_shot ran");
}

/* CX_DEFINE_CLEANUP: a typed close function as cx_closing's callback. */
typedef struct counted { int closes; } counted;
static void counted_close(counted *c) { c->closes++; }
CX_DEFINE_CLEANUP(counted_close_cb, counted *, counted_close);

TEST(define_cleanup_adapts_a_typed_close_for_closing_defer_and_exitstack)
{
    counted c = {0};
    cx_with (counted *p, cx_closing(&c, counted_close_cb))
        CHECK(p == &c);
    CHECK(c.closes == 1);
    {
        cx_defer(counted_close_cb, &c);
    }
    CHECK(c.closes == 2);
    cx_with (cx_exitstack *s, cx_exitstack_new())
        cx_exitstack_callback(s, counted_close_cb, &c);
    CHECK(c.closes == 3);
}

/* ---- found by the differential tester (tests/diff) ---- */

static void no_yield_while_handling(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_ValueError, "handled");
    } cx_except (&cx_ValueError, e) {
        cx_with (cx_contextmanager(no_yield, NULL))
            th_log("body");
    }
}

/* contextlib raises it `from None`: the error being handled is not shown. */
TEST(cm_didnt_yield_hides_the_handled_error_like_from_none)
{
    cx_error *e = cx_protect(no_yield_while_handling, NULL);
    CHECK_STR(cx_error_message(e), "generator didn't yield");
    char *text = th_printed(e);
    CHECK(strstr(text, "ValueError") == NULL);
    free(text);
    cx_error_unref(e);
}

static void yields_twice_with_cleanup(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
        cx_yield(g, NULL);
    } cx_except (&cx_GeneratorExit, e) {
        th_log("closed:%s", cx_error_context(e) ? cx_error_message(cx_error_context(e)) : "-");
        cx_reraise();
    }
}

static void enter_yields_twice_with_cleanup(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(yields_twice_with_cleanup, NULL))
        th_log("body");
}

/* contextlib closes the generator after "generator didn't stop": its
 * cleanups run, with the RuntimeError being handled. */
TEST(cm_didnt_stop_closes_the_generator_so_its_cleanups_run)
{
    cx_error *e = cx_protect(enter_yields_twice_with_cleanup, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator didn't stop");
    CHECK_STR(th_trace, "body closed:generator didn't stop");
    cx_error_unref(e);
}

static void body_raises_into_yields_twice(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(yields_after_throw, NULL))
        cx_raise(&cx_KeyError, "body");
}

static void raises_in_cleanup(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
        cx_yield(g, NULL);
    } cx_finally {
        cx_raise(&cx_IndexError, "cleanup");
    }
}

static void enter_raises_in_cleanup(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(raises_in_cleanup, NULL))
        th_log("body");
}

/* What the closing generator raises replaces the RuntimeError, chained to it
 * through the GeneratorExit, as in Python. */
TEST(cm_error_raised_while_closing_after_didnt_stop_chains_it)
{
    cx_error *e = cx_protect(enter_raises_in_cleanup, NULL);
    CHECK(cx_error_is(e, &cx_IndexError));
    cx_error *exit = cx_error_context(e);
    CHECK(cx_error_is(exit, &cx_GeneratorExit));
    CHECK_STR(cx_error_message(cx_error_context(exit)), "generator didn't stop");
    cx_error_unref(e);
    e = cx_protect(body_raises_into_yields_twice, NULL);
    CHECK_STR(cx_error_message(e), "generator didn't stop after throw()");
    cx_error_unref(e);
}

static void yields_inside_a_handler(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "handled in the generator");
    } cx_except (&cx_KeyError, e) {
        cx_yield(g, NULL);
    }
}

static void body_raises_into_a_handler(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(yields_inside_a_handler, NULL))
        cx_raise(&cx_ValueError, "body");
}

/* CPython's throw() chains the error thrown in to the error the generator
 * was handling where it is suspended. */
TEST(cm_body_error_thrown_into_a_generator_inside_a_handler_chains_to_its_error)
{
    cx_error *e = cx_protect(body_raises_into_a_handler, NULL);
    CHECK_STR(cx_error_message(e), "body");
    CHECK(cx_error_context(e) != NULL);
    CHECK_STR(cx_error_message(cx_error_context(e)), "handled in the generator");
    cx_error_unref(e);
}
