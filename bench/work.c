/* Out-of-line helpers shared by every implementation. */
#include "bench.h"

volatile long bench_sink;
const char *bench_failure;

__attribute__((noinline)) void bench_touch(void *p)
{
    bench_sink += (long)(p != 0);
    __asm__ volatile("" ::: "memory");
}
