/* cx/pg.h — PostgreSQL (libpq) as managers (library cx-pg, `pkg-config cx-pg`).
 *
 *   cx_with (PGconn *c, cx_pg_connect(NULL))              // the PG* environment
 *   cx_with (cx_pg_transaction(c)) {
 *       const char *p[] = {"1", "Alice"};
 *       cx_pg_exec(c, "INSERT INTO users VALUES ($1, $2)", 2, p);
 *   }   // committed, then closed; a raise in the body rolls back instead
 *
 * Statements are parameterised (PQexecParams, text parameters, $1..$n): the
 * API has no way to build SQL from strings.  Every failure raises an error of
 * the cx/dberror.h hierarchy chosen from the SQLSTATE class as psycopg does
 * (23: IntegrityError, 42: ProgrammingError, 22: DataError, 08/53/57/40:
 * OperationalError, 0A: NotSupportedError, 25/XX: InternalError, ...) with the
 * server's message (plus its DETAIL line) and the SQLSTATE
 * (cx_pg_error_sqlstate).  Failures without a server answer (connection
 * lost, server unreachable) are OperationalError with no SQLSTATE.  No connect
 * error shows a password: not the conninfo's password or sslpassword,
 * PGPASSWORD, or the password file's, nor any run of 8 bytes of one (the
 * server cuts echoed names to 63 bytes); docs/databases.md. */
#ifndef CX_PG_H
#define CX_PG_H

#include <libpq-fe.h>

#include "dberror.h"
#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Connects for the duration of a with block; binds the PGconn *, closed with
 * PQfinish at exit.  `conninfo` is a libpq connection string or URI; NULL
 * (or "") takes everything from the standard PG* environment variables.
 * Unless the conninfo or PGCONNECT_TIMEOUT sets connect_timeout, it is 10 s,
 * so an unreachable server fails instead of hanging.  Enter raises
 * OperationalError "connect: <libpq's message>" (passwords masked) when
 * the connection cannot be made, and ProgrammingError for a malformed
 * conninfo.  `conninfo` is read only during enter.  Single-use per with. */
CX_API cx_manager cx_pg_connect(const char *conninfo);

/* A transaction on `c` for the duration of a with block (binds nothing).
 * Outside a transaction: BEGIN, then COMMIT when the body ends without an
 * error, ROLLBACK when it raises (the error propagates).  Inside one (a
 * nested cx_pg_transaction, or the caller's own BEGIN): a SAVEPOINT,
 * released on success, rolled back to (then released) on error, so a failure
 * undoes only that level.  If the body caught a statement's error and left
 * the transaction aborted, exit rolls back and raises InternalError (SQLSTATE
 * 25P02) instead of pretending to commit.  When the connection is lost,
 * exit on an error has nothing to undo (the server dropped the transaction
 * with the session) and returns at once; exit on success raises
 * OperationalError from the failed COMMIT.  c NULL raises cx_ValueError.
 * Single-use per with. */
CX_API cx_manager cx_pg_transaction(PGconn *c);

/* Runs one parameterised statement with PQexecParams for the duration of a
 * with block; binds the PGresult * (text format), cleared at exit.
 * `params` holds `nparams` NUL-terminated text values (NULL entries are SQL
 * NULL) for $1..$n, sent apart from the SQL text.  Enter raises the mapped
 * error when the statement fails; ProgrammingError for an empty statement;
 * NotSupportedError for COPY (the connection is left usable).  `sql` and
 * `params` are read only during enter.  A NULL c or sql, a negative nparams,
 * or NULL params for a positive nparams raise cx_ValueError at once.
 * Single-use per with. */
CX_API cx_manager cx_pg_query(PGconn *c, const char *sql, int nparams,
                              const char *const *params);

/* cx_pg_query without a result to look at: runs the statement, raises like
 * cx_pg_query's enter, returns the number of rows it affected (PQcmdTuples;
 * 0 when the command reports none).  Checks its arguments as cx_pg_query. */
CX_API long cx_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params);

/* The SQLSTATE carried by `e` ("23505", ...); NULL when the server gave none
 * or e was not raised by cx-pg.  Borrowed from e. */
CX_API const char *cx_pg_error_sqlstate(const cx_error *e);

/* The error type for SQLSTATE `sqlstate` (NULL: OperationalError). */
CX_API const cx_type *cx_pg_error_type(const char *sqlstate);

/* Raises the mapped error for `res`, a failed result of `c` (res NULL: c's
 * last error, as OperationalError), for code of your own that calls libpq
 * directly.  Does not clear res.  Never returns; c NULL raises cx_ValueError. */
CX_API CX__NORETURN void cx_pg_raise(PGconn *c, const PGresult *res);

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_pg_connect(...) CX__AT(cx_pg_connect(__VA_ARGS__))
#define cx_pg_transaction(...) CX__AT(cx_pg_transaction(__VA_ARGS__))
#define cx_pg_query(...) CX__AT(cx_pg_query(__VA_ARGS__))
#define cx_pg_exec(...) CX__AT(cx_pg_exec(__VA_ARGS__))
#define cx_pg_raise(...) CX__AT(cx_pg_raise(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
