/* Performance Considerations / Context Manager Overhead: the guide's
 * measure_overhead() — open and close /dev/null 100,000 times by hand, then
 * 100,000 times with cx_with and cx_open. */
#include <errno.h>

#include "examples.h"

enum { ITERATIONS = 100000 };

void example_overhead(void)
{
    /* Without context manager */
    double start = now_s();
    for (int i = 0; i < ITERATIONS; i++) {
        FILE *file = fopen("/dev/null", "w");
        if (!file)
            cx_raise_errno(errno, "open /dev/null");
        if (fclose(file) != 0)
            cx_raise_errno(errno, "close /dev/null");
    }
    double no_context_time = now_s() - start;

    /* With context manager */
    start = now_s();
    for (int i = 0; i < ITERATIONS; i++)
        cx_with (FILE *file, cx_open("/dev/null", "w"))
            (void)file;
    double context_time = now_s() - start;

    printf("  Without context manager: %.4fs\n", no_context_time);
    printf("  With context manager: %.4fs\n", context_time);
    printf("  Overhead: %.2f%%\n", (context_time - no_context_time) / no_context_time * 100);
}
