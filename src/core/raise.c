/* The raise family: build or take an error, chain it to the one being
 * handled, and hand it to the unwinder. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../port/port.h"

/* Python's exc_info chain: a generator with no error of its own being
 * handled sees its resumer's (gen.c sets this around each resume). */
static __thread cx__handled *outer_handling __attribute__((tls_model("initial-exec")));

__attribute__((noinline)) cx__handled *cx__outer_handling(void) { return outer_handling; }
__attribute__((noinline)) void cx__set_outer_handling(cx__handled *n) { outer_handling = n; }

/* Sets the link and returns the one it replaces, in one call: gen.c around
 * each resume, cx-async at each task switch (a task suspended inside a
 * generator must not lend its handled error to the next task that runs). */
__attribute__((noinline)) CX_API cx__handled *cx__coro_swap_outer_handling(cx__handled *n)
{
    cx__handled *old = outer_handling;
    outer_handling = n;
    return old;
}

inline cx_error *cx__handled_error(void)
{
    cx__handled *n = cx__ts.handling ? cx__ts.handling : outer_handling;
    return n ? n->err : NULL;
}

__attribute__((noinline)) static _Noreturn void chain_and_propagate(cx_error *e,
                                                                    cx_error *handled)
{
    cx__propagate(cx__error_chain(e, handled));
}

/* As CPython's _PyErr_SetObject: with nothing being handled the error's
 * context is left as it is (`raise saved` keeps saved.__context__), and a
 * fresh error, the common case, skips the cycle walk.  Chaining is out of
 * line so that the common raise keeps nothing live across a call. */
__attribute__((always_inline)) static inline _Noreturn void raise_error(cx_error *e)
{
    cx_error *handled = cx__handled_error();
    if (__builtin_expect(handled != NULL, 0))
        chain_and_propagate(e, handled);
    cx__propagate(e);
}

_Noreturn void cx__raise_error(cx_error *e) { raise_error(e); }

cx_error *cx__error_make(const char *file, int line, const char *func,
                            const cx_type *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_error *e = cx__error_new(file, line, func, t, fmt, ap);
    va_end(ap);
    return e;
}

/* A raise naming no type is a caller's mistake: said loudly, at its site. */
__attribute__((noinline, cold)) static _Noreturn void raise_without_type(const char *file,
                                                                         int line,
                                                                         const char *func)
{
    raise_error(cx__error_new_literal(file, line, func, &cx_ValueError,
                                      "cx_raise: t is NULL"));
}

void cx__raise(const char *file, int line, const char *func, const cx_type *t,
               const char *fmt, ...)
{
    if (__builtin_expect(!t, 0))
        raise_without_type(file, line, func);
    va_list ap;
    va_start(ap, fmt);
    cx_error *e = cx__error_new(file, line, func, t, fmt, ap);
    va_end(ap);
    cx__raise_error(e);
}

void cx__raise_msg(const char *file, int line, const char *func, const cx_type *t,
                   const char *msg, size_t len)
{
    (void)len; /* kept for the ABI: the message is a literal and is not copied */
    if (__builtin_expect(!t, 0))
        raise_without_type(file, line, func);
    raise_error(cx__error_new_literal(file, line, func, t, msg));
}

void cx__raise_errno(const char *file, int line, const char *func, int errnum,
                     const char *fmt, ...)
{
    /* The caller's text is formatted as any message is (whole, or cut and
     * marked), then the reason appended. */
    va_list ap;
    va_start(ap, fmt);
    cx_error *what = cx__error_new(file, line, func, &cx_OSError, fmt, ap);
    va_end(ap);
    char buf[128];
    const char *reason = cx__port_strerror(errnum, buf, sizeof buf);
    cx_error *e = cx__error_make(file, line, func, cx__errno_type(errnum), "%s: %s",
                                 cx_error_message(what), reason);
    cx_error_unref(what);
    if (cx_error_is(e, &cx_OSError) && e->refs > 0)
        e->errnum = errnum;
    cx__raise_error(e);
}

void cx__raise_from(const char *file, int line, const char *func,
                    const cx_type *t, cx_error *cause, const char *fmt, ...)
{
    if (__builtin_expect(!t, 0))
        raise_without_type(file, line, func);
    va_list ap;
    va_start(ap, fmt);
    cx_error *e = cx__error_new(file, line, func, t, fmt, ap);
    va_end(ap);
    if (e->refs > 0) { /* a new error: this thread alone holds it */
        e->cause = cx_error_ref(cause);
        e->suppress_context = 1;
    }
    cx__raise_error(e);
}

void cx_throw(cx_error *e)
{
    if (!e) /* else nothing would be raised and control would vanish */
        raise_error(cx__error_new_literal(CX__SITE, &cx_ValueError,
                                          "cx_throw: e is NULL"));
    cx__raise_error(cx_error_ref(e));
}

void cx__reraise(const char *file, int line, const char *func)
{
    cx_error *e = cx__handled_error();
    if (!e)
        cx__raise(file, line, func, &cx_RuntimeError, "no active exception to reraise");
    cx__propagate(cx_error_ref(e));
}

/* noipa (GCC): without it GCC would learn that this never returns and give
 * its callers the stack frame a noreturn call needs. */
#ifdef CX__CLANG
__attribute__((noinline, cold))
#else
__attribute__((noinline, cold, noipa))
#endif
void cx__null_argument(const char *who, const char *arg)
{
    cx_raise(&cx_ValueError, "%s: %s is NULL", who, arg);
}

