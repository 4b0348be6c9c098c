/* The echo server's client: asyncio.open_connection, write, read until the
 * reply is complete, close. */
#include <string.h>

#include "examples.h"

#if CX_TOUR_HAVE_ASYNC
#include <cx/async.h>

#include "echo.h"

void echo_client(void *arg)
{
    echo_client_args *c = arg;
    size_t len = strlen(c->message);
    /* reader, writer = await asyncio.open_connection("127.0.0.1", port) */
    cx_async_with (cx_stream *s, cx_tcp_connect("127.0.0.1", c->port)) {
        cx_stream_write(s, c->message, len);
        size_t got = 0;
        while (got < len && got < sizeof c->reply - 1) {
            size_t n = cx_stream_read(s, c->reply + got, sizeof c->reply - 1 - got);
            if (n == 0)
                break; /* the server closed early */
            got += n;
        }
        c->reply[got] = '\0';
    } /* writer.close(): the server's echo() reads end of stream and returns */
}
#endif
