/* Asynchronous Context Managers / `contextlib.aclosing()`: an async
 * generator left early (break) is closed at the end of the block, so its
 * finally clause runs. */
#include <string.h>

#include "examples.h"

#if CX_TOUR_HAVE_ASYNC
#include <cx/async.h>

static void async_generator(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        for (int i = 0; i < 5; i++) {
            char item[16];
            snprintf(item, sizeof item, "Item %d", i);
            cx_yield(g, item);
            cx_sleep(0.1);
        }
    } cx_finally {
        puts("  Async generator cleaned up");
    }
}

static void process_async_data(void *arg)
{
    (void)arg;
    cx_async_with (cx_gen *agen, cx_aclosing(cx_agen_new(async_generator, NULL))) {
        void *value;
        while (cx_anext(agen, &value)) {
            const char *item = value;
            printf("  Received: %s\n", item);
            if (strcmp(item, "Item 2") == 0)
                break; /* Early exit triggers cleanup */
        }
    }
}

void example_aclosing(void)
{
    cx_error *e = cx_run(process_async_data, NULL);
    if (e)
        cx_throw(e);
}
#else
void example_aclosing(void)
{
    puts("  (This example needs cx-async, which this build does not have.)");
}
#endif
