/* cx_using: a declaration whose exit runs when its block is left by any
 * path, with no jump buffer; cx_defer in any block. */
#include <errno.h>
#include <unistd.h>

#include "probe.h"

static int after_block(void)
{
    {
        cx_using (PROBE(.name = "a"));
        th_log("body");
    }
    th_log("after");
    return 0;
}

TEST(using_exit_runs_at_the_end_of_its_block)
{
    after_block();
    CHECK_STR(th_trace, "enter:a body exit:a:ok after");
}

static int return_through(void)
{
    cx_using (PROBE(.name = "a"));
    th_log("body");
    return 7;
}

TEST(using_exit_runs_on_return_and_the_value_comes_back)
{
    CHECK_EQ(return_through(), 7);
    CHECK_STR(th_trace, "enter:a body exit:a:ok");
}

TEST(using_exit_runs_on_goto_out_of_its_block)
{
    {
        cx_using (PROBE(.name = "a"));
        goto out;
    }
out:
    th_log("out");
    CHECK_STR(th_trace, "enter:a exit:a:ok out");
}

TEST(using_break_reaches_the_enclosing_loop_after_exit)
{
    int rounds = 0;
    for (int i = 0; i < 5; i++) {
        rounds++;
        cx_using (PROBE(.name = "a"));
        if (i == 1)
            break;
    }
    CHECK_EQ(rounds, 2);
    CHECK_STR(th_trace, "enter:a exit:a:ok enter:a exit:a:ok");
}

TEST(using_continue_reaches_the_enclosing_loop_after_exit)
{
    int bodies = 0;
    for (int i = 0; i < 3; i++) {
        cx_using (PROBE(.name = "a"));
        if (i != 2)
            continue;
        bodies++;
    }
    CHECK_EQ(bodies, 1);
    CHECK_STR(th_trace, "enter:a exit:a:ok enter:a exit:a:ok enter:a exit:a:ok");
}

TEST(using_break_out_of_a_while_loop_nested_two_deep_runs_both_exits)
{
    int i = 0;
    while (1) {
        cx_using (PROBE(.name = "outer"));
        for (int j = 0;; j++) {
            cx_using (PROBE(.name = "inner"));
            if (j == 1)
                break;
        }
        if (++i == 1)
            break;
    }
    CHECK_STR(th_trace, "enter:outer enter:inner exit:inner:ok enter:inner exit:inner:ok "
                        "exit:outer:ok");
}

static void raise_through(void *arg)
{
    (void)arg;
    cx_using (PROBE(.name = "a"));
    cx_using (PROBE(.name = "b"));
    cx_raise(&cx_KeyError, "passing");
}

