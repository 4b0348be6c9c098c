/* I/O faults made to happen for real: a full device, closed and invalid
 * descriptors, a directory removed under cx_chdir, paths the caller may not
 * read.  Each gives the documented error; the leak gate checks that no
 * descriptor or block is left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* ---- scratch directories under /tmp, removed even when a CHECK fails (it
 * exits the process: the removal is an atexit handler of the process that
 * made the directory, not of the children it forks) ---- */

static char scratch[64];
static pid_t scratch_owner;


static void remove_scratch(void)
{
    if (scratch[0] && getpid() == scratch_owner)
        th_remove_tree(scratch);
    scratch[0] = '\0';
}

/* A new empty directory /tmp/cx-rel-XXXXXX, copied to `path`. */
static void make_scratch(char path[64])
{
    static int registered;
    if (!registered++)
        atexit(remove_scratch);
    CHECK(!scratch[0]);
    strcpy(scratch, "/tmp/cx-rel-XXXXXX");
    CHECK(mkdtemp(scratch) != NULL);
    scratch_owner = getpid();
    strcpy(path, scratch);
}

/* Removes the scratch directory; true when nothing of it is left. */
static bool scratch_removed(void)
{
    char path[64];
    strcpy(path, scratch);
    remove_scratch();
    struct stat st;
    return lstat(path, &st) != 0 && errno == ENOENT;
}

/* ---- /dev/full: writes are accepted into the buffer, the flush fails ---- */

static void write_to_full(void *arg)
{
    (void)arg;
    cx_with (FILE *f, cx_open("/dev/full", "w"))
        fputs("never lands", f);
}

TEST(open_on_dev_full_raises_oserror_enospc_at_exit)
{
    cx_error *e = cx_protect(write_to_full, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), ENOSPC);
    CHECK(strstr(cx_error_message(e), "No space left on device") != NULL);
    cx_error_unref(e);
}

static void body_raises_on_full(void *arg)
{
    (void)arg;
    cx_with (FILE *f, cx_open("/dev/full", "w")) {
        fputs("never lands", f);
        cx_raise(&cx_ValueError, "body");
    }
}

TEST(dev_full_close_error_chains_the_body_error)
{
    cx_error *e = cx_protect(body_raises_on_full, NULL);
    CHECK_EQ(cx_error_errno(e), ENOSPC);
    CHECK(cx_error_is(cx_error_context(e), &cx_ValueError));
    cx_error_unref(e);
}

static void close_file(void *f) { fclose(f); }

static void capture_into_full(void *arg)
{
    (void)arg;
    FILE *full = fopen("/dev/full", "w");
    CHECK(full != NULL);
    cx_scope {
        cx_defer(close_file, full);
        cx_with (cx_redirect_stdout(full)) {
            printf("lost to the full device\n");
        }
    }
}

/* redirect flushes stdout at exit into /dev/full: whatever it reports, the
 * real stdout comes back and nothing leaks. */
TEST(redirect_to_dev_full_restores_stdout)
{
    struct stat before, after;
    CHECK(fstat(1, &before) == 0);
    cx_error *e = cx_protect(capture_into_full, NULL);
    cx_error_unref(e);
    clearerr(stdout);
    CHECK(fstat(1, &after) == 0);
    CHECK(before.st_ino == after.st_ino && before.st_dev == after.st_dev);
}

/* ---- closed and invalid descriptors ---- */

/* High, so no descriptor the library opens meanwhile takes its number. */
static int closed_fd(void)
{
    int fd = fcntl(0, F_DUPFD_CLOEXEC, 900);
    CHECK(fd >= 0);
    close(fd);
    return fd;
}

static void redirect_to(void *fd)
{
    cx_with (cx_redirect_stdout_fd(*(int *)fd))
        CHECK(!"the body must not run");
}

TEST(redirect_to_a_closed_descriptor_raises_oserror_ebadf)
{
    int fd = closed_fd();
    cx_error *e = cx_protect(redirect_to, &fd);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EBADF);
    cx_error_unref(e);
}

TEST(redirect_to_an_invalid_descriptor_raises_oserror_ebadf)
{
    int fd = -7;
    cx_error *e = cx_protect(redirect_to, &fd);
    CHECK_EQ(cx_error_errno(e), EBADF);
    cx_error_unref(e);
}

static void flock_on(void *fd)
{
    cx_with (cx_flock(*(int *)fd, LOCK_EX))
        CHECK(!"the body must not run");
}

TEST(flock_on_a_closed_descriptor_raises_oserror_ebadf)
{
    int fd = closed_fd();
    cx_error *e = cx_protect(flock_on, &fd);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EBADF);
    cx_error_unref(e);
}

static void close_under_the_manager(void *arg)
{
    (void)arg;
    cx_with (int *fd, cx_open_fd("/dev/null", O_RDONLY, 0))
        close(*fd); /* the manager's close at exit then fails */
}

TEST(open_fd_whose_descriptor_was_closed_meanwhile_raises_oserror_ebadf_at_exit)
{
    cx_error *e = cx_protect(close_under_the_manager, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EBADF);
    cx_error_unref(e);
}

/* ---- a directory removed under cx_chdir ---- */

typedef struct dirs {
    char outer[64], inner[80];
} dirs;

