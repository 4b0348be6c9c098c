/* cx_pg_query and cx_pg_exec: one parameterised statement (PQexecParams). */
#include <stdlib.h>

#include "args.h"
#include "internal.h"

/* COPY needs its own protocol; end it so the connection stays usable. */
static _Noreturn void abandon_copy(PGconn *c, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    PQclear(res);
    if (st == PGRES_COPY_IN) {
        PQputCopyEnd(c, "COPY is not supported by cx_pg_query");
    } else if (st == PGRES_COPY_OUT) {
        char *row;
        while (PQgetCopyData(c, &row, 0) > 0)
            PQfreemem(row);
    }
    while ((res = PQgetResult(c)))
        PQclear(res);
    cx__db_raise(CX__SITE, &cx_NotSupportedError, 0, NULL,
                 "COPY is not supported by cx_pg_query");
}

/* The successful result, or a raise (the result cleared first). */
static PGresult *run(PGconn *c, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
        return res;
    case PGRES_EMPTY_QUERY:
        PQclear(res);
        cx__db_raise(CX__SITE, &cx_ProgrammingError, 0, NULL,
                     "empty query");
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
        abandon_copy(c, res);
    default:
        cx__pg_raise_clear(c, res);
    }
}

PGresult *cx__pg_command(PGconn *c, const char *sql)
{
    PGresult *res = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        return NULL;
    }
    return res;
}

typedef struct {
    PGconn *c;
    const char *sql;
    int nparams;
    const char *const *params;
    PGresult *res;
} query_state;

static void *query_enter(void *state)
{
    query_state *s = state;
    s->res = run(s->c, s->sql, s->nparams, s->params);
    return s->res;
}

static bool query_exit(void *state, cx_error *err)
{
    (void)err;
    PQclear(((query_state *)state)->res);
    return false;
}

static const cx_manager_type query_type = {"pg_query", query_enter, query_exit};

cx_manager cx_pg_query(PGconn *c, const char *sql, int nparams, const char *const *params)
{
    cx__pg_check_statement("cx_pg_query", c, sql, nparams, params);
    query_state s = {c, sql, nparams, params, NULL};
    return cx_manager_make(&query_type, &s, sizeof s);
}

long cx_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params)
{
    cx__pg_check_statement("cx_pg_exec", c, sql, nparams, params);
    PGresult *res = run(c, sql, nparams, params);
    long n = atol(PQcmdTuples(res));
    PQclear(res);
    return n;
}
