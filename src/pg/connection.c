/* cx_pg_connect: a connection for the duration of a with block. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Replaces every occurrence of `secret` in msg (n bytes) with asterisks. */
static void redact(char *msg, size_t n, const char *secret)
{
    if (!secret || !*secret)
        return;
    size_t len = strlen(secret);
    char out[2048];
    size_t o = 0;
    for (const char *p = msg; *p && o + 9 < sizeof out;) {
        if (strncmp(p, secret, len) == 0) {
            memcpy(out + o, "********", 8);
            o += 8;
            p += len;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    snprintf(msg, n, "%s", out);
}

/* libpq quotes pieces of a conninfo it cannot parse: when that text may
 * hold a password, none of it is shown. */
static bool may_hold_password(const char *conninfo)
{
    if (strcasestr(conninfo, "password"))
        return true;
    const char *scheme = strstr(conninfo, "://");
    if (scheme) {
        const char *at = strchr(scheme, '@');
        const char *colon = strchr(scheme + 3, ':');
        return at && colon && colon < at;
    }
    return false;
}

typedef struct {
    const char *conninfo;
    PGconn *conn;
} connect_state;

static void *connect_enter(void *state)
{
    connect_state *s = state;
    const char *conninfo = s->conninfo ? s->conninfo : "";
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (!opts) {
        char msg[1024];
        if (!why)
            cx_raise(&cx_MemoryError, "out of memory parsing the conninfo");
        if (may_hold_password(conninfo))
            snprintf(msg, sizeof msg, "invalid connection string (not shown: it holds a password)");
        else
            snprintf(msg, sizeof msg, "%.*s", (int)strcspn(why, "\n"), why);
        PQfreemem(why);
        cx__db_raise(__FILE__, __LINE__, __func__, &cx_ProgrammingError, 0, NULL, "connect: %s",
                     msg);
    }
    const char *password = NULL;
    bool timeout_set = getenv("PGCONNECT_TIMEOUT") != NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val && strcmp(o->keyword, "password") == 0)
            password = o->val;
        if (o->val && strcmp(o->keyword, "connect_timeout") == 0)
            timeout_set = true;
    }
    /* Later entries win, so the conninfo (expanded from "dbname") overrides
     * the default timeout. */
    const char *keys[] = {"connect_timeout", "dbname", NULL};
    const char *values[] = {"10", conninfo, NULL};
    int first = timeout_set ? 1 : 0;
    s->conn = PQconnectdbParams(keys + first, values + first, 1);
    if (!s->conn) {
        PQconninfoFree(opts);
        cx_raise(&cx_MemoryError, "out of memory connecting to PostgreSQL");
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char msg[2048];
        const char *m = PQerrorMessage(s->conn);
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
            n--;
        snprintf(msg, sizeof msg, "%.*s", (int)n, m);
        PQfinish(s->conn);
        s->conn = NULL;
        redact(msg, sizeof msg, password);
        redact(msg, sizeof msg, getenv("PGPASSWORD"));
        PQconninfoFree(opts);
        cx__db_raise(__FILE__, __LINE__, __func__, &cx_OperationalError, 0, NULL, "connect: %s",
                     msg);
    }
    PQconninfoFree(opts);
    return s->conn;
}

static bool connect_exit(void *state, cx_error *err)
{
    (void)err;
    PQfinish(((connect_state *)state)->conn);
    return false;
}

static const cx_manager_type connect_type = {"pg_connect", connect_enter, connect_exit};

cx_manager cx_pg_connect(const char *conninfo)
{
    connect_state s = {conninfo, NULL};
    return cx_manager_make(&connect_type, &s, sizeof s);
}
