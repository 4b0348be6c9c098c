/* cx_sqlite_transaction: BEGIN..COMMIT/ROLLBACK, or a SAVEPOINT when a
 * transaction is already open on the connection. */
#include <stdatomic.h>

#include "internal.h"

typedef struct {
    sqlite3 *db;
    unsigned long savepoint; /* 0: the outermost transaction */
} txn_state;

/* Savepoint names only need to be unique among the open ones. */
static atomic_ulong savepoints;

static void run(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        cx_sqlite_raise(db, rc, NULL);
}

static void *txn_enter(void *state)
{
    txn_state *s = state;
    if (sqlite3_get_autocommit(s->db)) {
        s->savepoint = 0;
        run(s->db, "BEGIN");
    } else {
        char sql[64];
        s->savepoint = atomic_fetch_add(&savepoints, 1) + 1;
        snprintf(sql, sizeof sql, "SAVEPOINT cx_%lu", s->savepoint);
        run(s->db, sql);
    }
    return NULL;
}

/* SQLite rolls the whole transaction back by itself after some errors
 * (SQLITE_FULL, IOERR, BUSY, NOMEM): then autocommit is on again and there
 * is nothing left to undo. */
static bool txn_exit(void *state, cx_error *err)
{
    txn_state *s = state;
    char sql[96];
    if (s->savepoint == 0) {
        if (err) {
            if (!sqlite3_get_autocommit(s->db))
                run(s->db, "ROLLBACK");
            return false;
        }
        int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            /* A failed COMMIT (a deferred constraint, SQLITE_BUSY) leaves the
             * transaction open: undo it so nothing outlives the block. */
            char message[512];
            snprintf(message, sizeof message, "%s", sqlite3_errmsg(s->db));
            rc = sqlite3_extended_errcode(s->db);
            if (!sqlite3_get_autocommit(s->db))
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            cx__sqlite_raise_msg(rc, NULL, message);
        }
        return false;
    }
    if (sqlite3_get_autocommit(s->db))
        return false;
    if (err) {
        snprintf(sql, sizeof sql, "ROLLBACK TO cx_%lu; RELEASE cx_%lu", s->savepoint,
                 s->savepoint);
    } else {
        snprintf(sql, sizeof sql, "RELEASE cx_%lu", s->savepoint);
    }
    run(s->db, sql);
    return false;
}

static const cx_manager_type txn_type = {"sqlite_transaction", txn_enter, txn_exit};

cx_manager cx_sqlite_transaction(sqlite3 *db)
{
    CX__SQLITE_NEED(db, "cx_sqlite_transaction", "db");
    txn_state s = {db, 0};
    return cx_manager_make(&txn_type, &s, sizeof s);
}
