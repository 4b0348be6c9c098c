/* cx/state.h — temporary changes to process state, undone on every path out
 * of the block: a variable's bytes (the guide's config_override), an
 * environment variable, the umask, the signal mask, a signal handler.
 *
 *   cx_with (CX_OVERRIDE(config.debug, true))
 *   cx_with (cx_setenv("LANG", "C")) {
 *       run_debug_operations();
 *   }                                    // both restored here, even on a raise
 *
 * Each block restores exactly what it found at entry, so nested blocks
 * unwind in order. */
#ifndef CX_STATE_H
#define CX_STATE_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* config_override: for the block, the `size` bytes at `var` are the bytes at
 * `value`; at exit the bytes `var` held at entry are put back on every path
 * (end, raise, return, break).  `value` is read at entry, so it must be valid
 * until then; var and value must not overlap.  Any size: up to 32 bytes are
 * saved inline, larger ones in a copy from cx_malloc (enter may then raise
 * cx_MemoryError, before changing anything) freed at exit.  Binds `var`.
 * Raises cx_ValueError (when the manager is made) if var or value is NULL,
 * or size is 0 or larger than PTRDIFF_MAX.
 * The caller owns both objects.  Reusable; nested overrides of one variable
 * restore in order. */
CX_API cx_manager cx_override(void *var, const void *value, size_t size);

/* cx_override for an lvalue and a value of its type:
 *   cx_with (CX_OVERRIDE(config.log_level, LOG_DEBUG)) { ... }
 * The value lives in a compound literal of the enclosing block, which lasts
 * as long as a cx_with written around it. */
#define CX_OVERRIDE(var, value) \
    cx_override(&(var), &(__typeof__(var)){value}, sizeof(var))

/* Sets environment variable `name` to `value` for the block (value NULL:
 * unsets it); at exit restores the value it had at entry (a copy is kept, so
 * the body may change the environment freely), or unsets it if it was not
 * set.  Raises cx_ValueError for a NULL name (when the manager is made);
 * enter raises it for an empty name or one containing '=', cx_MemoryError or OSError if the environment cannot be changed; exit
 * raises OSError if it cannot be restored.  Binds the new value (NULL when
 * unset).  `name` and `value` stay the caller's and must outlive the block.
 * Process-wide and, like setenv(3), not safe while other threads read the
 * environment.  Reusable; nests. */
CX_API cx_manager cx_setenv(const char *name, const char *value);

/* Sets the process's file mode creation mask to `mask` (& 0777) for the
 * block; restores the previous mask at exit.  Never raises.  Binds nothing.
 * Process-wide.  Reusable; nests. */
CX_API cx_manager cx_umask(mode_t mask);

/* sigset_t exists only with POSIX visible (not under plain -std=c11). */
#if !defined(__GLIBC__) || defined(__USE_POSIX)
/* pthread_sigmask(how, set) for the block (how: SIG_BLOCK, SIG_UNBLOCK or
 * SIG_SETMASK); at exit the calling thread's previous mask is restored, so a
 * signal blocked by the block and raised inside it is delivered then.  `set`
 * is read at entry and stays the caller's; NULL, as for pthread_sigmask,
 * changes nothing (`how` is ignored) and the mask is still restored at exit.  Enter raises cx_MemoryError (the
 * saved mask is allocated) or OSError (EINVAL: a bad `how`); exit raises
 * OSError if the mask cannot be restored.  Binds nothing.  Affects the
 * calling thread only.  Reusable; nests. */
CX_API cx_manager cx_sigmask(int how, const sigset_t *set);
#endif

/* Installs `handler` (or SIG_IGN / SIG_DFL, which NULL is) for `signum` with
 * sigaction(2) for the block: SA_RESTART, nothing else blocked while it runs.  At exit the
 * previous action is restored exactly.  Enter raises cx_ValueError for a
 * number out of range, OSError for a signal that cannot be caught (SIGKILL,
 * SIGSTOP), cx_MemoryError (the saved action is allocated); exit raises
 * OSError if the old action cannot be restored.  Binds nothing.
 * Process-wide.  Reusable; nests. */
CX_API cx_manager cx_signal(int signum, void (*handler)(int));

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_override(...) CX__AT(cx_override(__VA_ARGS__))
#define cx_setenv(...) CX__AT(cx_setenv(__VA_ARGS__))
#define cx_signal(...) CX__AT(cx_signal(__VA_ARGS__))
#if !defined(__GLIBC__) || defined(__USE_POSIX)
#define cx_sigmask(...) CX__AT(cx_sigmask(__VA_ARGS__))
#endif
#endif

#ifdef __cplusplus
}
#endif
#endif
