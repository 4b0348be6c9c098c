/* A conninfo made ready for libpq, and the error a failed connection raises
 * with every password hidden.  Compiled into cx-pg and into cx-async-pg
 * (hidden in both), so the blocking and the non-blocking connect parse and
 * report alike. */
#include <stdlib.h>
#include <string.h>

#include "conninfo.h"

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

static _Noreturn void raise_unparsable(const char *conninfo, char *why)
{
    char msg[1024];
    if (!why)
        cx_raise(&cx_MemoryError, "out of memory parsing the conninfo");
    if (may_hold_password(conninfo))
        snprintf(msg, sizeof msg, "invalid connection string (not shown: it holds a password)");
    else
        snprintf(msg, sizeof msg, "%.*s", (int)strcspn(why, "\n"), why);
    PQfreemem(why);
    cx__db_raise(__FILE__, __LINE__, __func__, &cx_ProgrammingError, 0, NULL, "connect: %s", msg);
}

void cx__pg_conninfo_parse(cx__pg_conninfo *ci, const char *conninfo)
{
    conninfo = conninfo ? conninfo : "";
    char *why = NULL;
    ci->opts = PQconninfoParse(conninfo, &why);
    if (!ci->opts)
        raise_unparsable(conninfo, why);
    ci->password = NULL;
    bool timeout_set = getenv("PGCONNECT_TIMEOUT") != NULL;
    for (PQconninfoOption *o = ci->opts; o->keyword; o++) {
        if (o->val && strcmp(o->keyword, "password") == 0)
            ci->password = o->val;
        if (o->val && strcmp(o->keyword, "connect_timeout") == 0)
            timeout_set = true;
    }
    /* Later entries win, so the conninfo (expanded from "dbname") overrides
     * the default timeout. */
    ci->keys[0] = "connect_timeout";
    ci->values[0] = CX__PG_DEFAULT_CONNECT_TIMEOUT;
    ci->keys[1] = "dbname";
    ci->values[1] = conninfo;
    ci->keys[2] = ci->values[2] = NULL;
    ci->first = timeout_set ? 1 : 0;
}

void cx__pg_conninfo_free(cx__pg_conninfo *ci)
{
    PQconninfoFree(ci->opts);
    ci->opts = NULL;
}

void cx__pg_raise_connect_failure(PGconn *conn, cx__pg_conninfo *ci, const char *why)
{
    char msg[2048];
    const char *m = why ? why : PQerrorMessage(conn);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    snprintf(msg, sizeof msg, "%.*s", (int)n, m);
    PQfinish(conn);
    redact(msg, sizeof msg, ci->password);
    redact(msg, sizeof msg, getenv("PGPASSWORD"));
    cx__pg_conninfo_free(ci);
    cx__db_raise(__FILE__, __LINE__, __func__, &cx_OperationalError, 0, NULL, "connect: %s", msg);
}
