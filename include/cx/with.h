/* cx/with.h — the with statement, managers, and scopes with deferred calls.
 *
 *   cx_with (FILE *f, cx_open("data.txt", "r")) { ... }   // binds the enter value
 *   cx_with (cx_lock(&mutex)) { ... }                     // or not
 *   cx_with (FILE *in, cx_open(a, "r"))                   // stacked: Python's `with a, b:`
 *   cx_with (FILE *out, cx_open(b, "w")) { ... }
 *
 * PEP 343, with C's control flow added:
 * - exit runs exactly once for every enter that returned: when the body ends,
 *   raises, or is left by return, goto, break or continue (exit then gets NULL);
 * - if enter raises, neither the body nor exit runs;
 * - if exit returns true for an error, the error is suppressed and execution
 *   continues after the with statement;
 * - if exit raises, that error replaces the one in flight, which becomes its
 *   context.
 * `break` and `continue` inside a cx_with body leave the with block (exit runs,
 * execution continues after it); they never reach an enclosing loop.
 * The bound variable must be a pointer type (the enter value is a void *). */
#ifndef CX_WITH_H
#define CX_WITH_H

#include <stdint.h>

#include "frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A manager's behaviour: Python's __enter__ / __exit__. */
typedef struct cx_manager_type {
    const char *name; /* shown in error messages */
    /* Returns the value bound by the with (may be NULL); may raise. */
    void *(*enter)(void *state);
    /* err is NULL on success, else the error in flight (borrowed); returning
     * true suppresses it.  May raise. */
    bool (*exit)(void *state, cx_error *err);
} cx_manager_type;

/* Bytes of state a manager carries inline (no allocation). */
#define CX_MANAGER_STATE_SIZE 64

/* A manager: a type and its state, held by value. */
typedef struct cx_manager {
    const cx_manager_type *type; /* its enter and exit */
    /* The state enter and exit receive, inline and suitably aligned. */
    union {
        unsigned char bytes[CX_MANAGER_STATE_SIZE];
        void *align_ptr;
        long double align_ld;
        int64_t align_i64;
    } state;
} cx_manager;

/* Makes a manager of `type` whose state is a copy of the `size` bytes at
 * `state` (NULL: zeroed).  Also an inline macro of the same name.  enter and exit receive a pointer to that copy.
 * Raises cx_ValueError if type is NULL or size exceeds CX_MANAGER_STATE_SIZE. */
CX_API cx_manager cx_manager_make(const cx_manager_type *type, const void *state,
                                  size_t size);

/* Runs a manager outside any statement form: enter returns its value.
 * Raises cx_ValueError if m is NULL or has no type. */
CX_API void *cx_manager_enter(cx_manager *m);
/* Calls exit with err (borrowed, may be NULL); returns whether it suppressed.
 * Raises cx_ValueError if m is NULL or has no type. */
CX_API bool cx_manager_exit(cx_manager *m, cx_error *err);

/* Aligned to a cache line, so that the frame and the compiler's jump buffer
 * (frame.h), which every cx_with writes, are one line wherever the stack
 * puts the statement (docs/benchmarks.md, "mutex_with"). */
typedef struct cx__with {
    cx__jump j;
    const cx__site *site; /* NULL in cx's own sources */
    void *value;
    cx_manager m;
} __attribute__((aligned(64))) cx__with;

/* A raise landed in the with: exit runs given the error; returns only if
 * exit suppressed it. */
CX_API void cx__with_exit_error(cx__with *w);
/* A manager that cannot be made: no type, or a state too big (the site is
 * the user's cx_manager_make). */
CX_API CX__NORETURN void cx__manager_too_big(const char *file, int line, const char *func,
                                             const cx_manager_type *type, size_t size);

/* The hot path is inline.  Exit is due exactly while the with's frame is
 * the top of the chain: frames nest, so every frame pushed in the body is
 * popped before the body is left, and a raise that lands in the with pops
 * its frame before the landing runs exit.  The one local of the statement
 * written while its jump buffer is set, `once`, is volatile where setjmp's
 * rule applies (_setjmp, and clang's builtin: frame.h); GCC's
 * __builtin_setjmp reloads it. */
