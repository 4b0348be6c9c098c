/* cx_sqlite_open: a connection for the duration of a with block. */
#include "internal.h"

typedef struct {
    const char *path;
    sqlite3 *db;
} open_state;

static void *open_enter(void *state)
{
    open_state *s = state;
    int rc = sqlite3_open_v2(s->path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        char message[512];
        snprintf(message, sizeof message, "%s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        if (s->db)
            rc = sqlite3_extended_errcode(s->db);
        sqlite3_close(s->db);
        char what[300];
        snprintf(what, sizeof what, "open %s", s->path);
        cx__sqlite_raise_msg(rc, what, message);
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000); /* Python's default timeout */
    return s->db;
}

/* sqlite3_close, not _v2: a statement left unfinalized is the caller's bug
 * and must be reported.  Then _v2 makes the handle a zombie that SQLite frees
 * when that statement is finalized, so reporting does not leak it. */
static bool open_exit(void *state, cx_error *err)
{
    open_state *s = state;
    (void)err;
    int rc = sqlite3_close(s->db);
    if (rc != SQLITE_OK) {
        char message[512];
        snprintf(message, sizeof message, "%s", sqlite3_errmsg(s->db));
        rc = sqlite3_extended_errcode(s->db);
        sqlite3_close_v2(s->db);
        char what[300];
        snprintf(what, sizeof what, "close %s", s->path);
        cx__sqlite_raise_msg(rc, what, message);
    }
    return false;
}

static const cx_manager_type open_type = {"sqlite_open", open_enter, open_exit};

cx_manager cx_sqlite_open(const char *path)
{
    CX__SQLITE_NEED(path, "cx_sqlite_open", "path");
    open_state s = {path, NULL};
    return cx_manager_make(&open_type, &s, sizeof s);
}
