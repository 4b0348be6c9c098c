/* Real-World Examples / 2. Performance Monitor: the guide's
 * performance_monitor(threshold_seconds) as a generator manager built on
 * cx_monitor, which measures wall time, CPU time and peak memory growth
 * (getrusage: no psutil needed). */
#include <stdint.h>
#include <string.h>

#include "examples.h"

static void performance_monitor_body(cx_gen *g, void *threshold_ms)
{
    double threshold_seconds = (double)(intptr_t)threshold_ms / 1000;
    cx_report r = {0};
    cx_try {
        cx_with (cx_monitor(NULL, &r, NULL))
            cx_yield(g, NULL);
    } cx_finally {
        puts("  Performance Report:");
        printf("     Time: %.3fs\n", r.wall_s);
        printf("     Memory: %+.2f MB (peak RSS growth)\n",
               (double)r.peak_rss_growth_kib / 1024);
        printf("     CPU: %.1f%%\n",
               r.wall_s > 0 ? (r.user_s + r.sys_s) / r.wall_s * 100 : 0.0);
        if (r.wall_s > threshold_seconds)
            printf("  WARNING: Operation exceeded %gs threshold!\n", threshold_seconds);
    }
}

static cx_manager performance_monitor(int threshold_ms)
{
    return cx_contextmanager(performance_monitor_body, (void *)(intptr_t)threshold_ms);
}

/* Touches 64 MiB and sums it: real memory and CPU work. */
static void expensive_operation(void)
{
    enum { SIZE = 64 << 20 };
    unsigned char *buffer = cx_malloc(SIZE);
    memset(buffer, 1, SIZE);
    uint64_t sum = 0;
    for (int pass = 0; pass < 4; pass++)
        for (size_t i = 0; i < SIZE; i += 64)
            sum += buffer[i] + (unsigned)pass;
    cx_free(buffer);
    printf("  expensive_operation: sum %llu\n", (unsigned long long)sum);
}

void example_performance_monitor(void)
{
    puts("threshold_seconds=0.5:");
    cx_with (performance_monitor(500))
        expensive_operation();

    puts("threshold_seconds=0.001:");
    cx_with (performance_monitor(1))
        expensive_operation();

    puts("The library's one-line report (cx_monitor printing to stdout):");
    cx_with (cx_monitor("  expensive", NULL, stdout))
        expensive_operation();
}