TEST(using_exit_gets_a_raise_passing_through_last_entered_first)
{
    cx_error *e = cx_protect(raise_through, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(th_trace, "enter:a enter:b exit:b:KeyError exit:a:KeyError");
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

TEST(using_inside_a_try_body_exits_before_the_handler_runs)
{
    cx_try {
        cx_using (PROBE(.name = "a"));
        cx_raise(&cx_ValueError, "x");
    } cx_except (&cx_ValueError, e) {
        th_log("handler");
    }
    CHECK_STR(th_trace, "enter:a exit:a:ValueError handler");
}

static void exit_raises_on_clean_end(void *arg)
{
    (void)arg;
    cx_using (PROBE(.name = "a"));
    cx_using (PROBE(.name = "b", .exit_raises = 1));
    th_log("body");
}

TEST(using_exit_raising_at_the_block_end_still_runs_the_earlier_exits)
{
    cx_error *e = cx_protect(exit_raises_on_clean_end, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK_STR(th_trace, "enter:a enter:b body exit:b:ok exit:a:TypeError");
    cx_error_unref(e);
}

static void exit_raises_during_a_raise(void *arg)
{
    (void)arg;
    cx_using (PROBE(.name = "a", .exit_raises = 1));
    cx_raise(&cx_KeyError, "first");
}

TEST(using_exit_raising_during_a_raise_chains_the_first_error_as_context)
{
    cx_error *e = cx_protect(exit_raises_during_a_raise, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK(cx_error_is(cx_error_context(e), &cx_KeyError));
    cx_error_unref(e);
}

static void enter_raises(void *arg)
{
    (void)arg;
    cx_using (PROBE(.name = "a"));
    cx_using (PROBE(.name = "b", .enter_raises = 1));
    th_log("not reached");
}

TEST(using_whose_enter_raises_runs_no_exit_of_its_own)
{
    cx_error *e = cx_protect(enter_raises, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "enter:a enter:b exit:a:ValueError");
    cx_error_unref(e);
}

static int using_line;

static void suppressing_manager(void *arg)
{
    (void)arg;
    using_line = __LINE__; cx_using (PROBE(.name = "s", .suppress = 1));
    cx_raise(&cx_KeyError, "not to be lost");
}

TEST(using_a_manager_that_would_suppress_raises_runtime_error_keeping_the_error)
{
    cx_error *e = cx_protect(suppressing_manager, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(strstr(cx_error_message(e), "cx_using cannot do") != NULL);
    CHECK(cx_error_is(cx_error_context(e), &cx_KeyError));
    CHECK_STR(cx_error_message(cx_error_context(e)), "not to be lost");
    CHECK_STR(cx_error_file(e), __FILE__);
    CHECK_EQ(cx_error_line(e), using_line);
    CHECK_STR(cx_error_function(e), "suppressing_manager");
    cx_error_unref(e);
}

TEST(using_binds_the_enter_value)
{
#ifdef _WIN32
    th_skip("cx_open (io.h) is not built on Windows");
#else
    char path[] = "/tmp/cx-using-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    {
        cx_using (FILE *f, cx_open(path, "w"));
        fputs("written", f);
    }
    {
        cx_using (FILE *f, cx_open(path, "r"));
        char buf[16] = {0};
        CHECK(fgets(buf, sizeof buf, f) != NULL);
        CHECK_STR(buf, "written");
    }
    unlink(path);
#endif
}

/* th_log is variadic: called through void (*)(void *) it would be undefined
 * behaviour, so the callback is a function of that type. */
static void log_text(void *text) { th_log("%s", (const char *)text); }

TEST(using_and_defer_share_one_order_last_declared_first)
{
    {
        cx_defer(log_text, "defer1");
        cx_using (PROBE(.name = "a"));
        cx_defer(log_text, "defer2");
    }
    CHECK_STR(th_trace, "enter:a defer2 exit:a:ok defer1");
}

static void log_arg(void *arg) { th_log("%s", (const char *)arg); }

TEST(defer_works_in_any_block_without_a_scope)
{
    for (int i = 0; i < 2; i++) {
        cx_defer(log_arg, "round");
        if (i == 0)
            continue;
    }
    CHECK_STR(th_trace, "round round");
}

static int changed_and_read_after_a_raise(void)
{
    int count = 0; /* not volatile: no jump buffer is set by cx_using */
    cx_error *e = NULL;
    {
        cx_using (PROBE(.name = "a"));
        count = 3;
    }
    count++;
    cx_error_unref(e);
    return count;
}

TEST(using_locals_need_no_volatile)
{
    CHECK_EQ(changed_and_read_after_a_raise(), 4);
}

TEST(using_keeps_the_frame_chain_as_it_found_it_on_every_path)
{
    cx__frame *top = cx__state_get()->top;
    after_block();
    return_through();
    cx_error_unref(cx_protect(raise_through, NULL));
    cx_error_unref(cx_protect(suppressing_manager, NULL));
    CHECK(cx__state_get()->top == top);
    CHECK(cx__state_get()->handling == NULL);
}

/* ---- errors name the caller's line ---- */

#ifndef _WIN32
static int open_line;

static void open_missing(void *arg)
{
    (void)arg;
    open_line = __LINE__; cx_using (FILE *f, cx_open("/nonexistent/cx/file", "r"));
    (void)f;
}
#endif

TEST(failed_open_names_the_callers_file_line_and_function)
{
#ifdef _WIN32
    th_skip("cx_open (io.h) is not built on Windows");
#else
    cx_error *e = cx_protect(open_missing, NULL);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    CHECK_STR(cx_error_file(e), __FILE__);
    CHECK_EQ(cx_error_line(e), open_line);
    CHECK_STR(cx_error_function(e), "open_missing");
    cx_error_unref(e);
#endif
}

static int with_line, raise_line;

static void through_statements(void *arg)
{
    (void)arg;
    with_line = __LINE__; cx_with (PROBE(.name = "w")) {
        cx_using (PROBE(.name = "u"));
        raise_line = __LINE__; cx_raise(&cx_ValueError, "deep");
    }
}

TEST(traceback_shows_each_statement_the_error_passed_outermost_first)
{
    cx_error *e = cx_protect(through_statements, NULL);
    char *text = th_printed(e);
    char want[1024];
    snprintf(want, sizeof want,
             "Traceback (most recent call last):\n"
             "  File \"%s\", line %d, in through_statements\n"
             "    cx_with\n"
             "  File \"%s\", line %d, in through_statements\n"
             "    cx_using\n"
             "  File \"%s\", line %d, in through_statements\n"
             "ValueError: deep\n",
             __FILE__, with_line, __FILE__, with_line + 1, __FILE__, raise_line);
    CHECK_STR(text, want);
    free(text);
    cx_error_unref(e);
}
