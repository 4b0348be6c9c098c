/* cx/fs.h — temporary files and directories, atomic and backed-up writes. */
#ifndef CX_FS_H
#define CX_FS_H

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A new directory (mode 0700) under $TMPDIR or /tmp; binds its absolute
 * path (const char *, valid inside the block; a relative TMPDIR is resolved
 * at entry).  Exit removes it with everything inside, descending with
 * openat/unlinkat and never following a symbolic link (a link inside is
 * removed, what it points to is untouched), with two descriptors at any
 * depth, giving a directory the body made read-only or unreadable its
 * owner's rwx back, and never crossing a mount point (it is left, with the
 * directories above it).  Enter raises OSError; exit raises OSError naming
 * the first entry it could not remove (EBUSY: a mount point) after removing
 * the rest.  Single-use per with. */
CX_API cx_manager cx_tempdir(void);

/* A new anonymous file (mode 0600, no name in the file system) opened "w+";
 * binds the FILE *.  It is gone when the block ends.  Raises like cx_open.
 * Single-use per with. */
CX_API cx_manager cx_tempfile(void);

/* Atomic replacement of `path`: binds a FILE * on a new temporary file in
 * path's directory, opened with `mode`: "w" then any of + b t e ("w", "wb",
 * "w+", ...); any other mode raises ValueError "invalid mode: '...'" before
 * the file system is touched.  When the body succeeds: flush, a check of the
 * stream's error indicator (a write stdio dropped raises OSError with EIO),
 * fsync, close, rename over path, fsync of the directory — readers see the
 * old file or the new one, never a mix, even if the process is killed at any
 * moment.  When the body raises, or a step before the rename fails, the
 * temporary file is removed and path is untouched.  The new file keeps the
 * old one's permission bits when path is a regular file or a symbolic link to
 * one (never set-user-ID, set-group-ID or sticky), else 0666 & ~umask; a
 * symbolic link at path is replaced by the new file, not written through.  Temporary files are named
 * .<name>.cx-tmp-<pid>-XXXXXX; a successful write removes those left by dead
 * writers (see docs/resources.md).  Raises OSError from any step.
 * Single-use per with. */
CX_API cx_manager cx_atomic_write(const char *path, const char *mode);

/* The guide's backup_on_write: copies `path` (if it exists) to a backup
 * beside it, runs the body, and if the body raises puts the backup back (or
 * removes a file the body created where none existed); on success the
 * backup is removed.  No backup file is left, except when putting it back
 * or removing it fails: then it is kept and the OSError names it.  Binds
 * path.  Enter raises OSError if the copy cannot be made.  Single-use per
 * with. */
CX_API cx_manager cx_backup_on_write(const char *path);

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_tempdir() CX__AT(cx_tempdir())
#define cx_tempfile() CX__AT(cx_tempfile())
#define cx_atomic_write(...) CX__AT(cx_atomic_write(__VA_ARGS__))
#define cx_backup_on_write(...) CX__AT(cx_backup_on_write(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
