/* cx-pg when things go wrong for real: unreachable and silent servers,
 * passwords in failing conninfos, a server stopped with
 * `pg_ctl stop -m immediate` mid-transaction, and the test server script. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server.h"

static cx_error *connect_error(const char *conninfo)
{
    cx_error *volatile got = NULL;
    cx_try {
        cx_with (PGconn *c, cx_pg_connect(conninfo))
            (void)c;
    } cx_except_any (e) {
        got = cx_error_ref(e);
    }
    CHECK(got != NULL);
    return got;
}

/* ---- unreachable servers fail fast ---- */

TEST(connect_to_a_socket_directory_without_a_server_raises_operational_error_at_once)
{
    double t0 = pg_now();
    cx_error *e = connect_error("host=/nonexistent-cx-socket-dir port=5432 dbname=x");
    CHECK(pg_now() - t0 < 2.0);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(strncmp(cx_error_message(e), "connect: ", 9) == 0);
    CHECK(strstr(cx_error_message(e), "No such file or directory") != NULL);
    CHECK(cx_pg_error_sqlstate(e) == NULL);
    cx_error_unref(e);
}

/* libpq's blocking connect counts whole seconds of time(): a timeout of N s
 * fires after more than N-1 s and at most N s (plus scheduling). */
TEST(connect_to_a_silent_server_times_out_with_the_conninfo_timeout)
{
    int port;
    int s = pg_silent_listener(&port);
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d connect_timeout=2 sslmode=disable",
             port);
    double t0 = pg_now();
    cx_error *e = connect_error(conninfo);
    double took = pg_now() - t0;
    close(s);
    CHECK(took > 0.95 && took < 6.0);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(strstr(cx_error_message(e), "timeout expired") != NULL);
    cx_error_unref(e);
}

TEST(connect_to_a_silent_server_honours_pgconnect_timeout)
{
    int port;
    int s = pg_silent_listener(&port);
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d sslmode=disable", port);
    setenv("PGCONNECT_TIMEOUT", "2", 1);
    double t0 = pg_now();
    cx_error *e = connect_error(conninfo);
    double took = pg_now() - t0;
    close(s);
    CHECK(took > 0.95 && took < 6.0);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    cx_error_unref(e);
}

TEST(connect_to_a_silent_server_gives_up_after_the_default_ten_seconds)
{
    int port;
    int s = pg_silent_listener(&port);
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d sslmode=disable", port);
    unsetenv("PGCONNECT_TIMEOUT");
    double t0 = pg_now();
    cx_error *e = connect_error(conninfo);
    double took = pg_now() - t0;
    close(s);
    CHECK(took > 8.95 && took < 16.0);
    CHECK(strstr(cx_error_message(e), "timeout expired") != NULL);
    cx_error_unref(e);
}

/* ---- passwords never appear in error text ---- */

TEST(wrong_password_raises_operational_error_without_the_password)
{
    pg_env();
    char conninfo[600];
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=%s dbname=%s password=Hunter2-wrong",
             getenv("PGHOST"), getenv("PGPORT"), getenv("CX_PG_SECRET_USER"),
             getenv("PGDATABASE"));
    cx_error *e = connect_error(conninfo);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(strstr(cx_error_message(e), "password authentication failed") != NULL);
    pg_check_hidden(e, "Hunter2-wrong");
    cx_error_unref(e);
}

TEST(right_password_connects_to_the_password_role)
{
    pg_env();
    char conninfo[600];
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=%s dbname=%s password=%s",
             getenv("PGHOST"), getenv("PGPORT"), getenv("CX_PG_SECRET_USER"),
             getenv("PGDATABASE"), getenv("CX_PG_SECRET_PASSWORD"));
    cx_with (PGconn *c, cx_pg_connect(conninfo))
        CHECK_STR(PQuser(c), getenv("CX_PG_SECRET_USER"));
}

TEST(a_failing_uri_with_a_password_never_shows_it)
{
    cx_error *e = connect_error("postgresql://bob:S3cr3t-in-uri@/db?host=/nonexistent-cx-dir");
    CHECK(cx_error_type(e) == &cx_OperationalError);
    pg_check_hidden(e, "S3cr3t-in-uri");
    cx_error_unref(e);
}

