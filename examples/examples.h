/* The tour's examples: one function per guide example, each in its own file
 * under examples/, named after the guide's subsection.  cx-tour (tour.c)
 * calls them in the guide's order, with the working directory set to a fresh
 * temporary directory, so the examples use plain relative file names as the
 * guide's Python does ("data.txt", "output.log"). */
#ifndef CX_EXAMPLES_H
#define CX_EXAMPLES_H

#include <stdio.h>
#include <time.h>

#include <cx/cx.h>

/* ---- small helpers shared by the examples ---- */

/* Seconds on the monotonic clock (Python's time.perf_counter). */
static inline double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* time.sleep(seconds) */
static inline void sleep_s(double seconds)
{
    struct timespec t = {(time_t)seconds,
                         (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&t, &t) != 0)
        ;
}

/* Prints an error's whole chain as Python's traceback does, indented. */
void show_error(const cx_error *e);

/* Prints "  Type: message", wrapped to 80 columns. */
void show_error_line(const cx_error *e);

/* How many descriptors the process has open (counts /proc/self/fd). */
int open_descriptors(void);

/* Writes `text` to `path` (a setup step for examples that read a file). */
void write_text(const char *path, const char *text);

/* The @contextmanager timer() of "The contextlib Module", reused by
 * "Nested Context Managers". */
cx_manager timer(void);

/* ---- the examples, in the guide's order ---- */
void example_introduction(void);
void example_protocol(void);
void example_why_it_matters(void);
void example_with_statement(void);
void example_traditional_vs_with(void);
void example_file_operations(void);
void example_threading_locks(void);
void example_sqlite_connection(void);
void example_custom_managers(void);
void example_class_based(void);
void example_database_connection_pg(void);
void example_temporary_directory(void);
void example_error_handler(void);
void example_timer(void);
void example_closing(void);
void example_suppress(void);
void example_redirect(void);
void example_exitstack(void);
void example_nullcontext(void);
void example_nested(void);
void example_decorator(void);
void example_reusable(void);
void example_echo_server(void);
void example_async_with(void);
void example_aclosing(void);
void example_always_use(void);
void example_handle_exceptions(void);
void example_dynamic_exitstack(void);
void example_timed_operation(void);
void example_config_override(void);
void example_performance_monitor(void);
void example_rate_limiter(void);
void example_exit_exceptions(void);
void example_reentrant(void);
void example_generator_leaks(void);
void example_overhead(void);
void example_optimizing(void);
void example_log_activity(void);
void example_backup_on_write(void);
void example_when_to_use(void);
void example_common_patterns(void);
void example_conclusion(void);

#endif
