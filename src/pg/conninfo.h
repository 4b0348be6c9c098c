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
 * (why NULL: libpq's message for conn) redacted by cx__pg_redact with every
 * secret of the connection: the password and sslpassword of ci and of conn
 * (environment, service file), PGPASSWORD, and PQpass (the password file's).
 * MemoryError when the redaction cannot be done (nothing is shown then). */
_Noreturn void cx__pg_raise_connect_failure(PGconn *conn, cx__pg_conninfo *ci, const char *why);

/* The mask that replaces each hidden stretch of an error text. */
#define CX__PG_MASK "********"

/* The shortest run of a secret that is hidden: every run of at least this
 * many bytes, or the whole secret when it is shorter.  Echoes get cut: the
 * server truncates identifiers to 63 bytes (NAMEDATALEN - 1), so an exact
 * match misses a long password echoed as a user or database name.  8 bytes
 * keep short words of ordinary messages readable; at most 7 consecutive
 * bytes of a secret can show. */
#define CX__PG_REDACT_RUN 8

/* `msg` with every stretch covered by a run of at least
 * min(CX__PG_REDACT_RUN, strlen(secret)) bytes that also occurs in one of
 * the `n` secrets (NULL or "" entries count for nothing) replaced by one
 * CX__PG_MASK, compared byte for byte.  malloc'd; NULL when out of memory. */
char *cx__pg_redact(const char *msg, const char *const *secrets, size_t n);

#endif
