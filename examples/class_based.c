/* Creating Custom Context Managers / Class-Based Approach: the guide's
 * DatabaseConnection, with its simulated connection (the guide's _connect
 * returns a string).  The object lives with its owner, as a Python instance
 * does; the manager's inline state is just a pointer to it.  A connection
 * is a resource: cx_using declares it for the rest of its block, and exit
 * still sees the error when the block is left by one.
 * database_connection_pg.c is the same class over a real PostgreSQL
 * connection. */
#include "examples.h"

typedef struct {
    const char *url;
    char connection[96];
    bool connected;
} database_connection;

static void *db_enter(void *state)
{
    database_connection *db = *(database_connection **)state;
    printf("  Connecting to %s\n", db->url);
    snprintf(db->connection, sizeof db->connection, "Connection to %s", db->url);
    db->connected = true;
    return db->connection;
}

static bool db_exit(void *state, cx_error *err)
{
    database_connection *db = *(database_connection **)state;
    if (db->connected) {
        if (err)
            printf("  Error occurred: %s -- rolling back\n", cx_error_message(err));
        else
            puts("  Transaction completed successfully -- committing");
        db->connected = false;
        puts("  Database connection closed");
    }
    return false; /* propagate errors */
}

static const cx_manager_type database_connection_type = {
    "DatabaseConnection", db_enter, db_exit};

static cx_manager database_connection_manager(database_connection *db)
{
    return cx_manager_make(&database_connection_type, &db, sizeof db);
}

static void failing_work(void *unused)
{
    (void)unused;
    database_connection db = {.url = "postgresql://localhost:5432/mydb"};
    cx_using (const char *conn, database_connection_manager(&db));
    printf("  Using connection: %s\n", conn);
    cx_raise(&cx_ValueError, "bad row");
}

void example_class_based(void)
{
    {
        database_connection db = {.url = "postgresql://localhost:5432/mydb"};
        cx_using (const char *conn, database_connection_manager(&db));
        printf("  Using connection: %s\n", conn);
    } /* exit commits and closes here */

    puts("And when the body raises:");
    cx_error *e = cx_protect(failing_work, NULL);
    printf("  the %s propagated after exit ran\n", cx_error_type(e)->name);
    cx_error_unref(e);
}
