/* cx_tempdir: a private directory, removed with its contents without ever
 * following a symbolic link out of it, crossing into another mount, or
 * needing more than a few descriptors however deep the tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/fs.h>

#include "../core/internal.h"
#include "../port/port.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

typedef struct {
    dev_t dev;
    ino_t ino;
} dir_id;

/* What an entry is, without following it: type, identity and whether it is
 * the root of a mount (known on Linux only: port.h). */
typedef struct {
    mode_t mode;
    dir_id id;
    bool mount_root;
} entry_info;

static int entry_stat(int dirfd, const char *name, entry_info *out)
{
    cx__port_entry e;
    if (cx__port_entry_stat(dirfd, name, &e) != 0)
        return -1;
    *out = (entry_info){e.mode, {e.dev, e.ino}, e.mount_root};
    return 0;
}

static bool fd_id(int fd, dir_id *id)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    *id = (dir_id){st.st_dev, st.st_ino};
    return true;
}

/* The walk's state: the way back up (identities, not descriptors: one
 * descriptor is open at a time, plus one for reading it), the directories
 * that cannot be emptied (not entered again), and the first failure. */
typedef struct {
    dir_id *up;
    size_t depth, cap;
    dir_id *stuck;
    size_t nstuck, stuck_cap;
    int failure;
    char what[256];   /* the entry the first failure is about */
} walk;

static void fail(walk *w, int why, const char *name)
{
    if (!w->failure) {
        w->failure = why;
        snprintf(w->what, sizeof w->what, "%s", name);
    }
}

static bool push(dir_id **a, size_t *n, size_t *cap, dir_id id)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        dir_id *grown = realloc(*a, c * sizeof **a);
        if (!grown)
            return false;
        *a = grown, *cap = c;
    }
    (*a)[(*n)++] = id;
    return true;
}

/* 0 when fd is the directory `id`; ESTALE when it is another (moved or
 * replaced meanwhile); fstat's errno when that fails. */
static int check_same(int fd, dir_id id)
{
    dir_id got;
    if (!fd_id(fd, &got))
        return errno;
    return got.dev == id.dev && got.ino == id.ino ? 0 : ESTALE;
}

static bool is_stuck(const walk *w, dir_id id)
{
    for (size_t i = 0; i < w->nstuck; i++)
        if (w->stuck[i].dev == id.dev && w->stuck[i].ino == id.ino)
            return true;
    return false;
}

/* Removes `name` (not a directory) from dirfd; on a permission error gives
 * the directory back its owner's rwx and tries again, as Python's
 * TemporaryDirectory does (a body may leave a read-only directory). */
static int remove_entry(int dirfd, const char *name, int flags)
{
    if (unlinkat(dirfd, name, flags) == 0)
        return 0;
    if ((errno == EACCES || errno == EPERM) && fchmod(dirfd, 0700) == 0 &&
        unlinkat(dirfd, name, flags) == 0)
        return 0;
    return errno;
}

/* Opens subdirectory `name` of dirfd (known to be `id`); a directory
 * without read or search permission gets them first. */
