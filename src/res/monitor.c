/* Timing, resource use and activity logging around a block. */
#include <sys/resource.h>
#include <time.h>

#include <cx/monitor.h>

#include "../port/port.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

/* ---- cx_timed and cx_monitor: one state, the monitor reads more ---- */

typedef struct {
    const char *label;
    cx_report *out;
    FILE *print_to;
    double wall0, user0, sys0;
    long rss0;
    bool full;   /* cx_monitor: CPU time and RSS too */
} measure_state;

_Static_assert(sizeof(measure_state) <= CX_MANAGER_STATE_SIZE, "measure state fits inline");

static void *measure_enter(void *state)
{
    measure_state *s = state;
    if (s->full) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        s->user0 = seconds(ru.ru_utime);
        s->sys0 = seconds(ru.ru_stime);
        s->rss0 = cx__port_maxrss_kib(&ru);
    }
    s->wall0 = wall_now();   /* last, so the entry's own cost is not counted */
    return s->out;
}

static void print_raised(FILE *to, const cx_error *err)
{
    if (err)
        fprintf(to, " (raised %s)", cx_error_type(err)->name);
    fputc('\n', to);
    fflush(to);
}

static bool measure_exit(void *state, cx_error *err)
{
    measure_state *s = state;
    cx_report r = {wall_now() - s->wall0, 0, 0, 0};
    if (s->full) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.user_s = seconds(ru.ru_utime) - s->user0;
        r.sys_s = seconds(ru.ru_stime) - s->sys0;
        r.peak_rss_growth_kib = cx__port_maxrss_kib(&ru) - s->rss0;
    }
    if (s->out)
        *s->out = r;
    if (s->print_to && s->full) {
        fprintf(s->print_to, "%s: %.4f s wall, %.4f s user, %.4f s sys, peak RSS %+ld KiB",
                s->label ? s->label : "monitor", r.wall_s, r.user_s, r.sys_s,
                r.peak_rss_growth_kib);
        print_raised(s->print_to, err);
    } else if (s->print_to) {
        fprintf(s->print_to, "%s: %.4f s wall", s->label ? s->label : "timed", r.wall_s);
        print_raised(s->print_to, err);
    }
    return false;
}

static const cx_manager_type timed_type = {"timed", measure_enter, measure_exit};
static const cx_manager_type monitor_type = {"monitor", measure_enter, measure_exit};

cx_manager cx_timed(const char *label, cx_report *out, FILE *print_to)
{
    measure_state s = {label, out, print_to, 0, 0, 0, 0, false};
    return cx_manager_make(&timed_type, &s, sizeof s);
}

cx_manager cx_monitor(const char *label, cx_report *out, FILE *print_to)
{
    measure_state s = {label, out, print_to, 0, 0, 0, 0, true};
    return cx_manager_make(&monitor_type, &s, sizeof s);
}

/* ---- log_activity ---- */

typedef struct {
    const char *activity;
    FILE *log;
    double start;
} activity_state;

static FILE *log_of(activity_state *s) { return s->log ? s->log : stderr; }
static const char *name_of(activity_state *s) { return s->activity ? s->activity : "activity"; }

static void *activity_enter(void *state)
{
    activity_state *s = state;
    fprintf(log_of(s), "start: %s\n", name_of(s));
    fflush(log_of(s));
    s->start = wall_now();
    return NULL;
}

static bool activity_exit(void *state, cx_error *err)
{
    activity_state *s = state;
    double took = wall_now() - s->start;
    if (err)
        fprintf(log_of(s), "failed: %s (%.4f s): %s: %s\n", name_of(s), took,
                cx_error_type(err)->name, cx_error_message(err));
    else
        fprintf(log_of(s), "end: %s (%.4f s)\n", name_of(s), took);
    fflush(log_of(s));
    return false;
}

static const cx_manager_type activity_type = {"log_activity", activity_enter, activity_exit};

cx_manager cx_log_activity(const char *activity, FILE *log)
{
    activity_state s = {activity, log, 0};
    return cx_manager_make(&activity_type, &s, sizeof s);
}
