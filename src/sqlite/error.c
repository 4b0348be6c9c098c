/* SQLite result codes onto the DB-API hierarchy, as Python's sqlite3 does it
 * (Modules/_sqlite/util.c). */
#include "internal.h"

const cx_type *cx__sqlite_type(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_INTERNAL:
    case SQLITE_NOTFOUND: return &cx_InternalError;
    case SQLITE_NOMEM: return &cx_MemoryError;
    case SQLITE_ERROR:
    case SQLITE_PERM:
    case SQLITE_ABORT:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_INTERRUPT:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_EMPTY:
    case SQLITE_SCHEMA: return &cx_OperationalError;
    case SQLITE_TOOBIG: return &cx_DataError;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH: return &cx_IntegrityError;
    case SQLITE_MISUSE:
    case SQLITE_RANGE: return &cx_InterfaceError;
    default: return &cx_DatabaseError; /* SQLITE_CORRUPT, NOTADB, ... */
    }
}

void cx__sqlite_raise_msg(int rc, const char *what, const char *message)
{
    if (!message)
        message = sqlite3_errstr(rc);
    if (what)
        cx__db_raise(CX__SITE, cx__sqlite_type(rc), rc, NULL, "%s: %s",
                     what, message);
    cx__db_raise(CX__SITE, cx__sqlite_type(rc), rc, NULL, "%s", message);
}

/* The extended code is the connection's when it agrees with rc (some calls
 * hand back only the primary code). */
void cx_sqlite_raise(sqlite3 *db, int rc, const char *what)
{
    if (db) {
        int ext = sqlite3_extended_errcode(db);
        if ((ext & 0xff) == (rc & 0xff))
            rc = ext;
    }
    cx__sqlite_raise_msg(rc, what, db ? sqlite3_errmsg(db) : NULL);
}

int cx_sqlite_error_code(const cx_error *e) { return cx__db_error_code(e); }

__attribute__((cold)) void cx__sqlite_null(const char *who, const char *arg)
{
    cx_raise(&cx_ValueError, "%s: %s is NULL", who, arg);
}
