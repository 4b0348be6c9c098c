/* A conninfo made ready for libpq, shared by cx-pg's blocking connect and
 * cx-async-pg's non-blocking one (each library compiles conninfo.c in). */
#ifndef CX_PG_CONNINFO_H
#define CX_PG_CONNINFO_H

#include <cx/pg.h>

/* libpq waits forever for a silent server; cx gives up after this many
 * seconds unless the conninfo or PGCONNECT_TIMEOUT says otherwise. */
#define CX__PG_DEFAULT_CONNECT_TIMEOUT "10"

typedef struct cx__pg_conninfo {
    PQconninfoOption *opts;   /* the parsed conninfo (owned) */
    const char *password;     /* its password, in opts, or NULL */
    /* For PQconnectdbParams / PQconnectStartParams(keys + first,
     * values + first, 1): the default timeout unless one was given, then the
     * conninfo itself, expanded as "dbname". */
    const char *keys[3], *values[3];
    int first;
} cx__pg_conninfo;

/* Parses `conninfo` (NULL: ""), keeping a reference to it.  Raises
 * ProgrammingError for an unparsable one, quoting none of it when it may
 * hold a password; MemoryError. */
void cx__pg_conninfo_parse(cx__pg_conninfo *ci, const char *conninfo);
void cx__pg_conninfo_free(cx__pg_conninfo *ci);

/* Finishes `conn`, frees ci and raises OperationalError "connect: <why>"
 * (why NULL: libpq's message for conn), with ci's password and PGPASSWORD
 * masked. */
_Noreturn void cx__pg_raise_connect_failure(PGconn *conn, cx__pg_conninfo *ci, const char *why);

#endif
