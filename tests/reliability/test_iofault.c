/* Systematic I/O fault injection (iofault.h): for each manager that touches
 * the file system, every file-system call its scenario makes is failed, at
 * its k-th occurrence for every k, with each of ENOSPC, EIO, EINTR, EFBIG
 * and EACCES.  Each run must end in success or in the documented error (an
 * OSError carrying the injected errno; EIO where stdio dropped a failed
 * write's errno; the body's own error where the body raises), commit nothing
 * partial (success means the whole new content; an atomic write leaves old
 * or new), and leak nothing (descriptors, cx heap blocks, files in the
 * directory, the working directory, descriptors 1 and 2).  k takes every
 * value until a run makes fewer calls than k.  Each test prints its counts
 * (CX_IOFAULT_VERBOSE=1: also the leftovers that errors name). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "iofault.h"

static char run_dir[128];      /* the scenario's directory, made anew for each run */
static char new_text[12411];   /* what the bodies write: several stdio buffers */
static char old_text[9001];    /* what the target held before */

static const int errnos[] = {ENOSPC, EIO, EINTR, EFBIG, EACCES};
#define NERRNOS 5

static void path_in(char *buf, const char *name) { snprintf(buf, 256, "%s/%.120s", run_dir, name); }

static void fill(char *buf, size_t size, char letter)
{
    for (size_t i = 0; i + 1 < size; i++)
        buf[i] = (i % 64 == 63) ? '\n' : (char)(letter + i % 7);
    buf[size - 1] = '\0';
}

/* ---- the scenarios' bodies (run in the traced child) ---- */

static void write_all(FILE *f) { fwrite(new_text, 1, strlen(new_text), f); }

static void open_write(void *arg)
{
    char p[256];
    (void)arg;
    path_in(p, "data.txt");
    cx_with (FILE *f, cx_open(p, "w"))
        write_all(f);
}

static void open_read(void *arg)
{
    char p[256];
    static char buf[sizeof old_text + 100];
    (void)arg;
    path_in(p, "data.txt");
    cx_with (FILE *f, cx_open(p, "r")) {
        size_t n = fread(buf, 1, sizeof buf, f);
        iof_current()->body_ok = n == strlen(old_text) && memcmp(buf, old_text, n) == 0;
    }
}

