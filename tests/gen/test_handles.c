/* Generator handles misused: closed from inside, closed twice, used after
 * close.  Each raises cx_ValueError, as Python does for a generator that
 * is executing; a closed handle is caught while its generator waits out
 * the quarantine (docs/generators.md, "Limits"). */
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void count_up(cx_gen *g, void *arg)
{
    (void)arg;
    for (long i = 1;; i++)
        cx_yield(g, (void *)i);
}

static void closes_itself(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_gen_close(g);
        cx_yield(g, (void *)"not refused");
    } cx_except (&cx_ValueError, e) {
        cx_yield(g, (void *)cx_error_message(e));
    }
}

/* In a child: before the fix this freed the running generator's stack
 * under it. */
static void close_from_inside(void *arg)
{
    (void)arg;
    cx_gen *g = cx_gen_new(closes_itself, NULL);
    void *v = NULL;
    cx_gen_next(g, &v);
    fprintf(stderr, "yielded: %s\n", (const char *)v);
    cx_gen_close(g);
    fprintf(stderr, "closed\n");
}

TEST(gen_close_inside_the_running_generator_raises_value_error)
{
    char *err = NULL;
    int status = th_run_child(close_from_inside, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(err, "yielded: generator already executing\n") != NULL);
    CHECK(strstr(err, "closed\n") != NULL);
    free(err);
}

static void close_it(void *g) { cx_gen_close(g); }
static void next_it(void *g) { cx_gen_next(g, NULL); }
static void finished_it(void *g) { (void)cx_gen_finished(g); }

static void check_stale(cx_error *e, const char *what)
{
    CHECK(e && cx_error_is(e, &cx_ValueError));
    char want[128];
    snprintf(want, sizeof want, "%s: stale generator handle (the generator was closed)", what);
    CHECK_STR(cx_error_message(e), want);
    cx_error_unref(e);
}

TEST(gen_second_close_raises_value_error_naming_the_stale_handle)
{
    cx_gen *g = cx_gen_new(count_up, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
    check_stale(cx_protect(close_it, g), "cx_gen_close");
}

TEST(gen_closing_twice_does_not_make_two_generators_share_one_object)
{
    cx_gen *g = cx_gen_new(count_up, NULL);
    cx_gen_close(g);
    cx_error_unref(cx_protect(close_it, g));
    cx_gen *a = cx_gen_new(count_up, NULL);
    cx_gen *b = cx_gen_new(count_up, NULL);
    CHECK(a != b);
    void *va = NULL, *vb = NULL;
    CHECK(cx_gen_next(a, &va) && cx_gen_next(a, &va) && cx_gen_next(b, &vb));
    CHECK_EQ((long)va, 2);
    CHECK_EQ((long)vb, 1);
    cx_gen_close(a);
    cx_gen_close(b);
}

TEST(gen_next_after_close_raises_value_error_and_drives_no_other_generator)
{
    cx_gen *g = cx_gen_new(count_up, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
    cx_gen *fresh = cx_gen_new(count_up, NULL);
    check_stale(cx_protect(next_it, g), "cx_gen_next");
    void *v = NULL;
    CHECK(cx_gen_next(fresh, &v));
    CHECK_EQ((long)v, 1); /* the stale call did not advance it */
    cx_gen_close(fresh);
}

TEST(gen_finished_after_close_raises_value_error)
{
    cx_gen *g = cx_gen_new(count_up, NULL);
    cx_gen_close(g);
    check_stale(cx_protect(finished_it, g), "cx_gen_finished");
}

TEST(gen_stale_handle_is_detected_while_7_more_generators_are_closed)
{
    cx_gen *g = cx_gen_new(count_up, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
    for (int i = 0; i < 7; i++) {
        cx_gen *other = cx_gen_new(count_up, NULL);
        CHECK(other != g);
        CHECK(cx_gen_next(other, NULL));
        cx_gen_close(other);
    }
    check_stale(cx_protect(next_it, g), "cx_gen_next");
}
