/* The I/O fault injector (tests/reliability/iofault.c, compiled into this
 * executable too) on a SQLite file: every file-system call that opening a
 * database and committing a transaction makes is failed at its k-th
 * occurrence with ENOSPC, EIO, EINTR, EFBIG and EACCES.  Each run ends in
 * success or a DatabaseError/OSError; the database afterwards (once SQLite
 * has rolled back a hot journal, as any next opener does) passes its
 * integrity check and holds the old rows or the new ones, the new ones
 * whenever the run succeeded; nothing leaks. */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/sqlite.h>

#include "harness.h"
#include "reliability/iofault.c"

static char db_dir[128], db_path[256];

static void transaction(void *arg)
{
    (void)arg;
    cx_with (sqlite3 *db, cx_sqlite_open(db_path))
    cx_with (cx_sqlite_transaction(db)) {
        cx_sqlite_exec(db, "INSERT INTO t VALUES ('new')");
        cx_sqlite_exec(db, "UPDATE t SET x = 'renewed' WHERE x = 'old'");
    }
}

/* Removes everything in db_dir (files only: SQLite makes no directories). */
static void empty_dir(void)
{
    DIR *d = opendir(db_dir);
    if (!d)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)))
        if (ent->d_name[0] != '.' || (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..")))
            CHECK(unlinkat(dirfd(d), ent->d_name, 0) == 0);
    closedir(d);
}

static void prepare(void)
{
    empty_dir();
    CHECK(mkdir(db_dir, 0700) == 0 || errno == EEXIST);
    sqlite3 *db;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('old')", NULL, NULL,
                       NULL) == SQLITE_OK);
    CHECK(sqlite3_close(db) == SQLITE_OK);
}

static int add_row(void *out, int n, char **values, char **names)
{
    (void)n, (void)names;
    strncat(out, values[0] ? values[0] : "NULL", 200);
    strncat(out, ";", 200);
    return 0;
}

/* "old;" or "renewed;new;" (or "?" when the file cannot be read or fails
 * its integrity check). */
static const char *state_after(void)
{
    static char rows[512];
    rows[0] = '\0';
    sqlite3 *db;
    char check[64] = "";
    if (sqlite3_open(db_path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA integrity_check", add_row, check, NULL) != SQLITE_OK ||
        strcmp(check, "ok;") != 0 ||
        sqlite3_exec(db, "SELECT x FROM t ORDER BY rowid", add_row, rows, NULL) != SQLITE_OK)
        strcpy(rows, "?");
    sqlite3_close(db);
    return rows;
}

TEST(iofault_sqlite_transaction_commits_whole_or_not_at_all)
{
    const char *why;
    if (!iof_supported(&why)) {
        printf("skipped: %s\n", why);
        return;
    }
    snprintf(db_dir, sizeof db_dir, "%s/cx-iofault-db-%d",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    snprintf(db_path, sizeof db_path, "%s/data.db", db_dir);
    static const int errnos[] = {ENOSPC, EIO, EINTR, EFBIG, EACCES};
    long runs = 0, points = 0, partial = 0, leaks = 0, undocumented = 0, crashes = 0;
    iof_result r;
    prepare();
    iof_run(transaction, NULL, -1, 0, 0, &r);
    CHECK(!r.crashed && !r.v.raised);
    CHECK_STR(state_after(), "renewed;new;");
    long census[64];
    memcpy(census, r.calls, sizeof census);
    int nsys = 0;
    char calls[1024] = "";
    for (int i = 0; i < iof_nsyscalls; i++) {
        if (!census[i])
            continue;
        nsys++;
        snprintf(calls + strlen(calls), sizeof calls - strlen(calls), " %s×%ld",
                 iof_syscalls[i].name, census[i]);
        for (int e = 0; e < 5; e++) {
            for (long k = 1;; k++) {
                prepare();
                iof_run(transaction, NULL, i, k, errnos[e], &r);
                if (!r.reached)
                    break;
                runs++, points++;
                const char *what = NULL;
                const char *state = state_after();
                if (r.crashed)
                    crashes++, what = "crash";
                else if (r.v.raised && strcmp(r.v.type, "OperationalError") != 0 &&
                         strcmp(r.v.type, "DatabaseError") != 0 && r.v.err != errnos[e])
                    undocumented++, what = "undocumented error";
                else if (strcmp(state, "renewed;new;") != 0 &&
                         (!r.v.raised || strcmp(state, "old;") != 0))
                    partial++, what = "partial commit";
                else if (r.v.fds_leaked || r.v.blocks_leaked)
                    leaks++, what = "leak";
                if (what)
                    fprintf(stderr, "sqlite: %s: %s call %ld failing with %s: %s %s -> %s\n", what,
                            iof_syscalls[i].name, k, strerrorname_np(errnos[e]),
                            r.v.raised ? r.v.type : "success", r.v.msg, state);
            }
        }
    }
    empty_dir();
    CHECK(rmdir(db_dir) == 0);
    printf("iofault sqlite: %d syscalls (%s ) × 5 errnos, %ld injection points, %ld runs: "
           "%ld partial commits, %ld leaks, %ld undocumented errors, %ld crashes\n",
           nsys, calls, points, runs + 1, partial, leaks, undocumented, crashes);
    CHECK_EQ(crashes, 0);
    CHECK_EQ(partial, 0);
    CHECK_EQ(leaks, 0);
    CHECK_EQ(undocumented, 0);
}
