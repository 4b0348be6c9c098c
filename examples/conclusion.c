/* Conclusion: the key takeaways in one function — a generator manager for
 * the simple case, an ExitStack for a dynamic number of resources, and
 * errors handled, never lost. */
#include "examples.h"

static void announce(cx_gen *g, void *name)
{
    printf("  setup %s\n", (const char *)name);
    cx_try {
        cx_yield(g, name);
    } cx_finally {
        printf("  cleanup %s\n", (const char *)name);
    }
}

void example_conclusion(void)
{
    static const char *const names[] = {"config", "cache", "database"};
    cx_try {
        cx_with (cx_exitstack *stack, cx_exitstack_new()) {
            for (int i = 0; i < 3; i++)
                cx_exitstack_enter(stack, cx_contextmanager(announce, (void *)names[i]));
            cx_raise(&cx_RuntimeError, "something failed with all three open");
        }
    } cx_except (&cx_RuntimeError, e) {
        printf("  handled: %s\n", cx_error_message(e));
    }
}
