/* The `with` Statement Magic:
 *
 *     with context_manager() as resource:
 *         do_something_with(resource)
 *
 * The three steps: __enter__'s result is bound to the target; the block
 * runs; __exit__ is always called, with the error if there was one. */
#include <string.h>

#include "examples.h"

typedef struct {
    char name[32];
} resource;

static void *resource_enter(void *state)
{
    resource *r = state;
    printf("  1. __enter__ called; its result is bound to 'resource'\n");
    strcpy(r->name, "the resource");
    return r;
}

static bool resource_exit(void *state, cx_error *err)
{
    (void)state;
    if (err)
        printf("  3. __exit__ called, given %s: %s\n", cx_error_type(err)->name,
               cx_error_message(err));
    else
        puts("  3. __exit__ called, given no error");
    return false;
}

static const cx_manager_type resource_type = {"context_manager", resource_enter,
                                              resource_exit};

static cx_manager context_manager(void)
{
    return cx_manager_make(&resource_type, NULL, sizeof(resource));
}

static void do_something_with(resource *r, bool fail)
{
    printf("  2. the block uses %s\n", r->name);
    if (fail)
        cx_raise(&cx_RuntimeError, "%s broke", r->name);
}

static void use_and_fail(void *unused)
{
    (void)unused;
    cx_with (resource *r, context_manager())
        do_something_with(r, true);
}

void example_with_statement(void)
{
    cx_with (resource *r, context_manager())
        do_something_with(r, false);

    puts("The same block when it raises:");
    cx_error *e = cx_protect(use_and_fail, NULL);
    printf("  then the RuntimeError propagates: %s\n", cx_error_message(e));
    cx_error_unref(e);
}
