/* Internal declarations shared by cx-sqlite's files. */
#ifndef CX_SQLITE_INTERNAL_H
#define CX_SQLITE_INTERNAL_H

#include <cx/sqlite.h>

/* The type Python's sqlite3 raises for result code `rc`. */
const cx_type *cx__sqlite_type(int rc);

/* Raises the mapped error for rc with `message` (SQLite's text), prefixed by
 * "<what>: " when what is not NULL. */
_Noreturn void cx__sqlite_raise_msg(int rc, const char *what, const char *message);

/* Raises cx_ValueError "<who>: <arg> is NULL" unless p is set: one compare
 * where the argument is used, the raise out of line. */
_Noreturn void cx__sqlite_null(const char *who, const char *arg);
#define CX__SQLITE_NEED(p, who, arg)                                           \
    do {                                                                       \
        if (__builtin_expect((p) == NULL, 0))                                  \
            cx__sqlite_null(who, arg);                                         \
    } while (0)

#endif
