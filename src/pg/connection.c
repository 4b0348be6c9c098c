/* cx_pg_connect: a connection for the duration of a with block. */
#include "conninfo.h"
#include "internal.h"

typedef struct {
    const char *conninfo;
    PGconn *conn;
} connect_state;

static void *connect_enter(void *state)
{
    connect_state *s = state;
    cx__pg_conninfo ci;
    cx__pg_conninfo_parse(&ci, s->conninfo);
    s->conn = PQconnectdbParams(ci.keys + ci.first, ci.values + ci.first, 1);
    if (!s->conn) {
        cx__pg_conninfo_free(&ci);
        cx_raise(&cx_MemoryError, "out of memory connecting to PostgreSQL");
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        PGconn *failed = s->conn;
        s->conn = NULL;
        cx__pg_raise_connect_failure(failed, &ci, NULL);
    }
    cx__pg_conninfo_free(&ci);
    return s->conn;
}

static bool connect_exit(void *state, cx_error *err)
{
    (void)err;
    PQfinish(((connect_state *)state)->conn);
    return false;
}

static const cx_manager_type connect_type = {"pg_connect", connect_enter, connect_exit};

cx_manager cx_pg_connect(const char *conninfo)
{
    connect_state s = {conninfo, NULL};
    return cx_manager_make(&connect_type, &s, sizeof s);
}
