/* The contextlib Module / `contextlib.closing()`: an object with a close
 * function, closed on every path out of the block.  The guide downloads
 * http://httpbin.org/json; the tour serves that page itself on 127.0.0.1
 * (a thread answering one request) so it needs no network, and urlopen()
 * below is a real HTTP GET over TCP.  The page is closed, then the server
 * stopped, when the function returns (cx_using, cx_defer: last first). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "examples.h"

static const char json[] =
    "{\"slideshow\": {\"author\": \"Yours Truly\", \"title\": \"Sample Slide Show\"}}\n";

/* ---- the page: a connection with a close function ---- */

typedef struct page {
    int fd;
} page;

static page *urlopen(const char *host, int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        cx_raise_errno(errno, "socket");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    char request[128];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path,
                     host);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        write(fd, request, (size_t)n) != n) {
        int err = errno;
        close(fd);
        cx_raise_errno(err, "urlopen %s:%d%s", host, port, path);
    }
    page *p = cx_malloc(sizeof *p);
    p->fd = fd;
    return p;
}

/* Reads the whole response; returns the body's length. */
static size_t page_read(page *p, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(p->fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    return body ? len - (size_t)(body + 4 - buf) : 0;
}

static void page_close(void *obj)
{
    page *p = obj;
    close(p->fd);
    cx_free(p);
    puts("  connection closed");
}

/* ---- a one-request HTTP server on 127.0.0.1 ---- */

static void *serve_once(void *arg)
{
    int listener = *(int *)arg;
    int fd = accept(listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    char request[512];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof request - 1 && (n = read(fd, request + got, sizeof request - 1 - got)) > 0) {
        got += (size_t)n;
        request[got] = '\0';
        if (strstr(request, "\r\n\r\n"))
            break;
    }
    char response[512];
    int len = snprintf(response, sizeof response,
                       "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
                       strlen(json), json);
    if (write(fd, response, (size_t)len) != len)
        perror("cx-tour: serve_once");
    close(fd);
    return NULL;
}

typedef struct {
    int listener;
    pthread_t thread;
} server;

/* Wakes a server still waiting in accept (the request failed), joins it. */
static void stop_server(void *arg)
{
    server *s = arg;
    shutdown(s->listener, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->listener);
}

void example_closing(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addrlen = sizeof addr;
    server srv = {.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (srv.listener < 0)
        cx_raise_errno(errno, "socket");
    if (bind(srv.listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv.listener, 1) != 0 ||
        getsockname(srv.listener, (struct sockaddr *)&addr, &addrlen) != 0) {
        int err = errno;
        close(srv.listener);
        cx_raise_errno(err, "listen on 127.0.0.1");
    }
    int rc = pthread_create(&srv.thread, NULL, serve_once, &srv.listener);
    if (rc != 0) {
        close(srv.listener);
        cx_raise_errno(rc, "pthread_create");
    }
    cx_defer(stop_server, &srv); /* last, after the page is closed */

    /* Automatically close the URL connection */
    cx_using (page *p, cx_closing(urlopen("127.0.0.1", ntohs(addr.sin_port), "/json"),
                                  page_close));
    char content[1024];
    printf("  Downloaded %zu bytes\n", page_read(p, content, sizeof content));
}
