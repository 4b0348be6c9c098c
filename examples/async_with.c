/* Asynchronous Context Managers / `async with` Statement: an async
 * generator-based manager whose enter and exit both await (cx_sleep
 * suspends the task; the libuv loop runs other tasks meanwhile). */
#include "examples.h"

#if CX_TOUR_HAVE_ASYNC
#include <cx/async.h>

static void async_database_connection(cx_gen *g, void *arg)
{
    (void)arg;
    puts("  Connecting to async database...");
    cx_sleep(0.1); /* Simulate async connection */
    const char *connection = "Async DB Connection";
    cx_try {
        cx_yield(g, (void *)connection);
    } cx_finally {
        puts("  Closing async database connection...");
        cx_sleep(0.1);
    }
}

static void async_main(void *arg)
{
    (void)arg;
    cx_async_with (const char *conn, cx_asynccontextmanager(async_database_connection, NULL)) {
        printf("  Using %s\n", conn);
        cx_sleep(0.2); /* Simulate async work */
    }
}

void example_async_with(void)
{
    /* asyncio.run(main()) */
    double start = now_s();
    cx_error *e = cx_run(async_main, NULL);
    if (e)
        cx_throw(e);
    printf("  the loop ran for %.1f s\n", now_s() - start);
}
#else
void example_async_with(void)
{
    puts("  (This example needs cx-async, which this build does not have.)");
}
#endif
