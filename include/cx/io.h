/* cx/io.h — files and descriptors as managers. */
#ifndef CX_IO_H
#define CX_IO_H

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens `path` with fopen(3) `mode` for the duration of a with block; binds
 * the FILE *.  `mode` is fopen's: one of r, w, a, then any of + b t x e m c,
 * each at most once (not both b and t; x only after w or a); anything else
 * raises ValueError "invalid mode: '...'" before the file system is touched
 * (glibc would reject some such strings with EINVAL and silently ignore
 * others).  Enter raises an OSError subclass chosen by errno
 * (FileNotFoundError, PermissionError, ...).  Exit closes the file and raises
 * OSError, chained to the body's error if there was one, when fclose fails (a
 * write that could not be flushed: ENOSPC, EIO, ...) or when the stream's
 * error indicator is set (a read or write in the body failed and stdio
 * dropped it: a transient ENOSPC or EFBIG; the errno is gone by then, so the
 * error carries EIO) — unless the body cleared it with clearerr.  Single-use
 * per with. */
CX_API cx_manager cx_open(const char *path, const char *mode);

/* cx_open is also inline: its type is defined here, so the with statement
 * inlines its enter and exit (see with.h) and a with over a file is the
 * code of fopen and fclose written by hand. */
typedef struct cx__file {
    const char *path, *mode;
    FILE *f;
} cx__file;

/* Raises the OSError for errno: "<what> <path>: <strerror>". */
CX_API CX__NORETURN void cx__file_failed(const char *what, const char *path);

/* True for the mode strings cx_open accepts (see cx_open). */
static inline bool cx__fopen_mode_ok(const char *mode)
{
    if (!mode || (mode[0] != 'r' && mode[0] != 'w' && mode[0] != 'a'))
        return false;
    unsigned seen = 0;
    for (const char *p = mode + 1; *p; p++) {
        unsigned bit;
        switch (*p) {
        case '+': bit = 1; break;
        case 'b': bit = 2; break;
        case 't': bit = 4; break;
        case 'x': bit = 8; break;
        case 'e': bit = 16; break;
        case 'm': bit = 32; break;
        case 'c': bit = 64; break;
        default: return false;
        }
        if (seen & bit)
            return false;
        seen |= bit;
    }
    return (seen & 6) != 6 && (!(seen & 8) || mode[0] != 'r');
}

static inline void *cx__file_enter(void *state)
{
    cx__file *s = (cx__file *)state;
    if (!s->path || !s->mode)
        cx__raise(CX__CALLER, &cx_ValueError, "cx_open: %s is NULL",
                  s->path ? "mode" : "path");
    if (!cx__fopen_mode_ok(s->mode))
        cx__raise(CX__CALLER, &cx_ValueError, "invalid mode: '%s'", s->mode);
    s->f = fopen(s->path, s->mode);
    if (!s->f)
        cx__file_failed("open", s->path);
    return s->f;
}

static inline bool cx__file_exit(void *state, cx_error *err)
{
    cx__file *s = (cx__file *)state;
    (void)err;
    /* stdio drops the data of a failed write and later flushes succeed:
     * the error indicator is the only trace left. */
    int lost = ferror(s->f);
    if (fclose(s->f) != 0)
        cx__file_failed("close", s->path);
    if (lost)
        cx__raise_errno(CX__CALLER, EIO, "close %s: an earlier read or write failed",
                        s->path);
    return false;
}

/* Builds the manager itself rather than through cx_manager_make: small, it
 * is inlined early enough for the with statement to see its type. */
static inline cx_manager cx__open(const char *path, const char *mode)
{
    static const cx_manager_type type = {"open", cx__file_enter, cx__file_exit};
    cx__file s = {path, mode, NULL};
    cx_manager m;
    m.type = &type;
    __builtin_memcpy(m.state.bytes, &s, sizeof s); /* fits: 24 of 64 bytes */
    return m;
}
/* cx_open(path, mode), inline: the contract is the function's, above. */
#define cx_open(path, mode) CX__AT(cx__open(path, mode))

/* Opens `path` with open(2) `flags` and `mode` (O_CLOEXEC is added); binds an
 * int * pointing at the descriptor.  Enter raises like cx_open; exit closes
 * the descriptor and raises OSError if close fails (EINTR excepted: Linux
 * has closed it, and Python ignores it too).  Single-use per with. */
CX_API cx_manager cx_open_fd(const char *path, int flags, mode_t mode);

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_open_fd(...) CX__AT(cx_open_fd(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
