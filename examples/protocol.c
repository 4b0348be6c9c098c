/* What Are Context Managers?: the protocol, __enter__ and __exit__. */
#include "examples.h"

static void *my_enter(void *state)
{
    (void)state;
    puts("  __enter__: set up the resource");
    return "resource";
}

static bool my_exit(void *state, cx_error *err)
{
    (void)state;
    printf("  __exit__: clean up (error: %s)\n", err ? cx_error_type(err)->name : "none");
    return false; /* don't suppress */
}

static const cx_manager_type my_context_manager = {"MyContextManager", my_enter, my_exit};

void example_protocol(void)
{
    cx_with (const char *resource, cx_manager_make(&my_context_manager, NULL, 0))
        printf("  with block uses the %s\n", resource);
}
