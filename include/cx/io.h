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

/* cx_open is also inline: the manager is built in the with statement's own
 * storage (its state is the path and mode; enter opens, exit closes). */
typedef struct cx__file {
    const char *path, *mode;
    FILE *f;
} cx__file;
CX_API extern const cx_manager_type cx__open_type;

static inline cx_manager cx__open(const char *path, const char *mode)
{
    cx__file s = {path, mode, NULL};
    cx_manager m;
    m.type = &cx__open_type;
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
