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

/* Opens `path` with open(2) `flags` and `mode` (O_CLOEXEC is added); binds an
 * int * pointing at the descriptor.  Enter raises like cx_open; exit closes
 * the descriptor and raises OSError if close fails.  Single-use per with. */
CX_API cx_manager cx_open_fd(const char *path, int flags, mode_t mode);

#ifdef __cplusplus
}
#endif
#endif
