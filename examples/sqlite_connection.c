/* Built-in Context Managers / Database Connections: Python's
 * `with sqlite3.connect('example.db') as conn:` commits the transaction at
 * the end of the block.  In cx the connection and the transaction are two
 * managers, each declared with cx_using: cx_sqlite_open closes the
 * connection, cx_sqlite_transaction commits (or rolls back when the block
 * is left by an error). */
#include "examples.h"

#if CX_TOUR_HAVE_SQLITE
#include <cx/sqlite.h>

static void print_users(void)
{
    cx_using (sqlite3 *conn, cx_sqlite_open("example.db"));
    cx_using (sqlite3_stmt *st, cx_sqlite_prepare(conn, "SELECT id, name FROM users"));
    while (cx_sqlite_step(st))
        printf("  row: (%d, '%s')\n", sqlite3_column_int(st, 0),
               (const char *)sqlite3_column_text(st, 1));
}

void example_sqlite_connection(void)
{
    {
        cx_using (sqlite3 *conn, cx_sqlite_open("example.db"));
        cx_using (cx_sqlite_transaction(conn));
        cx_sqlite_exec(conn, "CREATE TABLE IF NOT EXISTS users (id INTEGER, name TEXT)");
        cx_sqlite_exec(conn, "INSERT INTO users VALUES (1, 'Alice')");
    }
    puts("Committed and closed; example.db opened again:");
    print_users();

    puts("A block that raises rolls its transaction back:");
    cx_try {
        cx_using (sqlite3 *conn, cx_sqlite_open("example.db"));
        cx_using (cx_sqlite_transaction(conn));
        cx_sqlite_exec(conn, "INSERT INTO users VALUES (2, 'Bob')");
        cx_sqlite_exec(conn, "INSERT INTO no_such_table VALUES (3)");
    } cx_except (&cx_DatabaseError, e) {
        printf("  %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    }
    print_users();
}
#else
void example_sqlite_connection(void)
{
    puts("  (This example needs cx-sqlite, which this build does not have.)");
}
#endif
