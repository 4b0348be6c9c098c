/* cx_atomic_write and cx_backup_on_write: a file is replaced whole or not
 * at all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cx/fs.h>
#include <cx/io.h>

#include "../core/internal.h"
#include "../port/port.h"

/* The length of path's directory part including its final slash (0 when
 * path names a file in the working directory). */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* path's directory (".", "/" or "dir") in buf; false when it does not fit,
 * which open would refuse anyway (ENAMETOOLONG). */
static bool dir_of(const char *path, char *buf, size_t size)
{
    size_t n = dir_len(path);
    if (n == 0) {
        buf[0] = '.', n = 1;
    } else {
        if (n > 1)
            n--; /* "dir/" -> "dir", "/" stays */
        if (n >= size)
            return false;
        memcpy(buf, path, n);
    }
    buf[n] = '\0';
    return true;
}

static int fsync_retry(int fd)
{
    int rc;
    while ((rc = fsync(fd)) != 0 && errno == EINTR)
        ; /* nothing was lost: the next fsync writes the same pages */
    return rc;
}

static void fsync_dir(const char *path)
{
    char dir[4096];
    if (!dir_of(path, dir, sizeof dir))
        cx_raise_errno(ENAMETOOLONG, "open directory of %s", path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        cx_raise_errno(errno, "open directory %s", dir);
    int rc = fsync_retry(fd), why = errno;
    close(fd);
    if (rc != 0 && why != EINVAL) /* some file systems cannot sync a directory */
        cx_raise_errno(why, "fsync directory %s", dir);
}

/* The permission bits the new file gets: the old file's when path names a
 * regular file; else -1, for "a new file's": the temporary file is then
 * created with 0666 and the kernel applies the umask (and a default ACL).
 * Reading the umask would mean setting it, and the umask is the process's:
 * another thread creating a file in that moment would get 0666.  A symbolic
 * link is replaced, not followed, but the new file takes the bits of the
 * regular file it led to: the content it replaces was that private (a
 * dotfile linked into a 0700 store must not become world-readable).
 * Set-user-ID, set-group-ID and sticky are never carried over (the new file
 * is owned by the writer: copying S_ISUID would make a set-user-ID file of
 * the writer's from someone else's permission bits). */
static int target_mode(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
        return -1;
    return S_ISREG(st.st_mode) ? (int)(st.st_mode & 0777) : -1;
}

/* Replaces the trailing XXXXXX of `name` and creates it with O_EXCL and
 * `mode` (as mkostemp does, but with a mode: mkostemp's is 0600). */
static int create_excl(char *name, mode_t mode)
{
    static const char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *x = name + strlen(name) - 6;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned long long r;
        if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            r = (unsigned long long)ts.tv_nsec * 6364136223846793005ULL + (unsigned)attempt;
        }
        for (int i = 0; i < 6; i++, r /= 62)
            x[i] = letters[r % 62];
        int fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* ---- atomic write ---- */

typedef struct {
    const char *path, *mode;
    char *tmp;   /* the temporary file's path */
    FILE *f;
} atomic_state;

/* "w" followed by any of + b t e, each at most once, not both b and t: the
 * modes that write a new file from its start.  "r" and "a" would leave the
 * new file empty or failing; "x" means nothing for a file that replaces. */
static bool atomic_mode_ok(const char *mode)
{
    if (!mode || mode[0] != 'w')
        return false;
    unsigned seen = 0;
    for (const char *p = mode + 1; *p; p++) {
        const char *at = strchr("+bte", *p);
        unsigned bit = at && *p ? 1u << (at - "+bte") : 0;
        if (!bit || (seen & bit))
            return false;
        seen |= bit;
    }
    return (seen & 6) != 6;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The stale-file policy rests on a lock: a writer holds an open-file-
 * description (OFD) write lock on its temporary file from creation until
 * the file is renamed, and a remover deletes only a file it can read-lock.
 * The kernel drops the lock when the writer dies (kill -9 included), in
 * whatever PID namespace, container or process it lives; a PID in the name
 * means nothing across namespaces.  OFD locks are not the process's
 * fcntl locks: a body that locks or unlocks the FILE's descriptor with
 * F_SETLK or flock cannot release this one. */
static int take_writer_lock(int fd) { return cx__port_ofd_lock(fd, F_WRLCK); }

/* Creates the temporary file (s->tmp's XXXXXX filled in) with `mode` and
 * returns its descriptor with the writer's lock held, or -1 with errno. */
static int create_locked(atomic_state *s, size_t n, mode_t mode)
{
    size_t dn = dir_len(s->path);
    for (int attempt = 0; attempt < 64; attempt++) {
        snprintf(s->tmp, n, "%.*s.%s.cx-tmp-%ld-XXXXXX", (int)dn, s->path, s->path + dn,
                 (long)getpid());
        int fd = create_excl(s->tmp, mode);
        if (fd < 0)
            return -1;
        struct stat mine, named;
        if (take_writer_lock(fd) != 0) {
            int why = errno;
            if (why == EINVAL || why == ENOLCK || why == EOPNOTSUPP)
                return fd; /* no OFD locks here: no remover can lock it either */
            if (why != EAGAIN && why != EACCES) {
                close(fd);
                unlink(s->tmp);
                errno = why;
                return -1;
            }
            /* A remover read-locked the new file before us: it will delete
             * it (or we do); take another name. */
            if (fstat(fd, &mine) == 0 && lstat(s->tmp, &named) == 0 && same_file(&mine, &named))
                unlink(s->tmp);
            close(fd);
            continue;
        }
        /* Locked; a remover may have deleted the name just before. */
        if (fstat(fd, &mine) != 0 || lstat(s->tmp, &named) != 0) {
            int why = errno;
            close(fd);
            if (why != ENOENT) {
                unlink(s->tmp);
                errno = why;
                return -1;
            }
            continue;
        }
        if (same_file(&mine, &named))
            return fd;
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}

static void *atomic_enter(void *state)
{
    atomic_state *s = state;
    if (!atomic_mode_ok(s->mode))
        cx_raise(&cx_ValueError, "invalid mode: '%s'", s->mode);
    /* One allocation: nothing to give back if it fails. */
    size_t n = strlen(s->path) + 64;
    s->tmp = cx_malloc(n);
    /* Created 0600 when the old file's bits are to be copied (set by fchmod
     * once the file is ours), 0666 & ~umask when it is a new file. */
    int keep = target_mode(s->path);
    int fd = create_locked(s, n, keep >= 0 ? 0600 : 0666);
    if (fd < 0 || (keep >= 0 && fchmod(fd, (mode_t)keep) != 0) ||
        !(s->f = fdopen(fd, s->mode))) {
        int why = errno;
        if (fd >= 0) {
            close(fd);
            unlink(s->tmp);
        }
        cx_free(s->tmp);
        s->tmp = NULL;
        cx_raise_errno(why, "atomic write %s", s->path);
    }
    return s->f;
}

/* A temporary file whose writer has died will never be renamed: remove it.
 * "Dead" is "its lock is free": the remover read-locks the file, checks the
 * name still leads to it, and only then unlinks it; a writer that loses that
 * race sees its lock refused and takes another name. */
static void remove_stale(const char *path)
{
    char dir[4096];
    if (!dir_of(path, dir, sizeof dir))
        return;
    const char *base = path + dir_len(path);
    char prefix[512];
    snprintf(prefix, sizeof prefix, ".%s.cx-tmp-", base);
    DIR *d = opendir(dir);
    if (!d)
        return;
    /* errno tells an entry readdir could not return (EOVERFLOW: a 32-bit
     * dirent without large-file offsets; that entry is passed over) from
     * the end or an unreadable directory, where the scan stops: stale names
     * then wait for the next writer. */
    for (int overflows = 0;;) {
        errno = 0;
        struct dirent *ent = readdir(d);
        if (!ent) {
            if (errno == EOVERFLOW && ++overflows < 4096)
                continue;
            break;
        }
        if (strncmp(ent->d_name, prefix, strlen(prefix)) != 0)
            continue;
        struct stat seen; /* never open a planted device or fifo */
        if (fstatat(dirfd(d), ent->d_name, &seen, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(seen.st_mode))
            continue;
        int fd = openat(dirfd(d), ent->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue; /* not ours to read: not ours to judge */
        struct stat mine, named;
        if (cx__port_ofd_lock(fd, F_RDLCK) == 0 && fstat(fd, &mine) == 0 && S_ISREG(mine.st_mode) &&
            fstatat(dirfd(d), ent->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
            same_file(&mine, &named))
            unlinkat(dirfd(d), ent->d_name, 0);
        close(fd);
    }
    closedir(d);
}

/* Flushes and syncs the temporary file, renames it over path while its
 * lock is still held (a remover never sees the name unlocked), then closes
 * it.  Any failure before the rename raises with path untouched. */
static void commit(atomic_state *s)
{
    FILE *f = s->f;
    s->f = NULL;
    int why = 0;
    const char *step = "write";
    if (fflush(f) != 0)
        why = errno;
    else if (ferror(f))
        why = EIO; /* a write in the body failed; stdio dropped its data and errno */
    else if (fsync_retry(fileno(f)) != 0)
        why = errno, step = "fsync";
    else if (rename(s->tmp, s->path) != 0)
        why = errno, step = "rename";
    if (why) {
        fclose(f);
        cx_raise_errno(why, "atomic write %s: %s", s->path, step);
    }
    /* Linux releases the descriptor even when close fails; the data was
     * synced, so an interrupted close lost nothing. */
    int closed = fclose(f), close_why = errno;
    fsync_dir(s->path);
    if (closed != 0 && close_why != EINTR)
        cx_raise_errno(close_why, "atomic write %s: close (the new content is in place)", s->path);
    remove_stale(s->path);
}

/* Whatever happens, the temporary name is gone afterwards (after a rename,
 * unlink finds nothing); if it cannot be removed, the error names it (the
 * next successful write removes it as a dead writer's). */
static void drop_tmp(void *state)
{
    atomic_state *s = state;
    if (s->f)
        fclose(s->f);
    s->f = NULL;
    int rc = unlink(s->tmp), why = errno;
    char shown[4096];
    snprintf(shown, sizeof shown, "%s", s->tmp);
    cx_free(s->tmp);
    s->tmp = NULL;
    if (rc != 0 && why != ENOENT)
        cx_raise_errno(why, "atomic write %s: remove %s", s->path, shown);
}

static bool atomic_exit(void *state, cx_error *err)
{
    atomic_state *s = state;
    cx_scope {
        cx_defer(drop_tmp, s);
        if (!err)
            commit(s);
    }
    return false;
}

static const cx_manager_type atomic_type = {"atomic_write", atomic_enter, atomic_exit};

cx_manager cx_atomic_write(const char *path, const char *mode)
{
    if (!path || !mode)
        cx_raise(&cx_ValueError, "cx_atomic_write: %s is NULL", path ? "mode" : "path");
    atomic_state s = {path, mode, NULL, NULL};
    return cx_manager_make(&atomic_type, &s, sizeof s);
}

/* ---- backup on write ---- */

typedef struct {
    const char *path;
    char *backup;   /* NULL when path did not exist */
    const char *target; /* the file the backup restores: path, or where the
                           symbolic link at path led (inside backup's block) */
} backup_state;

static void copy_fd(int from, int to, const char *path)
{
    char buf[65536];
    ssize_t n;
    for (;;) {
        n = read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(to, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                cx_raise_errno(errno, "backup %s", path);
            done += w;
        }
    }
    if (n < 0)
        cx_raise_errno(errno, "backup %s", path);
}

/* Linux releases the descriptor whatever close reports. */
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
        struct stat st, lst;
        if (fstat(from, &st) != 0 || lstat(s->path, &lst) != 0)
            cx_raise_errno(errno, "backup %s", s->path);
        /* The body's writes go through a symbolic link at path (open follows
         * it), so the backup is of, beside, and restored over the file the
         * link leads to; the link stays a link. */
        char real[PATH_MAX];
        bool link = S_ISLNK(lst.st_mode);
        if (link && !realpath(s->path, real))
            cx_raise_errno(errno, "backup %s", s->path);
        const char *target = link ? real : s->path;
        size_t dn = dir_len(target), tn = strlen(target), n = tn + 32 + (link ? tn + 1 : 0);
        s->backup = cx_malloc(n);
        snprintf(s->backup, n, "%.*s.%s.cx-backup-XXXXXX", (int)dn, target, target + dn);
        s->target = s->path;
        if (link) {
            char *copy = s->backup + strlen(s->backup) + 1;
            memcpy(copy, real, tn + 1);
            s->target = copy;
        }
        int to = mkostemp(s->backup, O_CLOEXEC);
        if (to < 0) {
            int why = errno;
            cx_free(s->backup);
            s->backup = NULL;
            cx_raise_errno(why, "backup %s", s->path);
        }
        cx_defer(close_fd, &to);
        copy_fd(from, to, s->path);
        /* The bits of the file the body will write, set-ID and sticky
         * excepted (as the atomic writer's). */
        if (fchmod(to, st.st_mode & 0777) != 0 || fsync_retry(to) != 0)
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

/* Raises errno `why` for `what`, naming the backup (which it frees). */
static _Noreturn void backup_failed(backup_state *s, int why, const char *what)
{
    char shown[4096];
    snprintf(shown, sizeof shown, "%s", s->backup);
    cx_free(s->backup);
    s->backup = NULL;
    cx_raise_errno(why, "%s %s: backup %s", what, s->path, shown);
}

/* The backup is removed only once it is no longer needed: when the restore
 * fails it is the one whole copy of the old content, so it stays and the
 * error names it. */
static bool backup_exit(void *state, cx_error *err)
{
    backup_state *s = state;
    if (err && s->backup) {
        if (rename(s->backup, s->target) != 0)
            backup_failed(s, errno, "restore");
        cx_free(s->backup); /* renamed into place: nothing to discard */
        s->backup = NULL;
    } else if (err) {
        if (unlink(s->path) != 0 && errno != ENOENT)
            cx_raise_errno(errno, "remove %s", s->path);
    } else if (s->backup) {
        if (unlink(s->backup) != 0 && errno != ENOENT)
            backup_failed(s, errno, "remove the backup of");
        cx_free(s->backup);
        s->backup = NULL;
    }
    return false;
}

static const cx_manager_type backup_type = {"backup_on_write", backup_enter, backup_exit};

cx_manager cx_backup_on_write(const char *path)
{
    if (!path)
        cx_raise(&cx_ValueError, "cx_backup_on_write: path is NULL");
    backup_state s = {path, NULL, NULL};
    return cx_manager_make(&backup_type, &s, sizeof s);
}
