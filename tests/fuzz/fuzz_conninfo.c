/* Fuzz target `conninfo`: cx-pg's conninfo parsing, the connect error and
 * its redaction (src/pg/conninfo.c).
 *
 * The input chooses a password P and a template: P is placed in a password
 * field (key/value, quoted with escapes; a URI's user:password@, percent-
 * encoded; a URI query; sslpassword; PGPASSWORD) and the template's bytes
 * 1, 2 and 3 stand for P quoted, percent-encoded and raw, so it is echoed
 * through other options (dbname, port, sslmode, ...).  The conninfo is
 * parsed, and when it parses libpq starts a connection with the host
 * overridden by an address that cannot be parsed, so nothing ever leaves
 * the machine and every option libpq checks is checked.  A seventh form
 * feeds the redaction a message made of cut copies of P directly.
 *
 * Property: no error text holds a run of 8 bytes (all of it when shorter)
 * of a password libpq would use: the parsed password or sslpassword, or
 * PGPASSWORD; nothing crashes, nothing leaks. */
#include <string.h>

#include "../../src/pg/conninfo.h"
#include "fuzz.h"

enum { FORM_KEYWORD, FORM_TAIL, FORM_URI_USER, FORM_URI_QUERY, FORM_PGPASSWORD, FORM_SSL,
       FORM_MESSAGE, NFORMS };

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = 2 * (t->n + n + 1);
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            abort();
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = '\0';
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

static void put_quoted(text *t, const char *p)
{
    puts_(t, "'");
    for (; *p; p++) {
        if (*p == '\'' || *p == '\\')
            puts_(t, "\\");
        put(t, p, 1);
    }
    puts_(t, "'");
}

static void put_percent(text *t, const char *p)
{
    for (; *p; p++) {
        char e[4];
        snprintf(e, sizeof e, "%%%02X", (unsigned char)*p);
        puts_(t, e);
    }
}

/* Does `out` show a run of min(8, |secret|) bytes of `secret`?  A window
 * holding a '*' is not counted when the secret has one: the mask itself is
 * made of them and shows nothing of the secret. */
static const char *shown_run(const char *out, const char *secret)
{
    size_t len = strlen(secret), run = len < CX__PG_REDACT_RUN ? len : CX__PG_REDACT_RUN;
    if (!run)
        return NULL;
    bool star = strchr(secret, '*') != NULL;
    for (const char *o = out; strlen(o) >= run; o++) {
        if (star && memchr(o, '*', run))
            continue;
        for (size_t i = 0; i + run <= len; i++)
            if (memcmp(o, secret + i, run) == 0)
                return o;
    }
    return NULL;
}

static void check_hidden(const char *out, const char *secret, const char *what)
{
    if (!secret)
        return;
    const char *at = shown_run(out, secret);
    FUZZ_CHECK(!at, "%s shows in \"%s\" at byte %zu", what, out, (size_t)(at - out));
}

static void check_error(cx_error *e, const char *const *secrets, size_t n)
{
    FUZZ_CHECK(cx_error_is(e, &cx_OperationalError) || cx_error_is(e, &cx_ProgrammingError) ||
                   cx_error_is(e, &cx_MemoryError),
               "%s: %s", cx_error_type(e)->name, cx_error_message(e));
    /* cx's fixed text for a conninfo that may hold a password quotes
     * nothing of it. */
    if (strstr(cx_error_message(e), "(not shown: it holds a password)"))
        return;
    for (size_t i = 0; i < n; i++)
        check_hidden(cx_error_message(e), secrets[i], "a secret");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Nothing of this machine's libpq setup takes part. */
    setenv("PGSERVICEFILE", "/nonexistent-cx-fuzz/service", 1);
    setenv("PGSYSCONFDIR", "/nonexistent-cx-fuzz", 1);
    setenv("PGPASSFILE", "/nonexistent-cx-fuzz/pgpass", 1);
    static const char *const unset[] = {"PGHOST", "PGHOSTADDR", "PGPORT", "PGSERVICE",
                                        "PGDATABASE", "PGUSER", "PGOPTIONS", "PGCONNECT_TIMEOUT"};
    for (size_t i = 0; i < sizeof unset / sizeof *unset; i++)
        unsetenv(unset[i]);
    return 0;
}

/* The template with P's stand-ins (1: quoted, 2: percent-encoded, 3: raw;
 * in a message, 4 a b: P's bytes a to b, as a cut echo shows them). */
