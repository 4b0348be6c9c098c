/* Timing, resource use and activity logging around a block. */
#include <errno.h>
#include <time.h>

#include <cx/monitor.h>

#include "probe.h"

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* A FILE * collecting what is printed into memory. */
typedef struct {
    char *text;
    size_t len;
    FILE *f;
} sink;

static void sink_open(sink *s) { s->f = open_memstream(&s->text, &s->len); CHECK(s->f != NULL); }
static void sink_close(sink *s) { fclose(s->f); free(s->text); }

static volatile double burned;

static void burn_cpu(double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 10000; i++)
            burned = burned * 1.0000001 + 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

/* ---- cx_timed ---- */

TEST(timed_reports_the_wall_time_of_the_body)
{
    cx_report r = {-1, -1, -1, -1};
    cx_with (cx_timed("sleep", &r, NULL))
        sleep_s(0.05);
    CHECK(r.wall_s >= 0.05 && r.wall_s < 2);
    CHECK(r.user_s == 0 && r.sys_s == 0 && r.peak_rss_growth_kib == 0);
}

TEST(timed_prints_one_line_with_the_label_and_the_seconds)
{
    sink s;
    double secs = -1;
    char tail[16] = "";
    sink_open(&s);
    cx_with (cx_timed("Database migration", NULL, s.f))
        sleep_s(0.02);
    CHECK_EQ(sscanf(s.text, "Database migration: %lf s %15s", &secs, tail), 2);
    CHECK_STR(tail, "wall");
    CHECK(secs >= 0.02 && secs < 2);
    CHECK_EQ(s.text[s.len - 1], '\n');
    CHECK(strchr(s.text, '\n') == s.text + s.len - 1);
    sink_close(&s);
}

static void timed_body_raises(void *arg)
{
    sink *s = arg;
    cx_with (cx_report *r, cx_timed("failing", NULL, s->f)) {
        (void)r;
        cx_raise(&cx_KeyError, "missing");
    }
}

TEST(timed_still_prints_when_the_body_raises_and_names_the_error)
{
    sink s;
    sink_open(&s);
    cx_error *e = cx_protect(timed_body_raises, &s);
    CHECK(cx_error_is(e, &cx_KeyError));   /* not suppressed */
    CHECK(strncmp(s.text, "failing: ", 9) == 0);
    CHECK(strstr(s.text, " s wall (raised KeyError)\n") != NULL);
    cx_error_unref(e);
    sink_close(&s);
}

TEST(timed_with_a_null_label_prints_timed)
{
    sink s;
    sink_open(&s);
    cx_with (cx_timed(NULL, NULL, s.f)) {}
    CHECK(strncmp(s.text, "timed: ", 7) == 0);
    sink_close(&s);
}

TEST(timed_binds_the_report_it_fills)
{
    cx_report r;
    cx_report *volatile bound = NULL;
    cx_with (cx_report *p, cx_timed("x", &r, NULL))
        bound = p;
    CHECK(bound == &r);
}

TEST(timed_manager_is_reusable_and_measures_each_use)
{
    cx_report r;
    cx_manager m = cx_timed(NULL, &r, NULL);
    cx_with (m)
        sleep_s(0.05);
    double first = r.wall_s;
    cx_with (m) {}
    CHECK(first >= 0.05);
    CHECK(r.wall_s < first);
}

/* ---- cx_monitor ---- */

TEST(monitor_counts_the_cpu_time_of_a_busy_body_as_user_time)
{
    cx_report r;
    cx_with (cx_monitor("busy", &r, NULL))
        burn_cpu(0.1);
    CHECK(r.user_s + r.sys_s >= 0.09);
    CHECK(r.user_s >= 0.05);
    CHECK(r.wall_s >= r.user_s * 0.9);
}

TEST(monitor_of_a_sleeping_body_reports_wall_time_but_little_cpu)
{
    cx_report r;
    cx_with (cx_monitor("idle", &r, NULL))
        sleep_s(0.1);
    CHECK(r.wall_s >= 0.1);
    CHECK(r.user_s + r.sys_s < 0.05);
}

