/* cx/frame.h — the frame chain behind the statement macros.
 *
 * Not an API: these types are public only because cx_try, cx_with and
 * cx_scope declare them on the caller's stack.  Every thread (and every
 * coroutine) has one chain of frames; a raise walks it from the top, running
 * scopes' deferred calls in place and jumping to the first frame that holds a
 * jump buffer (a try, a with or a protect).  Lua's ldo.c keeps the same shape:
 * one chain of jump buffers, one throw path. */
#ifndef CX_FRAME_H
#define CX_FRAME_H

#include <setjmp.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The jump primitive (config.h picks it).  GCC's __builtin_setjmp saves
 * three words and makes the compiler reload locals at the landing point.
 * Clang's keeps them as it does around _setjmp (below).  Elsewhere _setjmp:
 * the signal mask is not ours to restore, and saving it is a syscall.  The
 * rule for users' locals is one for every compiler: docs/statements.md,
 * "The volatile rule". */
/* Declared for every compiler, so that a library built by one exports them
 * to programs built by the other. */
CX_API int cx__returns_twice(void) __attribute__((returns_twice));
CX_API extern volatile int cx__never;

#ifdef CX__BUILTIN_JUMP
typedef void *cx__jmp_buf[5];
#ifdef CX__CLANG
/* Keep locals read after a landing in their own slots: clang honours that
 * only in a function that calls something returns_twice, so the statement
 * names one it never calls (cx__never is 0). */
#define CX__SETJMP(buf)                                                        \
    (__builtin_expect(cx__never, 0) ? (void)cx__returns_twice() : (void)0,     \
     __builtin_setjmp(buf))
#else
#define CX__SETJMP(buf) __builtin_setjmp(buf)
#endif
#elif defined(CX__WINDOWS)
/* mingw-w64 has no _setjmp of one argument: setjmp, whose longjmp unwinds
 * through the SEH tables (config.h). */
typedef jmp_buf cx__jmp_buf;
#define CX__SETJMP(buf) setjmp(buf)
#else
typedef jmp_buf cx__jmp_buf;
#define CX__SETJMP(buf) _setjmp(buf)
#endif

/* Nested cx_try and cx_scope statements declare the same hidden names
 * (cx__t, cx__scope_here) on purpose: the innermost one is the one its
 * clauses and cx_defer must see.  These pragmas keep that out of the user's
 * -Wshadow, only for those declarations. */
#define CX__SHADOW_OFF                                                         \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"")
#define CX__SHADOW_ON _Pragma("GCC diagnostic pop")

/* A jump into the scope of a cx_using or cx_defer (a case label after one
 * in the switch's block, a goto to a label after one), or into the body of
 * a cx_with or cx_try, skips the enter but not the cleanup: an exit, a
 * deferred call or a frame pop would run on a frame never made.  Clang
 * refuses such a jump (a cleanup variable's initialization is bypassed);
 * GCC compiles it.  A pointer to a variable-length array declared with them
 * makes it an error for GCC too ("jump into scope of identifier with
 * variably modified type").  Its length is a call, so never a constant, and
 * inlines to nothing; no array exists.  CX__NO_JUMP_IN is a declaration of
 * its own, CX__NO_JUMP_IN_DECLARATOR one more declarator of a for's (inside
 * CX__VLA_OFF and CX__VLA_ON: -Wvla is not the user's business here).  C++
 * refuses the jump by itself (it bypasses an initialization) and has no
 * variable-length arrays. */
#ifdef __cplusplus
#define CX__VLA_OFF
#define CX__VLA_ON
#define CX__NO_JUMP_IN(name)
#define CX__NO_JUMP_IN_DECLARATOR(name)
#else
static inline __attribute__((always_inline)) int cx__vm_length(void) { return 1; }
#define CX__VLA_OFF                                                            \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wvla\"")
#define CX__VLA_ON _Pragma("GCC diagnostic pop")
#define CX__NO_JUMP_IN(name)                                                   \
    CX__VLA_OFF char (*name)[cx__vm_length()] __attribute__((unused)) = 0;      \
    CX__VLA_ON
#define CX__NO_JUMP_IN_DECLARATOR(name)                                        \
    , (*name)[cx__vm_length()] __attribute__((unused)) = 0
#endif

/* An error being handled (inside an except clause, an exit handler given an
 * error, a finally clause running because of one).  Nodes live inside the
 * constructs on the C stack and each owns a reference; a raise that abandons a
 * construct releases its node. */
typedef struct cx__handled {
    cx_error *err;
    struct cx__handled *prev;
} cx__handled;

/* Where a statement, or a call the user wrote, is in the user's source. */
typedef struct cx__site {
    const char *file;
    const char *func;
    int line;
} cx__site;