TEST(a_malformed_conninfo_with_a_password_never_shows_it)
{
    /* libpq's own message would quote the unparsable rest of the string. */
    cx_error *e = connect_error("host=/tmp password=S3cr3t 'unterminated");
    CHECK(cx_error_type(e) == &cx_ProgrammingError);
    pg_check_hidden(e, "S3cr3t");
    cx_error_unref(e);
}

TEST(a_password_echoed_by_a_bad_option_value_is_masked)
{
    /* The password is reused as another option's value, which libpq quotes. */
    cx_error *e = connect_error("host=/tmp port=Pw-9x7 password=Pw-9x7");
    pg_check_hidden(e, "Pw-9x7");
    CHECK(strstr(cx_error_message(e), "********") != NULL);
    cx_error_unref(e);
}

/* ---- passwords cut or re-encoded before they are echoed ---- */

/* A password of n bytes whose 8-byte runs are all distinct, with the
 * characters of `extra` spread through it. */
static void long_password(char *out, size_t n, const char *extra)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t ne = strlen(extra);
    for (size_t i = 0; i < n; i++)
        out[i] = ne && i % 9 == 4 ? extra[(i / 9) % ne] : alnum[(i * 7) % (sizeof alnum - 1)];
    out[n] = '\0';
}

/* `s` percent-encoded for a URI (every byte but letters and digits). */
static void percent_encoded(char *out, const char *s)
{
    for (; *s; s++)
        out += (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
                   ? sprintf(out, "%c", *s)
                   : sprintf(out, "%%%02X", (unsigned char)*s);
    *out = '\0';
}

/* `s` as a quoted conninfo value ('...' with \' and \\). */
static void quoted(char *out, const char *s)
{
    *out++ = '\'';
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            *out++ = '\\';
        *out++ = *s;
    }
    *out++ = '\'';
    *out = '\0';
}

TEST(a_long_password_echoed_as_a_database_name_is_masked_though_the_server_cuts_it)
{
    pg_env();
    char pw[101], conninfo[600];
    long_password(pw, 100, "");
    snprintf(conninfo, sizeof conninfo, "user=cx dbname=%s password=%s", pw, pw);
    cx_error *e = connect_error(conninfo);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(strstr(cx_error_message(e), "does not exist") != NULL);
    pg_check_no_run(e, pw);
    cx_error_unref(e);
}

TEST(a_long_password_echoed_as_a_role_name_is_masked_though_the_server_cuts_it)
{
    pg_env();
    char pw[101], conninfo[600];
    long_password(pw, 100, "");
    snprintf(conninfo, sizeof conninfo, "user=%s password=%s", pw, pw);
    cx_error *e = connect_error(conninfo);
    CHECK(strstr(cx_error_message(e), "role") != NULL);
    pg_check_no_run(e, pw);
    cx_error_unref(e);
}

TEST(a_password_cut_by_the_end_of_a_long_message_is_masked)
{
    /* libpq quotes the whole bad port value; the password sits across the
     * 2,048th byte of the message. */
    char pw[97], filler[2001], conninfo[3300];
    long_password(pw, 96, "");
    memset(filler, '7', 2000);
    filler[2000] = '\0';
    snprintf(conninfo, sizeof conninfo, "host=/nonexistent-cx-dir port=%s%s password=%s", filler,
             pw, pw);
    cx_error *e = connect_error(conninfo);
    CHECK(strstr(cx_error_message(e), "port") != NULL);
    pg_check_no_run(e, pw);
    cx_error_unref(e);
}

TEST(pgpassword_echoed_as_a_long_database_name_is_masked)
{
    pg_env();
    char pw[101], conninfo[600];
    long_password(pw, 100, "");
    setenv("PGPASSWORD", pw, 1);
    snprintf(conninfo, sizeof conninfo, "user=cx dbname=%s", pw);
    cx_error *e = connect_error(conninfo);
    CHECK(strstr(cx_error_message(e), "does not exist") != NULL);
    pg_check_no_run(e, pw);
    cx_error_unref(e);
}

