/* Performance Considerations / Context Manager Overhead: the guide's
 * measure_overhead() — open and close /dev/null 100,000 times by hand, then
 * 100,000 times with cx_using and cx_open.  The machine may be busy with
 * other work, so the two loops run in turn three times and each keeps its
 * best time. */
#include <errno.h>

#include "examples.h"

enum { ITERATIONS = 100000, ROUNDS = 3 };

/* Without context manager */
static double without_context_manager(void)
{
    double start = now_s();
    for (int i = 0; i < ITERATIONS; i++) {
        FILE *file = fopen("/dev/null", "w");
        if (!file)
            cx_raise_errno(errno, "open /dev/null");
        if (fclose(file) != 0)
            cx_raise_errno(errno, "close /dev/null");
    }
    return now_s() - start;
}

/* With context manager */
static double with_context_manager(void)
{
    double start = now_s();
    for (int i = 0; i < ITERATIONS; i++) {
        cx_using (FILE *file, cx_open("/dev/null", "w"));
        (void)file;
    }
    return now_s() - start;
}

void example_overhead(void)
{
    double no_context_time = 1e9, context_time = 1e9;
    for (int round = 0; round < ROUNDS; round++) {
        double t = without_context_manager();
        if (t < no_context_time)
            no_context_time = t;
        t = with_context_manager();
        if (t < context_time)
            context_time = t;
    }
    printf("  Without context manager: %.4fs\n", no_context_time);
    printf("  With context manager: %.4fs\n", context_time);
    printf("  Overhead: %.2f%%\n", (context_time - no_context_time) / no_context_time * 100);
}
