/* cx_tempdir: a private directory, removed with its contents without ever
 * following a symbolic link out of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/fs.h>

#include "../core/internal.h"

/* Removes everything inside the directory open as `dirfd` (which it closes).
 * Returns 0, or an errno.  Entries are opened relative to their parent with
 * O_NOFOLLOW, so a link planted inside is unlinked, never descended. */
static int empty_dir(int dirfd)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        int why = errno;
        close(dirfd);
        return why;
    }
    int failure = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        const char *name = ent->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            failure = failure ? failure : errno;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int why = sub < 0 ? errno : empty_dir(sub);
            if (why == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) != 0)
                why = errno;
            failure = failure ? failure : why;
        } else if (unlinkat(dirfd, name, 0) != 0) {
            failure = failure ? failure : errno;
        }
    }
    closedir(d);
    return failure;
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
    size_t n = strlen(root) + sizeof "/cx-XXXXXX";
    s->path = cx_malloc(n);
    snprintf(s->path, n, "%s/cx-XXXXXX", root);
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
        int fd = open(s->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int why = fd < 0 ? errno : empty_dir(fd);
        if (why == 0 && rmdir(s->path) != 0)
            why = errno;
        if (why)
            cx_raise_errno(why, "remove tempdir %s", s->path);
    }
    return false;
}

static const cx_manager_type tempdir_type = {"tempdir", tempdir_enter, tempdir_exit};

cx_manager cx_tempdir(void) { return cx_manager_make(&tempdir_type, NULL, sizeof(tempdir_state)); }