#if defined(CX__BUILTIN_JUMP) && !defined(CX__CLANG)
#define CX__WITH_VOLATILE
#else
#define CX__WITH_VOLATILE volatile
#endif

/* Makes the manager's enter call before the frame is pushed: if enter
 * raises, neither the body nor exit runs. */
static inline cx__with *cx__with_start(cx__with *w, cx_manager m, const cx__site *site)
{
    w->m = m;
    w->site = site;
    if (site)
        cx__ts.here = site;
    w->value = m.type->enter(w->m.state.bytes);
    return w;
}

/* Pushes the frame: from here on exit is due.  Returns the value to bind. */
static inline void *cx__with_enter(cx__with *w)
{
    cx__jump_push(&w->j);
    return w->value;
}

/* The statement's scope ends: its body ended or was left by break,
 * continue, return or goto, or a landing's exit suppressed the error.  If
 * exit is due, the frame is popped and exit runs given no error, naming
 * the statement. */
static inline void cx__with_leave(cx__with *w)
{
    if (cx__ts.top != &w->j.f)
        return;
    cx__jump_pop(&w->j);
    if (w->site)
        cx__ts.here = w->site;
    w->m.type->exit(w->m.state.bytes, NULL);
}

/* cx_manager_make, inline so a constant-sized state is copied in place
 * (and the checks vanish for a constant type and size). */
static inline cx_manager cx__manager_make(const cx_manager_type *type, const void *state,
                                          size_t size, const char *file, int line,
                                          const char *func)
{
    cx_manager m;
    if (__builtin_expect(size > CX_MANAGER_STATE_SIZE || !type, 0))
        cx__manager_too_big(file, line, func, type, size);
    m.type = type;
    if (size && state)
        __builtin_memcpy(m.state.bytes, state, size);
    else if (size)
        __builtin_memset(m.state.bytes, 0, size);
    return m;
}
/* Variadic, so a compound-literal argument with commas passes through. */
#define cx_manager_make(...) cx__manager_make(__VA_ARGS__, CX__SITE)

/* The enter value is a void *: C converts it to the bound pointer type by
 * itself, C++ needs to be told. */
#ifdef __cplusplus
extern "C++" {
struct cx__value {
    void *p;
    template <class T> operator T *() const { return static_cast<T *>(p); }
};
}
#define CX__VALUE(v) (cx__value{(v)})
#else
#define CX__VALUE(v) (v)
#endif

#define CX__CAT2(a, b) a##b
#define CX__CAT(a, b) CX__CAT2(a, b)
#define CX__PICK3(a, b, c, ...) c

/* The with statement: cx_with (T *var, manager) statement, or
 * cx_with (manager) statement; the rules are in this file's description. */
#define cx_with(...)                                                           \
    CX__PICK3(__VA_ARGS__, CX__WITH_BIND, CX__WITH_PLAIN, _)                   \
    (__COUNTER__, __VA_ARGS__)

#define CX__WITH_PLAIN(n, mgr)                                                 \
    CX__WITH_BIND(n, void *CX__CAT(cx__v, n) __attribute__((unused)), mgr)

/* GCC at -O1 and -Os follows the landing point's abnormal edges from every
 * call in the function, those made before the statement's locals existed
 * included, to reads that only the jump buffer's first return reaches: it
 * then warns that they "may be used uninitialized".  The warning is off
 * where the statement's own locals are named, below, and nowhere else. */
#ifdef CX__GCC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define CX__WITH_BIND(n, decl, mgr)                                            \
    CX__WITH(CX__CAT(cx__w, n), CX__CAT(cx__wo, n), decl, mgr)

/* `once` makes each for run its statement once; `break` and `continue` in
 * the body end the inner one.  Exit runs in w's cleanup, when the
 * statement is left by any path but a raise. */