static void chdir_then_remove_previous(void *arg)
{
    dirs *d = arg;
    CHECK(chdir(d->outer) == 0);
    cx_with (cx_chdir(d->inner)) {
        CHECK(rmdir(d->outer) != 0); /* not empty yet */
        CHECK(rmdir(d->inner) == 0);
        CHECK(rmdir(d->outer) == 0); /* the previous directory is gone */
    }
}

TEST(chdir_back_into_a_removed_directory_raises_file_not_found)
{
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    dirs d;
    make_scratch(d.outer);
    snprintf(d.inner, sizeof d.inner, "%s/in", d.outer);
    CHECK(mkdir(d.inner, 0700) == 0);
    cx_error *e = cx_protect(chdir_then_remove_previous, &d);
    CHECK(chdir(cwd) == 0);
    CHECK(scratch_removed());
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    CHECK(strstr(cx_error_message(e), "the previous directory was removed") != NULL);
    cx_error_unref(e);
}

static void chdir_into_missing(void *arg)
{
    cx_with (cx_chdir((const char *)arg))
        CHECK(!"the body must not run");
}

TEST(chdir_into_a_removed_directory_raises_file_not_found_and_stays)
{
    char cwd[4096], again[4096], path[64] = "/tmp/cx-rel-XXXXXX";
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(mkdtemp(path) != NULL);
    CHECK(rmdir(path) == 0);
    cx_error *e = cx_protect(chdir_into_missing, path);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    CHECK(getcwd(again, sizeof again) != NULL);
    CHECK_STR(again, cwd);
    cx_error_unref(e);
}

/* ---- unreadable paths.  The bits are taken from everyone (a file and a
 * directory of mode 0000, in a directory of mode 0555), so they stop any user
 * but root, which permission bits do not stop: as root the check runs in a
 * child that gave up root (setuid to nobody) ---- */

typedef struct unreadable {
    char dir[64];     /* 0555: no one may create files in it */
    char file[96];    /* dir/secret, 0000 */
    char locked[96];  /* dir/locked, a directory, 0000 */
} unreadable;

static void open_unreadable(void *arg)
{
    unreadable *u = arg;
    cx_with (FILE *f, cx_open(u->file, "r"))
        (void)f;
}

static void open_fd_unreadable(void *arg)
{
    unreadable *u = arg;
    cx_with (int *fd, cx_open_fd(u->file, O_RDONLY, 0))
        (void)fd;
}

static void chdir_unreadable(void *arg)
{
    unreadable *u = arg;
    cx_with (cx_chdir(u->locked)) {}
}

typedef struct child_case {
    void (*fn)(void *);
    unreadable *u;
} child_case;

/* In the child: the error must be a PermissionError (exit 0), anything
 * else exits with a distinct status. */
static void expect_permission_error(void *arg)
{
    child_case *c = arg;
    cx_error *e = NULL;
    int fds = 0;
    for (int fd = 0; fd < 64; fd++)
        fds += fcntl(fd, F_GETFD) != -1;
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        if (setgroups(0, NULL) != 0 || setgid(pw ? pw->pw_gid : 65534) != 0 ||
            setuid(pw ? pw->pw_uid : 65534) != 0)
            _exit(3);
    }
    e = cx_protect(c->fn, c->u);
    int after = 0;
    for (int fd = 0; fd < 64; fd++)
        after += fcntl(fd, F_GETFD) != -1;
    if (!e)
        _exit(4);
    if (!cx_error_is(e, &cx_PermissionError) || cx_error_errno(e) != EACCES) {
        cx_error_print(e, stderr);
        _exit(5);
    }
    cx_error_unref(e);
    _exit(after == fds ? 0 : 6);
}

static void make_unreadable(unreadable *u)
{
    make_scratch(u->dir);
    snprintf(u->file, sizeof u->file, "%s/secret", u->dir);
    snprintf(u->locked, sizeof u->locked, "%s/locked", u->dir);
    FILE *f = fopen(u->file, "w");
    CHECK(f != NULL);
    fputs("secret", f);
    CHECK(fclose(f) == 0);
    CHECK(mkdir(u->locked, 0700) == 0);
    CHECK(chmod(u->file, 0) == 0);
    CHECK(chmod(u->locked, 0) == 0);
    CHECK(chmod(u->dir, 0555) == 0);
}

static void check_permission_error(void (*fn)(void *))
{
    unreadable u;
    make_unreadable(&u);
    child_case c = {fn, &u};
    char *err;
    int status = th_run_child(expect_permission_error, &c, &err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "child status %d: %s\n", status, err);
    free(err);
    CHECK(scratch_removed());
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(open_of_an_unreadable_path_raises_permission_error)
{
    check_permission_error(open_unreadable);
}

TEST(open_fd_of_an_unreadable_path_raises_permission_error)
{
    check_permission_error(open_fd_unreadable);
}

TEST(chdir_into_an_unreadable_directory_raises_permission_error)
{
    check_permission_error(chdir_unreadable);
}

static void atomic_write_unwritable(void *arg)
{
    unreadable *u = arg;
    cx_with (FILE *f, cx_atomic_write(u->file, "w"))
        fputs("new", f);
}

TEST(atomic_write_into_an_unwritable_directory_raises_permission_error)
{
    check_permission_error(atomic_write_unwritable);
}
