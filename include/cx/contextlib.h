/* cx/contextlib.h — Python's contextlib for C: ExitStack, suppress,
 * nullcontext, closing, redirect_stdout/stderr, chdir. */
#ifndef CX_CONTEXTLIB_H
#define CX_CONTEXTLIB_H

#include <stdio.h>

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An ExitStack: exits and callbacks run LIFO when it closes, with
 * CPython's chaining rules (see docs/contextlib.md).  Every function below
 * raises cx_ValueError for a NULL stack or a NULL function (an `arg` may be
 * NULL: it is only passed along). */
typedef struct cx_exitstack cx_exitstack;

/* ExitStack as a with-form; binds a cx_exitstack *.  Exit runs every entry,
 * LIFO.  An entry that suppresses makes the entries below it see no error;
 * an entry that raises replaces the error, which becomes its context.  Up to
 * 8 entries use no allocation once the thread has used a stack before.
 * Single-use. */
CX_API cx_manager cx_exitstack_new(void);

/* enter_context: enters m and pushes its exit; returns m's enter value.
 * If enter raises, nothing is pushed.  Past 8 entries the room for the
 * entry is made first: if that raises cx_MemoryError, m is never entered.
 * A manager with no type (a zeroed cx_manager) raises cx_ValueError. */
CX_API void *cx_exitstack_enter(cx_exitstack *s, cx_manager m);

/* push: an exit function, called as exit(arg, err) with the error in flight
 * (NULL if none); returning true suppresses it.  Past 8 entries it may raise
 * cx_MemoryError, and then nothing is pushed. */
CX_API void cx_exitstack_push(cx_exitstack *s, bool (*exit)(void *arg, cx_error *err),
                              void *arg);

/* callback: fn(arg) runs at close; it never suppresses.  Past 8 entries it
 * may raise cx_MemoryError, and then nothing is pushed. */
CX_API void cx_exitstack_callback(cx_exitstack *s, void (*fn)(void *arg), void *arg);

/* pop_all: moves every entry to a new stack, which the caller closes with
 * cx_exitstack_close (that also frees it).  This stack is left empty.
 * Raises cx_MemoryError if the new stack cannot be allocated. */
CX_API cx_exitstack *cx_exitstack_pop_all(cx_exitstack *s);

/* close: runs the entries now, LIFO, as an exit with no error would; an
 * error an entry raises propagates after the rest ran.  Frees a stack that
 * came from cx_exitstack_pop_all; a with-bound stack stays usable. */
CX_API void cx_exitstack_close(cx_exitstack *s);

/* How many entries are waiting. */
CX_API size_t cx_exitstack_size(const cx_exitstack *s);

/* suppress(*types): swallows an error that is an instance of one of the
 * types (subclasses match).  Up to 7 types.  Reentrant and reusable.
 * cx_suppress(&cx_KeyError, &cx_OSError). */
#ifdef __cplusplus
extern "C++" {
struct cx__types {
    const cx_type *list[8];
};
}
#define cx_suppress(...) CX__AT(cx__suppress(cx__types{{__VA_ARGS__, nullptr}}.list))
#else
#define cx_suppress(...) \
    CX__AT(cx__suppress((const cx_type *const[]){__VA_ARGS__, NULL}))
#endif
CX_API cx_manager cx__suppress(const cx_type *const *types);

/* nullcontext(value): enter returns value (NULL too), exit does nothing.
 * Reusable and reentrant: it has nothing to change. */
CX_API cx_manager cx_nullcontext(void *value);

/* closing(obj): enter returns obj; exit calls close(obj) whatever happened
 * (obj may be NULL: it is only passed to close; close NULL raises
 * cx_ValueError).
 * Generators have cx_gen_closing(g) (gen.h); for a close function taking a
 * typed pointer, CX_DEFINE_CLEANUP (with.h) makes the callback without a
 * cast.
 * Single-use: the first exit closes obj, so a later block over the same obj
 * would bind a closed object, and a nested one would close it under the
 * outer block. */
CX_API cx_manager cx_closing(void *obj, void (*close)(void *obj));

