/* suppress, nullcontext, closing. */
#include "probe.h"

TEST(suppress_swallows_the_named_type)
{
    cx_with (cx_suppress(&cx_KeyError))
        cx_raise(&cx_KeyError, "gone");
    th_log("after");
    CHECK_STR(th_trace, "after");
}

TEST(suppress_swallows_subclasses)
{
    cx_with (cx_suppress(&cx_LookupError))
        cx_raise(&cx_IndexError, "gone");
    cx_with (cx_suppress(&cx_OSError))
        cx_raise_errno(2, "open %s", "missing");
    th_log("after");
    CHECK_STR(th_trace, "after");
}

TEST(suppress_takes_several_types)
{
    for (volatile int i = 0; i < 2; i++)
        cx_with (cx_suppress(&cx_KeyError, &cx_ValueError)) {
            if (i)
                cx_raise(&cx_ValueError, "v");
            cx_raise(&cx_KeyError, "k");
        }
    th_log("after");
    CHECK_STR(th_trace, "after");
}

static void suppress_other(void *arg)
{
    (void)arg;
    cx_with (cx_suppress(&cx_KeyError))
        cx_raise(&cx_TypeError, "not mine");
}

TEST(suppress_lets_other_types_through)
{
    cx_error *e = cx_protect(suppress_other, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    cx_error_unref(e);
}

static void suppress_generator_exit(void *arg)
{
    (void)arg;
    cx_with (cx_suppress(&cx_Exception))
        cx_raise(&cx_GeneratorExit, "g");
}

static void suppress_cancelled(void *arg)
{
    (void)arg;
    cx_with (cx_suppress(&cx_Exception))
        cx_raise(&cx_CancelledError, "c");
}

TEST(suppress_exception_does_not_swallow_generator_exit)
{
    cx_error *e = cx_protect(suppress_generator_exit, NULL);
    CHECK(cx_error_is(e, &cx_GeneratorExit));
    cx_error_unref(e);
}

TEST(suppress_exception_does_not_swallow_cancelled_error)
{
    cx_error *e = cx_protect(suppress_cancelled, NULL);
    CHECK(cx_error_is(e, &cx_CancelledError));
    cx_error_unref(e);
}

TEST(suppress_is_reusable)
{
    cx_manager m = cx_suppress(&cx_KeyError);
    for (int i = 0; i < 3; i++)
        cx_with (m)
            cx_raise(&cx_KeyError, "k%d", i);
    th_log("after");
    CHECK_STR(th_trace, "after");
}

TEST(suppress_is_reentrant)
{
    cx_manager m = cx_suppress(&cx_KeyError);
    cx_with (m) {
        cx_with (m)
            cx_raise(&cx_KeyError, "inner");
        th_log("between");
        cx_raise(&cx_KeyError, "outer");
    }
    CHECK_STR(th_trace, "between");
}

TEST(suppress_with_no_error_does_nothing)
{
    cx_with (cx_suppress(&cx_KeyError))
        th_log("body");
    CHECK_STR(th_trace, "body");
}

static void too_many_types(void *arg)
{
    (void)arg;
    cx_suppress(&cx_KeyError, &cx_KeyError, &cx_KeyError, &cx_KeyError,
                &cx_KeyError, &cx_KeyError, &cx_KeyError, &cx_KeyError);
}

TEST(suppress_refuses_more_than_seven_types)
{
    cx_error *e = cx_protect(too_many_types, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

TEST(nullcontext_binds_its_value)
{
    int x = 5;
    int *volatile seen = NULL;
    cx_with (int *p, cx_nullcontext(&x))
        seen = p;
    CHECK(seen == &x);
}

static void null_raises(void *arg)
{
    (void)arg;
    cx_with (cx_nullcontext(NULL))
        cx_raise(&cx_KeyError, "through");
}

TEST(nullcontext_lets_errors_through)
{
    cx_error *e = cx_protect(null_raises, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    cx_error_unref(e);
}

typedef struct { int closed; } resource;
static void resource_close(void *r) { ((resource *)r)->closed++; th_log("closed"); }

TEST(closing_binds_the_object_and_closes_it_at_exit)
{
    resource r = {0};
    resource *volatile seen = NULL;
    cx_with (resource *p, cx_closing(&r, resource_close)) {
        seen = p;
        CHECK_EQ(r.closed, 0);
    }
    CHECK(seen == &r);
    CHECK_EQ(r.closed, 1);
}

static void closing_raises(void *arg)
{
    cx_with (cx_closing(arg, resource_close))
        cx_raise(&cx_ValueError, "x");
}

TEST(closing_closes_when_the_body_raises_and_does_not_suppress)
{
    resource r = {0};
    cx_error *e = cx_protect(closing_raises, &r);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_EQ(r.closed, 1);
    cx_error_unref(e);
}

static int find_in(int value)
{
    resource r = {0};
    cx_with (cx_closing(&r, resource_close))
        return value * 2;
    return 0;
}

TEST(closing_closes_on_return)
{
    CHECK_EQ(find_in(21), 42);
    CHECK_STR(th_trace, "closed");
}
