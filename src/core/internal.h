/* Internal declarations shared by the core's files. */
#ifndef CX_CORE_INTERNAL_H
#define CX_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cx/cx.h>

#define CX__INLINE_MSG 120

/* A statement an error passed through on its way out (print.c shows them). */
#define CX__TRAIL 8
typedef struct cx__trail {
    const char *what; /* "cx_with", "cx_using", "cx_try" */
    cx__site site;
} cx__trail;

/* Laid out for the raise: a new error's fields in the first four words
 * (the codes zeroed in one store), then the links, which an error taken
 * from the per-thread cache already has clear (error.c). */
struct cx_error {
    const cx_type *type;
    int refs;            /* atomic (every access); < 0 for the static MemoryError */
    int line;
    int errnum;
    int suppress_context;
    int dbcode;          /* DatabaseError: SQLite's extended result code, or 0 */
    char sqlstate[6];    /* DatabaseError: PostgreSQL's SQLSTATE, or "" */
    bool msg_on_heap;    /* msg is ours to free */
    unsigned char share; /* atomic: CX__ERR_OWNED, CX__ERR_BUSY or CX__ERR_SHARED (error.c) */
    const char *file;
    const char *func;
    const char *msg;     /* inline_msg, a heap copy when longer, or a literal */
    cx_error *context;
    cx_error *cause;
    cx_error **items;    /* an ExceptionGroup's errors (owned), else NULL */
    cx_error *copy_of;   /* a copy's original (owned; never itself a copy),
                          * the same error to cx_error_print, else NULL */
    size_t nitems;
    const void *home;    /* the thread that made it (error.c's thread tag) */
    unsigned ntrail;     /* statements it passed through (trail holds the first) */
    cx__trail trail[CX__TRAIL];
    char inline_msg[CX__INLINE_MSG];
};

/* Who may change an error's links.  Only the thread that made it, and only
 * while no other thread has read them: the first read from elsewhere
 * (cx__error_observe) freezes the error for good, so a borrowed pointer into
 * its chain stays valid.  BUSY is the home thread changing links; a reader
 * from elsewhere waits for it to end. */
enum { CX__ERR_OWNED, CX__ERR_BUSY, CX__ERR_SHARED };

/* Error objects. */
cx_error *cx__error_alloc(void);
/* A new error, not raised (caller owns it); never fails. */
cx_error *cx__error_make(const char *file, int line, const char *func,
                         const cx_type *t, const char *fmt, ...) CX__PRINTF(5, 6);
/* cx__error_make for a message that is a string literal (static storage, so
 * the error points at it instead of copying it). */
cx_error *cx__error_new_literal(const char *file, int line, const char *func,
                                const cx_type *t, const char *msg);
/* Sets e's context in place when this thread may change e (and cuts any
 * cycle); leaves e alone otherwise.  For links the library repairs. */
void cx__error_set_context(cx_error *e, cx_error *context);
/* Python's `raise e` while `context` is handled: takes the raise's
 * reference to e and returns the error to raise, e itself (its context set,
 * any cycle cut) or, when e is shared with another thread or a cycle cannot
 * be cut, a copy of e with that context. */
cx_error *cx__error_chain(cx_error *e, cx_error *context);
/* Records that e, in flight, passed through the statement `what` at `site`
 * (kept only while this thread alone may change e). */
void cx__error_passed(cx_error *e, const char *what, const cx__site *site);
/* The error e stands for: a copy cx raised where Python raises the same
 * object again (docs/errors.md, "Cycles") is its original. */
static inline const cx_error *cx__error_original(const cx_error *e)
{
    return e->copy_of ? e->copy_of : e;
}
/* How many statements e has passed: a mark for cx__error_trail_cut. */
unsigned cx__error_trail_mark(const cx_error *e);
/* Forgets the statements e passed since `mark` (kept only while this thread
 * alone may change e): contextlib's `exc.__traceback__ = traceback`. */
