/* cx/io.h — files and descriptors as managers. */
#ifndef CX_IO_H
#define CX_IO_H

#include <stdio.h>
#include <sys/types.h>

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens `path` with fopen(3) `mode` for the duration of a with block; binds
 * the FILE *.  Enter raises an OSError subclass chosen by errno
 * (FileNotFoundError, PermissionError, ...).  Exit closes the file; a failing
 * fclose (a write that could not be flushed: ENOSPC, EIO, ...) raises OSError,
 * chained to the body's error if there was one.  Single-use per with. */
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

static inline void *cx__file_enter(void *state)
{
    cx__file *s = (cx__file *)state;
    s->f = fopen(s->path, s->mode);
    if (!s->f)
        cx__file_failed("open", s->path);
    return s->f;
}

static inline bool cx__file_exit(void *state, cx_error *err)
{
    cx__file *s = (cx__file *)state;
    (void)err;
    if (fclose(s->f) != 0)
        cx__file_failed("close", s->path);
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
#define cx_open(path, mode) cx__open(path, mode)

/* Opens `path` with open(2) `flags` and `mode` (O_CLOEXEC is added); binds an
 * int * pointing at the descriptor.  Enter raises like cx_open; exit closes
 * the descriptor and raises OSError if close fails.  Single-use per with. */
CX_API cx_manager cx_open_fd(const char *path, int flags, mode_t mode);

#ifdef __cplusplus
}
#endif
#endif
