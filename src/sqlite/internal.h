/* Internal declarations shared by cx-sqlite's files. */
#ifndef CX_SQLITE_INTERNAL_H
#define CX_SQLITE_INTERNAL_H

#include <cx/sqlite.h>

/* The type Python's sqlite3 raises for result code `rc`. */
const cx_type *cx__sqlite_type(int rc);

/* Raises the mapped error for rc with `message` (SQLite's text), prefixed by
 * "<what>: " when what is not NULL. */
_Noreturn void cx__sqlite_raise_msg(int rc, const char *what, const char *message);

#endif
