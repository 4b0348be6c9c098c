/* cx_atomic_write and cx_backup_on_write: a file is replaced whole or not
 * at all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/fs.h>
#include <cx/io.h>

#include "../core/internal.h"

/* Splits path into a malloc'd directory and a pointer to the base name. */
static char *dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash)
        return strcpy(cx_malloc(2), ".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = cx_malloc(n + 1);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return dir;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        cx_raise_errno(errno, "open directory %s", dir);
    int rc = fsync(fd), why = errno;
    close(fd);
    if (rc != 0 && why != EINVAL) /* some file systems cannot sync a directory */
        cx_raise_errno(why, "fsync directory %s", dir);
}

/* The permission bits a new file would get: the old file's, or 0666 & ~umask. */
static mode_t target_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return st.st_mode & 07777;
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* ---- atomic write ---- */

typedef struct {
    const char *path, *mode;
    char *tmp;   /* the temporary file's path */
    FILE *f;
} atomic_state;

static void *atomic_enter(void *state)
{
    atomic_state *s = state;
    const char *base;
    char *dir = dir_of(s->path, &base);
    size_t n = strlen(dir) + strlen(base) + 64;
    s->tmp = cx_malloc(n);
    snprintf(s->tmp, n, "%s/.%s.cx-tmp-%ld-XXXXXX", dir, base, (long)getpid());
    cx_free(dir);
    int fd = mkostemp(s->tmp, O_CLOEXEC);
    if (fd < 0 || fchmod(fd, target_mode(s->path)) != 0 || !(s->f = fdopen(fd, s->mode))) {
        int why = errno;
        if (fd >= 0) {
            close(fd);
            unlink(s->tmp);
        }
        char shown[4096];
        snprintf(shown, sizeof shown, "%s", s->path);
        cx_free(s->tmp);
        cx_raise_errno(why, "atomic write %s", shown);
    }
    return s->f;
}

/* A temporary file whose writer has died will never be renamed: remove it. */
static void remove_stale(const char *path)
{
    const char *base;
    char *dir = dir_of(path, &base);
    char prefix[512];
    snprintf(prefix, sizeof prefix, ".%s.cx-tmp-", base);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d))) {
            if (strncmp(ent->d_name, prefix, strlen(prefix)) != 0)
                continue;
            long pid = strtol(ent->d_name + strlen(prefix), NULL, 10);
            if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
                unlinkat(dirfd(d), ent->d_name, 0);
        }
        closedir(d);
    }
    cx_free(dir);
}

static void commit(atomic_state *s)
{
    if (fflush(s->f) != 0 || fsync(fileno(s->f)) != 0) {
        int why = errno;
        fclose(s->f);
        cx_raise_errno(why, "atomic write %s", s->path);
    }
    if (fclose(s->f) != 0)
        cx_raise_errno(errno, "atomic write %s", s->path);
    if (rename(s->tmp, s->path) != 0)
        cx_raise_errno(errno, "atomic write %s: rename", s->path);
    const char *base;
    char *dir = dir_of(s->path, &base);
    cx_scope {
        cx_defer(cx_free, dir);
        fsync_dir(dir);
    }
    remove_stale(s->path);
}

/* Whatever happens, the temporary name is gone afterwards (after a rename,
 * unlink finds nothing). */
static void drop_tmp(void *state)
{
    atomic_state *s = state;
    unlink(s->tmp);
    cx_free(s->tmp);
}

static bool atomic_exit(void *state, cx_error *err)
{
    atomic_state *s = state;
    cx_scope {
        cx_defer(drop_tmp, s);
        if (err)
            fclose(s->f);
        else
            commit(s);
    }
    return false;
}

static const cx_manager_type atomic_type = {"atomic_write", atomic_enter, atomic_exit};

cx_manager cx_atomic_write(const char *path, const char *mode)
{
    atomic_state s = {path, mode, NULL, NULL};
    return cx_manager_make(&atomic_type, &s, sizeof s);
}

/* ---- backup on write ---- */

typedef struct {
    const char *path;
    char *backup;   /* NULL when path did not exist */
} backup_state;

static void copy_fd(int from, int to, const char *path)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(from, buf, sizeof buf)) > 0)
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(to, buf + done, (size_t)(n - done));
            if (w < 0)
                cx_raise_errno(errno, "backup %s", path);
            done += w;
        }
    if (n < 0)
        cx_raise_errno(errno, "backup %s", path);
}

static void close_fd(void *fd) { close(*(int *)fd); }

static void make_backup(backup_state *s)
{
    cx_scope {
        int from = open(s->path, O_RDONLY | O_CLOEXEC);
        if (from < 0 && errno == ENOENT)
            break; /* nothing to back up: leaves the scope */
        if (from < 0)
            cx_raise_errno(errno, "backup %s", s->path);
        cx_defer(close_fd, &from);
        const char *base;
        char *dir = dir_of(s->path, &base);
        size_t n = strlen(dir) + strlen(base) + 32;
        s->backup = cx_malloc(n);
        snprintf(s->backup, n, "%s/.%s.cx-backup-XXXXXX", dir, base);
        cx_free(dir);
        int to = mkostemp(s->backup, O_CLOEXEC);
        if (to < 0)
            cx_raise_errno(errno, "backup %s", s->path);
        cx_defer(close_fd, &to);
        copy_fd(from, to, s->path);
        if (fchmod(to, target_mode(s->path)) != 0 || fsync(to) != 0)
            cx_raise_errno(errno, "backup %s", s->path);
    }
}

static void discard_backup(void *state)
{
    backup_state *s = state;
    if (s->backup)
        unlink(s->backup);
    cx_free(s->backup);
    s->backup = NULL;
}

static void *backup_enter(void *state)
{
    backup_state *s = state;
    s->backup = NULL;
    cx_try {
        make_backup(s);
    } cx_except_any (e) {
        discard_backup(s);
        cx_reraise();
    }
    return (void *)s->path;
}

static bool backup_exit(void *state, cx_error *err)
{
    backup_state *s = state;
    cx_scope {
        cx_defer(discard_backup, s);
        if (err && s->backup) {
            if (rename(s->backup, s->path) != 0)
                cx_raise_errno(errno, "restore %s from its backup", s->path);
            cx_free(s->backup); /* renamed into place: nothing to discard */
            s->backup = NULL;
        } else if (err && unlink(s->path) != 0 && errno != ENOENT)
            cx_raise_errno(errno, "remove %s", s->path);
    }
    return false;
}

static const cx_manager_type backup_type = {"backup_on_write", backup_enter, backup_exit};

cx_manager cx_backup_on_write(const char *path)
{
    backup_state s = {path, NULL};
    return cx_manager_make(&backup_type, &s, sizeof s);
}
