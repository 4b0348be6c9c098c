/* cx_scope and cx_defer. */
#include "harness.h"

static void note(void *what) { th_log("%s", (const char *)what); }
static void note_then_raise(void *what)
{
    th_log("%s", (const char *)what);
    cx_raise(&cx_RuntimeError, "%s", (const char *)what);
}

TEST(scope_runs_deferred_calls_lifo_at_end)
{
    cx_scope {
        cx_defer(note, "first");
        cx_defer(note, "second");
        th_log("body");
    }
    CHECK_STR(th_trace, "body second first");
}

static void raise_in_scope(void *arg)
{
    (void)arg;
    cx_scope {
        cx_defer(note, "cleanup");
        cx_raise(&cx_ValueError, "boom");
    }
}

TEST(scope_runs_deferred_calls_when_body_raises)
{
    cx_error *e = cx_protect(raise_in_scope, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "cleanup");
    cx_error_unref(e);
}

static int scope_return(void)
{
    cx_scope {
        cx_defer(note, "cleanup");
        return 3;
    }
    return 0;
}

TEST(scope_runs_deferred_calls_on_return)
{
    CHECK_EQ(scope_return(), 3);
    CHECK_STR(th_trace, "cleanup");
}

TEST(scope_break_leaves_the_scope_not_the_loop_and_runs_deferred_calls)
{
    int rounds = 0;
    for (int i = 0; i < 2; i++) {
        rounds++;
        cx_scope {
            cx_defer(note, "cleanup");
            break; /* cx-check: expected */
            th_log("not reached");
        }
        th_log("after");
    }
    CHECK_EQ(rounds, 2);
    CHECK_STR(th_trace, "cleanup after cleanup after");
}

TEST(scope_deferred_call_only_counts_from_where_it_was_deferred)
{
    cx_scope {
        th_log("before");
        cx_defer(note, "cleanup");
        th_log("after");
    }
    CHECK_STR(th_trace, "before after cleanup");
}

TEST(scope_deferred_call_in_a_loop_body_runs_at_the_end_of_each_round)
{
    cx_scope {
        for (int i = 0; i < 3; i++) {
            cx_defer(note, "end-of-round");
            th_log("round");
        }
        th_log("after-loop");
    }
    CHECK_STR(th_trace, "round end-of-round round end-of-round round end-of-round after-loop");
}

static void close_fd(void *fd) { th_log("closing %d", *(int *)fd); }

TEST(scope_deferred_call_sees_a_local_of_its_block_still_alive)
{
    cx_scope {
        int fd = 42;
        cx_defer(close_fd, &fd);
        fd = 43;
    }
    CHECK_STR(th_trace, "closing 43");
}

TEST(scope_holds_many_deferred_calls_without_allocating)
{
    cx_scope {
        cx_defer(note, "1"); cx_defer(note, "2"); cx_defer(note, "3");
        cx_defer(note, "4"); cx_defer(note, "5"); cx_defer(note, "6");
        cx_defer(note, "7"); cx_defer(note, "8"); cx_defer(note, "9");
    }
    CHECK_STR(th_trace, "9 8 7 6 5 4 3 2 1");
}

TEST(scope_deferred_call_in_an_inner_block_runs_when_that_block_ends)
{
    cx_scope {
        cx_defer(note, "outer");
        {
            cx_defer(note, "inner");
            th_log("in-block");
        }
        th_log("after-block");
    }
    CHECK_STR(th_trace, "in-block inner after-block outer");
}

static void defers_raise(void *arg)
{
    (void)arg;
    cx_scope {
        cx_defer(note, "outer");
        cx_defer(note_then_raise, "middle");
        cx_defer(note, "inner");
    }
}

TEST(scope_deferred_call_raising_does_not_stop_the_others)
{
    cx_error *e = cx_protect(defers_raise, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(th_trace, "inner middle outer");
    cx_error_unref(e);
}

static void defer_raises_over_body_error(void *arg)
{
    (void)arg;
    cx_scope {
        cx_defer(note, "last");
        cx_defer(note_then_raise, "cleanup");
        cx_raise(&cx_ValueError, "body");
    }
}

TEST(scope_deferred_call_raising_during_unwind_chains_the_body_error)
{
    cx_error *e = cx_protect(defer_raises_over_body_error, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(cx_error_is(cx_error_context(e), &cx_ValueError));
    CHECK_STR(th_trace, "cleanup last");
    cx_error_unref(e);
}

TEST(scope_nested_scopes_run_inner_first)
{
    cx_scope {
        cx_defer(note, "outer");
        cx_scope {
            cx_defer(note, "inner");
        }
        th_log("between");
    }
    CHECK_STR(th_trace, "inner between outer");
}

TEST(scope_inside_try_runs_before_the_handler)
{
    cx_try {
        cx_scope {
            cx_defer(note, "cleanup");
            cx_raise(&cx_KeyError, "k");
        }
    } cx_except (&cx_KeyError, e) {
        th_log("handler");
    }
    CHECK_STR(th_trace, "cleanup handler");
}
