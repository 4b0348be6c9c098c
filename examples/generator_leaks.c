/* Common Pitfalls and Solutions / 3. Resource Leaks in Generators: an early
 * return from a block with cx_using declarations still runs each manager's
 * cleanup, last declared first, and a generator left unfinished is closed
 * by cx_gen_closing (closing() for a generator). */
#include "examples.h"

static int live_resources;

static void resource_manager(cx_gen *g, void *arg)
{
    (void)arg;
    int resource = ++live_resources; /* acquire_expensive_resource() */
    printf("  acquired resource %d\n", resource);
    cx_try {
        cx_yield(g, &resource);
    } cx_finally {
        live_resources--; /* release_expensive_resource(resource) */
        printf("  released resource %d\n", resource);
    }
}

static void some_generator(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        for (long i = 1; i <= 10; i++)
            cx_yield(g, (void *)i);
    } cx_finally {
        puts("  some_generator closed");
    }
}

static long problematic_usage(void)
{
    cx_using (int *resource, cx_contextmanager(resource_manager, NULL));
    cx_using (cx_gen *items, cx_gen_closing(cx_gen_new(some_generator, NULL)));
    (void)resource;
    void *item;
    while (cx_gen_next(items, &item))
        if ((long)item * (long)item > 10) /* condition_met(item) */
            return (long)item; /* Early return - cleanup still happens! */
    return 0;
}

static int process_with_resource(const int *resource) { return *resource * 100; }

/* SOLUTION - context managers handle early exits correctly */
static int safe_usage(void)
{
    cx_using (int *resource, cx_contextmanager(resource_manager, NULL));
    return process_with_resource(resource); /* then the manager's finally runs */
}

void example_generator_leaks(void)
{
    printf("  problematic_usage() returned %ld\n", problematic_usage());
    printf("  safe_usage() returned %d\n", safe_usage());
    printf("  resources still held: %d\n", live_resources);
}
