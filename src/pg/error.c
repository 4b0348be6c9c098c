/* SQLSTATE classes onto the DB-API hierarchy, as psycopg maps them. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

const cx_type *cx_pg_error_type(const char *s)
{
    if (!s || strlen(s) != 5)
        return &cx_OperationalError;
    switch (s[0]) {
    case '0':
        switch (s[1]) {
        case '8': return &cx_OperationalError;  /* connection exception */
        case 'A': return &cx_NotSupportedError; /* feature not supported */
        }
        break;
    case '2':
        switch (s[1]) {
        case '0':                               /* case not found */
        case '1': return &cx_ProgrammingError;  /* cardinality violation */
        case '2': return &cx_DataError;         /* data exception */
        case '3': return &cx_IntegrityError;    /* integrity constraint violation */
        case '4':                               /* invalid cursor state */
        case '5': return &cx_InternalError;     /* invalid transaction state */
        case '6':                               /* invalid SQL statement name */
        case '7':                               /* triggered data change violation */
        case '8': return &cx_OperationalError;  /* invalid authorization */
        case 'B':                               /* dependent privileges exist */
        case 'D':                               /* invalid transaction termination */
        case 'F': return &cx_InternalError;     /* SQL routine exception */
        }
        break;
    case '3':
        switch (s[1]) {
        case '4': return &cx_OperationalError;  /* invalid cursor name */
        case '8':                               /* external routine exception */
        case '9':                               /* external routine invocation */
        case 'B': return &cx_InternalError;     /* savepoint exception */
        case 'D':                               /* invalid catalog name */
        case 'F': return &cx_ProgrammingError;  /* invalid schema name */
        }
        break;
    case '4':
        switch (s[1]) {
        case '0': return &cx_OperationalError;  /* transaction rollback */
        case '2':                               /* syntax error or access rule */
        case '4': return &cx_ProgrammingError;  /* WITH CHECK OPTION violation */
        }
        break;
    case '5': return &cx_OperationalError;      /* resources, limits, operator, system */
    case 'F':                                   /* configuration file error */
    case 'P':                                   /* PL/pgSQL error */
    case 'X': return &cx_InternalError;         /* internal error */
    case 'H': return &cx_OperationalError;      /* foreign data wrapper */
    }
    return &cx_DatabaseError;
}

/* libpq's messages end with a newline. */
static int trimmed(const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        n--;
    return (int)n;
}

/* A failed result's type, SQLSTATE and message (the server's primary
 * message and DETAIL, as psycopg shows them, or libpq's own text when the
 * server never answered). */
typedef struct {
    const cx_type *type;
    char state[6];
    char message[2048];
} failure;

static void describe(PGconn *c, const PGresult *res, failure *f)
{
    f->state[0] = '\0';
    if (!res) {
        const char *m = c ? PQerrorMessage(c) : "out of memory";
        f->type = &cx_OperationalError;
        snprintf(f->message, sizeof f->message, "%.*s", trimmed(m), m);
        return;
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    f->type = cx_pg_error_type(state);
    if (state)
        snprintf(f->state, sizeof f->state, "%s", state);
    if (!primary) {
        const char *m = PQresultErrorMessage(res);
        if (!*m && c)
            m = PQerrorMessage(c);
        snprintf(f->message, sizeof f->message, "%.*s", trimmed(m), m);
    } else if (detail) {
        snprintf(f->message, sizeof f->message, "%s\nDETAIL:  %s", primary, detail);
    } else {
        snprintf(f->message, sizeof f->message, "%s", primary);
    }
}

static _Noreturn void raise_failure(const failure *f)
{
    cx__db_raise(CX__SITE, f->type, 0, f->state[0] ? f->state : NULL,
                 "%s", f->message);
}

void cx_pg_raise(PGconn *c, const PGresult *res)
{
    if (!c)
        cx_raise(&cx_ValueError, "cx_pg_raise: c is NULL");
    failure f;
    describe(c, res, &f);
    raise_failure(&f);
}

void cx__pg_raise_clear(PGconn *c, PGresult *res)
{
    failure f;
    describe(c, res, &f);
    PQclear(res);
    raise_failure(&f);
}

const char *cx_pg_error_sqlstate(const cx_error *e) { return cx__db_error_sqlstate(e); }
