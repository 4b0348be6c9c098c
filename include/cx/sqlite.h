/* cx/sqlite.h — SQLite 3 as managers (library cx-sqlite, `pkg-config cx-sqlite`).
 *
 *   cx_with (sqlite3 *db, cx_sqlite_open("example.db"))
 *   cx_with (cx_sqlite_transaction(db)) {
 *       cx_sqlite_exec(db, "CREATE TABLE IF NOT EXISTS users (id INTEGER, name TEXT)");
 *       cx_sqlite_exec(db, "INSERT INTO users VALUES (1, 'Alice')");
 *   }   // committed, then closed; a raise in the body rolls back instead
 *
 * Every failure raises an error of the cx/dberror.h hierarchy chosen from
 * SQLite's result code as Python's sqlite3 chooses it (SQLITE_CONSTRAINT:
 * IntegrityError; SQLITE_ERROR, BUSY, IOERR, ...: OperationalError; MISUSE,
 * RANGE: InterfaceError; TOOBIG: DataError; INTERNAL: InternalError;
 * NOMEM: cx_MemoryError), with SQLite's message and its extended result code
 * (cx_sqlite_error_code).  A NULL path, connection, statement, SQL text or
 * parameter name raises cx_ValueError naming the function and argument
 * (when a manager is made, not at enter). */
#ifndef CX_SQLITE_H
#define CX_SQLITE_H

#include <stdint.h>

#include <sqlite3.h>

#include "dberror.h"
#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens (creating if needed) the database at `path` (":memory:" and file:
 * URIs work) for the duration of a with block; binds the sqlite3 *.  The
 * connection uses extended result codes and waits up to 5 s on a locked
 * database, as Python's sqlite3.connect does.  Enter raises
 * OperationalError "open <path>: <SQLite's message>".  Exit closes with
 * sqlite3_close (an open transaction is rolled back); if statements are
 * still unfinalized it raises OperationalError "close <path>: unable to close
 * due to unfinalized statements ..." and the connection is freed once they
 * are finalized.  Single-use per with. */
CX_API cx_manager cx_sqlite_open(const char *path);

/* A transaction on `db` for the duration of a with block (binds nothing).
 * Outside a transaction: BEGIN, then COMMIT when the body ends without an
 * error, ROLLBACK when it raises (the error propagates).  Inside one (a
 * nested cx_sqlite_transaction, or after the caller's own BEGIN): a
 * SAVEPOINT, RELEASEd on success, rolled back to (then released) on error,
 * so a failure undoes only that level.  Enter raises if BEGIN/SAVEPOINT
 * fails; exit raises if COMMIT/RELEASE/ROLLBACK fails (a failed COMMIT is
 * rolled back first; the body's error, if any, becomes the context).  If
 * SQLite already rolled the transaction back (after SQLITE_FULL, IOERR,
 * BUSY, ...), exit has nothing to undo.  Single-use per with. */
CX_API cx_manager cx_sqlite_transaction(sqlite3 *db);

/* Prepares one statement for the duration of a with block; binds the
 * sqlite3_stmt *, finalized at exit.  Enter raises the mapped error for a
 * statement SQLite rejects, and ProgrammingError when `sql` holds no
 * statement or more than one.  `sql` is read only during enter.  Single-use
 * per with. */
CX_API cx_manager cx_sqlite_prepare(sqlite3 *db, const char *sql);

/* Runs `sql` (any number of statements, no parameters, rows discarded);
 * raises the mapped error of the first statement that fails. */
CX_API void cx_sqlite_exec(sqlite3 *db, const char *sql);

/* Steps `stmt`: true when a row is ready, false when the statement is done;
 * raises the mapped error when the step fails (the statement is then reset). */
CX_API bool cx_sqlite_step(sqlite3_stmt *stmt);

/* Resets `stmt` for another run and clears its bindings. */
CX_API void cx_sqlite_reset(sqlite3_stmt *stmt);

/* Binding helpers: `idx` is 1-based as in sqlite3_bind_*.  Text and blobs
 * are copied (SQLITE_TRANSIENT).  An index outside the statement's
 * parameters raises ProgrammingError (code SQLITE_RANGE); other failures
 * raise the mapped error. */
CX_API void cx_sqlite_bind_int(sqlite3_stmt *stmt, int idx, int64_t value);
CX_API void cx_sqlite_bind_double(sqlite3_stmt *stmt, int idx, double value); /* binds a double */
CX_API void cx_sqlite_bind_text(sqlite3_stmt *stmt, int idx, const char *text); /* NULL binds NULL */
/* Binds size bytes, copied; data NULL binds NULL (as SQLite's own), and a size
 * over 2^31 - 1 (SQLite's limit for any value) raises DataError. */
CX_API void cx_sqlite_bind_blob(sqlite3_stmt *stmt, int idx, const void *data, size_t size);
CX_API void cx_sqlite_bind_null(sqlite3_stmt *stmt, int idx); /* binds NULL */
/* The index of the named parameter (":name", "@name", "$name"); raises
 * ProgrammingError when the statement has no such parameter. */
CX_API int cx_sqlite_param(sqlite3_stmt *stmt, const char *name);

/* SQLite's extended result code carried by `e` (SQLITE_CONSTRAINT_UNIQUE,
 * ...), 0 when e is NULL or was not raised by cx-sqlite. */
CX_API int cx_sqlite_error_code(const cx_error *e);

/* Raises the error Python's sqlite3 maps result code `rc` to, with db's
 * current message (sqlite3_errmsg; db NULL: SQLite's text for rc) prefixed
 * by `what` when not NULL; for code of your own that calls sqlite3_*
 * directly.  Never returns. */
CX_API CX__NORETURN void cx_sqlite_raise(sqlite3 *db, int rc, const char *what);

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_sqlite_open(...) CX__AT(cx_sqlite_open(__VA_ARGS__))
#define cx_sqlite_transaction(...) CX__AT(cx_sqlite_transaction(__VA_ARGS__))
#define cx_sqlite_prepare(...) CX__AT(cx_sqlite_prepare(__VA_ARGS__))
#define cx_sqlite_exec(...) CX__AT(cx_sqlite_exec(__VA_ARGS__))
#define cx_sqlite_step(...) CX__AT(cx_sqlite_step(__VA_ARGS__))
#define cx_sqlite_reset(...) CX__AT(cx_sqlite_reset(__VA_ARGS__))
#define cx_sqlite_bind_int(...) CX__AT(cx_sqlite_bind_int(__VA_ARGS__))
#define cx_sqlite_bind_double(...) CX__AT(cx_sqlite_bind_double(__VA_ARGS__))
#define cx_sqlite_bind_text(...) CX__AT(cx_sqlite_bind_text(__VA_ARGS__))
#define cx_sqlite_bind_blob(...) CX__AT(cx_sqlite_bind_blob(__VA_ARGS__))
#define cx_sqlite_bind_null(...) CX__AT(cx_sqlite_bind_null(__VA_ARGS__))
#define cx_sqlite_param(...) CX__AT(cx_sqlite_param(__VA_ARGS__))
#define cx_sqlite_raise(...) CX__AT(cx_sqlite_raise(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
