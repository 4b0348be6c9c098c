/* Real-World Examples / 1. Configuration Manager: the guide's
 * config_override(debug=True, log_level='DEBUG').  A C configuration is a
 * struct, so each override is CX_OVERRIDE(field, value) (cx_override); the
 * guide's "remove keys that did not exist before" is what cx_setenv does for
 * an environment variable that was not set.  Each override is declared with
 * cx_using and undone when its block is left, last declared first. */
#include <stdlib.h>

#include "examples.h"

typedef struct {
    bool debug;
    const char *log_level;
    int workers;
} app_config;

static app_config config = {false, "INFO", 4};

static void print_config(const char *when)
{
    const char *trace = getenv("APP_TRACE");
    printf("  %-7s debug=%s log_level=%s workers=%d APP_TRACE=%s\n", when,
           config.debug ? "True" : "False", config.log_level, config.workers,
           trace ? trace : "(unset)");
}

static void run_debug_operations(void) { print_config("inside"); }

static void override_then_fail(void *unused)
{
    (void)unused;
    cx_using (CX_OVERRIDE(config.workers, 1));
    print_config("inside");
    cx_raise(&cx_RuntimeError, "debug run failed");
}

void example_config_override(void)
{
    print_config("before");
    {
        cx_using (CX_OVERRIDE(config.debug, true));
        cx_using (CX_OVERRIDE(config.log_level, "DEBUG"));
        cx_using (cx_setenv("APP_TRACE", "1"));
        run_debug_operations();
    }
    /* Configuration automatically restored */
    print_config("after");

    puts("Restored when the block raises, too:");
    cx_error *e = cx_protect(override_then_fail, NULL);
    printf("  (%s: %s)\n", cx_error_type(e)->name, cx_error_message(e));
    cx_error_unref(e);
    print_config("after");
}
