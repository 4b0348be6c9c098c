/* Test helpers: the shared and private PostgreSQL servers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

static void load_env_file(const char *path, char *conninfo, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        char m[600];
        snprintf(m, sizeof m, "cannot read %s: is the pg_server fixture running?", path);
        th_fail(__FILE__, __LINE__, m);
    }
    char line[600];
    size_t used = 0;
    if (conninfo)
        conninfo[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (!conninfo) {
            setenv(line, eq + 1, 1);
            continue;
        }
        const char *key = !strcmp(line, "PGHOST") ? "host" : !strcmp(line, "PGPORT") ? "port"
                        : !strcmp(line, "PGUSER") ? "user" : !strcmp(line, "PGDATABASE") ? "dbname"
                        : NULL;
        if (key)
            used += (size_t)snprintf(conninfo + used, n - used, "%s%s=%s", used ? " " : "", key,
                                     eq + 1);
    }
    fclose(f);
}

void pg_env(void)
{
    const char *path = getenv("CX_PG_ENV");
    if (!path || !*path)
        th_fail(__FILE__, __LINE__,
                "CX_PG_ENV is not set: run the pg tests through ctest (fixture pg_server)");
    load_env_file(path, NULL, 0);
}

long long pg_scalar(PGconn *c, const char *sql)
{
    long long v = -1;
    cx_with (PGresult *r, cx_pg_query(c, sql, 0, NULL)) {
        CHECK_EQ(PQntuples(r), 1);
        v = atoll(PQgetvalue(r, 0, 0));
    }
    return v;
}

void pg_fresh_table(PGconn *c, const char *name, const char *columns)
{
    char sql[512];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", name);
    cx_pg_exec(c, "SET client_min_messages = warning", 0, NULL);
    cx_pg_exec(c, sql, 0, NULL);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (%s)", name, columns);
    cx_pg_exec(c, sql, 0, NULL);
}

int pg_script(const char *args, char **out)
{
    char errfile[] = "/tmp/cx-pgscript-XXXXXX";
    int fd = mkstemp(errfile);
    CHECK(fd >= 0);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/scripts/pg-server.sh %s 2>%s >/dev/null", CX_SOURCE_DIR, args,
             errfile);
    int status = system(cmd);
    if (out) {
        FILE *f = fopen(errfile, "r");
        CHECK(f != NULL);
        char *text = calloc(1, 8192);
        CHECK(text != NULL);
        size_t got = fread(text, 1, 8191, f);
        text[got] = '\0';
        fclose(f);
        *out = text;
    }
    unlink(errfile);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void pg_private_start(pg_private *p)
{
    snprintf(p->dir, sizeof p->dir, "/tmp/cx-pgpriv-XXXXXX");
    CHECK(mkdtemp(p->dir) != NULL);
    char args[256];
    snprintf(args, sizeof args, "start %s %d", p->dir, (int)getpid());
    char *err = NULL;
    if (pg_script(args, &err) != 0) {
        fprintf(stderr, "%s", err);
        free(err);
        th_fail(__FILE__, __LINE__, "the private PostgreSQL server did not start");
    }
    free(err);
    char env[128];
    snprintf(env, sizeof env, "%s/env", p->dir);
    load_env_file(env, p->conninfo, sizeof p->conninfo);
}

void pg_private_crash(pg_private *p)
{
    char args[256];
    snprintf(args, sizeof args, "crash %s", p->dir);
    CHECK_EQ(pg_script(args, NULL), 0);
}

void pg_private_stop(pg_private *p)
{
    char args[256];
    snprintf(args, sizeof args, "stop %s", p->dir);
    CHECK_EQ(pg_script(args, NULL), 0);
}

double pg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pg_silent_listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(listen(s, 8), 0);
    socklen_t len = sizeof a;
    CHECK_EQ(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return s;
}

void pg_check_hidden(cx_error *e, const char *password)
{
    CHECK(strstr(cx_error_message(e), password) == NULL);
    char *printed = th_printed(e);
    CHECK(strstr(printed, password) == NULL);
    free(printed);
}

void pg_check_no_run(cx_error *e, const char *secret)
{
    size_t len = strlen(secret), run = len < 8 ? len : 8;
    char *printed = th_printed(e);
    for (size_t i = 0; i + run <= len; i++) {
        char window[9];
        memcpy(window, secret + i, run);
        window[run] = '\0';
        if (strstr(cx_error_message(e), window) || strstr(printed, window)) {
            char m[200];
            snprintf(m, sizeof m, "the secret's run \"%s\" (at %zu) shows", window, i);
            free(printed);
            th_fail(__FILE__, __LINE__, m);
        }
    }
    free(printed);
}
