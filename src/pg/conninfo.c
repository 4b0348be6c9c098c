/* A conninfo made ready for libpq, and the error a failed connection raises
 * with every password hidden.  Compiled into cx-pg and into cx-async-pg
 * (hidden in both), so the blocking and the non-blocking connect parse and
 * report alike. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conninfo.h"

/* ---- redaction ---- */

/* The first t (1..8) bytes at p as one number, so a secret's runs can be
 * sorted and searched as integers. */
static uint64_t gram(const unsigned char *p, size_t t)
{
    uint64_t g = 0;
    for (size_t i = 0; i < t; i++)
        g = g << 8 | p[i];
    return g;
}

static int gram_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Marks in hide[] every byte of msg (n bytes) inside a run of t bytes that
 * also occurs somewhere in `secret`.  A longer common run is the union of
 * its t-byte windows, so it is covered whole, whatever cut it from the
 * secret at either end.  False when out of memory. */
static bool mark_secret(const unsigned char *msg, size_t n, const char *secret, char *hide)
{
    size_t len = strlen(secret);
    size_t t = len < CX__PG_REDACT_RUN ? len : CX__PG_REDACT_RUN;
    if (!t || n < t)
        return true;
    size_t ngrams = len - t + 1;
    uint64_t *grams = malloc(ngrams * sizeof *grams);
    if (!grams)
        return false;
    for (size_t i = 0; i < ngrams; i++)
        grams[i] = gram((const unsigned char *)secret + i, t);
    qsort(grams, ngrams, sizeof *grams, gram_cmp);
    uint64_t keep = t == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * t)) - 1;
    uint64_t g = gram(msg, t - 1);
    for (size_t i = 0; i + t <= n; i++) {
        g = (g << 8 | msg[i + t - 1]) & keep;
        if (bsearch(&g, grams, ngrams, sizeof *grams, gram_cmp))
            memset(hide + i, 1, t);
    }
    free(grams);
    return true;
}

char *cx__pg_redact(const char *msg, const char *const *secrets, size_t nsecrets)
{
    size_t n = strlen(msg);
    char *hide = calloc(n + 1, 1);
    if (!hide)
        return NULL;
    for (size_t s = 0; s < nsecrets; s++) {
        if (secrets[s] && !mark_secret((const unsigned char *)msg, n, secrets[s], hide)) {
            free(hide);
            return NULL;
        }
    }
    /* Each hidden stretch, however long, becomes one mask: its length would
     * tell the password's. */
    size_t size = 1;
    for (size_t i = 0; i < n; i++)
        size += !hide[i] ? 1 : i == 0 || !hide[i - 1] ? sizeof CX__PG_MASK - 1 : 0;
    char *out = malloc(size);
    if (out) {
        char *o = out;
        for (size_t i = 0; i < n; i++) {
            if (!hide[i]) {
                *o++ = msg[i];
            } else if (i == 0 || !hide[i - 1]) {
                memcpy(o, CX__PG_MASK, sizeof CX__PG_MASK - 1);
                o += sizeof CX__PG_MASK - 1;
            }
        }
        *o = '\0';
    }
    free(hide);
    return out;
}

/* "connect: <why>" (without why's trailing newline) with the secrets
 * masked, redacted whole before anything can cut it; malloc'd, NULL when out
 * of memory. */
static char *connect_text(const char *why, const char *const *secrets, size_t nsecrets)
{
    size_t n = strlen(why);
    while (n && (why[n - 1] == '\n' || why[n - 1] == ' '))
        n--; /* libpq's messages end with a newline */
    static const char prefix[] = "connect: ";
    char *text = malloc(sizeof prefix + n);
    if (!text)
        return NULL;
    memcpy(text, prefix, sizeof prefix - 1);
    memcpy(text + sizeof prefix - 1, why, n);
    text[sizeof prefix - 1 + n] = '\0';
    char *shown = cx__pg_redact(text, secrets, nsecrets);
    free(text);
    return shown;
}

