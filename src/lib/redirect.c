/* redirect_stdout / redirect_stderr / capture: at the descriptor level, so
 * printf and write(1, ...) both land in the target. */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/contextlib.h>

#include "../core/internal.h"
#include "../port/port.h"

typedef struct {
    int target_fd;   /* where descriptor `fd` points during the block */
    int fd;          /* 1 or 2 */
    int saved;       /* the original, duplicated */
    FILE *to;        /* flushed at entry and exit, when given */
    char **text;     /* capture: receives the output */
    bool clean;      /* the stream's error indicator was clear at entry */
} redirect_state;

static FILE *stream_of(int fd) { return fd == 1 ? stdout : stderr; }

static void flush_both(redirect_state *s)
{
    fflush(stream_of(s->fd));
    if (s->to)
        fflush(s->to);
}

/* At exit: 0, or the errno of output the block lost.  A failed write inside
 * stdio drops its data and leaves only the error indicator (its errno is
 * gone: EIO); the indicator is cleared once reported, so the restored stream
 * is not blamed again by the next block. */
static int flush_lost(redirect_state *s)
{
    FILE *out = stream_of(s->fd);
    int why = fflush(out) != 0 ? errno : 0;
    if (s->to && fflush(s->to) != 0 && !why)
        why = errno;
    if (!why && s->clean && ferror(out))
        why = EIO;
    if (why && s->clean)
        clearerr(out);
    return why;
}

/* A private file the output goes to: anonymous memory where the kernel has
 * it, else an unlinked temporary file. */
static int capture_file(void)
{
    int fd = cx__port_capture_fd();
    if (fd < 0)
        cx_raise_errno(errno, "capture: create a temporary file");
    return fd;
}

static void *redirect_enter(void *state)
{
    redirect_state *s = state;
    if (s->text)
        s->target_fd = capture_file();
    flush_both(s);
    s->clean = !ferror(stream_of(s->fd));
    s->saved = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
    if (s->saved < 0 || dup2(s->target_fd, s->fd) < 0) {
        int err = errno;
        if (s->saved >= 0)
            close(s->saved);
        if (s->text)
            close(s->target_fd);
        cx_raise_errno(err, "redirect descriptor %d", s->fd);
    }
    return s->to ? (void *)s->to : NULL;
}

/* Reads the whole capture file into a NUL-terminated string. */
static char *slurp(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        cx_raise_errno(errno, "capture: stat");
    size_t len = (size_t)st.st_size;
    char *text = cx_malloc(len + 1);
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, text + got, len - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int why = errno;
            cx_free(text);
            cx_raise_errno(why, "capture: read");
        }
        if (r == 0)
            break; /* truncated meanwhile: what is there */
        got += (size_t)r;
    }
    text[got] = '\0';
    return text;
}

static void collect(void *state)
{
    redirect_state *s = state;
    *s->text = slurp(s->target_fd);
}

static void close_target(void *state) { close(((redirect_state *)state)->target_fd); }

/* The descriptor is put back first, whatever else fails; *text is set only
 * when nothing failed (an exit that raises hands out no text). */
static bool redirect_exit(void *state, cx_error *err)
{
    redirect_state *s = state;
    (void)err;
    int lost = flush_lost(s);
    int restored = dup2(s->saved, s->fd);
    int why = errno;
    close(s->saved);
    if (s->text) {
        cx_scope {
            cx_defer(close_target, s);
            if (restored >= 0 && !lost)
                collect(s);
        }
    }
    if (restored < 0)
        cx_raise_errno(why, "restore descriptor %d", s->fd);
    if (lost)
        cx_raise_errno(lost, "redirect descriptor %d: output lost", s->fd);
    return false;
}

static const cx_manager_type redirect_type = {"redirect", redirect_enter, redirect_exit};

static cx_manager redirect(int fd, int target_fd, FILE *to, char **text)
{
    redirect_state s = {target_fd, fd, -1, to, text, true};
    return cx_manager_make(&redirect_type, &s, sizeof s);
}

cx_manager cx_redirect_stdout(FILE *to)
{
    if (!to)
        cx__null_argument("cx_redirect_stdout", "to");
    return redirect(1, fileno(to), to, NULL);
}

cx_manager cx_redirect_stderr(FILE *to)
{
    if (!to)
        cx__null_argument("cx_redirect_stderr", "to");
    return redirect(2, fileno(to), to, NULL);
}

cx_manager cx_redirect_stdout_fd(int fd) { return redirect(1, fd, NULL, NULL); }
cx_manager cx_redirect_stderr_fd(int fd) { return redirect(2, fd, NULL, NULL); }

cx_manager cx_capture_stdout(char **text)
{
    if (!text)
        cx__null_argument("cx_capture_stdout", "text");
    return redirect(1, -1, NULL, text);
}

cx_manager cx_capture_stderr(char **text)
{
    if (!text)
        cx__null_argument("cx_capture_stderr", "text");
    return redirect(2, -1, NULL, text);
}
