/* cx/monitor.h — measuring and logging a block: the guide's timer /
 * timed_operation, performance_monitor, and log_activity (exercise 1).
 *
 *   cx_report r;
 *   cx_with (cx_monitor("resize", &r, stderr)) {
 *       resize_images();
 *   }   // stderr: "resize: 0.5012 s wall, 0.4810 s user, 0.0120 s sys, peak RSS +2048 KiB"
 *
 * None of these managers suppresses anything: a body's error propagates after
 * the report is written.  Output lines are plain text, one per event, flushed
 * at once. */
#ifndef CX_MONITOR_H
#define CX_MONITOR_H

#include <stdio.h>

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a block cost.  wall_s is CLOCK_MONOTONIC time; user_s and sys_s are
 * the process's CPU time (getrusage RUSAGE_SELF: every thread counts);
 * peak_rss_growth_kib is how much the process's peak resident set size
 * (ru_maxrss) rose during the block: 0 when the block stayed under an
 * earlier peak. */
typedef struct cx_report {
    double wall_s;            /* elapsed wall-clock seconds */
    double user_s;            /* CPU seconds in user mode */
    double sys_s;             /* CPU seconds in the kernel */
    long peak_rss_growth_kib; /* growth of the peak resident set, KiB */
} cx_report;

/* timer / timed_operation: measures the block's wall time.  At exit (on every
 * path) fills *out, when out is not NULL (user_s, sys_s and
 * peak_rss_growth_kib are 0: only the clock is read), and prints one line to
 * print_to, when not NULL:
 *     "<label>: 0.5012 s wall"
 * followed by " (raised <ErrorType>)" when the body raised.  label NULL prints
 * as "timed".  Never raises.  Binds `out`.  label, out and print_to stay the
 * caller's.  Reusable; nests. */
CX_API cx_manager cx_timed(const char *label, cx_report *out, FILE *print_to);

/* performance_monitor: like cx_timed, plus user and system CPU time and peak
 * RSS growth (getrusage at entry and exit).  The line printed is
 *     "<label>: 0.5012 s wall, 0.4810 s user, 0.0120 s sys, peak RSS +2048 KiB"
 * followed by " (raised <ErrorType>)" when the body raised.  label NULL prints
 * as "monitor".  Never raises.  Binds `out`.  Reusable; nests. */
CX_API cx_manager cx_monitor(const char *label, cx_report *out, FILE *print_to);

/* log_activity: logs the block to `log` (NULL: stderr), one line each:
 *     "start: <activity>"                                  at entry
 *     "end: <activity> (0.0012 s)"                         when the body finished
 *     "failed: <activity> (0.0012 s): ValueError: <msg>"   when an error passed through
 * activity NULL prints as "activity".  The error propagates unchanged (never
 * suppressed).  Never raises.  Binds nothing.  activity and log stay the
 * caller's.  Reusable; nests. */
CX_API cx_manager cx_log_activity(const char *activity, FILE *log);

#ifdef __cplusplus
}
#endif
#endif