#define CX__WITH(w, once, decl, mgr)                                           \
    CX__VLA_OFF                                                                \
    for (cx__with w __attribute__((cleanup(cx__with_leave))),                 \
         *CX__WITH_VOLATILE once = cx__with_start(&w, (mgr), CX__STMT_SITE)    \
         CX__NO_JUMP_IN_DECLARATOR(CX__CAT(w, _nojump));                       \
         once; once = 0)                                                       \
        CX__VLA_ON                                                             \
        if (CX__SETJMP(w.j.jb))                                                \
            cx__with_exit_error(&w);                                           \
        else                                                                   \
            for (decl = CX__VALUE(cx__with_enter(&w)); once; once = 0)
#ifdef CX__GCC
#pragma GCC diagnostic pop
#endif

/* ---- cx_using: a declaration ---- */

/* The frame of a cx_using, in the block that declares it. */
typedef struct cx__using {
    cx__frame f;
    const cx__site *site; /* the declaration's */
    void *value;
    cx_manager m;
} cx__using;

/* What the block's end needs: the cx_using, and its exit in a local whose
 * address does not escape, so that a constant manager type's exit (cx_open's)
 * is a direct call the compiler can inline. */
typedef struct cx__using_ref {
    cx__using *u;
    bool (*exit)(void *state, cx_error *err);
} cx__using_ref;

/* Start and leave are always inlined: GCC would judge them cold in a loop's
 * body and keep the manager's enter and exit out of line, a call more
 * around cx_open's fopen and fclose (docs/benchmarks.md, "cx_open inline
 * again"). */
#define CX__USING_INLINE static inline __attribute__((always_inline))

/* Enters the manager, then pushes the frame: if enter raises, nothing of
 * the cx_using is left to undo. */
CX__USING_INLINE cx__using_ref cx__using_start(cx__using *u, const cx__site *site, cx_manager m)
{
    u->site = site;
    u->m = m;
    cx__ts.here = site;
    u->value = m.type->enter(u->m.state.bytes);
    cx__frame_push(&u->f, CX__FRAME_USING);
    cx__using_ref ref = {u, m.type->exit};
    return ref;
}

/* The block is left by its end, return, goto, break or continue (a raise
 * skips this: the unwinder runs the exit).  Errors the exit raises name the
 * declaration. */
CX__USING_INLINE void cx__using_leave(cx__using_ref *ref)
{
    cx__using *u = ref->u;
    cx__ts.top = u->f.prev;
    cx__ts.here = u->site;
    ref->exit(u->m.state.bytes, NULL);
}

/* Enters a manager where it is declared; its exit runs when the enclosing
 * block is left by any path:
 *
 *   cx_using (FILE *f, cx_open(path, "r"));   // binds the enter value
 *   cx_using (cx_lock(&mutex));                // or not
 *
 * - the block's end, return, goto, break and continue run exit with no
 *   error; break and continue reach the enclosing loop as usual;
 * - a raise passing through runs exit given the error (borrowed); an error
 *   exit raises then replaces it, chained to it, as in cx_with;
 * - if enter raises, nothing is bound and exit does not run;
 * - several in one block exit last-entered first, and before any cx_defer
 *   or cx_using declared earlier in the block.
 * No jump buffer: no local needs `volatile` because of a cx_using.  A
 * manager cannot suppress here: an exit that returns true for an error
 * raises cx_RuntimeError "cx_using cannot suppress ..." with that error as
 * its context (cx_with is the form that suppresses).  It is a declaration:
 * write it as a statement of a block, not as the lone body of an if or a
 * loop.  The bound variable must be a pointer type. */
#define cx_using(...)                                                          \
    CX__PICK3(__VA_ARGS__, CX__USING_BIND, CX__USING_PLAIN, _)                 \
    (__COUNTER__, __VA_ARGS__)

#define CX__USING_PLAIN(n, mgr)                                                \
    CX__USING_BIND(n, void *CX__CAT(cx__uv, n) __attribute__((unused)), mgr)

#define CX__USING_BIND(n, decl, mgr)                                           \
    CX__USING(CX__CAT(cx__u, n), CX__CAT(cx__ur, n), decl, mgr)

