/* cx/error.h — errors in Python's shape: typed, chained, reference counted.
 *
 * An error type is a static cx_type naming its base, so `cx_error_is` is
 * Python's isinstance.  Raising never returns: control goes to the nearest
 * enclosing cx_try, cx_with or cx_protect on the calling thread (or
 * coroutine), running every exit handler, deferred call and finally clause on
 * the way.  Nothing is lost: an error raised while another is being handled
 * keeps that one as its context. */
#ifndef CX_ERROR_H
#define CX_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The site a raise names: the raise itself in the user's code; inside cx's
 * own sources (and its inline header code: CX__CALLER), the user's call
 * being served (the state's `here`, frame.h). */
#define CX__CALLER (const char *)0, 0, (const char *)0
#ifdef CX_BUILDING
#define CX__SITE CX__CALLER
#else
#define CX__SITE __FILE__, __LINE__, __func__
#endif

/* An error type: a name and a base (NULL only for cx_BaseException). */
typedef struct cx_type {
    const char *name;           /* the Python-style name printed in tracebacks */
    const struct cx_type *base; /* the type it derives from */
} cx_type;

/* The built-in error types, Python's names and hierarchy. */
CX_API extern const cx_type cx_BaseException; /* the root of the hierarchy (base NULL): catch it only to clean up and re-raise */
CX_API extern const cx_type cx_Exception; /* the base of every ordinary error; what cx_except(&cx_Exception, e) should catch */
CX_API extern const cx_type cx_ValueError; /* a right type but an unacceptable value */
CX_API extern const cx_type cx_TypeError; /* an operation applied to the wrong kind of object */
CX_API extern const cx_type cx_KeyError; /* a mapping key not found (a LookupError) */
CX_API extern const cx_type cx_IndexError; /* a sequence index out of range (a LookupError) */
CX_API extern const cx_type cx_RuntimeError; /* an error that fits no other category; also cx's misuse reports */
CX_API extern const cx_type cx_NotImplementedError; /* an operation not provided (a RuntimeError) */
CX_API extern const cx_type cx_AssertionError; /* a failed assertion */
CX_API extern const cx_type cx_MemoryError; /* an allocation failed; raising it needs no memory */
CX_API extern const cx_type cx_OSError; /* a system call failed; cx_error_errno() gives errno */
CX_API extern const cx_type cx_FileNotFoundError; /* ENOENT (an OSError) */
CX_API extern const cx_type cx_FileExistsError; /* EEXIST (an OSError) */
CX_API extern const cx_type cx_PermissionError; /* EACCES, EPERM (an OSError) */
CX_API extern const cx_type cx_IsADirectoryError; /* EISDIR (an OSError) */
CX_API extern const cx_type cx_NotADirectoryError; /* ENOTDIR (an OSError) */
CX_API extern const cx_type cx_InterruptedError; /* EINTR (an OSError) */
CX_API extern const cx_type cx_TimeoutError; /* ETIMEDOUT, and timeouts (an OSError) */
CX_API extern const cx_type cx_GeneratorExit; /* thrown into a generator that is closed (base cx_BaseException) */
CX_API extern const cx_type cx_CancelledError; /* a cancelled task (base cx_BaseException) */
CX_API extern const cx_type cx_KeyboardInterrupt; /* Ctrl-C ended cx_run or cx_run_threads (base cx_BaseException) */
/* Beyond the contract's list, so errno maps as in Python and the hierarchy
 * is complete (KeyError and IndexError derive from LookupError). */
CX_API extern const cx_type cx_LookupError; /* the base of KeyError and IndexError */
CX_API extern const cx_type cx_BlockingIOError; /* EAGAIN, EWOULDBLOCK, EALREADY, EINPROGRESS (an OSError) */
CX_API extern const cx_type cx_ChildProcessError; /* ECHILD (an OSError) */
CX_API extern const cx_type cx_ProcessLookupError; /* ESRCH (an OSError) */
CX_API extern const cx_type cx_ConnectionError; /* the base of the connection errors (an OSError) */
CX_API extern const cx_type cx_BrokenPipeError; /* EPIPE, ESHUTDOWN (a ConnectionError) */
CX_API extern const cx_type cx_ConnectionAbortedError; /* ECONNABORTED (a ConnectionError) */
CX_API extern const cx_type cx_ConnectionRefusedError; /* ECONNREFUSED (a ConnectionError) */
CX_API extern const cx_type cx_ConnectionResetError; /* ECONNRESET (a ConnectionError) */

/* Defines a user error type: CX_DEFINE_ERROR(ConfigError, cx_ValueError);
 * gives `const cx_type ConfigError`, named "ConfigError", subclass of the base. */
#define CX_DEFINE_ERROR(name, base) const cx_type name = {#name, &(base)}
/* Declares a user error type in a header. */
#define CX_DECLARE_ERROR(name) extern const cx_type name

/* An error: type, message, raise site, context and cause.  Opaque and
 * reference counted; the library hands out borrowed pointers unless a
 * function says the caller owns a reference.  An error may travel between
 * threads (hand each thread a reference): once a thread other than the one
 * that made it has read its context or cause, it is frozen, and a cx_throw
 * that would change it raises a copy instead (docs/errors.md). */
typedef struct cx_error cx_error;

/* Raises a new error of type `t` with a printf-formatted message; records the
 * file, line and function of the call.  Never returns.  If an error is being
 * handled, it becomes the new error's context.  A message printf cannot
 * produce whole (longer than INT_MAX bytes, or not encodable) keeps what was
 * formatted before the failure, at most 1 MiB, followed by "...[truncated]".
 * t NULL raises cx_ValueError "cx_raise: t is NULL" instead; a NULL
 * format is an empty message. */
#define cx_raise(t, ...)                                                       \
    (__builtin_constant_p(CX__FMT(__VA_ARGS__, 0)) &&                          \
             !__builtin_strchr(CX__FMT(__VA_ARGS__, 0), '%')                   \
         ? cx__raise_msg(CX__SITE, (t),                    \
                         CX__FMT(__VA_ARGS__, 0),                              \
                         __builtin_strlen(CX__FMT(__VA_ARGS__, 0)))            \
         : cx__raise(CX__SITE, (t), __VA_ARGS__))
/* A constant message with no conversion in it is pointed at, not formatted
 * (the compiler decides which call to make; -Wformat still sees the format). */
#define CX__FMT(fmt, ...) fmt

/* Raises the OSError subclass Python picks for `errnum` (ENOENT gives
 * FileNotFoundError, EACCES PermissionError, ...) with the message
 * "<fmt>: <strerror(errnum)>"; cx_error_errno() gives errnum back. */
#define cx_raise_errno(errnum, ...) \
    cx__raise_errno(CX__SITE, (errnum), __VA_ARGS__)

/* Python's `raise T(...) from cause`: `cause` (borrowed; a reference is
 * taken) becomes the explicit cause and the context is not shown.
 * cause NULL is `from None`; t NULL raises cx_ValueError. */
#define cx_raise_from(t, cause, ...) \
    cx__raise_from(CX__SITE, (t), (cause), __VA_ARGS__)

/* Python's `raise e`: raises an existing error (takes a new reference; the
 * caller keeps its own).  The error being handled becomes e's context; a
 * loop that closes on the handled error's context chain is cut there, as
 * Python does.  When e may not be changed (another thread has read it), or
 * a loop would close any other way (through a cause, as after
 * `raise X from e`, or an ExceptionGroup: Python leaves those to its
 * collector), a copy of e (type, message, site, cause, errno) with that
 * context is raised instead, and cx_error_print shows it as e; with no
 * memory for the copy, e is raised with its context unchanged.  When the
 * handled error is such a copy of e, or e's original, or another copy of it
 * (to Python, e itself), the handled error is raised as it is.  e NULL raises cx_ValueError
 * "cx_throw: e is NULL". */
CX_API CX__NORETURN void cx_throw(cx_error *e);

/* Python's bare `raise` inside a handler: raises the handled error unchanged.
 * Outside any handler it raises cx_RuntimeError "no active exception to
 * reraise" at the call site. */
#define cx_reraise() cx__reraise(CX__SITE)

/* e's type.  Accessors return pointers borrowed from `e`; each takes NULL
 * and then gives NULL, 0 or false. */
CX_API const cx_type *cx_error_type(const cx_error *e);
/* e's message (the formatted text, without the type name); borrowed. */
CX_API const char *cx_error_message(const cx_error *e);
/* errno of an OSError raised by cx_raise_errno; 0 for anything else. */
CX_API int cx_error_errno(const cx_error *e);
/* isinstance(e, t): true when e's type is t or derives from it (false when
 * either is NULL). */
CX_API bool cx_error_is(const cx_error *e, const cx_type *t);
/* True when type `t` is `base` or derives from it (issubclass); false when
 * either is NULL. */
CX_API bool cx_type_is(const cx_type *t, const cx_type *base);
/* __context__: the error being handled when e was raised, or NULL. */
CX_API cx_error *cx_error_context(const cx_error *e);
/* __cause__: the error named by cx_raise_from, or NULL. */
CX_API cx_error *cx_error_cause(const cx_error *e);
/* The file of the raise site (__FILE__ of the cx_raise); borrowed. */
CX_API const char *cx_error_file(const cx_error *e);
/* The line of the raise site. */
CX_API int cx_error_line(const cx_error *e);
/* The function of the raise site (__func__); borrowed. */
CX_API const char *cx_error_function(const cx_error *e);

/* Takes a reference; returns e.  NULL is allowed and returned. */
CX_API cx_error *cx_error_ref(cx_error *e);
/* Drops a reference; the last one frees e and its chain.  NULL is allowed. */
CX_API void cx_error_unref(cx_error *e);

/* Prints e the way Python prints a traceback: the whole chain, oldest first,
 * with Python's separator sentences, each error as its raise site and
 * "Type: message".  Any depth, on no deeper stack; without memory to hold a
 * long chain it prints its oldest and newest 32 errors and a line
 * "... N more chained exceptions ...".  e NULL prints nothing; out NULL is
 * stderr (Python's file=None). */
CX_API void cx_error_print(const cx_error *e, FILE *out);

/* A boundary: runs fn(arg); returns NULL if it finished, or the error that
 * escaped it (the caller owns a reference).  Frames inside fn are unwound
 * (exits, defers, finally clauses run) before it returns.  fn NULL returns a
 * cx_ValueError "cx_protect: fn is NULL". */
CX_API cx_error *cx_protect(void (*fn)(void *arg), void *arg);

/* What happens to an error that reaches the bottom of a thread's frame
 * stack.  The default prints it with cx_error_print to stderr, then exits the
 * process with status 1 (main thread) or ends the thread (pthread_exit).
 * A hook that returns falls back to that default.  An error escaping the hook
 * is caught: stderr gets "Error in unhandled-error hook:" and its traceback,
 * then "Original exception was:" and e's, and the default ending follows. */
typedef void cx_unhandled_hook(cx_error *e);
/* Installs a process-wide hook (NULL restores the default); returns the old one. */
CX_API cx_unhandled_hook *cx_set_unhandled_hook(cx_unhandled_hook *hook);

/* Allocates n bytes with the current allocator; raises cx_MemoryError
 * instead of returning NULL.  Free with cx_free.  n 0 gives a unique
 * pointer, as malloc(1). */
CX_API void *cx_malloc(size_t n);
/* Resizes like realloc (p NULL allocates); raises cx_MemoryError instead of
 * returning NULL, leaving p as it was. */
CX_API void *cx_realloc(void *p, size_t n);
/* Frees memory from cx_malloc / cx_realloc; NULL is allowed. */
CX_API void cx_free(void *p);
/* Replaces the allocator every cx allocation goes through (NULL arguments
 * restore the libc one).  Set it before any cx call, or with nothing of cx's
 * allocated: memory must be freed by the allocator that made it. */
CX_API void cx_set_allocator(void *(*malloc_fn)(size_t),
                             void *(*realloc_fn)(void *, size_t),
                             void (*free_fn)(void *));

/* Machinery behind the macros above. */
CX_API CX__NORETURN void cx__raise(const char *file, int line, const char *func,
                                const cx_type *t, const char *fmt, ...)
    CX__PRINTF(5, 6);
CX_API CX__NORETURN void cx__raise_msg(const char *file, int line, const char *func,
                                    const cx_type *t, const char *msg, size_t len);
CX_API CX__NORETURN void cx__raise_errno(const char *file, int line, const char *func,
                                      int errnum, const char *fmt, ...)
    CX__PRINTF(5, 6);
CX_API CX__NORETURN void cx__raise_from(const char *file, int line, const char *func,
                                     const cx_type *t, cx_error *cause,
                                     const char *fmt, ...) CX__PRINTF(6, 7);
CX_API CX__NORETURN void cx__reraise(const char *file, int line, const char *func);
/* Builds an error without raising it (caller owns it); never fails: falls
 * back to the preallocated MemoryError. */
CX_API cx_error *cx__error_new(const char *file, int line, const char *func,
                               const cx_type *t, const char *fmt, va_list ap)
    CX__PRINTF(5, 0);

#ifdef __cplusplus
}
#endif

/* cx_throw, cx_protect, cx_malloc and cx_realloc are also macros recording
 * the caller's file, line and function (CX__AT, frame.h): an error they
 * raise (or return) names the user's call. */
#include "frame.h"
#ifndef CX_BUILDING
#define cx_throw(...) CX__AT(cx_throw(__VA_ARGS__))
#define cx_protect(...) CX__AT(cx_protect(__VA_ARGS__))
#define cx_malloc(...) CX__AT(cx_malloc(__VA_ARGS__))
#define cx_realloc(...) CX__AT(cx_realloc(__VA_ARGS__))
#endif
#endif
