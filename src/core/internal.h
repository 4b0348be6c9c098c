/* Internal declarations shared by the core's files. */
#ifndef CX_CORE_INTERNAL_H
#define CX_CORE_INTERNAL_H

#include <cx/cx.h>

#define CX__INLINE_MSG 120

struct cx_error {
    const cx_type *type;
    int refs;            /* atomic; < 0 for the static MemoryError */
    int errnum;
    int line;
    int suppress_context;
    const char *file;
    const char *func;
    cx_error *context;
    cx_error *cause;
    int dbcode;          /* DatabaseError: SQLite's extended result code, or 0 */
    char sqlstate[6];    /* DatabaseError: PostgreSQL's SQLSTATE, or "" */
    bool msg_on_heap;    /* msg is ours to free */
    cx_error **items;    /* an ExceptionGroup's errors (owned), else NULL */
    size_t nitems;
    const char *msg;     /* inline_msg, a heap copy when longer, or a literal */
    char inline_msg[CX__INLINE_MSG];
};

/* Error objects. */
cx_error *cx__error_alloc(void);
/* A new error, not raised (caller owns it); never fails. */
cx_error *cx__error_make(const char *file, int line, const char *func,
                         const cx_type *t, const char *fmt, ...) CX__PRINTF(5, 6);
/* cx__error_make for a message that is a string literal (static storage, so
 * the error points at it instead of copying it). */
cx_error *cx__error_new_literal(const char *file, int line, const char *func,
                                const cx_type *t, const char *msg);
void cx__error_set_context(cx_error *e, cx_error *context);
cx_error *cx__handled_error(void);
/* What a running generator with no handled error of its own sees as handled:
 * its resumer's (set by gen.c around a resume). */
cx__handled *cx__outer_handling(void);
void cx__set_outer_handling(cx__handled *n);
_Noreturn void cx__raise_error(cx_error *e);
_Noreturn void cx__unhandled(cx_error *e);
const cx_type *cx__errno_type(int errnum);
cx_error *cx__defer_unwind(cx__defer *d, cx_error *e);
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

/* Allocation through the user's allocator; NULL on failure (no raise). */
void *cx__alloc(size_t n);
void *cx__realloc(void *p, size_t n);
void cx__dealloc(void *p);

#endif
