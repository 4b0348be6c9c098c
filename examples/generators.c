/* Generator-based managers: the guide's @contextmanager examples. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "examples.h"

/* Generator-Based Approach: temporary_directory(). */
static void temporary_directory(cx_gen *g, void *arg)
{
    (void)arg;
    char dir[] = "/tmp/cx-example-XXXXXX";
    if (!mkdtemp(dir))
        cx_raise_errno(errno, "mkdtemp");
    printf("  Created temporary directory: %s\n", dir);
    cx_try {
        cx_yield(g, dir);
    } cx_finally {
        remove_tree(dir);
        printf("  Removed temporary directory: %s\n", dir);
    }
}

void example_temporary_directory(void)
{
    cx_with (const char *temp_dir, cx_contextmanager(temporary_directory, NULL)) {
        char temp_file[256];
        snprintf(temp_file, sizeof temp_file, "%s/example.txt", temp_dir);
        cx_with (FILE *f, file_manager(temp_file, "w"))
            fputs("This is a temporary file!", f);
        printf("  Working in: %s\n", temp_dir);
    }
}

/* Exception Handling in Context Managers: error_handler(). */
static void error_handler(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        puts("  Error protection activated");
        cx_yield(g, NULL);
    } cx_except (&cx_ValueError, e) {
        printf("  ValueError caught and handled: %s\n", cx_error_message(e));
    } cx_except (&cx_Exception, e) {
        printf("  Unexpected error: %s\n", cx_error_message(e));
        cx_reraise();
    } cx_finally {
        puts("  Error protection deactivated");
    }
}

void example_error_handler_generator(void)
{
    cx_with (cx_contextmanager(error_handler, NULL)) {
        puts("  This will work fine");
        cx_raise(&cx_ValueError, "This error will be caught!");
        puts("  This line won't be reached");
    }
    puts("  Program continues normally!");
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* The contextlib Module: @contextmanager's timer(). */
static void timer(cx_gen *g, void *arg)
{
    (void)arg;
    double start = now();
    puts("  Timer started");
    cx_try {
        cx_yield(g, NULL);
    } cx_finally {
        printf("  Elapsed time: %.4f seconds\n", now() - start);
    }
}

void example_timer(void)
{
    cx_with (cx_contextmanager(timer, NULL)) {
        sleep_s(0.1);
        puts("  Some work done!");
    }
}

/* Context Manager as Decorator: benchmark. */
static void benchmark(cx_gen *g, void *arg)
{
    (void)arg;
    double start = now();
    puts("  Benchmark started");
    cx_yield(g, NULL);
    printf("  Execution time: %.4f seconds\n", now() - start);
}

static void slow_function(void *result)
{
    sleep_s(0.05);
    *(const char **)result = "Done!";
}

CX_DECORATED(benchmarked_slow_function, cx_contextmanager(benchmark, NULL), slow_function)

void example_decorator(void)
{
    puts("Use as context manager:");
    cx_with (cx_contextmanager(benchmark, NULL))
        sleep_s(0.1);
    puts("Use as decorator:");
    const char *result = NULL;
    benchmarked_slow_function(&result);
    printf("  result = %s\n", result);
}

/* Reusable Context Managers: a lock, twice; a generator manager, once. */
static void single_use(cx_gen *g, void *arg)
{
    (void)arg;
    puts("  Setup");
    cx_yield(g, NULL);
    puts("  Cleanup");
}

void example_reusable(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    cx_manager reusable = mutex_manager(&lock);
    cx_with (reusable) puts("  First use");
    cx_with (reusable) puts("  Second use - OK!");

    cx_manager cm = cx_contextmanager(single_use, NULL);
    cx_with (cm) puts("  First use");
    cx_try {
        cx_with (cm) puts("  Second use - not reached");
    } cx_except (&cx_RuntimeError, e) {
        printf("  Second use - %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    }
}
