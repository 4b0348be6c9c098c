/* The contextlib Module / `@contextmanager` Decorator: the guide's timer(),
 * a generator whose finally clause prints the elapsed time. */
#include "examples.h"

static void timer_body(cx_gen *g, void *arg)
{
    (void)arg;
    double start = now_s();
    puts("  Timer started");
    cx_try {
        cx_yield(g, NULL);
    } cx_finally {
        printf("  Elapsed time: %.4f seconds\n", now_s() - start);
    }
}

cx_manager timer(void) { return cx_contextmanager(timer_body, NULL); }

void example_timer(void)
{
    cx_with (timer()) {
        sleep_s(1);
        puts("  Some work done!");
    }
}
