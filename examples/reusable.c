/* Advanced Context Management / Reusable Context Managers: a lock may be
 * entered again and again; a generator manager only once. */
#include <pthread.h>

#include "examples.h"

static void single_use_body(cx_gen *g, void *arg)
{
    (void)arg;
    puts("  Setup");
    cx_yield(g, NULL);
    puts("  Cleanup");
}

void example_reusable(void)
{
    /* Reusable context manager */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    cx_manager reusable = cx_lock(&lock);
    {
        cx_using (reusable);
        puts("  First use");
    }
    {
        cx_using (reusable);
        puts("  Second use - OK!");
    }

    /* Single-use context manager */
    cx_manager cm = cx_contextmanager(single_use_body, NULL);
    {
        cx_using (cm);
        puts("  First use");
    }
    cx_try {
        cx_using (cm); /* enter raises: nothing below it runs */
        puts("  Second use - ERROR!");
    } cx_except (&cx_RuntimeError, e) {
        printf("  Second use raised %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    }
}
