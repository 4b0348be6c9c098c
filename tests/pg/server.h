/* The PostgreSQL servers the pg tests run against: the shared one started by
 * the CTest fixture pg_server (found through CX_PG_ENV), and private ones a
 * fault test may crash. */
#ifndef CX_TEST_PG_SERVER_H
#define CX_TEST_PG_SERVER_H

#include <cx/pg.h>

#include "harness.h"

/* Loads the shared server's PG* variables into the environment; fails the
 * test (never skips it) when CX_PG_ENV is unset or the file is missing. */
void pg_env(void);

/* The single value a query returns, as a number. */
long long pg_scalar(PGconn *c, const char *sql);

/* Drops and creates table `name` with the given columns. */
void pg_fresh_table(PGconn *c, const char *name, const char *columns);

/* A private server: scripts/pg-server.sh start, crash (pg_ctl stop -m
 * immediate) and stop; its watchdog follows this test process. */
typedef struct pg_private {
    char dir[64];
    char conninfo[512];
} pg_private;
void pg_private_start(pg_private *p);
void pg_private_crash(pg_private *p);
void pg_private_stop(pg_private *p);

/* Runs scripts/pg-server.sh with `args` in a shell; returns its exit status
 * and, when out is not NULL, what it printed on stderr (malloc'd). */
int pg_script(const char *args, char **out);

/* Seconds on the monotonic clock. */
double pg_now(void);

/* A TCP listener on 127.0.0.1 that completes the handshake and never says a
 * word (without a timeout a client waits forever); *port is its port.
 * Returns the descriptor (the caller closes it). */
int pg_silent_listener(int *port);

/* Checks that `password` shows neither in e's message nor in what
 * cx_error_print prints for it. */
void pg_check_hidden(cx_error *e, const char *password);

/* Checks that no run of 8 bytes of `secret` (all of it when shorter) shows
 * in e's message or in what cx_error_print prints for it. */
void pg_check_no_run(cx_error *e, const char *secret);

#endif