TEST(a_percent_encoded_uri_password_echoed_as_the_database_is_masked)
{
    pg_env();
    char pw[101], enc[400], conninfo[1400];
    long_password(pw, 100, "@:/%? &=#");
    percent_encoded(enc, pw);
    snprintf(conninfo, sizeof conninfo, "postgresql://cx:%s@/%s?host=%s", enc, enc,
             getenv("PGHOST"));
    cx_error *e = connect_error(conninfo);
    CHECK(strstr(cx_error_message(e), "does not exist") != NULL);
    pg_check_no_run(e, pw);
    cx_error_unref(e);
}

TEST(a_quoted_password_with_escapes_echoed_as_the_database_is_masked)
{
    pg_env();
    char pw[101], q[250], conninfo[800];
    long_password(pw, 100, "' \\=");
    quoted(q, pw);
    snprintf(conninfo, sizeof conninfo, "user=cx dbname=%s password=%s", q, q);
    cx_error *e = connect_error(conninfo);
    CHECK(strstr(cx_error_message(e), "does not exist") != NULL);
    pg_check_no_run(e, pw);
    cx_error_unref(e);
}

TEST(an_sslpassword_echoed_as_the_database_is_masked)
{
    pg_env();
    cx_error *e = connect_error("user=cx dbname=Key-Passphrase-42 sslpassword=Key-Passphrase-42");
    CHECK(strstr(cx_error_message(e), "does not exist") != NULL);
    pg_check_no_run(e, "Key-Passphrase-42");
    cx_error_unref(e);
}

TEST(a_password_from_the_password_file_echoed_as_the_database_is_masked)
{
    pg_env();
    char passfile[] = "/tmp/cx-pgpass-XXXXXX";
    int fd = mkstemp(passfile); /* mode 0600, as libpq requires */
    CHECK(fd >= 0);
    static const char line[] = "*:*:*:*:From-The-Pass-File-7\n";
    CHECK_EQ(write(fd, line, sizeof line - 1), (long)sizeof line - 1);
    close(fd);
    char conninfo[200];
    snprintf(conninfo, sizeof conninfo, "user=cx dbname=From-The-Pass-File-7 passfile=%s",
             passfile);
    cx_error *e = connect_error(conninfo);
    unlink(passfile);
    CHECK(strstr(cx_error_message(e), "does not exist") != NULL);
    pg_check_no_run(e, "From-The-Pass-File-7");
    cx_error_unref(e);
}

TEST(pgpassword_quoted_by_an_unparsable_conninfo_is_masked)
{
    /* libpq's message quotes the stray word: missing "=" after "...". */
    setenv("PGPASSWORD", "Tr0ub4dor-and-3", 1);
    cx_error *e = connect_error("host=/tmp Tr0ub4dor-and-3");
    CHECK(cx_error_type(e) == &cx_ProgrammingError);
    CHECK(strstr(cx_error_message(e), "missing") != NULL);
    pg_check_no_run(e, "Tr0ub4dor-and-3");
    cx_error_unref(e);
}

TEST(an_unparsable_uri_with_a_percent_encoded_password_keyword_is_not_shown)
{
    /* libpq decodes the keyword "pass%77ord" to "password" and quotes the
     * value it cannot decode. */
    cx_error *e = connect_error("postgresql:///db?pass%77ord=S3cret-S3cret%zz");
    CHECK(cx_error_type(e) == &cx_ProgrammingError);
    CHECK(strstr(cx_error_message(e), "not shown") != NULL);
    pg_check_no_run(e, "S3cret-S3cret");
    cx_error_unref(e);
}

/* ---- a server stopped with pg_ctl stop -m immediate ---- */

static void crash_mid_transaction(void *arg)
{
    pg_private *p = arg;
    cx_with (PGconn *c, cx_pg_connect(p->conninfo))
    cx_with (cx_pg_transaction(c)) {
        cx_pg_exec(c, "CREATE TABLE t (x int)", 0, NULL);
        cx_pg_exec(c, "INSERT INTO t VALUES (1)", 0, NULL);
        pg_private_crash(p);
        cx_pg_exec(c, "INSERT INTO t VALUES (2)", 0, NULL);
        th_log("after the statement;");
    }
}

