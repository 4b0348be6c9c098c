/* Performance Considerations / Context Manager Overhead: the guide's
 * /dev/null open/close loop, with and without a with statement. */
#include <time.h>

#include "examples.h"

#define ITERATIONS 100000

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}


void example_performance(void)
{
    double start = now();
    for (int i = 0; i < ITERATIONS; i++) {
        FILE *f = fopen("/dev/null", "w");
        if (!f)
            cx_raise(&cx_OSError, "open /dev/null");
        if (fclose(f) != 0)
            cx_raise(&cx_OSError, "close /dev/null");
    }
    double manual = now() - start;

    start = now();
    for (int i = 0; i < ITERATIONS; i++)
        cx_with (FILE *f, devnull_manager())
            (void)f;
    double with = now() - start;

    printf("  Manual: %.4f seconds\n", manual);
    printf("  With statement: %.4f seconds\n", with);
    printf("  Overhead: %.2f%%\n", (with - manual) / manual * 100.0);
}
