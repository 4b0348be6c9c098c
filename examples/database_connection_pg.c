/* Creating Custom Context Managers / Class-Based Approach, for real: the
 * guide's DatabaseConnection wrapping a PostgreSQL connection (libpq).
 * Enter connects and begins a transaction; exit commits, or rolls back when
 * the block raised, then closes.  It runs when PG* settings (PGHOST,
 * PGDATABASE, PGSERVICE, ...) or CX_TOUR_PG=<conninfo or URL> are present;
 * `make tour PG=1` starts a private server and sets them. */
#include <stdlib.h>
#include <string.h>

#include "examples.h"

#if CX_TOUR_HAVE_LIBPQ
#include <libpq-fe.h>

static CX_DEFINE_ERROR(PostgresError, cx_Exception);

/* Runs one statement; a failure raises PostgresError with the server's
 * message.  Returns the result for the caller to PQclear. */
static PGresult *run(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
    msg[strcspn(msg, "\n")] = '\0';
    PQclear(r);
    cx_raise(&PostgresError, "%s", msg);
}

static void finish(void *conn) { PQfinish(conn); }

/* The server's NOTICEs ("table does not exist, skipping") are not ours to print. */
static void ignore_notice(void *arg, const char *message) { (void)arg, (void)message; }

typedef struct {
    const char *conninfo;
    PGconn *connection;
} database_connection;

static void *db_enter(void *state)
{
    database_connection *self = *(database_connection **)state;
    self->connection = PQconnectdb(self->conninfo);
    if (PQstatus(self->connection) != CONNECTION_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(self->connection));
        msg[strcspn(msg, "\n")] = '\0';
        PQfinish(self->connection);
        self->connection = NULL;
        cx_raise(&PostgresError, "connect: %s", msg);
    }
    PQsetNoticeProcessor(self->connection, ignore_notice, NULL);
    printf("  Connecting to database %s as %s\n", PQdb(self->connection),
           PQuser(self->connection));
    PQclear(run(self->connection, "BEGIN"));
    return self->connection;
}

static bool db_exit(void *state, cx_error *err)
{
    database_connection *self = *(database_connection **)state;
    PGconn *conn = self->connection;
    self->connection = NULL;
    cx_scope {
        cx_defer(finish, conn); /* closes even if COMMIT raises */
        if (err) {
            printf("  Error occurred: %s\n", cx_error_message(err));
            PQclear(run(conn, "ROLLBACK"));
        } else {
            puts("  Transaction completed successfully");
            PQclear(run(conn, "COMMIT"));
        }
    }
    puts("  Database connection closed");
    return false; /* propagate the block's error */
}

static const cx_manager_type database_connection_type = {"DatabaseConnection", db_enter,
                                                         db_exit};

static cx_manager database_connection_manager(database_connection *db)
{
    return cx_manager_make(&database_connection_type, &db, sizeof db);
}

static long count_users(const char *conninfo)
{
    database_connection db = {conninfo, NULL};
    volatile long n = 0;
    cx_with (PGconn *conn, database_connection_manager(&db)) {
        PGresult *r = run(conn, "SELECT count(*) FROM cx_tour_users");
        n = atol(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    return n;
}

static void insert_then_fail(void *conninfo)
{
    database_connection db = {conninfo, NULL};
    cx_with (PGconn *conn, database_connection_manager(&db)) {
        PQclear(run(conn, "INSERT INTO cx_tour_users VALUES (2, 'Bob')"));
        cx_raise(&cx_ValueError, "Bob's row is invalid");
    }
}

static const char *pg_settings(void)
{
    const char *conninfo = getenv("CX_TOUR_PG");
    if (conninfo && *conninfo)
        return conninfo;
    static const char *const vars[] = {"PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return ""; /* libpq reads the PG* variables itself */
    return NULL;
}

void example_database_connection_pg(void)
{
    const char *conninfo = pg_settings();
    if (!conninfo) {
        puts("With a real PostgreSQL server: skipped (no PG* settings or CX_TOUR_PG;");
        puts("  `make tour PG=1` starts a private server).");
        return;
    }
    puts("With a real PostgreSQL server:");
    database_connection db = {conninfo, NULL};
    cx_with (PGconn *conn, database_connection_manager(&db)) {
        printf("  Using connection: PostgreSQL %d\n", PQserverVersion(conn));
        PQclear(run(conn, "DROP TABLE IF EXISTS cx_tour_users"));
        PQclear(run(conn, "CREATE TABLE cx_tour_users (id integer, name text)"));
        PQclear(run(conn, "INSERT INTO cx_tour_users VALUES (1, 'Alice')"));
    }
    cx_error *e = cx_protect(insert_then_fail, (void *)conninfo);
    printf("  the %s propagated\n", cx_error_type(e)->name);
    cx_error_unref(e);
    printf("  rows in cx_tour_users: %ld (Alice committed, Bob rolled back)\n",
           count_users(conninfo));
}
#else
void example_database_connection_pg(void)
{
    puts("With a real PostgreSQL server: not built (libpq was not found).");
}
#endif
