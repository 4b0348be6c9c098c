/* Argument checks shared by cx-pg and cx-async-pg (a header: each library
 * keeps its own copy, nothing is exported). */
#ifndef CX_PG_ARGS_H
#define CX_PG_ARGS_H

#include <cx/error.h>

/* Raises cx_ValueError naming `who` unless c, sql, nparams and params make
 * a statement libpq can be given: a NULL connection or text, a negative
 * count, or no parameter array for a positive count. */
static inline void cx__pg_check_statement(const char *who, const void *c, const char *sql,
                                          int nparams, const char *const *params)
{
    if (!c)
        cx_raise(&cx_ValueError, "%s: c is NULL", who);
    if (!sql)
        cx_raise(&cx_ValueError, "%s: sql is NULL", who);
    if (nparams < 0)
        cx_raise(&cx_ValueError, "%s: nparams %d is negative", who, nparams);
    if (nparams > 0 && !params)
        cx_raise(&cx_ValueError, "%s: params is NULL for %d parameters", who, nparams);
}

#endif
