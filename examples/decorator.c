/* Advanced Context Management / Context Manager as Decorator: the guide's
 * benchmark class (a ContextDecorator), used as a with block and wrapped
 * around a function with CX_DECORATED. */
#include "examples.h"

typedef struct {
    double start_time;
} benchmark_state;

static void *benchmark_enter(void *state)
{
    benchmark_state *self = state;
    self->start_time = now_s();
    puts("  Benchmark started");
    return self;
}

static bool benchmark_exit(void *state, cx_error *err)
{
    benchmark_state *self = state;
    (void)err;
    printf("  Execution time: %.4f seconds\n", now_s() - self->start_time);
    return false;
}

static const cx_manager_type benchmark_type = {"benchmark", benchmark_enter, benchmark_exit};

static cx_manager benchmark(void)
{
    return cx_manager_make(&benchmark_type, NULL, sizeof(benchmark_state));
}

static void slow_function_body(void *result)
{
    sleep_s(0.5);
    *(const char **)result = "Done!";
}

/* Use as decorator: each call of slow_function runs inside a fresh benchmark() */
static CX_DECORATED(slow_function, benchmark(), slow_function_body)

void example_decorator(void)
{
    /* Use as context manager */
    cx_with (benchmark())
        sleep_s(1);

    const char *result = NULL;
    slow_function(&result);
    printf("  result = %s\n", result);
}
