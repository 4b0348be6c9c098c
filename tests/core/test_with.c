/* cx_with: PEP 343's rules, plus C's control flow. */
#include "probe.h"

TEST(with_binds_the_enter_value)
{
    const char *volatile seen = NULL;
    cx_with (const char *name, PROBE(.name = "a"))
        seen = name;
    CHECK_STR(seen, "a");
}

TEST(with_exit_runs_once_on_normal_end)
{
    int exits = 0;
    cx_with (PROBE(.name = "a", .exits = &exits))
        th_log("body");
    CHECK_EQ(exits, 1);
    CHECK_STR(th_trace, "enter:a body exit:a:ok");
}

static void raise_in_body(void *arg)
{
    cx_with (PROBE(.name = "a", .exits = arg))
        cx_raise(&cx_ValueError, "body");
}

TEST(with_exit_runs_once_when_body_raises_and_sees_the_error)
{
    int exits = 0;
    cx_error *e = cx_protect(raise_in_body, &exits);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_EQ(exits, 1);
    CHECK_STR(th_trace, "enter:a exit:a:ValueError");
    cx_error_unref(e);
}

static int returns_from_body(int *exits)
{
    cx_with (PROBE(.name = "a", .exits = exits))
        return 7;
    return 0;
}

TEST(with_exit_runs_once_when_body_returns)
{
    int exits = 0;
    CHECK_EQ(returns_from_body(&exits), 7);
    CHECK_EQ(exits, 1);
    CHECK_STR(th_trace, "enter:a exit:a:ok");
}

TEST(with_exit_runs_once_when_body_leaves_by_goto)
{
    int exits = 0;
    cx_with (PROBE(.name = "a", .exits = &exits)) {
        goto out;
    }
    th_log("not reached");
out:
    CHECK_EQ(exits, 1);
    CHECK_STR(th_trace, "enter:a exit:a:ok");
}

TEST(with_break_leaves_the_with_block_not_the_loop)
{
    int exits = 0;
    volatile int rounds = 0;
    for (volatile int i = 0; i < 3; i++) {
        rounds++;
        cx_with (PROBE(.name = "a", .exits = &exits)) {
            break; /* cx-check: expected */
            th_log("not reached");
        }
        th_log("after");
    }
    CHECK_EQ(rounds, 3);
    CHECK_EQ(exits, 3);
    CHECK(strstr(th_trace, "not reached") == NULL);
}

TEST(with_continue_leaves_the_with_block_and_runs_exit)
{
    int exits = 0, afters = 0;
    for (int i = 0; i < 2; i++) {
        cx_with (PROBE(.name = "a", .exits = &exits)) {
            continue; /* cx-check: expected */
            th_log("not reached");
        }
        afters++;
    }
    CHECK_EQ(exits, 2);
    CHECK_EQ(afters, 2);
}

static void enter_raises(void *arg)
{
    cx_with (PROBE(.name = "a", .enter_raises = 1, .exits = arg))
        th_log("body");
}

TEST(with_enter_raising_skips_body_and_exit)
{
    int exits = 0;
    cx_error *e = cx_protect(enter_raises, &exits);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_EQ(exits, 0);
    CHECK_STR(th_trace, "enter:a");
    cx_error_unref(e);
}

TEST(with_exit_returning_true_suppresses_and_continues_after_the_block)
{
    cx_with (PROBE(.name = "a", .suppress = 1)) {
        cx_raise(&cx_KeyError, "swallowed");
        th_log("not reached");
    }
    th_log("after");
    CHECK_STR(th_trace, "enter:a exit:a:KeyError after");
}

TEST(with_exit_returning_true_without_error_means_nothing)
{
    cx_with (PROBE(.name = "a", .suppress = 1))
        th_log("body");
    th_log("after");
    CHECK_STR(th_trace, "enter:a body exit:a:ok after");
}

static void exit_raises_over_error(void *arg)
{
    (void)arg;
    cx_with (PROBE(.name = "a", .exit_raises = 1))
        cx_raise(&cx_ValueError, "original");
}

