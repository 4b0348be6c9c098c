/* The echo server example's client (echo_client.c), run by the server
 * example (echo_server.c) in the same loop. */
#ifndef CX_EXAMPLES_ECHO_H
#define CX_EXAMPLES_ECHO_H

typedef struct {
    const char *message;
    int port;
    char reply[64];
} echo_client_args;

/* A task: connects to 127.0.0.1:port, sends message, reads the echo into
 * reply, and closes. */
void echo_client(void *arg);

#endif