static void open_fd_write(void *arg)
{
    char p[256];
    (void)arg;
    path_in(p, "data.txt");
    cx_with (int *fd, cx_open_fd(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) {
        size_t len = strlen(new_text);
        for (size_t done = 0; done < len;) {
            ssize_t w = write(*fd, new_text + done, len - done > 4096 ? 4096 : len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                cx_raise_errno(errno, "write %s", p);
            done += (size_t)w;
        }
    }
}

static void atomic_write(void *arg)
{
    char p[256];
    path_in(p, arg ? arg : "data.txt");
    cx_with (FILE *f, cx_atomic_write(p, "w"))
        write_all(f);
}

static void backup_then(void *give_up)
{
    char p[256];
    path_in(p, "data.txt");
    cx_with (const char *q, cx_backup_on_write(p)) {
        cx_with (FILE *f, cx_open(q, "w"))
            write_all(f);
        if (give_up)
            cx_raise(&cx_ValueError, "body gives up");
    }
}

static void tempfile(void *arg)
{
    static char buf[sizeof new_text + 100];
    (void)arg;
    cx_with (FILE *f, cx_tempfile()) {
        write_all(f);
        /* as a careful program does: rewind would clear the error indicator
         * and reports no failure of its own */
        if (fflush(f) != 0 || ferror(f) || fseek(f, 0, SEEK_SET) != 0)
            cx_raise_errno(ferror(f) ? EIO : errno, "tempfile: write or seek");
        size_t n = fread(buf, 1, sizeof buf, f);
        iof_current()->body_ok = n == strlen(new_text) && memcmp(buf, new_text, n) == 0;
    }
}

static void tempdir(void *arg)
{
    (void)arg;
    cx_with (const char *d, cx_tempdir()) {
        char sub[300], file[320];
        snprintf(sub, sizeof sub, "%s/sub", d);
        if (mkdir(sub, 0700) != 0)
            cx_raise_errno(errno, "mkdir %s", sub);
        snprintf(file, sizeof file, "%s/sub/a.txt", d);
        cx_with (FILE *f, cx_open(file, "w"))
            fputs("a", f);
        snprintf(file, sizeof file, "%s/b.txt", d);
        cx_with (FILE *f, cx_open(file, "w"))
            fputs("b", f);
    }
}

static void flock_file(void *arg)
{
    char p[256];
    (void)arg;
    path_in(p, "data.txt");
    cx_with (int *fd, cx_open_fd(p, O_RDONLY, 0))
    cx_with (cx_flock(*fd, LOCK_EX)) {}
}

static void chdir_sub(void *arg)
{
    char p[256];
    (void)arg;
    path_in(p, "sub");
    cx_with (cx_chdir(p)) {}
}

static void redirect_to_file(void *arg)
{
    char p[256];
    (void)arg;
    path_in(p, "data.txt");
    cx_with (int *fd, cx_open_fd(p, O_WRONLY | O_CREAT | O_TRUNC, 0644))
    cx_with (cx_redirect_stdout_fd(*fd)) {
        fputs(new_text, stdout);
    }
}

static void capture(void *arg)
{
    char *text = NULL;
    (void)arg;
    cx_with (cx_capture_stdout(&text))
        fputs(new_text, stdout);
    iof_current()->body_ok = text && strcmp(text, new_text) == 0;
    cx_free(text);
}

/* ---- judging a run ---- */

enum rule {
    SUCCESS_MEANS_NEW,   /* success: the target holds the new content */
    OLD_OR_NEW,          /* also: after an error, old (or absent) or new, nothing between */
    RESTORED,            /* the body raised: the target holds the old content again */
    BODY_OK,             /* success: the body's own check held */
    NOTHING,             /* only the leak checks */
};

typedef struct scenario {
    const char *name;
    void (*body)(void *);
    void *arg;
    enum rule rule;
    const char *target;      /* checked file in run_dir, or NULL */
    bool old_exists;         /* the target holds old_text before the run */
    const char *body_error;  /* the type the body itself raises, or NULL */
    const char *stale;       /* a dead writer's temp file put there first, or NULL */
} scenario;

typedef struct tally {
    long runs, points, partial, leaks, undocumented, crashes, reported_leftovers, stale_kept;
    bool used[64];
} tally;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}


static void prepare(const scenario *s)
{
    th_remove_tree(run_dir);
    CHECK(mkdir(run_dir, 0700) == 0);
    char p[256];
    path_in(p, "sub");
    CHECK(mkdir(p, 0700) == 0);
    if (s->stale) {
        path_in(p, s->stale); /* no process holds its lock: a dead writer's */
        FILE *f = fopen(p, "w");
        CHECK(f != NULL);
        fputs("half a version", f);
        CHECK(fclose(f) == 0);
    }
    if (s->old_exists) {
        path_in(p, "data.txt");
        FILE *f = fopen(p, "w");
        CHECK(f != NULL);
        fputs(old_text, f);
        CHECK(fclose(f) == 0);
    }
}

static bool is_stdio_io(int sys)
{
    const char *n = iof_syscalls[sys].name;
    return strcmp(n, "write") == 0 || strcmp(n, "read") == 0 || strcmp(n, "close") == 0 ||
           strcmp(n, "lseek") == 0;
}

static bool verbose(void) { return getenv("CX_IOFAULT_VERBOSE") != NULL; }

/* errno's name (glibc's strerrorname_np), else its number. */
static const char *errno_name(int err, char *buf, size_t size)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
    const char *name = strerrorname_np(err);
    if (name)
        return name;
#endif
    snprintf(buf, size, "errno %d", err);
    return buf;
}

static void report(const scenario *s, const char *what, int sys, long k, int err,
                   const iof_result *r)
{
    char num[32];
    fprintf(stderr, "%s: %s: %s call %ld failing with %s: %s%s%s %s\n", s->name, what,
            sys >= 0 ? iof_syscalls[sys].name : "no", k, err ? errno_name(err, num, sizeof num) : "-",
            r->v.raised ? r->v.type : "success", r->v.raised ? ": " : "",
            r->v.raised ? r->v.msg : "", r->crashed ? "(child crashed)" : "");
}

/* A file of run_dir that the message names and that holds the old content
 * (a backup that could not be put back). */
static bool old_kept_in_named_file(const char *msg)
{
    bool kept = false;
    DIR *d = opendir(run_dir);
    CHECK(d != NULL);
    struct dirent *ent;
    while ((ent = readdir(d)) && !kept) {
        char p[256];
        path_in(p, ent->d_name);
        const char *text = ent->d_name[0] == '.' && strstr(msg, ent->d_name) ? slurp(p) : NULL;
        kept = text && strcmp(text, old_text) == 0;
    }
    closedir(d);
    return kept;
}

