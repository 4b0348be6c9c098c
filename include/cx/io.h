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

/* cx_open is also inline, enter and exit included: a cx_using over a file
 * calls fopen and fclose from the user's own function, as hand-written C
 * does, with no call around either (docs/benchmarks.md, "cx_open inline
 * again").  The library raises the failures. */
typedef struct cx__file {
    const char *path, *mode;
    FILE *f;
} cx__file;
/* Raises what cx_open's enter raises for a NULL or invalid path or mode,
 * or for fopen's errno. */
CX_API CX__NORETURN void cx__open_failed(const cx__file *s);
/* Raises what cx_open's exit raises: fclose's errno if it failed (`closed`
 * false), else the EIO of an earlier failed read or write. */
CX_API CX__NORETURN void cx__close_failed(const cx__file *s, bool closed);

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

static inline void *cx__open_enter(void *state)
{
    cx__file *s = (cx__file *)state;
    if (!s->path || !cx__fopen_mode_ok(s->mode) || !(s->f = fopen(s->path, s->mode)))
        cx__open_failed(s);
    return s->f;
}

#if defined(CX__FERROR_UNLOCKED) && !defined(__cplusplus)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wredundant-decls"
int ferror_unlocked(FILE *stream);
#pragma GCC diagnostic pop
#endif

/* The stream is the statement's own until fclose: its error indicator is
 * read without taking the stream's lock where libc allows it. */
static inline bool cx__open_exit(void *state, cx_error *err)
{
    cx__file *s = (cx__file *)state;
    (void)err;
    /* stdio drops the data of a failed write and later flushes succeed:
     * the error indicator is the only trace left. */
#ifdef CX__FERROR_UNLOCKED
    int lost = ferror_unlocked(s->f);
#else
    int lost = ferror(s->f);
#endif
    int closed = fclose(s->f) == 0;
    if (!closed || lost)
        cx__close_failed(s, closed);
    return false;
}

static inline cx_manager cx__open(const char *path, const char *mode)
{
    static const cx_manager_type type = {"open", cx__open_enter, cx__open_exit};
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
