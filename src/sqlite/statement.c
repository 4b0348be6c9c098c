/* Prepared statements, stepping, binding, and cx_sqlite_exec. */
#include <ctype.h>
#include <string.h>

#include "internal.h"

/* What follows the first statement may only be blanks, comments and ';'. */
static bool only_blanks(const char *p)
{
    for (;;) {
        while (*p && (isspace((unsigned char)*p) || *p == ';'))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end)
                return true; /* SQLite reads an unterminated comment to the end */
            p = end + 2;
        } else {
            return *p == '\0';
        }
    }
}

typedef struct {
    sqlite3 *db;
    const char *sql;
    sqlite3_stmt *stmt;
} prepare_state;

static void *prepare_enter(void *state)
{
    prepare_state *s = state;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(s->db, s->sql, -1, &s->stmt, &tail);
    if (rc != SQLITE_OK)
        cx_sqlite_raise(s->db, rc, NULL);
    if (!s->stmt)
        cx__db_raise(CX__SITE, &cx_ProgrammingError, 0, NULL,
                     "no SQL statement to prepare");
    if (tail && !only_blanks(tail)) {
        sqlite3_finalize(s->stmt);
        cx__db_raise(CX__SITE, &cx_ProgrammingError, 0, NULL,
                     "you can only prepare one statement at a time");
    }
    return s->stmt;
}

/* sqlite3_finalize returns the last step's error, already reported by
 * cx_sqlite_step; it always frees the statement. */
static bool prepare_exit(void *state, cx_error *err)
{
    prepare_state *s = state;
    (void)err;
    sqlite3_finalize(s->stmt);
    return false;
}

static const cx_manager_type prepare_type = {"sqlite_prepare", prepare_enter, prepare_exit};

cx_manager cx_sqlite_prepare(sqlite3 *db, const char *sql)
{
    CX__SQLITE_NEED(db, "cx_sqlite_prepare", "db");
    CX__SQLITE_NEED(sql, "cx_sqlite_prepare", "sql");
    prepare_state s = {db, sql, NULL};
    return cx_manager_make(&prepare_type, &s, sizeof s);
}

void cx_sqlite_exec(sqlite3 *db, const char *sql)
{
    CX__SQLITE_NEED(db, "cx_sqlite_exec", "db");
    CX__SQLITE_NEED(sql, "cx_sqlite_exec", "sql");
    char *errmsg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &errmsg);
    if (rc == SQLITE_OK)
        return;
    char message[512];
    snprintf(message, sizeof message, "%s", errmsg ? errmsg : sqlite3_errmsg(db));
    sqlite3_free(errmsg);
    int ext = sqlite3_extended_errcode(db);
    cx__sqlite_raise_msg((ext & 0xff) == (rc & 0xff) ? ext : rc, NULL, message);
}

bool cx_sqlite_step(sqlite3_stmt *stmt)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_step", "stmt");
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    sqlite3 *db = sqlite3_db_handle(stmt);
    char message[512];
    snprintf(message, sizeof message, "%s", sqlite3_errmsg(db));
    int ext = sqlite3_extended_errcode(db);
    sqlite3_reset(stmt);
    cx__sqlite_raise_msg((ext & 0xff) == (rc & 0xff) ? ext : rc, NULL, message);
}

void cx_sqlite_reset(sqlite3_stmt *stmt)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_reset", "stmt");
    /* sqlite3_reset repeats the last step's error, already raised then. */
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

static void bound(sqlite3_stmt *stmt, int idx, int rc)
{
    if (rc == SQLITE_OK)
        return;
    if (rc == SQLITE_RANGE)
        cx__db_raise(CX__SITE, &cx_ProgrammingError, rc, NULL,
                     "parameter %d out of range: the statement has %d", idx,
                     sqlite3_bind_parameter_count(stmt));
    cx_sqlite_raise(sqlite3_db_handle(stmt), rc, NULL);
}

void cx_sqlite_bind_int(sqlite3_stmt *stmt, int idx, int64_t value)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_bind_int", "stmt");
    bound(stmt, idx, sqlite3_bind_int64(stmt, idx, value));
}

void cx_sqlite_bind_double(sqlite3_stmt *stmt, int idx, double value)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_bind_double", "stmt");
    bound(stmt, idx, sqlite3_bind_double(stmt, idx, value));
}

void cx_sqlite_bind_text(sqlite3_stmt *stmt, int idx, const char *text)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_bind_text", "stmt");
    bound(stmt, idx, text ? sqlite3_bind_text(stmt, idx, text, -1, SQLITE_TRANSIENT)
                          : sqlite3_bind_null(stmt, idx));
}

/* No SQLite value is longer than 2^31 - 1 bytes; past that, SQLite 3.40's
 * bind_blob64 returns SQLITE_OK having bound nothing. */
void cx_sqlite_bind_blob(sqlite3_stmt *stmt, int idx, const void *data, size_t size)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_bind_blob", "stmt");
    if (data && size > INT32_MAX)
        cx__db_raise(CX__SITE, &cx_DataError, SQLITE_TOOBIG, NULL,
                     "cx_sqlite_bind_blob: size %zu is over SQLite's limit of %d bytes", size,
                     INT32_MAX);
    bound(stmt, idx, sqlite3_bind_blob64(stmt, idx, data, size, SQLITE_TRANSIENT));
}

void cx_sqlite_bind_null(sqlite3_stmt *stmt, int idx)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_bind_null", "stmt");
    bound(stmt, idx, sqlite3_bind_null(stmt, idx));
}

int cx_sqlite_param(sqlite3_stmt *stmt, const char *name)
{
    CX__SQLITE_NEED(stmt, "cx_sqlite_param", "stmt");
    CX__SQLITE_NEED(name, "cx_sqlite_param", "name");
    int idx = sqlite3_bind_parameter_index(stmt, name);
    if (idx == 0)
        cx__db_raise(CX__SITE, &cx_ProgrammingError, 0, NULL,
                     "no parameter named %s", name);
    return idx;
}
