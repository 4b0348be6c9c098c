/* Interactive Examples and Exercises / Exercise 1: Create a Logging Context
 * Manager — the guide's solution, log_activity(activity_name, log_level),
 * with a small logger in place of Python's logging module; then the
 * library's cx_log_activity. */
#include <stdarg.h>
#include <string.h>

#include "examples.h"

/* A logger that prints records at or above its level, as logging does. */
static const char *const levels[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
static int logger_level = 0; /* DEBUG: everything */

static int level_number(const char *name)
{
    for (volatile int i = 0; i < 4; i++)
        if (strcmp(levels[i], name) == 0)
            return i;
    cx_raise(&cx_ValueError, "unknown log level '%s'", name);
}

static void logger_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logger_log(int level, const char *fmt, ...)
{
    if (level < logger_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("  %s:tour:", levels[level]);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

typedef struct {
    const char *activity_name, *log_level;
} activity;

static void log_activity_body(cx_gen *g, void *arg)
{
    const activity *a = arg;
    int level = level_number(a->log_level);
    double start_time = now_s();
    logger_log(level, "Starting: %s", a->activity_name);
    cx_try {
        cx_yield(g, NULL);
    } cx_except (&cx_Exception, e) {
        logger_log(3, "Failed: %s - %s", a->activity_name, cx_error_message(e));
        cx_reraise();
    } cx_else {
        logger_log(level, "Completed: %s (%.2fs)", a->activity_name, now_s() - start_time);
    }
}

/* The arguments live in a compound literal of the with statement. */
#define log_activity(activity_name, log_level) \
    cx_contextmanager(log_activity_body, &(activity){(activity_name), (log_level)})

static void failing_backup(void *unused)
{
    (void)unused;
    cx_with (log_activity("Database backup", "INFO"))
        cx_raise(&cx_OSError, "backup disk not mounted");
}

void example_log_activity(void)
{
    /* Test your implementation */
    cx_with (log_activity("Database backup", "DEBUG")) {
        sleep_s(1); /* Simulate work */
        puts("  Backup completed!");
    }

    cx_error *e = cx_protect(failing_backup, NULL);
    printf("  re-raised to the caller: %s\n", cx_error_type(e)->name);
    cx_error_unref(e);

    puts("The library's cx_log_activity:");
    cx_with (cx_log_activity("Database backup", stdout))
        puts("Backup completed!");
}
