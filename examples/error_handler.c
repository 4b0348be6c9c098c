/* Creating Custom Context Managers / Exception Handling in Context Managers:
 * the guide's error_handler(), which handles ValueError and lets anything
 * else through.  In a generator manager, catching the error at cx_yield is
 * what suppresses it (Python's `return True` there does nothing more);
 * re-raising it propagates it. */
#include "examples.h"

static void error_handler(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        puts("  Error protection activated");
        cx_yield(g, NULL);
    } cx_except (&cx_ValueError, e) {
        printf("  ValueError caught and handled: %s\n", cx_error_message(e));
    } cx_except (&cx_Exception, e) {
        printf("  Unexpected error: %s\n", cx_error_message(e));
        cx_reraise();
    } cx_finally {
        puts("  Error protection deactivated");
    }
}

static void unexpected(void *unused)
{
    (void)unused;
    cx_with (cx_contextmanager(error_handler, NULL))
        cx_raise(&cx_KeyError, "'missing'");
}

void example_error_handler(void)
{
    cx_with (cx_contextmanager(error_handler, NULL)) {
        puts("  This will work fine");
        cx_raise(&cx_ValueError, "This error will be caught!");
        puts("  This line won't be reached");
    }
    puts("  Program continues normally!");

    puts("Any other error is re-raised:");
    cx_error *e = cx_protect(unexpected, NULL);
    printf("  the caller got %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    cx_error_unref(e);
}