TEST(with_exit_raising_replaces_the_error_with_the_old_as_context)
{
    cx_error *e = cx_protect(exit_raises_over_error, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK(cx_error_context(e) && cx_error_is(cx_error_context(e), &cx_ValueError));
    CHECK_STR(cx_error_message(cx_error_context(e)), "original");
    cx_error_unref(e);
}

static void exit_raises_on_success(void *arg)
{
    (void)arg;
    cx_with (PROBE(.name = "a", .exit_raises = 1))
        th_log("body");
}

TEST(with_exit_raising_after_success_has_no_context)
{
    cx_error *e = cx_protect(exit_raises_on_success, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

static void three_deep(void *arg)
{
    (void)arg;
    cx_with (PROBE(.name = "a"))
    cx_with (PROBE(.name = "b"))
    cx_with (PROBE(.name = "c"))
        cx_raise(&cx_ValueError, "deep");
}

TEST(with_nesting_exits_in_lifo_order_three_deep)
{
    cx_error *e = cx_protect(three_deep, NULL);
    CHECK_STR(th_trace, "enter:a enter:b enter:c exit:c:ValueError exit:b:ValueError exit:a:ValueError");
    cx_error_unref(e);
}

TEST(with_stacked_binds_each_value)
{
    const char *volatile x = NULL, *volatile y = NULL;
    cx_with (const char *a, PROBE(.name = "first"))
    cx_with (const char *b, PROBE(.name = "second")) {
        x = a;
        y = b;
    }
    CHECK_STR(x, "first");
    CHECK_STR(y, "second");
    CHECK_STR(th_trace, "enter:first enter:second exit:second:ok exit:first:ok");
}

static void inner_suppresses(void *arg)
{
    (void)arg;
    cx_with (PROBE(.name = "outer"))
    cx_with (PROBE(.name = "inner", .suppress = 1))
        cx_raise(&cx_ValueError, "x");
}

TEST(with_inner_suppression_makes_outer_exit_see_no_error)
{
    CHECK(cx_protect(inner_suppresses, NULL) == NULL);
    CHECK_STR(th_trace, "enter:outer enter:inner exit:inner:ValueError exit:outer:ok");
}

static void inner_enter_raises(void *arg)
{
    (void)arg;
    cx_with (PROBE(.name = "outer"))
    cx_with (PROBE(.name = "inner", .enter_raises = 1))
        th_log("body");
}

TEST(with_inner_enter_raising_runs_outer_exit_with_the_error)
{
    cx_error *e = cx_protect(inner_enter_raises, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "enter:outer enter:inner exit:outer:ValueError");
    cx_error_unref(e);
}

static void exits_raise_in_chain(void *arg)
{
    (void)arg;
    cx_with (PROBE(.name = "outer", .exit_raises = 1))
    cx_with (PROBE(.name = "inner", .exit_raises = 1))
        cx_raise(&cx_ValueError, "body");
}

TEST(with_every_error_on_the_way_stays_in_the_chain)
{
    cx_error *e = cx_protect(exits_raise_in_chain, NULL);
    CHECK_STR(cx_error_message(e), "exit outer");
    cx_error *c1 = cx_error_context(e);
    CHECK(c1 && strcmp(cx_error_message(c1), "exit inner") == 0);
    cx_error *c2 = cx_error_context(c1);
    CHECK(c2 && strcmp(cx_error_message(c2), "body") == 0);
    cx_error_unref(e);
}

TEST(with_manager_value_can_be_reused_as_a_copy)
{
    int exits = 0;
    cx_manager m = PROBE(.name = "r", .exits = &exits);
    cx_with (m) th_log("one");
    cx_with (m) th_log("two");
    CHECK_EQ(exits, 2);
}

TEST(with_exit_is_given_null_after_return_from_a_nested_function)
{
    int exits = 0;
    CHECK_EQ(returns_from_body(&exits) + returns_from_body(&exits), 14);
    CHECK_EQ(exits, 2);
}

TEST(manager_make_refuses_oversized_state)
{
    static char big[CX_MANAGER_STATE_SIZE + 1];
    volatile int raised = 0;
    cx_try {
        cx_manager_make(&(cx_manager_type){"big", NULL, NULL}, big, sizeof big);
    } cx_except (&cx_ValueError, e) {
        raised = 1;
    }
    CHECK(raised);
}

TEST(manager_enter_and_exit_can_be_called_directly)
{
    cx_manager m = PROBE(.name = "d");
    CHECK_STR(cx_manager_enter(&m), "d");
    CHECK(!cx_manager_exit(&m, NULL));
    CHECK_STR(th_trace, "enter:d exit:d:ok");
}

TEST(with_inside_a_loop_enters_and_exits_each_round)
{
    int exits = 0;
    for (volatile int i = 0; i < 100; i++)
        cx_with (PROBE(.name = "l", .exits = &exits)) {}
    CHECK_EQ(exits, 100);
}