static int open_sub(int dirfd, const char *name, dir_id id)
{
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int sub = openat(dirfd, name, flags);
    if (sub < 0 && errno == EACCES) {
        /* never through a link that replaced the directory meanwhile */
        if (fchmodat(dirfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
            sub = openat(dirfd, name, flags);
        else
            errno = EACCES;
    }
    int why = sub >= 0 ? check_same(sub, id) : 0;
    if (why) {
        close(sub); /* replaced meanwhile: not ours to walk into */
        errno = why;
        return -1;
    }
    return sub;
}

/* One pass over the directory open as fd: removes what it can; returns a
 * descriptor of a subdirectory to descend into (fd is then closed), or -1
 * when the directory is done (as empty as it will get); *left tells whether
 * something stays. */
static int scan(walk *w, int fd, bool *left)
{
    int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
    if (!d) {
        fail(w, errno, ".");
        if (dupfd >= 0)
            close(dupfd);
        *left = true;
        return -1;
    }
    rewinddir(d);
    dir_id here;
    if (!fd_id(fd, &here)) {
        fail(w, errno, ".");
        closedir(d);
        *left = true;
        return -1;
    }
    int down = -1;
    for (;;) {
        errno = 0;
        struct dirent *ent = readdir(d);
        if (!ent) {
            if (errno) {
                fail(w, errno, ".");
                *left = true;
            }
            break;
        }
        const char *name = ent->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        entry_info info;
        int got = entry_stat(fd, name, &info);
        if (got != 0 && errno == EACCES && fchmod(fd, 0700) == 0)
            got = entry_stat(fd, name, &info); /* readable, not searchable */
        if (got != 0) {
            if (errno != ENOENT) {
                fail(w, errno, name);
                *left = true;
            }
            continue;
        }
        if (!S_ISDIR(info.mode)) {
            int why = remove_entry(fd, name, 0);
            if (why && why != ENOENT) {
                fail(w, why, name);
                *left = true;
            }
            continue;
        }
        if (info.id.dev != here.dev || info.mount_root) {
            fail(w, EBUSY, name); /* a mount point: never crossed, left */
            *left = true;
            continue;
        }
        if (is_stuck(w, info.id)) {
            *left = true;
            continue;
        }
        int why = remove_entry(fd, name, AT_REMOVEDIR);
        if (why == 0 || why == ENOENT)
            continue;
        if (why != ENOTEMPTY && why != EEXIST) {
            fail(w, why, name);
            *left = true;
            continue;
        }
        down = open_sub(fd, name, info.id);
        if (down >= 0)
            break;
        fail(w, errno, name);
        *left = true;
        if (!push(&w->stuck, &w->nstuck, &w->stuck_cap, info.id)) {
            fail(w, ENOMEM, name);
            break;
        }
    }
    closedir(d);
    return down;
}

/* Empties the directory open as fd (which it closes).  Returns 0 or the
 * first failure's errno, with w->what naming the entry. */
static int empty_tree(walk *w, int fd)
{
    for (;;) {
        bool left = false;
        int down = scan(w, fd, &left);
        if (down >= 0) {
            dir_id here;
            if (!fd_id(fd, &here) || !push(&w->up, &w->depth, &w->cap, here)) {
                fail(w, errno ? errno : ENOMEM, ".");
                close(down);
                break;
            }
            close(fd);
            fd = down;
            continue;
        }
        if (w->depth == 0)
            break;
        dir_id here, parent = w->up[w->depth - 1];
        if (left && !fd_id(fd, &here)) {
            fail(w, errno, ".");
            break;
        }
        if (left && !push(&w->stuck, &w->nstuck, &w->stuck_cap, here)) {
            fail(w, ENOMEM, ".");
            break;
        }
        /* Back up by "..", checked against the identity recorded on the way
         * down: a directory moved meanwhile stops the walk. */
        int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int why = up < 0 ? errno : check_same(up, parent);
        if (why) {
            fail(w, why, "..");
            if (up >= 0)
                close(up);
            break;
        }
        close(fd);
        fd = up;
        w->depth--;
    }
    close(fd);
    return w->failure;
}

/* Removes the tree at path; 0 or an errno, w->what naming where. */
static int remove_tree(const char *path, walk *w)
{
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(path, flags);
    if (fd < 0 && errno == EACCES) {
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && chmod(path, 0700) == 0)
            fd = open(path, flags);
        else
            errno = EACCES;
    }
    if (fd < 0) {
        fail(w, errno, ".");
        return w->failure;
    }
    int why = empty_tree(w, fd);
    free(w->up);
    free(w->stuck);
    if (why == 0 && rmdir(path) != 0)
        fail(w, errno, ".");
    return w->failure;
}

typedef struct {
    char *path;
} tempdir_state;

static void *tempdir_enter(void *state)
{
    tempdir_state *s = state;
    const char *root = getenv("TMPDIR");
    if (!root || !*root)
        root = "/tmp";
    /* An absolute path: the body may change directory (Python's mkdtemp
     * returns an absolute path too). */
    char cwd[4096] = "";
    if (root[0] != '/' && !getcwd(cwd, sizeof cwd))
        cx_raise_errno(errno, "tempdir in %s: getcwd", root);
    size_t n = strlen(cwd) + 1 + strlen(root) + sizeof "/cx-XXXXXX";
    s->path = cx_malloc(n);
    snprintf(s->path, n, "%s%s%s/cx-XXXXXX", cwd, *cwd ? "/" : "", root);
    if (!mkdtemp(s->path)) {
        int why = errno;
        char shown[4096];
        snprintf(shown, sizeof shown, "%s", s->path);
        cx_free(s->path);
        cx_raise_errno(why, "tempdir %s", shown);
    }
    return s->path;
}

static void free_path(void *state) { cx_free(((tempdir_state *)state)->path); }

static bool tempdir_exit(void *state, cx_error *err)
{
    tempdir_state *s = state;
    (void)err;
    cx_scope {
        cx_defer(free_path, s);
        walk w = {0};
        int why = remove_tree(s->path, &w);
        if (why == EBUSY)
            cx_raise_errno(why, "remove tempdir %s: %s is a mount point, left in place", s->path,
                           w.what);
        if (why)
            cx_raise_errno(why, "remove tempdir %s: %s", s->path, w.what);
    }
    return false;
}

static const cx_manager_type tempdir_type = {"tempdir", tempdir_enter, tempdir_exit};

cx_manager cx_tempdir(void) { return cx_manager_make(&tempdir_type, NULL, sizeof(tempdir_state)); }
