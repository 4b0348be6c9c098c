/* cx_try: except, else, finally, in Python's order. */
#include "probe.h"

TEST(try_body_without_error_runs_else_then_finally)
{
    cx_try {
        th_log("body");
    } cx_except_any (e) {
        th_log("handler");
    } cx_else {
        th_log("else");
    } cx_finally {
        th_log("finally");
    }
    CHECK_STR(th_trace, "body else finally");
}

TEST(try_matching_handler_runs_then_finally_and_execution_continues)
{
    cx_try {
        th_log("body");
        cx_raise(&cx_KeyError, "k");
        th_log("not reached");
    } cx_except (&cx_KeyError, e) {
        th_log("handler:%s", cx_error_message(e));
    } cx_else {
        th_log("else");
    } cx_finally {
        th_log("finally");
    }
    th_log("after");
    CHECK_STR(th_trace, "body handler:k finally after");
}

TEST(try_first_matching_clause_wins)
{
    cx_try {
        cx_raise(&cx_KeyError, "k");
    } cx_except (&cx_TypeError, e) {
        th_log("type");
    } cx_except (&cx_LookupError, e) {
        th_log("lookup");
    } cx_except (&cx_KeyError, e) {
        th_log("key");
    }
    CHECK_STR(th_trace, "lookup");
}

TEST(try_except_any_catches_everything)
{
    cx_try {
        cx_raise(&cx_GeneratorExit, "g");
    } cx_except_any (e) {
        th_log("%s", cx_error_type(e)->name);
    }
    CHECK_STR(th_trace, "GeneratorExit");
}

static void unmatched(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_ValueError, "v");
    } cx_except (&cx_KeyError, e) {
        th_log("wrong handler");
    } cx_finally {
        th_log("finally");
    }
    th_log("not reached");
}

TEST(try_unmatched_error_runs_finally_and_propagates)
{
    cx_error *e = cx_protect(unmatched, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "finally");
    cx_error_unref(e);
}

static void handler_raises(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_ValueError, "v");
    } cx_except (&cx_ValueError, e) {
        cx_raise(&cx_TypeError, "t");
    } cx_finally {
        th_log("finally");
    }
}

TEST(try_handler_raising_still_runs_finally_and_chains)
{
    cx_error *e = cx_protect(handler_raises, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK(cx_error_is(cx_error_context(e), &cx_ValueError));
    CHECK_STR(th_trace, "finally");
    cx_error_unref(e);
}

static void else_raises(void *arg)
{
    (void)arg;
    cx_try {
        th_log("body");
    } cx_except_any (e) {
        th_log("handler");
    } cx_else {
        cx_raise(&cx_KeyError, "from else");
    } cx_finally {
        th_log("finally");
    }
}

TEST(try_error_in_else_is_not_handled_by_except_but_finally_runs)
{
    cx_error *e = cx_protect(else_raises, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK(cx_error_context(e) == NULL);
    CHECK_STR(th_trace, "body finally");
    cx_error_unref(e);
}

static void finally_raises_over_error(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_ValueError, "first");
    } cx_finally {
        cx_raise(&cx_RuntimeError, "from finally");
    }
}