/* Raises `t` with the text from connect_text (freed; NULL: MemoryError). */
static _Noreturn void raise_text(const cx_type *t, char *shown)
{
    if (!shown)
        cx_raise(&cx_MemoryError, "out of memory hiding the password in a connect error");
    cx_scope {
        cx_defer(free, shown);
        cx__db_raise(CX__SITE, t, 0, NULL, "%s", shown);
    }
    abort(); /* not reached: the raise leaves the scope */
}

/* ---- parsing ---- */

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A copy of s with %XX escapes decoded, as libpq decodes a URI's parts. */
static char *percent_decoded(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (p[0] == '%' && (hi = hex_digit(p[1])) >= 0 && (lo = hex_digit(p[2])) >= 0) {
            *o++ = (char)(hi << 4 | lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* libpq quotes pieces of a conninfo it cannot parse: when that text may
 * hold a password, none of it is shown.  A password is given by a keyword
 * (password, sslpassword: possibly percent-encoded in a URI's query) or a
 * URI's user:password@. */
static bool may_hold_password(const char *conninfo)
{
    char *plain = percent_decoded(conninfo);
    if (!plain)
        return true;
    bool keyword = strcasestr(plain, "password") != NULL;
    free(plain);
    if (keyword)
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
    if (!why)
        cx_raise(&cx_MemoryError, "out of memory parsing the conninfo");
    /* libpq's message for an unparsable string is one line. */
    size_t n = strcspn(why, "\n");
    why[n] = '\0';
    if (may_hold_password(conninfo)) {
        PQfreemem(why);
        cx__db_raise(CX__SITE, &cx_ProgrammingError, 0, NULL,
                     "connect: invalid connection string (not shown: it holds a password)");
    }
    const char *secrets[] = {getenv("PGPASSWORD")};
    char *shown = connect_text(why, secrets, 1);
    PQfreemem(why);
    raise_text(&cx_ProgrammingError, shown);
}

void cx__pg_conninfo_parse(cx__pg_conninfo *ci, const char *conninfo)
{
    conninfo = conninfo ? conninfo : "";
    char *why = NULL;
    ci->opts = PQconninfoParse(conninfo, &why);
    if (!ci->opts)
        raise_unparsable(conninfo, why);
    bool timeout_set = getenv("PGCONNECT_TIMEOUT") != NULL;
    for (PQconninfoOption *o = ci->opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, "connect_timeout") == 0)
            timeout_set = true;
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

/* ---- a failed connection ---- */

/* The secrets of a connection: libpq's secret options (display character
 * '*': password, sslpassword) as the conninfo gave them and as the
 * connection resolved them (environment, service file), PGPASSWORD, and the
 * password libpq actually sent (PQpass: also one from the password file). */
#define MAX_SECRETS 16

static size_t add_secret(const char **secrets, size_t n, const char *s)
{
    if (s && *s && n < MAX_SECRETS)
        secrets[n++] = s;
    return n;
}

static size_t add_secret_options(const char **secrets, size_t n, const PQconninfoOption *opts)
{
    for (const PQconninfoOption *o = opts; o && o->keyword; o++)
        if (o->dispchar && o->dispchar[0] == '*')
            n = add_secret(secrets, n, o->val);
    return n;
}

void cx__pg_raise_connect_failure(PGconn *conn, cx__pg_conninfo *ci, const char *why)
{
    const char *secrets[MAX_SECRETS];
    size_t n = add_secret_options(secrets, 0, ci->opts);
    n = add_secret(secrets, n, getenv("PGPASSWORD"));
    n = add_secret(secrets, n, PQpass(conn));
    PQconninfoOption *resolved = PQconninfo(conn);
    n = add_secret_options(secrets, n, resolved);
    /* Without the resolved options a secret from the service file could
     * not be masked: then nothing is shown. */
    char *shown = resolved ? connect_text(why ? why : PQerrorMessage(conn), secrets, n) : NULL;
    PQconninfoFree(resolved);
    cx__pg_conninfo_free(ci);
    PQfinish(conn);
    raise_text(&cx_OperationalError, shown);
}
