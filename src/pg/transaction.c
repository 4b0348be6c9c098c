/* cx_pg_transaction: BEGIN..COMMIT/ROLLBACK, or a SAVEPOINT when a
 * transaction is already open on the connection. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct {
    PGconn *c;
    unsigned long savepoint; /* 0: the outermost transaction */
} txn_state;

/* Savepoint names only need to be unique among the open ones. */
static atomic_ulong savepoints;

static void run(PGconn *c, const char *sql)
{
    PGresult *res = cx__pg_command(c, sql);
    if (res)
        cx__pg_raise_clear(c, res);
}

static void *txn_enter(void *state)
{
    txn_state *s = state;
    if (PQtransactionStatus(s->c) == PQTRANS_IDLE) {
        s->savepoint = 0;
        run(s->c, "BEGIN");
    } else {
        char sql[64];
        s->savepoint = atomic_fetch_add(&savepoints, 1) + 1;
        snprintf(sql, sizeof sql, "SAVEPOINT cx_%lu", s->savepoint);
        run(s->c, sql);
    }
    return NULL;
}

/* Two commands: the extended protocol takes one statement at a time. */
static void rollback_to(txn_state *s)
{
    char sql[64];
    snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT cx_%lu", s->savepoint);
    run(s->c, sql);
    snprintf(sql, sizeof sql, "RELEASE SAVEPOINT cx_%lu", s->savepoint);
    run(s->c, sql);
}

static _Noreturn void raise_aborted(const char *what)
{
    cx__db_raise(CX__SITE, &cx_InternalError, 0, "25P02",
                 "%s: the transaction was aborted by an earlier error the body caught; "
                 "rolled back", what);
}

static void commit(txn_state *s)
{
    if (PQtransactionStatus(s->c) == PQTRANS_INERROR) {
        run(s->c, "ROLLBACK");
        raise_aborted("commit");
    }
    PGresult *res = PQexecParams(s->c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        cx__pg_raise_clear(s->c, res);
    /* A deferred constraint fails at COMMIT: the server has rolled back. */
    PQclear(res);
}

static void release(txn_state *s)
{
    char sql[64];
    if (PQtransactionStatus(s->c) == PQTRANS_INERROR) {
        rollback_to(s);
        raise_aborted("release savepoint");
    }
    snprintf(sql, sizeof sql, "RELEASE SAVEPOINT cx_%lu", s->savepoint);
    run(s->c, sql);
}

/* A lost connection took its transaction with it: nothing to undo. */
static bool txn_exit(void *state, cx_error *err)
{
    txn_state *s = state;
    if (!err) {
        if (s->savepoint == 0)
            commit(s);
        else
            release(s);
        return false;
    }
    if (PQstatus(s->c) != CONNECTION_OK || PQtransactionStatus(s->c) == PQTRANS_IDLE)
        return false;
    if (s->savepoint == 0)
        run(s->c, "ROLLBACK");
    else
        rollback_to(s);
    return false;
}

static const cx_manager_type txn_type = {"pg_transaction", txn_enter, txn_exit};

cx_manager cx_pg_transaction(PGconn *c)
{
    if (!c)
        cx_raise(&cx_ValueError, "cx_pg_transaction: c is NULL");
    txn_state s = {c, 0};
    return cx_manager_make(&txn_type, &s, sizeof s);
}