TEST(try_finally_raising_replaces_the_pending_error_as_context)
{
    cx_error *e = cx_protect(finally_raises_over_error, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(cx_error_is(cx_error_context(e), &cx_ValueError));
    cx_error_unref(e);
}

static void finally_raises_after_success(void *arg)
{
    (void)arg;
    cx_try {
        th_log("body");
    } cx_finally {
        cx_raise(&cx_RuntimeError, "late");
    }
}

TEST(try_finally_raising_after_success_has_no_context)
{
    cx_error *e = cx_protect(finally_raises_after_success, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

TEST(try_nested_inner_handles_and_outer_sees_nothing)
{
    cx_try {
        cx_try {
            cx_raise(&cx_KeyError, "k");
        } cx_except (&cx_KeyError, e) {
            th_log("inner");
        }
        th_log("between");
    } cx_except_any (e) {
        th_log("outer");
    }
    CHECK_STR(th_trace, "inner between");
}

TEST(try_nested_inner_unmatched_reaches_outer_handler)
{
    cx_try {
        cx_try {
            cx_raise(&cx_KeyError, "k");
        } cx_except (&cx_ValueError, e) {
            th_log("inner");
        } cx_finally {
            th_log("inner-finally");
        }
    } cx_except (&cx_KeyError, e) {
        th_log("outer");
    }
    CHECK_STR(th_trace, "inner-finally outer");
}

TEST(try_reraise_from_inner_handler_reaches_outer_unchanged)
{
    cx_try {
        cx_try {
            cx_raise(&cx_KeyError, "k");
        } cx_except (&cx_KeyError, e) {
            cx_reraise();
        }
    } cx_except (&cx_KeyError, e) {
        th_log("outer:%s:%s", cx_error_message(e), cx_error_context(e) ? "chained" : "plain");
    }
    CHECK_STR(th_trace, "outer:k:plain");
}

TEST(try_handler_sees_context_of_a_nested_handling)
{
    cx_try {
        cx_try {
            cx_raise(&cx_KeyError, "a");
        } cx_except (&cx_KeyError, e) {
            cx_try {
                cx_raise(&cx_ValueError, "b");
            } cx_except (&cx_ValueError, e2) {
                cx_raise(&cx_TypeError, "c");
            }
        }
    } cx_except (&cx_TypeError, e) {
        cx_error *b = cx_error_context(e);
        cx_error *a = b ? cx_error_context(b) : NULL;
        th_log("%s<-%s<-%s", cx_error_message(e), b ? cx_error_message(b) : "-",
               a ? cx_error_message(a) : "-");
    }
    CHECK_STR(th_trace, "c<-b<-a");
}

TEST(try_break_leaves_the_try_runs_finally_and_skips_else)
{
    volatile int rounds = 0;
    for (volatile int i = 0; i < 2; i++) {
        rounds++;
        cx_try {
            th_log("body");
            break; /* cx-check: expected */
        } cx_else {
            th_log("else");
        } cx_finally {
            th_log("finally");
        }
    }
    CHECK_EQ(rounds, 2);
    CHECK_STR(th_trace, "body finally body finally");
}

TEST(try_volatile_local_keeps_value_assigned_before_raise)
{
    volatile int progress = 0;
    cx_try {
        progress = 1;
        cx_raise(&cx_ValueError, "x");
    } cx_except_any (e) {
        progress += 10;
    }
    CHECK_EQ(progress, 11);
}

TEST(try_handler_error_is_released_after_the_clause)
{
    for (volatile int i = 0; i < 1000; i++) {
        cx_try {
            cx_raise(&cx_ValueError, "round %d", i);
        } cx_except_any (e) {
        }
    }
    CHECK(cx__state_get()->handling == NULL);
    CHECK(cx__state_get()->top != NULL); /* the runner's protect frame */
}

TEST(try_with_only_finally_runs_it_on_success)
{
    cx_try {
        th_log("body");
    } cx_finally {
        th_log("finally");
    }
    CHECK_STR(th_trace, "body finally");
}

TEST(try_inside_with_body_handles_before_exit_runs)
{
    cx_with (PROBE(.name = "a")) {
        cx_try {
            cx_raise(&cx_KeyError, "k");
        } cx_except (&cx_KeyError, e) {
            th_log("handled");
        }
    }
    CHECK_STR(th_trace, "enter:a handled exit:a:ok");
}

TEST(try_around_with_sees_the_error_after_exit)
{
    cx_try {
        cx_with (PROBE(.name = "a"))
            cx_raise(&cx_KeyError, "k");
    } cx_except (&cx_KeyError, e) {
        th_log("handled");
    }
    CHECK_STR(th_trace, "enter:a exit:a:KeyError handled");
}

static void handler_with_exit_raising(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "k");
    } cx_except (&cx_KeyError, e) {
        cx_with (PROBE(.name = "h", .exit_raises = 1))
            th_log("in handler");
    }
}

TEST(try_exit_raising_inside_handler_chains_the_handled_error)
{
    cx_error *e = cx_protect(handler_with_exit_raising, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK(cx_error_is(cx_error_context(e), &cx_KeyError));
    cx_error_unref(e);
}

/* ---- locals across a landing ---- */

/* A local set before the statements and never changed is intact after a
 * raise lands in a try nested in a with, the try's body always raising
 * (and keeping many values live on the way): clang on x86-64 lost such a
 * local in a program of this shape (docs/statements.md, "Locals after a
 * raise"). */
__attribute__((noinline)) static long opaque(long v) { return v * 3 + 1; }
static void *plain_enter(void *state) { (void)state; return NULL; }
static bool plain_exit(void *state, cx_error *err) { (void)state, (void)err; return false; }
static const cx_manager_type plain = {"plain", plain_enter, plain_exit};

__attribute__((noinline)) static long sum_after_nested_landing(long k)
{
    long x = opaque(k), y = opaque(k + 1), z = opaque(k + 2);
    volatile long sum = 0;
    cx_with (cx_manager_make(&plain, NULL, 0)) {
        cx_try {
            cx_with (cx_manager_make(&plain, NULL, 0)) {
                long a = opaque(1), b = opaque(2), c = opaque(3), d = opaque(4), e = opaque(5),
                     g = opaque(6), h = opaque(7), i = opaque(a + b), j = opaque(c + d),
                     l = opaque(e + g), m = opaque(h + i), n = opaque(j + l);
                cx_raise(&cx_ValueError, "%ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
                         a, b, c, d, e, g, h, i, j, l, m, n);
            }
        } cx_except (&cx_ValueError, err) {
            (void)err;
        }
        sum = x + y + z;
    }
    return sum;
}

TEST(unchanged_local_survives_a_landing_in_a_nested_try)
{
    CHECK_EQ(sum_after_nested_landing(10), opaque(10) + opaque(11) + opaque(12));
}