void cx__error_trail_cut(cx_error *e, unsigned mark);
/* Makes e's links safe to read from this thread (error.c). */
void cx__error_observe(const cx_error *e);
cx_error *cx__handled_error(void);
/* Raises cx_ValueError "<who>: <arg> is NULL", for an entry point given NULL.
 * Never returns, but is not declared so: a check before a tail call then
 * costs one compare and leaves the caller without a stack frame. */
__attribute__((cold)) void cx__null_argument(const char *who, const char *arg);
/* What a running generator with no handled error of its own sees as handled:
 * its resumer's (set by gen.c around a resume). */
cx__handled *cx__outer_handling(void);
void cx__set_outer_handling(cx__handled *n);
/* Sets the link, returns the one it replaced (also declared in coro.h). */
CX_API cx__handled *cx__coro_swap_outer_handling(cx__handled *n);
_Noreturn void cx__raise_error(cx_error *e);
_Noreturn void cx__unhandled(cx_error *e);
const cx_type *cx__errno_type(int errnum);
cx_error *cx__defer_unwind(cx__defer *d, cx_error *e);
cx_error *cx__using_unwind(cx__using *u, cx_error *e);
void cx__handling_release_to(cx__state *s, cx__handled *keep);

/* A per-thread cache registers its drain once (from a constructor) and says
 * when the thread first puts something in it; the drain runs at thread end. */
void cx__thread_drain_register(void (*drain)(void));
void cx__thread_cache_used(void);

/* An ExceptionGroup's errors (cx-async builds groups): e takes the n
 * references in items (the array is copied); returns false when no memory. */
CX_API bool cx__error_set_items(cx_error *e, cx_error **items, size_t n);
CX_API size_t cx__error_item_count(const cx_error *e);
CX_API cx_error *cx__error_item(const cx_error *e, size_t i);

/* Write top and handling with one 16-byte store where a push follows soon
 * (a generator switch, a landing, a handler's end): the push's loads are
 * then served from that one store (docs/benchmarks.md, "Store forwarding"). */
#if defined(CX__X86_64) || defined(CX__AARCH64)
typedef long long cx__word_pair __attribute__((vector_size(16)));
_Static_assert(offsetof(cx__state, handling) == 8 && sizeof(cx__word_pair) == 16,
               "cx__state starts with the pair top, handling");

static inline void cx__store_frame_pair(cx__state *dst, cx__frame *top, cx__handled *handling)
{
    cx__word_pair p = {(long long)(uintptr_t)top, (long long)(uintptr_t)handling};
#ifdef CX__X86_64
    __asm__("" : "+x"(p)); /* kept whole: one store */
#else
    __asm__("" : "+w"(p));
#endif
    __builtin_memcpy(dst, &p, sizeof p);
}
#else
static inline void cx__store_frame_pair(cx__state *dst, cx__frame *top, cx__handled *handling)
{
    dst->top = top;
    dst->handling = handling;
}
#endif

/* The frame.c operations of the same names, inline for the core's own hot
 * paths (a caught raise crosses each once). */
static inline cx_error *cx__take_thrown(void)
{
    cx_error *e = cx__ts.thrown;
    cx__ts.thrown = NULL;
    return e;
}

static inline void cx__handled_push(cx__handled *n, cx_error *e)
{
    n->err = e;
    n->prev = cx__ts.handling;
    cx__ts.handling = n;
}

static inline cx_error *cx__handled_pop(cx__handled *n)
{
    cx__ts.handling = n->prev;
    return n->err;
}

static inline bool cx__is_subtype(const cx_type *t, const cx_type *base)
{
    if (t == base) /* the common match, ahead of the walk */
        return t != NULL;
    for (; t; t = t->base)
        if (t == base)
            return true;
    return false;
}

/* Allocation through the user's allocator; NULL on failure (no raise). */
void *cx__alloc(size_t n);
void *cx__realloc(void *p, size_t n);
void cx__dealloc(void *p);

#endif