/* Not on Windows yet (docs/portability.md): redirect, capture and chdir
 * work on descriptors as POSIX has them (dup2 onto 1 and 2, fchdir). */
#ifndef CX__WINDOWS
/* redirect_stdout / redirect_stderr: descriptor 1 (2) points at `to`'s
 * descriptor for the block, so output from printf and from write(1, ...)
 * both land there.  Both streams are flushed at entry and exit; the original
 * is restored on every path.  Inside the block stdio buffers as anywhere:
 * fflush(stdout) before mixing printf with write(1, ...) if order matters.
 * Process-wide: every thread's output moves.
 * Enter raises OSError if the descriptor cannot be duplicated.  Exit raises
 * OSError if the descriptor cannot be put back, or if output was lost: the
 * flush failed (its errno), or a write inside stdio failed during the block
 * and stdio dropped it (the stream's error indicator, clear at entry, is
 * set: EIO; the indicator is then cleared).  Reusable and reentrant: each with holds its own copy of the manager, so
 * the same manager may nest, each level restoring the descriptor it found. */
CX_API cx_manager cx_redirect_stdout(FILE *to);
CX_API cx_manager cx_redirect_stderr(FILE *to); /* the same for stderr */
/* The same, to a descriptor (not closed by the manager). */
CX_API cx_manager cx_redirect_stdout_fd(int fd);
CX_API cx_manager cx_redirect_stderr_fd(int fd); /* the same for stderr */

/* capture_stdout / capture_stderr: like redirect, into a private temporary
 * file; at exit *text receives everything written, NUL-terminated,
 * allocated with cx_malloc (free it with cx_free or, with the default
 * allocator, free).  Reusable: each block sets *text anew (keep or free the
 * previous text first).  Not reentrant: a block nested over the same text
 * has its text overwritten (and lost) by the outer block's.  An exit that
 * raises (as redirect's, or a failed read of the capture: OSError) leaves
 * *text as it was. */
CX_API cx_manager cx_capture_stdout(char **text);
CX_API cx_manager cx_capture_stderr(char **text); /* the same for stderr */

/* chdir(path): changes the working directory for the block and returns to
 * the previous one on exit, held by descriptor, so a renamed previous
 * directory is still found; binds path (const char *, as given).  Enter
 * raises an OSError subclass; exit raises OSError if the previous directory
 * cannot be re-entered (FileNotFoundError if it was removed).
 * Process-wide.  Reusable and reentrant: each with holds its own descriptor,
 * so the same manager may nest, each level returning to where it was entered
 * (a relative path is taken from the directory current at each enter). */
CX_API cx_manager cx_chdir(const char *path);
#endif /* !CX__WINDOWS */

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_exitstack_new() CX__AT(cx_exitstack_new())
#define cx_exitstack_enter(...) CX__AT(cx_exitstack_enter(__VA_ARGS__))
#define cx_exitstack_push(...) CX__AT(cx_exitstack_push(__VA_ARGS__))
#define cx_exitstack_callback(...) CX__AT(cx_exitstack_callback(__VA_ARGS__))
#define cx_exitstack_pop_all(...) CX__AT(cx_exitstack_pop_all(__VA_ARGS__))
#define cx_exitstack_close(...) CX__AT(cx_exitstack_close(__VA_ARGS__))
#define cx_exitstack_size(...) CX__AT(cx_exitstack_size(__VA_ARGS__))
#define cx_closing(...) CX__AT(cx_closing(__VA_ARGS__))
#define cx_redirect_stdout(...) CX__AT(cx_redirect_stdout(__VA_ARGS__))
#define cx_redirect_stderr(...) CX__AT(cx_redirect_stderr(__VA_ARGS__))
#define cx_redirect_stdout_fd(...) CX__AT(cx_redirect_stdout_fd(__VA_ARGS__))
#define cx_redirect_stderr_fd(...) CX__AT(cx_redirect_stderr_fd(__VA_ARGS__))
#define cx_capture_stdout(...) CX__AT(cx_capture_stdout(__VA_ARGS__))
#define cx_capture_stderr(...) CX__AT(cx_capture_stderr(__VA_ARGS__))
#define cx_chdir(...) CX__AT(cx_chdir(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
