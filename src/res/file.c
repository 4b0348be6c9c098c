/* cx_open, cx_open_fd, cx_tempfile. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cx/fs.h>
#include <cx/io.h>

#include "../port/port.h"

/* ---- FILE * ---- */

/* Both managers' enter and exit raise through it. */
__attribute__((noinline, cold)) static _Noreturn void file_failed(const char *what,
                                                                  const char *path)
{
    cx_raise_errno(errno, "%s %s", what, path);
}

void cx__open_failed(const cx__file *s)
{
    if (!s->path || !s->mode)
        cx_raise(&cx_ValueError, "cx_open: %s is NULL", s->path ? "mode" : "path");
    if (!cx__fopen_mode_ok(s->mode))
        cx_raise(&cx_ValueError, "invalid mode: '%s'", s->mode);
    file_failed("open", s->path);
}

void cx__close_failed(const cx__file *s, bool closed)
{
    if (!closed)
        file_failed("close", s->path);
    cx_raise_errno(EIO, "close %s: an earlier read or write failed", s->path);
}

/* For programs that call it through a pointer or by its symbol. */
cx_manager (cx_open)(const char *path, const char *mode)
{
    return cx__open(path, mode);
}

/* ---- descriptors ---- */

typedef struct {
    const char *path;
    int flags;
    mode_t mode;
    int fd;
} fd_state;

static void *fd_enter(void *state)
{
    fd_state *s = state;
    s->fd = open(s->path, s->flags | O_CLOEXEC, s->mode);
    if (s->fd < 0)
        file_failed("open", s->path);
    return &s->fd;
}

/* Linux closes the descriptor even when close reports EINTR: never retry,
 * and, as Python does (PEP 475), do not count it as a failure. */
static bool fd_exit(void *state, cx_error *err)
{
    fd_state *s = state;
    (void)err;
    if (close(s->fd) != 0 && errno != EINTR)
        file_failed("close", s->path);
    return false;
}

static const cx_manager_type fd_type = {"open_fd", fd_enter, fd_exit};

cx_manager cx_open_fd(const char *path, int flags, mode_t mode)
{
    if (!path)
        cx_raise(&cx_ValueError, "cx_open_fd: path is NULL");
    fd_state s = {path, flags, mode, -1};
    return cx_manager_make(&fd_type, &s, sizeof s);
}

/* ---- anonymous temporary file ---- */

static const char *temp_root(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

static void *tempfile_enter(void *state)
{
    FILE **f = state;
    const char *dir = temp_root();
    int fd = cx__port_tmpfile(dir);
    if (fd < 0)
        cx_raise_errno(errno, "tempfile in %s", dir);
    *f = fdopen(fd, "w+");
    if (!*f) {
        int why = errno;
        close(fd);
        cx_raise_errno(why, "tempfile in %s", dir);
    }
    return *f;
}

static bool tempfile_exit(void *state, cx_error *err)
{
    (void)err;
    FILE *f = *(FILE **)state;
    int lost = ferror(f); /* a write stdio dropped: see cx_open */
    if (fclose(f) != 0)
        cx_raise_errno(errno, "close tempfile");
    if (lost)
        cx_raise_errno(EIO, "close tempfile: an earlier read or write failed");
    return false;
}

static const cx_manager_type tempfile_type = {"tempfile", tempfile_enter, tempfile_exit};

cx_manager cx_tempfile(void) { return cx_manager_make(&tempfile_type, NULL, sizeof(FILE *)); }
