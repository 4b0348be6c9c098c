/* Internal declarations shared by cx-pg's files. */
#ifndef CX_PG_INTERNAL_H
#define CX_PG_INTERNAL_H

#include <cx/pg.h>

/* Runs a parameterless command that returns no rows; NULL on success, else
 * the failed result (caller clears it). */
PGresult *cx__pg_command(PGconn *c, const char *sql);

/* Raises the error for a failed result and clears it. */
_Noreturn void cx__pg_raise_clear(PGconn *c, PGresult *res);

#endif
