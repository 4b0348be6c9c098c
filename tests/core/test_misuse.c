/* Misuse is reported clearly, naming file and line, and leaves the frame
 * chain consistent. */
#include "probe.h"

static int return_from_try_body(void)
{
    cx_try {
        return 1; /* cx-check: expected */
    } cx_finally {
        th_log("finally");
    }
    return 0;
}

static void call_return_from_try(void *arg) { (void)arg; return_from_try_body(); }

TEST(try_left_by_return_raises_runtime_error_naming_file_and_line)
{
    cx_error *e = cx_protect(call_return_from_try, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(strstr(cx_error_message(e), "test_misuse.c:") != NULL);
    CHECK(strstr(cx_error_message(e), "left by return or goto") != NULL);
    CHECK_EQ(cx_error_line(e), 7);
    cx_error_unref(e);
}

TEST(try_left_by_return_keeps_the_frame_chain_consistent)
{
    cx__frame *top = cx__state_get()->top;
    cx_error *e = cx_protect(call_return_from_try, NULL);
    cx_error_unref(e);
    CHECK(cx__state_get()->top == top);
    CHECK(cx__state_get()->handling == NULL);
    /* and the chain still works */
    cx_try {
        cx_raise(&cx_KeyError, "after");
    } cx_except (&cx_KeyError, e2) {
        th_log("caught");
    }
    CHECK_STR(th_trace, "caught");
}

static int goto_try_line;

static void goto_out_of_try(void *arg)
{
    (void)arg;
    goto_try_line = __LINE__; cx_try { /* one line: the cx_try's */
        goto out; /* cx-check: expected */
    } cx_finally {
        th_log("finally");
    }
out:
    th_log("not reached");
}

TEST(try_left_by_goto_raises_runtime_error_naming_file_and_line)
{
    cx_error *e = cx_protect(goto_out_of_try, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(strstr(th_trace, "not reached") == NULL);
    char site[4096];
    snprintf(site, sizeof site, "cx_try at %s:%d in goto_out_of_try() left by return or goto",
             __FILE__, goto_try_line);
    CHECK(strstr(cx_error_message(e), site) != NULL);
    CHECK_STR(cx_error_file(e), __FILE__);
    CHECK_EQ(cx_error_line(e), goto_try_line);
    cx_error_unref(e);
}

static int return_from_handler(void)
{
    cx_try {
        cx_raise(&cx_ValueError, "handled");
    } cx_except (&cx_ValueError, e) {
        return 2;
    }
    return 0;
}

TEST(try_without_finally_left_by_return_from_a_handler_returns_and_drops_the_error)
{
    cx__frame *top = cx__state_get()->top;
    CHECK_EQ(return_from_handler(), 2);
    CHECK(cx__state_get()->top == top);
    CHECK(cx__state_get()->handling == NULL); /* and the leak gate sees the error freed */
}

static int return_from_handler_with_finally(void)
{
    cx_try {
        cx_raise(&cx_ValueError, "handled");
    } cx_except (&cx_ValueError, e) {
        return 2; /* cx-check: expected */
    } cx_finally {
        th_log("finally");
    }
    return 0;
}

static void call_return_from_handler(void *arg) { (void)arg; return_from_handler_with_finally(); }

TEST(try_with_finally_left_by_return_from_a_handler_chains_the_handled_error)
{
    cx_error *e = cx_protect(call_return_from_handler, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(cx_error_is(cx_error_context(e), &cx_ValueError));
    CHECK_STR(cx_error_function(e), "return_from_handler_with_finally");
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static int return_from_with_inside_try(void)
{
    cx_try {
        cx_with (PROBE(.name = "w"))
            return 3;
    } cx_except (&cx_KeyError, e) {
    }
    return 0;
}

TEST(try_without_finally_left_by_return_runs_inner_with_exits_and_returns)
{
    cx__frame *top = cx__state_get()->top;
    CHECK_EQ(return_from_with_inside_try(), 3);
    CHECK_STR(th_trace, "enter:w exit:w:ok");
    CHECK(cx__state_get()->top == top);
}

static void reraise_after_handler_ended(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_ValueError, "gone");
    } cx_except_any (e) {
    }
    cx_reraise();
}

TEST(reraise_after_the_handler_ended_is_an_error_not_the_old_error)
{
    cx_error *e = cx_protect(reraise_after_handler_ended, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "no active exception to reraise");
    cx_error_unref(e);
}

static int goto_out_without_finally(void)
{
    volatile int where = 0; /* set in a handler, read after the statement */
    cx_try {
        goto out;
    } cx_except_any (e) {
        where = 1;
    }
out:
    return where + 5;
}

TEST(try_without_finally_left_by_goto_runs_no_clause_and_restores_the_chain)
{
    cx__frame *top = cx__state_get()->top;
    CHECK_EQ(goto_out_without_finally(), 5);
    CHECK(cx__state_get()->top == top);
    /* a later raise still lands where it should */
    cx_try {
        cx_raise(&cx_KeyError, "after");
    } cx_except (&cx_KeyError, e) {
        th_log("caught");
    }
    CHECK_STR(th_trace, "caught");
}

static int return_from_finally(int *ran)
{
    cx_try {
        th_log("body");
    } cx_finally {
        *ran = 1;
        return 9;
    }
    return 0;
}

static void finally_cut_short_with_error(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "pending");
    } cx_finally {
        return;
    }
}

TEST(finally_left_by_return_returns_and_an_error_it_was_to_reraise_goes_on)
{
    int ran = 0;
    CHECK_EQ(return_from_finally(&ran), 9);
    CHECK_EQ(ran, 1);
    cx_error *e = cx_protect(finally_cut_short_with_error, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(cx_error_message(e), "pending");
    cx_error_unref(e);
}