TEST(server_stopped_immediately_mid_transaction_makes_the_next_statement_raise)
{
    pg_private p;
    pg_private_start(&p);
    double t0 = pg_now();
    cx_error *e = cx_protect(crash_mid_transaction, &p);
    double took = pg_now() - t0;
    pg_private_stop(&p);
    CHECK(e != NULL);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(cx_error_context(e) == NULL); /* the exits added no error of their own */
    CHECK_STR(th_trace, "");
    CHECK(took < 30.0);
    cx_error_unref(e);
}

static void crash_before_commit(void *arg)
{
    pg_private *p = arg;
    cx_with (PGconn *c, cx_pg_connect(p->conninfo))
    cx_with (cx_pg_transaction(c)) {
        cx_pg_exec(c, "SELECT 1", 0, NULL);
        pg_private_crash(p);
    }
}

TEST(server_stopped_before_commit_makes_the_commit_raise_operational_error)
{
    pg_private p;
    pg_private_start(&p);
    cx_error *e = cx_protect(crash_before_commit, &p);
    pg_private_stop(&p);
    CHECK(e != NULL);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    cx_error_unref(e);
}

static void crash_in_savepoint(void *arg)
{
    pg_private *p = arg;
    cx_with (PGconn *c, cx_pg_connect(p->conninfo))
    cx_with (cx_pg_transaction(c))
    cx_with (cx_pg_transaction(c)) {
        pg_private_crash(p);
        cx_pg_exec(c, "SELECT 1", 0, NULL);
    }
}

TEST(server_stopped_inside_a_savepoint_unwinds_both_levels_without_new_errors)
{
    pg_private p;
    pg_private_start(&p);
    cx_error *e = cx_protect(crash_in_savepoint, &p);
    pg_private_stop(&p);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

TEST(connect_after_the_server_stopped_fails_fast)
{
    pg_private p;
    pg_private_start(&p);
    pg_private_crash(&p);
    double t0 = pg_now();
    cx_error *e = connect_error(p.conninfo);
    CHECK(pg_now() - t0 < 2.0);
    pg_private_stop(&p);
    CHECK(cx_error_type(e) == &cx_OperationalError);
    cx_error_unref(e);
}

/* ---- the test server script ---- */

TEST(server_script_without_postgresql_fails_with_a_clear_message)
{
    char *err = NULL;
    setenv("PG_BINDIR", "/nonexistent-postgresql/bin", 1);
    int status = pg_script("start /tmp/cx-pg-never-made", &err);
    unsetenv("PG_BINDIR");
    CHECK_EQ(status, 1);
    CHECK(strstr(err, "no PostgreSQL server") != NULL);
    CHECK(strstr(err, "postgresql") != NULL);
    free(err);
    struct stat st;
    CHECK(stat("/tmp/cx-pg-never-made", &st) != 0);
}

TEST(server_script_watchdog_removes_the_server_when_the_watched_process_dies)
{
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    char dir[] = "/tmp/cx-pgwatch-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char args[128];
    snprintf(args, sizeof args, "start %s %d", dir, (int)child);
    CHECK_EQ(pg_script(args, NULL), 0);
    char root[256] = "";
    char path[128];
    snprintf(path, sizeof path, "%s/root", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    CHECK(fgets(root, sizeof root, f) != NULL);
    fclose(f);
    root[strcspn(root, "\n")] = '\0';
    struct stat st;
    CHECK_EQ(stat(root, &st), 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* The watchdog looks once a second, then stops the server and removes
     * its files: seconds normally, far more on a loaded machine, so allow a
     * generous budget (the loop ends as soon as they are gone). */
    bool gone = false;
    for (int i = 0; i < 900 && !gone; i++) { /* 90 s */
        gone = stat(root, &st) != 0 && stat(dir, &st) != 0;
        if (!gone)
            usleep(100000);
    }
    CHECK(gone);
}