#define CX__USING(u, ref, decl, mgr)                                            \
    CX__NO_JUMP_IN(CX__CAT(u, _nojump))                                        \
    cx__using u;                                                               \
    cx__using_ref ref __attribute__((cleanup(cx__using_leave), unused)) =      \
        cx__using_start(&u, CX__SITE_HERE(), (mgr));                           \
    decl = CX__VALUE(u.value)

/* A deferred call is a frame of its own, living in the block that defers
 * it: no allocation, no limit on how many. */
typedef struct cx__defer {
    cx__frame f;
    void (*fn)(void *);
    void *arg;
} cx__defer;

typedef struct cx__scope {
    char unused;
} cx__scope;

static inline void cx__defer_push(cx__defer *d) { cx__frame_push(&d->f, CX__FRAME_DEFER); }

/* The block ends (a raise skips this: the unwinder ran the call). */
static inline void cx__defer_run(cx__defer *d)
{
    cx__ts.top = d->f.prev;
    d->fn(d->arg);
}

/* A block of its own, kept for programs written when cx_defer needed one:
 * cx_defer and cx_using work in any block.
 *
 *   cx_scope {
 *       int fd = open(path, O_RDONLY);
 *       cx_defer(close_fd, &fd);      // close_fd(&fd) when the block ends
 *       ...
 *   }
 *
 * `break` and `continue` inside it leave the block (they never reach an
 * enclosing loop): a plain block { ... } is the better choice in a loop. */
#define cx_scope                                                               \
    CX__SHADOW_OFF                                                             \
    for (cx__scope cx__scope_here __attribute__((unused)) = {0},               \
         *cx__sp = &cx__scope_here;                                            \
         cx__sp; cx__sp = NULL)                                                \
        CX__SHADOW_ON

/* Defines `static void name(void *obj)` calling fn((type)obj): a cleanup
 * callback of the type cx_defer, cx_closing and cx_exitstack_callback take,
 * for a function whose parameter is a typed pointer:
 *
 *   static void page_close(page *p);
 *   CX_DEFINE_CLEANUP(page_close_cb, page *, page_close);
 *   cx_using (page *p, cx_closing(page_open(url), page_close_cb));
 *
 * Passing page_close itself, cast to void (*)(void *), would call it through
 * a pointer of another type: undefined behaviour in ISO C (and an error
 * under -fsanitize=function and CFI).  `type` must be a pointer type; fn's
 * result, if any, is discarded (fclose, say).  Write it where a function
 * may be defined (file scope), followed by a semicolon. */
#define CX_DEFINE_CLEANUP(name, type, fn)                                      \
    static void name(void *cx__cleanup_obj)                                    \
    {                                                                          \
        (void)(fn)((type)cx__cleanup_obj);                                     \
    }                                                                          \
    struct cx__cleanup_semicolon

/* Defers fn(arg) (void (*)(void *); CX_DEFINE_CLEANUP above adapts a function
 * taking a typed pointer) to the end of the block it is written
 * in — on every path out of it: its end, break, continue, return, goto, or
 * a raise.  Several run last-deferred first (with cx_using's exits, in one
 * order); one that raises does not stop the others, which run with that
 * error in flight (errors chain as in an ExitStack).  It is a declaration:
 * write it as a statement of a block (as the lone body of an if or a loop it
 * does not compile — give it braces).  In a loop body it runs at the end of
 * each round, when that round's locals end. */
#define cx_defer(fn, arg) CX__DEFER(CX__CAT(cx__d, __COUNTER__), fn, arg)
#define CX__DEFER(d, fn, arg)                                                  \
    CX__NO_JUMP_IN(CX__CAT(d, _nojump))                                        \
    cx__defer d __attribute__((cleanup(cx__defer_run))) = {                    \
        {NULL, NULL, CX__FRAME_DEFER}, (fn), (arg)};                           \
    cx__defer_push(&d)

/* cx_manager_enter and cx_manager_exit are also macros recording the
 * caller's file, line and function (CX__AT, frame.h): an error they raise
 * names the user's call. */
#ifndef CX_BUILDING
#define cx_manager_enter(...) CX__AT(cx_manager_enter(__VA_ARGS__))
#define cx_manager_exit(...) CX__AT(cx_manager_exit(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