/* JUMP: a frame a raise lands in (try, with, protect).  DEFER and USING: run
 * in place by the unwinder, which then goes on to the frame below. */
enum { CX__FRAME_JUMP, CX__FRAME_DEFER, CX__FRAME_USING };

typedef struct cx__frame {
    struct cx__frame *prev;
    cx__handled *handling; /* what was being handled when the frame was pushed */
    int kind;
} cx__frame;

/* A frame a raise can land in. */
typedef struct cx__jump {
    cx__frame f;
    cx__jmp_buf jb;
} cx__jump;

/* Per thread, and per coroutine (switched with it). */
typedef struct cx__state {
    cx__frame *top;
    cx__handled *handling;
    cx_error *thrown; /* in flight from a raise to the frame it lands in */
    /* The user's call the library is serving (set by the public macros and
     * the statements; NULL before any): errors raised inside cx name it,
     * not cx's own code. */
    const cx__site *here;
} cx__state;

CX_API cx__state *cx__state_get(void);

/* The running thread's (or coroutine's) state.  Initial-exec TLS: one
 * %fs-relative access, no call, from the library and from its users.
 * Windows: a DLL cannot share a thread-local with the programs using it
 * (mingw-w64's are emulated, and a program and the DLL each linking their
 * own copy of the emulation would see two), so its users reach the state
 * through cx__state_get: one call, what an emulated access costs anyway. */
#if defined(CX__WINDOWS) && defined(CX_BUILDING)
extern __thread cx__state cx__ts; /* not exported */
#elif defined(CX__WINDOWS)
#define cx__ts (*cx__state_get())
#else
CX_API extern __thread cx__state cx__ts __attribute__((tls_model("initial-exec")));
#endif

/* The site of the code it is written in, as a pointer to a constant:
 * recording it is one store. */
#define CX__SITE_HERE()                                                        \
    __extension__({                                                            \
        static const cx__site cx__site_here = {__FILE__, __func__, __LINE__};  \
        &cx__site_here;                                                        \
    })
/* Records the user's call site for errors cx raises while serving it. */
#define CX__HERE() (cx__ts.here = CX__SITE_HERE())
/* A public function's call, with its site recorded: the headers wrap each
 * function that can raise in a macro of its own name.  cx's own sources
 * (CX_BUILDING) call the functions themselves, so the user's site stays. */
#ifdef CX_BUILDING
#define CX__AT(call) (call)
#else
#define CX__AT(call) (CX__HERE(), call)
#endif
/* The site a cx_with or cx_try records: its own in the user's code; none in
 * cx's sources, whose statements serve the user's call and so neither move
 * `here` nor show in a traceback. */
#ifdef CX_BUILDING
#define CX__STMT_SITE ((const cx__site *)0)
#else
#define CX__STMT_SITE CX__SITE_HERE()
#endif

/* Pushes f on the running chain.  Read and write top and handling one word
 * at a time (relaxed atomics keep the compiler from merging them; on x86-64
 * and aarch64 they are plain moves): a 16-byte load waits for an 8-byte
 * store to top still in flight, and a pop just came before
 * (docs/benchmarks.md, "Store forwarding").  No pointer to the thread-local
 * is formed: GCC's -fsanitize=null checks one against NULL and, where the
 * linker relaxed the thread-local's access, finds it so. */
static inline void cx__frame_push(cx__frame *f, int kind)
{
    cx__frame *top = __atomic_load_n(&cx__ts.top, __ATOMIC_RELAXED);
    cx__handled *handling = __atomic_load_n(&cx__ts.handling, __ATOMIC_RELAXED);
    __atomic_store_n(&f->prev, top, __ATOMIC_RELAXED);
    __atomic_store_n(&f->handling, handling, __ATOMIC_RELAXED);
    f->kind = kind;
    cx__ts.top = f;
}

static inline void cx__jump_push(cx__jump *j) { cx__frame_push(&j->f, CX__FRAME_JUMP); }
static inline void cx__jump_pop(cx__jump *j) { cx__ts.top = j->f.prev; }
/* Takes the landed error (owned) after a raise jumped into a frame. */
CX_API cx_error *cx__landed(void);
/* Propagates `e` (owned) unchanged: no new context. */
CX_API CX__NORETURN void cx__propagate(cx_error *e);
/* Marks `e` (owned by the node) as being handled. */
CX_API void cx__handling_push(cx__handled *n, cx_error *e);
/* Ends the handling started by cx__handling_push; returns the error it held. */
CX_API cx_error *cx__handling_pop(cx__handled *n);

#ifdef __cplusplus
}
#endif
#endif
