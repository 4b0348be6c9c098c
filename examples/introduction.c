/* Introduction: the flow every manager follows — __enter__ sets up, the
 * with block runs, __exit__ cleans up — traced by a manager that prints. */
#include "examples.h"

static void *flow_enter(void *state)
{
    (void)state;
    puts("  __enter__: setup");
    return NULL;
}

static bool flow_exit(void *state, cx_error *err)
{
    (void)state;
    printf("  __exit__: cleanup (%s)\n", err ? "after an error" : "normal end");
    return false;
}

static const cx_manager_type flow_type = {"flow", flow_enter, flow_exit};

static void failing_block(void *unused)
{
    (void)unused;
    cx_with (cx_manager_make(&flow_type, NULL, 0)) {
        puts("  with block: raises ValueError");
        cx_raise(&cx_ValueError, "something went wrong");
    }
}

void example_introduction(void)
{
    cx_with (cx_manager_make(&flow_type, NULL, 0))
        puts("  with block: runs");

    cx_error *e = cx_protect(failing_block, NULL);
    printf("  the ValueError reached the caller after cleanup: %s\n",
           cx_error_message(e));
    cx_error_unref(e);
}
