/* cx/dberror.h — the database error hierarchy shared by cx-sqlite and cx-pg.
 *
 * Python's DB-API (PEP 249) shape, as its sqlite3 module has it:
 *
 *   cx_Exception
 *    └── cx_DatabaseError
 *         ├── cx_InterfaceError     misuse of the interface (SQLITE_MISUSE, ...)
 *         ├── cx_DataError          bad data: value out of range, too big
 *         ├── cx_OperationalError   the database's operation failed: I/O,
 *         │                         locking, lost connection, no such table
 *         ├── cx_IntegrityError     a constraint failed
 *         ├── cx_InternalError      the database's internal error
 *         ├── cx_ProgrammingError   wrong SQL or wrong use of the API
 *         └── cx_NotSupportedError  a feature the database does not have
 *
 * PEP 249 puts InterfaceError beside DatabaseError under an `Error` class;
 * cx folds that level into cx_DatabaseError, so catching cx_DatabaseError
 * catches every database error.  The types live in the core library (so
 * both modules share them without the core linking SQLite or libpq); an
 * error raised by a module also carries SQLite's extended result code or
 * PostgreSQL's SQLSTATE, read with cx_sqlite_error_code / cx_pg_error_sqlstate. */
#ifndef CX_DBERROR_H
#define CX_DBERROR_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

CX_API extern const cx_type cx_DatabaseError; /* the base of every database error (an Exception) */
CX_API extern const cx_type cx_InterfaceError; /* misuse of the database interface (a DatabaseError) */
CX_API extern const cx_type cx_DataError; /* bad data: a value out of range or too big (a DatabaseError) */
CX_API extern const cx_type cx_OperationalError; /* the operation failed: I/O, locking, lost connection, no such table (a DatabaseError) */
CX_API extern const cx_type cx_IntegrityError; /* a constraint failed (a DatabaseError) */
CX_API extern const cx_type cx_InternalError; /* the database's internal error (a DatabaseError) */
CX_API extern const cx_type cx_ProgrammingError; /* wrong SQL or wrong use of the API (a DatabaseError) */
CX_API extern const cx_type cx_NotSupportedError; /* a feature the database does not have (a DatabaseError) */

/* For the database modules: raises a new error of type `t` carrying `code`
 * (SQLite's extended result code, or 0) and `sqlstate` (5 characters, or
 * NULL).  Never returns. */
CX_API CX__NORETURN void cx__db_raise(const char *file, int line, const char *func,
                                   const cx_type *t, int code, const char *sqlstate,
                                   const char *fmt, ...) CX__PRINTF(7, 8);
/* The code and SQLSTATE an error carries: 0 / NULL when it has none. */
CX_API int cx__db_error_code(const cx_error *e);
CX_API const char *cx__db_error_sqlstate(const cx_error *e);

#ifdef __cplusplus
}
#endif
#endif
