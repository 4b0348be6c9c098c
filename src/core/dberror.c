/* The database error hierarchy (cx/dberror.h): in the core so cx-sqlite and
 * cx-pg share one set of types, and an error can carry the database's code. */
#include <string.h>

#include <cx/dberror.h>

#include "internal.h"

#define TYPE(name, base) CX_API const cx_type cx_##name = {#name, base}

TYPE(DatabaseError, &cx_Exception);
TYPE(InterfaceError, &cx_DatabaseError);
TYPE(DataError, &cx_DatabaseError);
TYPE(OperationalError, &cx_DatabaseError);
TYPE(IntegrityError, &cx_DatabaseError);
TYPE(InternalError, &cx_DatabaseError);
TYPE(ProgrammingError, &cx_DatabaseError);
TYPE(NotSupportedError, &cx_DatabaseError);

void cx__db_raise(const char *file, int line, const char *func, const cx_type *t,
                  int code, const char *sqlstate, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_error *e = cx__error_new(file, line, func, t, fmt, ap);
    va_end(ap);
    if (e->refs > 0) { /* not the static MemoryError */
        e->dbcode = code;
        if (sqlstate) {
            strncpy(e->sqlstate, sqlstate, sizeof e->sqlstate - 1);
            e->sqlstate[sizeof e->sqlstate - 1] = '\0';
        }
    }
    cx__raise_error(e);
}

int cx__db_error_code(const cx_error *e) { return e ? e->dbcode : 0; }

const char *cx__db_error_sqlstate(const cx_error *e)
{
    return e && e->sqlstate[0] ? e->sqlstate : NULL;
}
