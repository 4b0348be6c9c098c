/* cx-pg's errors name the user's call: its file, line and function, never
 * a file of cx's own (docs/errors.md). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* A port on 127.0.0.1 nobody listens on: bound, learnt, closed. */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    close(s);
    return ntohs(a.sin_port);
}

TEST(connect_to_a_closed_port_names_the_callers_line)
{
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d connect_timeout=5", closed_port());
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_with (PGconn *c, cx_pg_connect(conninfo)) (void)c);
    CHECK(cx_error_is(e, &cx_OperationalError));
    cx_error_unref(e);
}

TEST(a_bad_query_names_the_callers_line)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        cx_error *e;
        CHECK_RAISES_HERE(e, cx_pg_exec(c, "SELEC 1", 0, NULL));
        CHECK(cx_error_is(e, &cx_ProgrammingError));
        CHECK_STR(cx_pg_error_sqlstate(e), "42601");
        cx_error_unref(e);
        CHECK_RAISES_HERE(e, cx_with (PGresult *r, cx_pg_query(c, "SELECT * FROM no_such_table", 0, NULL)) (void)r);
        CHECK(cx_error_is(e, &cx_ProgrammingError));
        cx_error_unref(e);
    }
}

TEST(pg_raise_called_by_the_user_names_the_callers_line)
{
    pg_env();
    cx_with (PGconn *c, cx_pg_connect(NULL)) {
        PGresult *r = PQexec(c, "SELECT 1/0");
        cx_error *e;
        CHECK_RAISES_HERE(e, cx_pg_raise(c, r));
        PQclear(r);
        CHECK(cx_error_is(e, &cx_DataError));
        cx_error_unref(e);
    }
}
