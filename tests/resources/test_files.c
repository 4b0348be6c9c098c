/* Files, descriptors, temporary files and directories, atomic and backed-up
 * writes — with real faults. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

static char dir[64];

/* A new empty directory of its own (d, 64 bytes) and the path of `name` in
 * it (path, 128 bytes): tests count d's entries to see what a manager left. */
static void make_scratch(char *d, char *path, const char *name)
{
    strcpy(d, "/tmp/cx-scratch-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    snprintf(path, 128, "%s/%s", d, name);
}

static const char *in_dir(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    if (!dir[0]) {
        strcpy(dir, "/tmp/cx-files-XXXXXX");
        CHECK(mkdtemp(dir) != NULL);
    }
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    CHECK(fclose(f) == 0);
}

static char *read_file(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_entries(const char *path)
{
    int n = 0;
    DIR *d = opendir(path);
    CHECK(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(d);
    return n;
}

/* Mounts a failing test leaves (a CHECK ends the process) are detached at
 * exit by the process that made them. */
static char mounted[2][300];
static pid_t mounter;

static void detach_mounts(void)
{
    for (int i = 0; i < 2; i++)
        if (mounted[i][0] && getpid() == mounter && umount2(mounted[i], MNT_DETACH) == 0)
            rmdir(mounted[i]);
}

static void remember_mount(int slot, const char *where)
{
    static int registered;
    if (!registered++)
        atexit(detach_mounts);
    mounter = getpid();
    snprintf(mounted[slot], sizeof mounted[slot], "%s", where);
}

/* ---- cx_open ---- */

TEST(open_binds_a_file_and_closes_it)
{
    FILE *volatile seen = NULL;
    cx_with (FILE *f, cx_open(in_dir("a.txt"), "w")) {
        seen = f;
        fputs("Python Context Managers Rock!", f);
    }
    CHECK(seen != NULL);
    CHECK_STR(read_file(in_dir("a.txt")), "Python Context Managers Rock!");
}

TEST(open_reads_what_was_written)
{
    write_file(in_dir("r.txt"), "content");
    char buf[32] = {0};
    cx_with (FILE *f, cx_open(in_dir("r.txt"), "r"))
        CHECK(fgets(buf, sizeof buf, f) != NULL);
    CHECK_STR(buf, "content");
}

/* cx_open is inline; its exported function, reached through a pointer,
 * makes the same manager. */
TEST(open_through_its_exported_function_opens_and_closes)
{
    cx_manager (*open_fn)(const char *, const char *) = cx_open;
    cx_with (FILE *f, open_fn(in_dir("p.txt"), "w"))
        fputs("by pointer", f);
    CHECK_STR(read_file(in_dir("p.txt")), "by pointer");
}

/* The inlined exit runs on every way out of the body: its end, continue
 * and break (the file is closed: its data reached the disk each time). */
TEST(open_closes_the_file_when_the_body_continues_or_breaks)
{
    for (volatile int round = 0; round < 3; round++) {
        cx_with (FILE *f, cx_open(in_dir("cb.txt"), "w")) {
            fprintf(f, "round %d", round);
            if (round == 0)
                continue; /* cx-check: expected */
            if (round == 1)
                break; /* cx-check: expected */
        }
        char want[16];
        snprintf(want, sizeof want, "round %d", round);
        CHECK_STR(read_file(in_dir("cb.txt")), want);
    }
}

static void open_missing(void *arg) { (void)arg; cx_with (FILE *f, cx_open("/nonexistent/x.txt", "r")) (void)f; }

TEST(open_missing_file_raises_file_not_found_naming_the_path)
{
    cx_error *e = cx_protect(open_missing, NULL);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    CHECK_STR(cx_error_message(e), "open /nonexistent/x.txt: No such file or directory");
    CHECK_EQ(cx_error_errno(e), ENOENT);
    cx_error_unref(e);
}

static void write_dev_full(void *arg)
{
    (void)arg;
    cx_with (FILE *f, cx_open("/dev/full", "w"))
        fputs("this cannot be stored", f);
}

TEST(open_close_failure_on_dev_full_raises_enospc_at_exit)
{
    cx_error *e = cx_protect(write_dev_full, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), ENOSPC);
    CHECK(strstr(cx_error_message(e), "close /dev/full") != NULL);
    cx_error_unref(e);
}

static void dev_full_after_body_error(void *arg)
{
    (void)arg;
    cx_with (FILE *f, cx_open("/dev/full", "w")) {
        fputs("lost", f);
        cx_raise(&cx_ValueError, "body failed first");
    }
}

TEST(open_close_failure_after_body_error_chains_the_body_error)
{
    cx_error *e = cx_protect(dev_full_after_body_error, NULL);
    CHECK_EQ(cx_error_errno(e), ENOSPC);
    CHECK(cx_error_is(cx_error_context(e), &cx_ValueError));
    cx_error_unref(e);
}

static void open_directory_for_writing(void *arg) { (void)arg; cx_with (FILE *f, cx_open("/tmp", "w")) (void)f; }

TEST(open_directory_for_writing_raises_is_a_directory)
{
    cx_error *e = cx_protect(open_directory_for_writing, NULL);
    CHECK(cx_error_is(e, &cx_IsADirectoryError));
    cx_error_unref(e);
}

TEST(open_fd_binds_the_descriptor_and_closes_it)
{
    volatile int fd = -1;
    cx_with (int *p, cx_open_fd(in_dir("fd.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600)) {
        fd = *p;
        CHECK_EQ(write(*p, "abc", 3), 3);
    }
    CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
    CHECK_STR(read_file(in_dir("fd.txt")), "abc");
}

TEST(open_fd_sets_close_on_exec)
{
    cx_with (int *p, cx_open_fd(in_dir("cloexec.txt"), O_WRONLY | O_CREAT, 0600))
        CHECK(fcntl(*p, F_GETFD) & FD_CLOEXEC);
}

static void open_fd_excl(void *arg)
{
    cx_with (int *p, cx_open_fd(arg, O_WRONLY | O_CREAT | O_EXCL, 0600)) (void)p;
}

TEST(open_fd_exclusive_on_existing_file_raises_file_exists)
{
    write_file(in_dir("exists.txt"), "x");
    cx_error *e = cx_protect(open_fd_excl, (void *)in_dir("exists.txt"));
    CHECK(cx_error_is(e, &cx_FileExistsError));
    cx_error_unref(e);
}

static void close_twice(void *arg)
{
    (void)arg;
    cx_with (int *p, cx_open_fd("/dev/null", O_RDONLY, 0))
        close(*p); /* the manager's close then fails with EBADF */
}

TEST(open_fd_close_failure_raises_oserror)
{
    cx_error *e = cx_protect(close_twice, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EBADF);
    cx_error_unref(e);
}

/* ---- temporary files and directories ---- */

TEST(tempfile_is_readable_and_writable_and_has_no_name)
{
    cx_with (FILE *f, cx_tempfile()) {
        fputs("scratch", f);
        rewind(f);
        char buf[16] = {0};
        CHECK(fgets(buf, sizeof buf, f) != NULL);
        CHECK_STR(buf, "scratch");
        struct stat st;
        CHECK(fstat(fileno(f), &st) == 0);
        CHECK_EQ(st.st_nlink, 0);
        CHECK_EQ(st.st_mode & 0777, 0600);
    }
}

TEST(tempdir_is_created_private_and_removed_with_contents)
{
    char path[256] = "";
    cx_with (const char *d, cx_tempdir()) {
        snprintf(path, sizeof path, "%s", d);
        struct stat st;
        CHECK(stat(d, &st) == 0 && S_ISDIR(st.st_mode));
        CHECK_EQ(st.st_mode & 0777, 0700);
        char sub[300], file[320];
        snprintf(sub, sizeof sub, "%s/sub", d);
        CHECK(mkdir(sub, 0700) == 0);
        snprintf(file, sizeof file, "%s/sub/deep.txt", d);
        write_file(file, "deep");
    }
    CHECK(access(path, F_OK) != 0 && errno == ENOENT);
}

static void tempdir_raises(void *out)
{
    cx_with (const char *d, cx_tempdir()) {
        snprintf(out, 256, "%s", d);
        cx_raise(&cx_KeyError, "body");
    }
}

TEST(tempdir_is_removed_when_the_body_raises)
{
    char path[256] = "";
    cx_error *e = cx_protect(tempdir_raises, path);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK(path[0] && access(path, F_OK) != 0);
    cx_error_unref(e);
}

TEST(tempdir_removal_never_follows_a_symlink_out_of_the_tree)
{
    const char *outside = in_dir("outside");
    char precious[300];
    CHECK(mkdir(outside, 0700) == 0 || errno == EEXIST);
    snprintf(precious, sizeof precious, "%s/precious.txt", outside);
    write_file(precious, "keep me");
    cx_with (const char *d, cx_tempdir()) {
        char link[300], sub[300], link2[320];
        snprintf(link, sizeof link, "%s/escape", d);
        CHECK(symlink(outside, link) == 0);
        snprintf(sub, sizeof sub, "%s/sub", d);
        CHECK(mkdir(sub, 0700) == 0);
        snprintf(link2, sizeof link2, "%s/sub/escape2", d);
        CHECK(symlink(outside, link2) == 0);
    }
    CHECK_STR(read_file(precious), "keep me");
}

TEST(tempdir_honours_tmpdir)
{
    const char *root = in_dir("root");
    CHECK(mkdir(root, 0700) == 0 || errno == EEXIST);
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", root, 1);
    cx_with (const char *d, cx_tempdir())
        CHECK(strncmp(d, root, strlen(root)) == 0);
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
}

/* ---- tempdir cleanup gaps ---- */

/* In a child that is not root (permission bits do not stop root): the body
 * leaves a subdirectory with each of the eight owner permissions (read-only,
 * unreadable, readable but not searchable, ...), each holding a file, and
 * the tempdir itself read-only. */
static void tempdir_with_locked_subdirs(void *arg)
{
    (void)arg;
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
        _exit(3);
    setenv("TMPDIR", "/tmp", 1);
    char path[256] = "";
    cx_error *e = NULL;
    cx_try {
        cx_with (const char *d, cx_tempdir()) {
            snprintf(path, sizeof path, "%s", d);
            for (int bits = 0; bits < 8; bits++) {
                char sub[300], file[320];
                snprintf(sub, sizeof sub, "%s/mode%o", d, bits);
                CHECK(mkdir(sub, 0700) == 0);
                snprintf(file, sizeof file, "%s/f.txt", sub);
                write_file(file, "x");
                CHECK(chmod(sub, (mode_t)(bits << 6)) == 0);
            }
            CHECK(chmod(d, 0500) == 0);
        }
    } cx_except_any (err) {
        e = cx_error_ref(err);
    }
    if (e) {
        cx_error_print(e, stderr);
        _exit(4);
    }
    _exit(access(path, F_OK) != 0 && errno == ENOENT ? 0 : 5);
}

TEST(tempdir_removes_read_only_and_unreadable_subdirectories_as_a_normal_user)
{
    char *err;
    int status = th_run_child(tempdir_with_locked_subdirs, NULL, &err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "child status %#x: %s\n", status, err);
    free(err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define DEEP 300

/* In a child whose descriptor limit is far below the depth. */
static void tempdir_deeper_than_the_fd_limit(void *arg)
{
    (void)arg;
    /* The soft limit only: Valgrind refuses a change of the hard one. */
    struct rlimit low;
    CHECK(getrlimit(RLIMIT_NOFILE, &low) == 0);
    low.rlim_cur = 40;
    char path[256] = "";
    cx_with (const char *d, cx_tempdir()) {
        snprintf(path, sizeof path, "%s", d);
        int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(fd >= 0);
        for (int i = 0; i < DEEP; i++) {
            CHECK(mkdirat(fd, "n", 0700) == 0);
            int sub = openat(fd, "n", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            CHECK(sub >= 0);
            if (i % 50 == 0) {
                int f = openat(sub, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                CHECK(f >= 0);
                close(f);
            }
            close(fd);
            fd = sub;
        }
        close(fd);
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    }
    _exit(access(path, F_OK) != 0 && errno == ENOENT ? 0 : 5);
}

TEST(tempdir_removes_a_tree_deeper_than_the_descriptor_limit)
{
    char *err;
    int status = th_run_child(tempdir_deeper_than_the_fd_limit, NULL, &err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "child status %#x: %s\n", status, err);
    free(err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(tempdir_under_a_relative_tmpdir_is_removed_after_the_body_changes_directory)
{
    char d[64], unused[128], cwd[4096], path[512] = "";
    make_scratch(d, unused, "x");
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(d) == 0);
    CHECK(mkdir("rel", 0700) == 0);
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", "rel", 1);
    cx_with (const char *t, cx_tempdir()) {
        snprintf(path, sizeof path, "%s", t);
        CHECK(chdir("/") == 0);
    }
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    CHECK(path[0] == '/');
    CHECK(access(path, F_OK) != 0 && errno == ENOENT);
    CHECK_EQ(count_entries(d), 1); /* rel, empty */
    CHECK(chdir(cwd) == 0);
    char rel[128];
    snprintf(rel, sizeof rel, "%s/rel", d);
    CHECK(rmdir(rel) == 0);
    CHECK(rmdir(d) == 0);
}

typedef struct bind_case {
    const char *outside;
    char mnt[300];
} bind_case;

static void tempdir_with_a_bind_mount(void *arg)
{
    bind_case *b = arg;
    cx_with (const char *d, cx_tempdir()) {
        snprintf(b->mnt, sizeof b->mnt, "%s/sub/mnt", d);
        char sub[300];
        snprintf(sub, sizeof sub, "%s/sub", d);
        CHECK(mkdir(sub, 0700) == 0);
        CHECK(mkdir(b->mnt, 0700) == 0);
        if (mount(b->outside, b->mnt, "none", MS_BIND, NULL) != 0) { /* type: ignored */
            printf("skipped: cannot bind-mount (%s): needs root\n", strerror(errno));
            b->mnt[0] = '\0';
        } else
            remember_mount(1, b->mnt);
    }
}

/* A mount point inside the tree is never crossed: what is mounted there is
 * untouched, the mount point and its parents stay, and exit says so. */
TEST(tempdir_never_deletes_inside_a_bind_mount_and_names_the_mount_point)
{
    char outside[64], precious[128];
    make_scratch(outside, precious, "precious.txt");
    write_file(precious, "keep me");
    bind_case b = {outside, ""};
    cx_error *e = cx_protect(tempdir_with_a_bind_mount, &b);
    if (!b.mnt[0]) {
        CHECK(e == NULL);
    } else {
        CHECK(e != NULL && cx_error_errno(e) == EBUSY);
        CHECK(strstr(cx_error_message(e), "mnt is a mount point") != NULL);
        CHECK_STR(read_file(precious), "keep me");
        mounted[1][0] = '\0';
        CHECK(umount2(b.mnt, MNT_DETACH) == 0);
        char *slash = strrchr(b.mnt, '/');
        CHECK(rmdir(b.mnt) == 0);
        *slash = '\0';
        CHECK(rmdir(b.mnt) == 0);
        *strrchr(b.mnt, '/') = '\0';
        CHECK(rmdir(b.mnt) == 0);
    }
    cx_error_unref(e);
    unlink(precious);
    rmdir(outside);
}

/* ---- atomic write ---- */

TEST(atomic_write_replaces_the_file_on_success)
{
    const char *path = in_dir("atomic.txt");
    write_file(path, "old");
    cx_with (FILE *f, cx_atomic_write(path, "w")) {
        fputs("new", f);
        CHECK_STR(read_file(path), "old"); /* not visible until the block ends */
    }
    CHECK_STR(read_file(path), "new");
}

static void atomic_raises(void *path)
{
    cx_with (FILE *f, cx_atomic_write(path, "w")) {
        fputs("half-written", f);
        cx_raise(&cx_ValueError, "abandon");
    }
}

TEST(atomic_write_leaves_the_file_untouched_and_no_temp_when_the_body_raises)
{
    char d[64], path[128];
    make_scratch(d, path, "data.txt");
    write_file(path, "original");
    cx_error *e = cx_protect(atomic_raises, path);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(read_file(path), "original");
    CHECK_EQ(count_entries(d), 1);
    cx_error_unref(e);
    unlink(path);
    rmdir(d);
}

TEST(atomic_write_creates_a_missing_file_with_umask_permissions)
{
    const char *path = in_dir("fresh.txt");
    unlink(path);
    mode_t old = umask(022);
    cx_with (FILE *f, cx_atomic_write(path, "w"))
        fputs("x", f);
    umask(old);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ(st.st_mode & 0777, 0644);
}

TEST(atomic_write_keeps_the_old_permission_bits)
{
    const char *path = in_dir("perm.txt");
    write_file(path, "x");
    CHECK(chmod(path, 0640) == 0);
    cx_with (FILE *f, cx_atomic_write(path, "w"))
        fputs("y", f);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ(st.st_mode & 0777, 0640);
}

static void atomic_into_missing_dir(void *arg)
{
    (void)arg;
    cx_with (FILE *f, cx_atomic_write("/nonexistent-dir/x.txt", "w")) (void)f;
}

TEST(atomic_write_into_a_missing_directory_raises_file_not_found)
{
    cx_error *e = cx_protect(atomic_into_missing_dir, NULL);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    cx_error_unref(e);
}

#define VERSION_BYTES 65536

/* Each version is VERSION_BYTES of one letter: a torn file mixes letters or
 * has the wrong size.  `*writing` (memory shared with the parent) is 1 while
 * the writer is inside the atomic-write block: once the writer is killed it
 * tells where the kill landed, however long a write takes on a loaded disk. */
static void rewrite_forever(const char *path, int ready, int *writing)
{
    static char block[VERSION_BYTES];
    for (volatile unsigned round = 0;; round++) {
        memset(block, 'a' + (int)(round % 26), sizeof block);
        __atomic_store_n(writing, 1, __ATOMIC_SEQ_CST);
        cx_with (FILE *f, cx_atomic_write(path, "w"))
            fwrite(block, 1, sizeof block, f);
        __atomic_store_n(writing, 0, __ATOMIC_SEQ_CST);
        if (round == 0 && write(ready, "!", 1) != 1)
            _exit(3);
    }
}

static bool whole_version(const char *path)
{
    static char buf[VERSION_BYTES + 1];
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n != VERSION_BYTES)
        return false;
    for (size_t i = 1; i < n; i++)
        if (buf[i] != buf[0])
            return false;
    return true;
}

TEST(atomic_write_survives_kill_9_at_200_random_moments)
{
    char d[64], path[128];
    make_scratch(d, path, "data.bin");
    static char first[VERSION_BYTES];
    memset(first, 'z', sizeof first);
    FILE *f = fopen(path, "w");
    fwrite(first, 1, sizeof first, f);
    fclose(f);
    int *writing = mmap(NULL, sizeof *writing, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(writing != MAP_FAILED);
    srand(12345);
    int torn = 0, changed = 0, mid_write = 0;
    char last = 'z';
    for (int round = 0; round < 200; round++) {
        int ready[2];
        CHECK(pipe(ready) == 0);
        *writing = 0;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            cx__state_get()->top = NULL;
            rewrite_forever(path, ready[1], writing);
        }
        char byte;
        CHECK_EQ(read(ready[0], &byte, 1), 1); /* the writer is in its loop */
        close(ready[0]);
        close(ready[1]);
        struct timespec wait = {0, (rand() % 2000) * 1000L};
        nanosleep(&wait, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        mid_write += __atomic_load_n(writing, __ATOMIC_SEQ_CST);
        torn += !whole_version(path);
        char now = read_file(path) ? read_file(path)[0] : 0;
        changed += now != last;
        last = now;
    }
    munmap(writing, sizeof *writing);
    CHECK_EQ(torn, 0);
    /* The kills tested something: a good share caught the writer inside a
     * write (nearly all do, the rest of its loop being a memset), whether a
     * write takes microseconds or, on a busy disk, longer than every delay. */
    CHECK(mid_write >= 50);
    /* The next successful write removes what the killed writers left. */
    cx_with (FILE *g, cx_atomic_write(path, "w"))
        fwrite(first, 1, sizeof first, g);
    CHECK_EQ(count_entries(d), 1);
    printf("200 kill -9 rounds: %d torn, %d mid-write, %d distinct versions seen\n", torn,
           mid_write, changed);
    unlink(path);
    rmdir(d);
}

/* ---- the stale-file policy across PID namespaces ---- */

typedef struct ns_case {
    const char *path;
    int pid_out;    /* the writer sends its PID (as its namespace sees it) */
    int verdict_in; /* 'n': exit; 'y': write */
    int inside_out; /* the writer is inside its block */
    int go_in;      /* then: commit */
} ns_case;

static void ns_writer(ns_case *c)
{
    cx__state_get()->top = NULL;
    cx__state_get()->handling = NULL;
    pid_t me = getpid();
    char answer;
    if (write(c->pid_out, &me, sizeof me) != sizeof me || read(c->verdict_in, &answer, 1) != 1)
        _exit(20);
    if (answer != 'y')
        _exit(0);
    cx_with (FILE *f, cx_atomic_write(c->path, "w")) {
        fputs("from the other namespace", f);
        fflush(f);
        if (write(c->inside_out, "!", 1) != 1 || read(c->go_in, &answer, 1) != 1)
            _exit(21);
    }
    _exit(0);
}

/* The first process of a new PID namespace (its init) starts writers until
 * one has a PID that no process has in the test's namespace. */
static void ns_init(ns_case *c)
{
    for (int tries = 0; tries < 5000; tries++) {
        pid_t w = fork();
        if (w < 0)
            _exit(22);
        if (w == 0)
            ns_writer(c);
        int status;
        if (waitpid(w, &status, 0) != w)
            _exit(23);
        if (!WIFEXITED(status))
            _exit(24);
        if (WEXITSTATUS(status) != 0 || c->pid_out < 0)
            _exit(WEXITSTATUS(status));
        /* exit 0 after 'n' or after a whole write: the parent knows which */
        char more;
        if (read(c->verdict_in, &more, 1) != 1 || more != 'm')
            _exit(0);
    }
    _exit(25);
}

/* A writer in another PID namespace (a container sharing the volume) is
 * alive while its PID means nothing here: the stale-file cleanup of a write
 * in this namespace must leave its temporary file alone. */
TEST(atomic_write_never_removes_the_temp_file_of_a_live_writer_in_another_pid_namespace)
{
    char d[64], path[128];
    make_scratch(d, path, "shared.txt");
    write_file(path, "old");
    int pid_pipe[2], verdict[2], inside[2], go[2];
    CHECK(pipe(pid_pipe) == 0 && pipe(verdict) == 0 && pipe(inside) == 0 && pipe(go) == 0);
    ns_case c = {path, pid_pipe[1], verdict[0], inside[1], go[0]};
    fflush(NULL);
    pid_t outer = fork();
    CHECK(outer >= 0);
    if (outer == 0) {
        /* a failing CHECK ends the test: the namespace goes with it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWPID) != 0)
            _exit(77);
        pid_t init = fork();
        if (init < 0)
            _exit(26);
        if (init == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            ns_init(&c);
        }
        int status;
        waitpid(init, &status, 0);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 27);
    }
    close(pid_pipe[1]);
    close(verdict[0]);
    close(inside[1]);
    close(go[0]);
    pid_t theirs;
    bool chosen = false;
    while (!chosen && read(pid_pipe[0], &theirs, sizeof theirs) == sizeof theirs) {
        chosen = kill(theirs, 0) != 0 && errno == ESRCH && theirs != getpid();
        CHECK(write(verdict[1], chosen ? "yx" : "nm", 2) == 2); /* x: init stops after this writer */
    }
    int status;
    if (!chosen) {
        waitpid(outer, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 77);
        printf("skipped: cannot make a PID namespace (needs root)\n");
    } else {
        char byte;
        CHECK_EQ(read(inside[0], &byte, 1), 1);
        CHECK_EQ(count_entries(d), 2); /* the target and the live writer's temp file */
        /* This namespace's write: its cleanup sees a PID that is not alive
         * here. */
        cx_with (FILE *f, cx_atomic_write(path, "w"))
            fputs("from here", f);
        CHECK_EQ(count_entries(d), 2);
        CHECK_EQ(write(go[1], "!", 1), 1);
        waitpid(outer, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK_STR(read_file(path), "from the other namespace");
        CHECK_EQ(count_entries(d), 1);
        printf("the other namespace's writer had PID %d, dead here\n", (int)theirs);
    }
    close(pid_pipe[0]);
    close(verdict[1]);
    close(inside[0]);
    close(go[1]);
    unlink(path);
    rmdir(d);
}

/* ---- backup on write ---- */

TEST(backup_on_write_keeps_the_new_content_on_success_and_leaves_no_backup)
{
    char d[64], path[128];
    make_scratch(d, path, "important_data.txt");
    write_file(path, "old important data");
    cx_with (const char *p, cx_backup_on_write(path))
    cx_with (FILE *f, cx_open(p, "w"))
        fputs("New important data!", f);
    CHECK_STR(read_file(path), "New important data!");
    CHECK_EQ(count_entries(d), 1);
    unlink(path);
    rmdir(d);
}

static void backup_then_fail(void *path)
{
    cx_with (const char *p, cx_backup_on_write(path)) {
        cx_with (FILE *f, cx_open(p, "w"))
            fputs("partial garbage", f);
        cx_raise(&cx_RuntimeError, "write failed halfway");
    }
}

TEST(backup_on_write_restores_the_file_when_the_body_raises)
{
    char d[64], path[128];
    make_scratch(d, path, "important_data.txt");
    write_file(path, "old important data");
    cx_error *e = cx_protect(backup_then_fail, path);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(read_file(path), "old important data");
    CHECK_EQ(count_entries(d), 1);
    cx_error_unref(e);
    unlink(path);
    rmdir(d);
}

TEST(backup_on_write_removes_a_file_the_failing_body_created)
{
    char d[64], path[128];
    make_scratch(d, path, "new.txt");
    cx_error *e = cx_protect(backup_then_fail, path);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ(count_entries(d), 0);
    cx_error_unref(e);
    rmdir(d);
}

/* ---- writes that fail for a moment (finding: silent data loss) ---- */

/* A tmpfs of `kib` KiB mounted on a new directory (d, 64 bytes).  False,
 * with a message, where mounting is not permitted (not root, no
 * CAP_SYS_ADMIN): the caller skips. */
static bool mount_small_tmpfs(char *d, int kib)
{
    strcpy(d, "/tmp/cx-tmpfs-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    char opts[64];
    snprintf(opts, sizeof opts, "size=%dk,mode=0755", kib);
    if (mount("tmpfs", d, "tmpfs", 0, opts) != 0) {
        printf("skipped: cannot mount a tmpfs (%s): needs root\n", strerror(errno));
        rmdir(d);
        return false;
    }
    remember_mount(0, d);
    return true;
}

static void unmount_tmpfs(const char *d)
{
    mounted[0][0] = '\0';
    CHECK(umount2(d, MNT_DETACH) == 0);
    CHECK(rmdir(d) == 0);
}

/* Fills the file system of directory d: returns the filler's path. */
static const char *fill_up(const char *d)
{
    static char filler[128];
    snprintf(filler, sizeof filler, "%s/filler", d);
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    static char block[4096];
    while (write(fd, block, sizeof block) > 0)
        ;
    CHECK(errno == ENOSPC);
    CHECK(close(fd) == 0);
    return filler;
}

#define CHUNK 65536

typedef struct transient {
    const char *filler;  /* removed mid-body: the disk has room again */
    bool use_open;       /* cx_open instead of cx_atomic_write */
    const char *path;
} transient;

/* Writes CHUNK bytes (they meet the full disk: stdio drops them), frees the
 * space, writes a tail that does land: a later flush and close succeed. */
static void write_through_a_full_moment(void *arg)
{
    transient *t = arg;
    static char chunk[CHUNK];
    memset(chunk, 'n', sizeof chunk);
    cx_manager m = t->use_open ? cx_open(t->path, "w") : cx_atomic_write(t->path, "w");
    cx_with (FILE *f, m) {
        fputs("head\n", f);
        fwrite(chunk, 1, sizeof chunk, f);
        CHECK(ferror(f));
        CHECK(unlink(t->filler) == 0);
        fputs("tail\n", f);
    }
}

TEST(atomic_write_after_a_transient_enospc_raises_and_keeps_the_old_file)
{
    char d[64], path[128];
    if (!mount_small_tmpfs(d, 256))
        return;
    snprintf(path, sizeof path, "%s/data.txt", d);
    write_file(path, "old content");
    transient t = {fill_up(d), false, path};
    cx_error *e = cx_protect(write_through_a_full_moment, &t);
    CHECK(e != NULL && cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EIO); /* stdio kept no errno: documented */
    CHECK_STR(read_file(path), "old content");
    CHECK_EQ(count_entries(d), 1);
    cx_error_unref(e);
    unmount_tmpfs(d);
}

TEST(open_after_a_transient_enospc_raises_at_exit)
{
    char d[64], path[128];
    if (!mount_small_tmpfs(d, 256))
        return;
    snprintf(path, sizeof path, "%s/data.txt", d);
    transient t = {fill_up(d), true, path};
    cx_error *e = cx_protect(write_through_a_full_moment, &t);
    CHECK(e != NULL && cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EIO);
    CHECK(strstr(cx_error_message(e), "an earlier read or write failed") != NULL);
    cx_error_unref(e);
    unmount_tmpfs(d);
}

static void tempfile_through_a_full_moment(void *filler)
{
    static char chunk[CHUNK];
    cx_with (FILE *f, cx_tempfile()) {
        fwrite(chunk, 1, sizeof chunk, f);
        CHECK(ferror(f));
        CHECK(unlink(filler) == 0);
        fputs("tail\n", f);
    }
}

TEST(tempfile_after_a_transient_enospc_raises_at_exit)
{
    char d[64];
    if (!mount_small_tmpfs(d, 256))
        return;
    const char *filler = fill_up(d);
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", d, 1);
    cx_error *e = cx_protect(tempfile_through_a_full_moment, (void *)filler);
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    CHECK(e != NULL && cx_error_errno(e) == EIO);
    CHECK_EQ(count_entries(d), 0);
    cx_error_unref(e);
    unmount_tmpfs(d);
}

/* In a child: RLIMIT_FSIZE is the process's.  SIGXFSZ is ignored so that
 * the write past the limit fails with EFBIG instead of killing.  The limit
 * is lowered for one write and lifted again before the block ends. */
static void write_past_a_size_limit(void *arg)
{
    transient *t = arg;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, low;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    low = old;
    low.rlim_cur = 16384;
    static char chunk[CHUNK];
    memset(chunk, 'n', sizeof chunk);
    cx_manager m = t->use_open ? cx_open(t->path, "w") : cx_atomic_write(t->path, "w");
    cx_try {
        cx_with (FILE *f, m) {
            CHECK(setrlimit(RLIMIT_FSIZE, &low) == 0);
            fwrite(chunk, 1, sizeof chunk, f);
            CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
            fputs("tail\n", f);
        }
    } cx_except (&cx_OSError, err) {
        fprintf(stderr, "%s\n", cx_error_message(err));
        _exit(cx_error_errno(err) == EIO ? 10 : 11);
    }
    _exit(12); /* no error: the truncated file was committed */
}

static void check_size_limit(bool use_open)
{
    char d[64], path[128];
    make_scratch(d, path, "data.txt");
    write_file(path, "old content");
    transient t = {NULL, use_open, path};
    char *err;
    int status = th_run_child(write_past_a_size_limit, &t, &err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 10)
        fprintf(stderr, "child status %#x: %s\n", status, err);
    free(err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 10);
    if (!use_open)
        CHECK_STR(read_file(path), "old content");
    CHECK_EQ(count_entries(d), 1);
    unlink(path);
    rmdir(d);
}

TEST(atomic_write_past_a_file_size_limit_raises_and_keeps_the_old_file)
{
    check_size_limit(false);
}

TEST(open_past_a_file_size_limit_raises_at_exit)
{
    check_size_limit(true);
}

/* ---- modes ---- */

typedef struct mode_case {
    const char *path, *mode;
    bool use_open;
} mode_case;

static void enter_with_mode(void *arg)
{
    mode_case *c = arg;
    cx_manager m = c->use_open ? cx_open(c->path, c->mode) : cx_atomic_write(c->path, c->mode);
    cx_with (FILE *f, m)
        fputs("new", f);
}

static void check_invalid_mode(bool use_open, const char *mode)
{
    char d[64], path[128];
    make_scratch(d, path, "data.txt");
    write_file(path, "old content");
    mode_case c = {path, mode, use_open};
    cx_error *e = cx_protect(enter_with_mode, &c);
    CHECK(e != NULL && cx_error_is(e, &cx_ValueError));
    char want[64];
    snprintf(want, sizeof want, "invalid mode: '%s'", mode);
    CHECK_STR(cx_error_message(e), want);
    CHECK_STR(read_file(path), "old content");
    CHECK_EQ(count_entries(d), 1);
    cx_error_unref(e);
    unlink(path);
    rmdir(d);
}

TEST(atomic_write_with_mode_r_raises_value_error_and_keeps_the_file)
{
    check_invalid_mode(false, "r");
}

TEST(atomic_write_with_mode_a_raises_value_error_and_keeps_the_file)
{
    check_invalid_mode(false, "a");
    check_invalid_mode(false, "r+");
    check_invalid_mode(false, "wx");
    check_invalid_mode(false, "wbb");
}

TEST(atomic_write_accepts_the_write_modes)
{
    const char *modes[] = {"w", "wb", "wt", "w+", "w+b", "wb+", "we"};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        char d[64], path[128];
        make_scratch(d, path, "data.txt");
        mode_case c = {path, modes[i], false};
        enter_with_mode(&c);
        CHECK_STR(read_file(path), "new");
        unlink(path);
        rmdir(d);
    }
}

TEST(open_with_a_mode_fopen_rejects_raises_value_error)
{
    check_invalid_mode(true, "q");
    check_invalid_mode(true, "");
    check_invalid_mode(true, "+w");
}

TEST(open_with_letters_fopen_would_ignore_raises_value_error)
{
    check_invalid_mode(true, "wq");
    check_invalid_mode(true, "rr");
    check_invalid_mode(true, "wbt");
    check_invalid_mode(true, "rx");
}

TEST(open_accepts_the_modes_fopen_documents)
{
    const char *modes[] = {"w", "wb", "w+", "wb+", "w+b", "a", "ab", "a+", "r", "rb", "r+",
                           "rt", "re", "wx", "w+x", "wbxe", "rm", "rc"};
    const char *path = in_dir("modes.txt");
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        unlink(path);
        if (modes[i][0] == 'r')
            write_file(path, "x");
        cx_with (FILE *f, cx_open(path, modes[i]))
            CHECK(f != NULL);
    }
}

/* ---- permission bits of the replacement ---- */

TEST(atomic_write_never_copies_setuid_setgid_or_sticky_bits)
{
    const char *path = in_dir("setid.txt");
    write_file(path, "x");
    CHECK(chmod(path, 07755) == 0);
    cx_with (FILE *f, cx_atomic_write(path, "w"))
        fputs("y", f);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ(st.st_mode & 07777, 0755);
}

/* Writes "new" with cx_atomic_write at a symbolic link to a file with
 * `target_bits` (umask 022); checks that the link was replaced (as rename
 * replaces it) by a regular file holding "new", and that the target kept its
 * content and bits; returns the new file's bits. */
static mode_t bits_after_writing_over_a_link(mode_t target_bits)
{
    char d[64], path[128], target[128];
    make_scratch(d, path, "link.txt");
    snprintf(target, sizeof target, "%s/target.txt", d);
    write_file(target, "target");
    CHECK(chmod(target, target_bits) == 0);
    CHECK(symlink(target, path) == 0);
    mode_t old = umask(022);
    cx_with (FILE *f, cx_atomic_write(path, "w"))
        fputs("new", f);
    umask(old);
    struct stat st;
    CHECK(lstat(path, &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    mode_t bits = st.st_mode & 07777;
    CHECK_STR(read_file(path), "new");
    CHECK_STR(read_file(target), "target");
    CHECK(stat(target, &st) == 0);
    CHECK_EQ(st.st_mode & 07777, target_bits);
    unlink(path);
    unlink(target);
    rmdir(d);
    return bits;
}

/* The new file takes the bits of the file the link led to, never set-ID. */
TEST(atomic_write_over_a_symlink_replaces_the_link_with_the_targets_bits_but_no_set_id)
{
    CHECK_EQ(bits_after_writing_over_a_link(04750), 0750);
}

/* A dotfile linked into a private store stays private (not 0666 & ~umask). */
TEST(atomic_write_over_a_symlink_to_a_private_file_keeps_the_new_content_private)
{
    CHECK_EQ(bits_after_writing_over_a_link(0600), 0600);
}

/* ---- the umask other threads see ---- */

typedef struct umask_watch {
    const char *dir;
    int stop;         /* both atomic: the threads share them */
    int wrong;        /* files another thread created with the umask gone */
} umask_watch;

static void *create_files(void *arg)
{
    umask_watch *w = arg;
    char path[256];
    snprintf(path, sizeof path, "%s/watch", w->dir);
    while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) != 0644)
            __atomic_fetch_add(&w->wrong, 1, __ATOMIC_RELAXED);
        if (fd >= 0)
            close(fd);
        unlink(path);
    }
    return NULL;
}

/* A new file's bits come from the umask; reading it must not change it,
 * even for a moment: the umask is the process's, and another thread creating
 * a file in that moment would get 0666. */
TEST(atomic_write_of_new_files_never_clears_the_umask_other_threads_use)
{
    char d[64], path[128];
    /* tmpfs where there is one: 3,000 fsyncs cost nothing there */
    strcpy(d, access("/dev/shm", W_OK) == 0 ? "/dev/shm/cx-umask-XXXXXX" : "/tmp/cx-umask-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    snprintf(path, sizeof path, "%s/fresh.txt", d);
    mode_t old = umask(022);
    umask_watch w = {d, 0, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, create_files, &w) == 0);
    for (int i = 0; i < 3000 && !__atomic_load_n(&w.wrong, __ATOMIC_RELAXED); i++) {
        cx_with (FILE *f, cx_atomic_write(path, "w"))
            fputs("x", f);
        CHECK(unlink(path) == 0);
    }
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    umask(old);
    CHECK_EQ(w.wrong, 0);
    rmdir(d);
}

/* ---- allocation failures in enter ---- */

static void atomic_write_small(void *path)
{
    cx_with (FILE *f, cx_atomic_write(path, "w"))
        fputs("new", f);
}

static void backup_small(void *path)
{
    cx_with (const char *p, cx_backup_on_write(path))
        (void)p;
}

/* Fails the k-th allocation for every k until a run makes fewer than k: no
 * block and no file may be left by any run. */
static void fail_each_allocation(void (*fn)(void *))
{
    char d[64], path[128];
    make_scratch(d, path, "data.txt");
    for (long k = 1;; k++) {
        write_file(path, "old");
        th_drain_caches();
        long live = th_live_blocks();
        th_fail_allocation(k, 0);
        cx_error *e = cx_protect(fn, path);
        long made = th_fail_allocation(0, 0);
        if (e) {
            CHECK(cx_error_is(e, &cx_MemoryError));
            cx_error_unref(e);
        }
        th_drain_caches();
        if (th_live_blocks() != live)
            fprintf(stderr, "allocation %ld failing: %ld block(s) leaked\n", k,
                    th_live_blocks() - live);
        CHECK_EQ(th_live_blocks(), live);
        CHECK_EQ(count_entries(d), 1);
        if (made < k)
            break;
        CHECK(e != NULL);
    }
    unlink(path);
    rmdir(d);
}

TEST(atomic_write_enter_leaks_nothing_whichever_allocation_fails)
{
    fail_each_allocation(atomic_write_small);
}

TEST(backup_on_write_enter_leaks_nothing_whichever_allocation_fails)
{
    fail_each_allocation(backup_small);
}

/* The body writes through a symbolic link at path (cx_open follows it): a
 * failing body gets the link's target back, and the link stays a link. */
TEST(backup_on_write_through_a_symlink_restores_the_target_and_keeps_the_link)
{
    char d[64], path[128], target[128];
    make_scratch(d, path, "link.txt");
    snprintf(target, sizeof target, "%s/target.txt", d);
    write_file(target, "old important data");
    CHECK(symlink("target.txt", path) == 0);
    cx_error *e = cx_protect(backup_then_fail, path);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK_STR(read_file(target), "old important data");
    CHECK_EQ(count_entries(d), 2);
    cx_error_unref(e);
    unlink(path);
    unlink(target);
    rmdir(d);
}

__attribute__((destructor)) static void remove_test_dir(void)
{
    if (dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
}