static void judge(const scenario *s, int sys, long k, int err, const iof_result *r, tally *t)
{
    t->runs++;
    if (r->crashed) {
        t->crashes++;
        report(s, "crash", sys, k, err, r);
        return;
    }
    const iof_verdict *v = &r->v;
    bool body_raised = s->body_error && v->raised && strcmp(v->type, s->body_error) == 0;
    if (v->raised && !body_raised) {
        bool ok = v->err != 0 && (v->err == err || (v->err == EIO && sys >= 0 && is_stdio_io(sys)));
        if (!ok) {
            t->undocumented++;
            report(s, "undocumented error", sys, k, err, r);
        }
    }
    if (s->body_error && !v->raised) {
        t->undocumented++;
        report(s, "the body's error vanished", sys, k, err, r);
    }
    /* what was committed */
    char p[256];
    const char *now = NULL;
    if (s->target) {
        path_in(p, s->target);
        now = slurp(p);
    }
    bool is_new = now && strcmp(now, new_text) == 0;
    bool is_old = s->old_exists ? now && strcmp(now, old_text) == 0 : now == NULL;
    bool partial = false;
    switch (s->rule) {
    case SUCCESS_MEANS_NEW: partial = !v->raised && !is_new; break;
    case OLD_OR_NEW: partial = v->raised ? !is_old && !is_new : !is_new; break;
    case RESTORED: partial = !is_old && !old_kept_in_named_file(v->msg); break;
    case BODY_OK: partial = !v->raised && !v->body_ok; break;
    case NOTHING: break;
    }
    if (partial) {
        t->partial++;
        report(s, "partial commit", sys, k, err, r);
    }
    /* what was left */
    bool leak = v->fds_leaked != 0 || v->blocks_leaked != 0 || (!v->cwd_back && !v->raised);
    if (leak)
        fprintf(stderr, "%s: %d descriptor(s), %ld block(s) leaked, cwd/stdout %s\n", s->name,
                v->fds_leaked, v->blocks_leaked, v->cwd_back ? "back" : "not back");
    DIR *d = opendir(run_dir);
    CHECK(d != NULL);
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *n = ent->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "sub") || !strcmp(n, "data.txt") ||
            (s->target && !strcmp(n, s->target)))
            continue;
        if (s->stale && !strcmp(n, s->stale)) {
            /* not this run's: the removal of dead writers' files is best
             * effort (a failure there does not fail a committed write) */
            t->stale_kept++;
            if (sys < 0) { /* but with no fault, a successful write removes it */
                leak = true;
                fprintf(stderr, "%s: the dead writer's %s survived\n", s->name, n);
            }
            continue;
        }
        if (v->raised && strstr(v->msg, n)) {
            t->reported_leftovers++; /* left, and the error names it */
            if (verbose())
                report(s, n, sys, k, err, r);
        } else {
            leak = true;
            fprintf(stderr, "%s: left %s\n", s->name, n);
        }
    }
    closedir(d);
    if (leak) {
        t->leaks++;
        report(s, "leak", sys, k, err, r);
    }
}

