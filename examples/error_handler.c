/* Exception Handling in Context Managers: the guide's error_handler, which
 * suppresses ValueError and lets anything else through.  Written as a
 * class-based manager: its exit sees the error and returns true to suppress. */
#include "examples.h"

static void *guard_enter(void *state)
{
    (void)state;
    puts("  Error protection activated");
    return NULL;
}

static bool guard_exit(void *state, cx_error *err)
{
    (void)state;
    bool suppress = false;
    if (err && cx_error_is(err, &cx_ValueError)) {
        printf("  ValueError caught and handled: %s\n", cx_error_message(err));
        suppress = true;
    } else if (err) {
        printf("  Unexpected error: %s\n", cx_error_message(err));
    }
    puts("  Error protection deactivated");
    return suppress;
}

static const cx_manager_type error_handler_type = {"error_handler", guard_enter, guard_exit};

static cx_manager error_handler(void) { return cx_manager_make(&error_handler_type, NULL, 0); }

void example_error_handler(void)
{
    cx_with (error_handler()) {
        puts("  This will work fine");
        cx_raise(&cx_ValueError, "This error will be caught!");
        puts("  This line won't be reached");
    }
    puts("  Program continues normally!");
}
