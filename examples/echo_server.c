/* Asynchronous Context Managers: a TCP echo server, asyncio.start_server's
 * way.  cx_tcp_serve runs echo() in a task of its own for every
 * connection, closes the connection when echo() ends, and at the end of
 * its with block stops accepting, cancels the handlers still running and
 * waits for them.  The clients (echo_client.c) run in the same loop. */
#include "examples.h"

#if CX_TOUR_HAVE_ASYNC
#include <cx/async.h>

#include "echo.h"

/* async def echo(reader, writer): the connection's task. */
static void echo(cx_stream *s, void *arg)
{
    (void)arg;
    char buf[4096];
    size_t n;
    while ((n = cx_stream_read(s, buf, sizeof buf)) > 0) /* 0: the client is done */
        cx_stream_write(s, buf, n);
}

static void serve_main(void *arg)
{
    (void)arg;
    /* async with await asyncio.start_server(echo, "127.0.0.1", 0) as server: */
    cx_async_with (cx_server *server, cx_tcp_serve("127.0.0.1", 0, echo, NULL)) {
        int port = cx_server_port(server);
        puts("  serving on 127.0.0.1 (a free port)");
        /* Three clients at once; the group waits for them all. */
        static echo_client_args clients[] = {{"ping", 0, ""}, {"hello", 0, ""}, {"bye", 0, ""}};
        cx_async_with (cx_taskgroup *tg, cx_taskgroup_new())
            for (size_t i = 0; i < sizeof clients / sizeof *clients; i++) {
                clients[i].port = port;
                cx_taskgroup_start(tg, echo_client, &clients[i]);
            }
        for (size_t i = 0; i < sizeof clients / sizeof *clients; i++)
            printf("  client sent \"%s\", the server echoed \"%s\"\n", clients[i].message,
                   clients[i].reply);
    } /* no more accepting; the handlers are done */
    puts("  server closed");
}

void example_echo_server(void)
{
    cx_error *e = cx_run(serve_main, NULL);
    if (e)
        cx_throw(e);
}
#else
void example_echo_server(void)
{
    puts("  (This example needs cx-async, which this build does not have.)");
}
#endif