static void sweep(const scenario *s)
{
    const char *why;
    if (!iof_supported(&why)) {
        printf("skipped: %s\n", why);
        return;
    }
    /* tmpfs where there is one: fsync there costs nothing */
    snprintf(run_dir, sizeof run_dir, "%s/cx-iofault-%d",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    fill(new_text, sizeof new_text, 'a');
    fill(old_text, sizeof old_text, 'N');
    char *tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", run_dir, 1);
    tally t = {0};
    iof_result r;
    /* The census: no fault, the calls the scenario makes. */
    prepare(s);
    iof_run(s->body, s->arg, -1, 0, 0, &r);
    judge(s, -1, 0, 0, &r, &t);
    long census[64];
    memcpy(census, r.calls, sizeof census);
    int nsys = 0;
    for (int i = 0; i < iof_nsyscalls; i++) {
        if (!census[i])
            continue;
        nsys++;
        for (int e = 0; e < NERRNOS; e++) {
            for (long k = 1;; k++) {
                prepare(s);
                iof_run(s->body, s->arg, i, k, errnos[e], &r);
                if (!r.reached)
                    break;
                t.points++;
                judge(s, i, k, errnos[e], &r, &t);
            }
        }
    }
    th_remove_tree(run_dir);
    if (tmpdir)
        setenv("TMPDIR", tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(tmpdir);
    char calls[1024] = "";
    for (int i = 0; i < iof_nsyscalls; i++)
        if (census[i])
            snprintf(calls + strlen(calls), sizeof calls - strlen(calls), " %s×%ld",
                     iof_syscalls[i].name, census[i]);
    printf("iofault %s: %d syscalls (%s ) × %d errnos, %ld injection points, %ld runs: "
           "%ld partial commits, %ld leaks, %ld undocumented errors, %ld crashes, "
           "%ld leftovers named by their error, %ld runs kept a dead writer's file\n",
           s->name, nsys, calls, NERRNOS, t.points, t.runs, t.partial, t.leaks, t.undocumented,
           t.crashes, t.reported_leftovers, t.stale_kept);
    CHECK_EQ(t.crashes, 0);
    CHECK_EQ(t.partial, 0);
    CHECK_EQ(t.leaks, 0);
    CHECK_EQ(t.undocumented, 0);
}

#define SCENARIO(...) (&(const scenario){__VA_ARGS__})

TEST(iofault_open_for_writing_never_reports_success_for_a_short_file)
{
    sweep(SCENARIO("open_write", open_write, NULL, SUCCESS_MEANS_NEW, "data.txt", true, NULL, NULL));
}

TEST(iofault_open_for_reading_never_reports_success_for_a_short_read)
{
    sweep(SCENARIO("open_read", open_read, NULL, BODY_OK, NULL, true, NULL, NULL));
}

TEST(iofault_open_fd_closes_under_every_syscall_failure)
{
    sweep(SCENARIO("open_fd", open_fd_write, NULL, SUCCESS_MEANS_NEW, "data.txt", true, NULL, NULL));
}

TEST(iofault_atomic_write_commits_whole_or_nothing_under_every_syscall_failure)
{
    sweep(SCENARIO("atomic_write", atomic_write, NULL, OLD_OR_NEW, "data.txt", true, NULL, NULL));
}

TEST(iofault_atomic_write_of_a_new_file_commits_whole_or_nothing)
{
    sweep(SCENARIO("atomic_write_new", atomic_write, "fresh.txt", OLD_OR_NEW, "fresh.txt", false,
                   NULL, NULL));
}

TEST(iofault_atomic_write_removes_a_dead_writers_temp_file_or_keeps_it_whole)
{
    sweep(SCENARIO("atomic_write_stale", atomic_write, NULL, OLD_OR_NEW, "data.txt", true, NULL,
                   ".data.txt.cx-tmp-99999-AbCdEf"));
}

TEST(iofault_backup_on_write_keeps_new_content_or_reports_under_every_failure)
{
    sweep(SCENARIO("backup_ok", backup_then, NULL, SUCCESS_MEANS_NEW, "data.txt", true, NULL, NULL));
}

TEST(iofault_backup_on_write_restores_the_old_content_under_every_failure)
{
    sweep(SCENARIO("backup_restore", backup_then, "give up", RESTORED, "data.txt", true,
                   "ValueError", NULL));
}

TEST(iofault_tempfile_reads_back_what_it_wrote_or_raises)
{
    sweep(SCENARIO("tempfile", tempfile, NULL, BODY_OK, NULL, false, NULL, NULL));
}

TEST(iofault_tempdir_removes_its_tree_or_names_what_it_left)
{
    sweep(SCENARIO("tempdir", tempdir, NULL, NOTHING, NULL, false, NULL, NULL));
}

TEST(iofault_flock_releases_under_every_syscall_failure)
{
    sweep(SCENARIO("flock", flock_file, NULL, NOTHING, NULL, true, NULL, NULL));
}

TEST(iofault_chdir_returns_or_raises_under_every_syscall_failure)
{
    sweep(SCENARIO("chdir", chdir_sub, NULL, NOTHING, NULL, false, NULL, NULL));
}

TEST(iofault_redirect_stdout_lands_everything_or_raises)
{
    sweep(SCENARIO("redirect", redirect_to_file, NULL, SUCCESS_MEANS_NEW, "data.txt", false, NULL, NULL));
}

TEST(iofault_capture_stdout_captures_everything_or_raises)
{
    sweep(SCENARIO("capture", capture, NULL, BODY_OK, NULL, false, NULL, NULL));
}
