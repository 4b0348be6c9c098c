/* chdir for a block, returning by descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/contextlib.h>

typedef struct {
    const char *path;
    int previous;
} chdir_state;

static void *chdir_enter(void *state)
{
    chdir_state *s = state;
    s->previous = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->previous < 0)
        cx_raise_errno(errno, "chdir: open the current directory");
    if (chdir(s->path) != 0) {
        int err = errno;
        close(s->previous);
        cx_raise_errno(err, "chdir %s", s->path);
    }
    return (void *)s->path;
}

/* fchdir succeeds into a directory that was removed meanwhile; say so
 * rather than leave the process somewhere that no longer exists. */
static bool chdir_exit(void *state, cx_error *err)
{
    chdir_state *s = state;
    struct stat st;
    (void)err;
    int back = fchdir(s->previous);
    int why = errno;
    int gone = back == 0 && fstat(s->previous, &st) == 0 && st.st_nlink == 0;
    close(s->previous);
    if (back != 0)
        cx_raise_errno(why, "chdir back from %s", s->path);
    if (gone)
        cx_raise_errno(ENOENT, "chdir back from %s: the previous directory was removed", s->path);
    return false;
}

static const cx_manager_type chdir_type = {"chdir", chdir_enter, chdir_exit};

cx_manager cx_chdir(const char *path)
{
    if (!path)
        cx_raise(&cx_ValueError, "cx_chdir: path is NULL");
    chdir_state s = {path, -1};
    return cx_manager_make(&chdir_type, &s, sizeof s);
}