static void expand(text *t, const char *tmpl, size_t n, const char *p)
{
    size_t plen = strlen(p);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tmpl[i];
        if (c == 1)
            put_quoted(t, p);
        else if (c == 2)
            put_percent(t, p);
        else if (c == 3)
            puts_(t, p);
        else if (c == 4 && i + 2 < n) {
            size_t a = (unsigned char)tmpl[i + 1], b = (unsigned char)tmpl[i + 2];
            i += 2;
            a = a < plen ? a : plen;
            b = b < plen ? b : plen;
            if (a < b)
                put(t, p + a, b - a);
        } else if (c)
            put(t, tmpl + i, 1);
    }
}

typedef struct attempt {
    const char *conninfo;
    cx__pg_conninfo ci;
    bool parsed;
} attempt;

static void parse(void *arg)
{
    attempt *a = arg;
    cx__pg_conninfo_parse(&a->ci, a->conninfo);
    a->parsed = true;
}

static void connect_and_fail(void *arg)
{
    attempt *a = arg;
    /* After the conninfo (expanded from "dbname"), so they win. */
    const char *keys[5], *values[5];
    int k = 0;
    for (int i = a->ci.first; a->ci.keys[i]; i++, k++) {
        keys[k] = a->ci.keys[i];
        values[k] = a->ci.values[i];
    }
    keys[k] = "host", values[k++] = "/nonexistent-cx-fuzz";
    keys[k] = "hostaddr", values[k++] = "not-an-address";
    keys[k] = values[k] = NULL;
    PGconn *c = PQconnectStartParams(keys, values, 1);
    FUZZ_CHECK(c != NULL, "no memory");
    if (PQstatus(c) == CONNECTION_BAD)
        cx__pg_raise_connect_failure(c, &a->ci, NULL);
    PQfinish(c);
    cx__pg_conninfo_free(&a->ci);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int form = data[0] % NFORMS;
    const char *rest = (const char *)data + 1;
    size_t nrest = size - 1;
    /* P runs to the first NUL; the template is what follows. */
    const char *nul = memchr(rest, '\0', nrest);
    size_t plen = nul ? (size_t)(nul - rest) : nrest;
    char *p = strndup(rest, plen);
    const char *tmpl = nul ? nul + 1 : rest + nrest;
    size_t ntmpl = nul ? nrest - plen - 1 : 0;
    text t = {0};
    put(&t, "", 0);

    if (form == FORM_MESSAGE) {
        expand(&t, tmpl, ntmpl, p);
        const char *secrets[] = {p};
        char *out = cx__pg_redact(t.s, secrets, 1);
        FUZZ_CHECK(out != NULL, "no memory");
        check_hidden(out, p, "the secret");
        if (!*p)
            FUZZ_CHECK(strcmp(out, t.s) == 0, "redacting with no secret changed \"%s\"", t.s);
        free(out);
        free(t.s);
        free(p);
        return 0;
    }

    switch (form) {
    case FORM_KEYWORD: puts_(&t, "password="); put_quoted(&t, p); puts_(&t, " "); break;
    case FORM_URI_USER: puts_(&t, "postgresql://u:"); put_percent(&t, p); puts_(&t, "@"); break;
    case FORM_URI_QUERY: puts_(&t, "postgresql:///?password="); put_percent(&t, p); puts_(&t, "&"); break;
    case FORM_SSL: puts_(&t, "sslpassword="); put_quoted(&t, p); puts_(&t, " "); break;
    }
    expand(&t, tmpl, ntmpl, p);
    if (form == FORM_TAIL) {
        puts_(&t, " password=");
        put_quoted(&t, p);
    }
    if (form == FORM_PGPASSWORD)
        setenv("PGPASSWORD", p, 1);
    else
        unsetenv("PGPASSWORD");

    attempt a = {t.s, {0}, false};
    cx_error *e = cx_protect(parse, &a);
    if (e) {
        /* Unparsed: P is a password when its field came first. */
        const char *secrets[] = {form != FORM_TAIL ? p : NULL};
        check_error(e, secrets, 1);
        FUZZ_CHECK(cx_error_is(e, &cx_ProgrammingError) || cx_error_is(e, &cx_MemoryError),
                   "parse raised %s", cx_error_type(e)->name);
        cx_error_unref(e);
    } else {
        /* Parsed: the passwords are what libpq read. */
        const char *secrets[4] = {getenv("PGPASSWORD")};
        size_t n = 1;
        PQconninfoOption *opts = PQconninfoParse(t.s, NULL);
        FUZZ_CHECK(opts != NULL, "parses once, not twice: %s", t.s);
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (o->val && o->dispchar[0] == '*' && n < 4)
                secrets[n++] = o->val;
        e = cx_protect(connect_and_fail, &a);
        if (e) {
            check_error(e, secrets, n);
            cx_error_unref(e);
        }
        PQconninfoFree(opts);
    }
    unsetenv("PGPASSWORD");
    free(t.s);
    free(p);
    return 0;
}