TEST(monitor_reports_peak_rss_growth_after_touching_memory)
{
    cx_report r;
    size_t n = 64u << 20;
    cx_with (cx_monitor("alloc", &r, NULL)) {
        volatile char *p = malloc(n);   /* volatile: every page really written */
        CHECK(p != NULL);
        for (size_t i = 0; i < n; i += 4096)
            p[i] = 1;
        free((void *)p);
    }
    CHECK(r.peak_rss_growth_kib >= 48 * 1024);
}

TEST(monitor_prints_wall_user_sys_and_rss_on_one_line)
{
    sink s;
    double wall, user, sys;
    long rss;
    sink_open(&s);
    cx_with (cx_monitor("resize", NULL, s.f))
        burn_cpu(0.02);
    CHECK_EQ(sscanf(s.text, "resize: %lf s wall, %lf s user, %lf s sys, peak RSS %ld KiB",
                    &wall, &user, &sys, &rss), 4);
    CHECK(wall > 0 && user >= 0 && sys >= 0 && rss >= 0);
    CHECK(strstr(s.text, "peak RSS +") != NULL);
    CHECK(strchr(s.text, '\n') == s.text + s.len - 1);
    sink_close(&s);
}

static void monitor_body_raises(void *arg)
{
    cx_with (cx_monitor(NULL, arg, NULL))
        cx_raise(&cx_ValueError, "bad");
}

TEST(monitor_fills_the_report_when_the_body_raises)
{
    cx_report r = {-1, -1, -1, -1};
    cx_error *e = cx_protect(monitor_body_raises, &r);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(r.wall_s >= 0 && r.user_s >= 0 && r.sys_s >= 0 && r.peak_rss_growth_kib >= 0);
    cx_error_unref(e);
}

/* ---- cx_log_activity ---- */

TEST(log_activity_logs_start_and_end_with_the_duration)
{
    sink s;
    double took = -1;
    sink_open(&s);
    cx_with (cx_log_activity("Database backup", s.f)) {
        fflush(s.f);
        CHECK_STR(s.text, "start: Database backup\n");
        sleep_s(0.02);
    }
    CHECK_EQ(sscanf(s.text, "start: Database backup\nend: Database backup (%lf s)", &took), 1);
    CHECK(took >= 0.02 && took < 2);
    CHECK(s.text[s.len - 1] == '\n');
    sink_close(&s);
}

static void activity_fails(void *arg)
{
    cx_with (cx_log_activity("import", arg))
        cx_raise(&cx_ValueError, "row 7: bad date");
}

TEST(log_activity_logs_the_error_type_and_message_and_does_not_suppress_it)
{
    sink s;
    sink_open(&s);
    cx_error *e = cx_protect(activity_fails, s.f);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "row 7: bad date");
    CHECK(strncmp(s.text, "start: import\nfailed: import (", 30) == 0);
    CHECK(strstr(s.text, " s): ValueError: row 7: bad date\n") != NULL);
    CHECK(strstr(s.text, "end:") == NULL);
    cx_error_unref(e);
    sink_close(&s);
}

TEST(log_activity_names_a_null_activity_activity_on_every_line)
{
    sink s;
    sink_open(&s);
    cx_with (cx_log_activity(NULL, s.f)) {}
    CHECK(strncmp(s.text, "start: activity\nend: activity (", 31) == 0);
    sink_close(&s);
}

TEST(log_activity_with_no_log_writes_to_stderr)
{
    char *text = NULL;
    cx_with (cx_capture_stderr(&text))
    cx_with (cx_log_activity("quiet work", NULL)) {}
    CHECK(strncmp(text, "start: quiet work\nend: quiet work (", 35) == 0);
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
}

TEST(log_activity_nested_logs_inner_inside_outer)
{
    sink s;
    sink_open(&s);
    cx_with (cx_log_activity("outer", s.f))
    cx_with (cx_log_activity("inner", s.f)) {}
    const char *a = strstr(s.text, "start: outer"), *b = strstr(s.text, "start: inner"),
               *c = strstr(s.text, "end: inner"), *d = strstr(s.text, "end: outer");
    CHECK(a && b && c && d && a < b && b < c && c < d);
    sink_close(&s);
}
