/* cx/try.h — try / except / else / finally, with no closing macro.
 *
 *   cx_try {
 *       parse(config);
 *   } cx_except (&cx_ValueError, e) {      // cx_error *e, borrowed, valid in the clause
 *       fprintf(stderr, "bad config: %s\n", cx_error_message(e));
 *   } cx_except_any (e) {                  // a bare `except:`
 *       cx_reraise();
 *   } cx_else {                            // the body raised nothing
 *       ...
 *   } cx_finally {                         // always; an unhandled error is re-raised after it
 *       ...
 *   }
 *
 * Clauses are tried in order; the first cx_except whose type matches (by
 * isinstance) handles the error.  An error raised in a handler or in the else
 * clause has the handled error as its context; finally still runs.
 *
 * Control flow: `break` (and `continue`) in the body or a handler leave that
 * part of the cx_try: from the body the else clause is skipped, finally
 * runs, execution continues after the statement — they never reach an
 * enclosing loop.  `return` and `goto` out of a cx_try with no cx_finally
 * work as in Python: the statement is left, no further clause runs.  A
 * cx_finally clause cannot run then (C has no way to run it): cx restores
 * its frame chain and raises cx_RuntimeError naming the cx_try's function,
 * file and line; cx-check reports such a return or goto at build time.
 * Cleanups that must survive `return` belong in cx_using or cx_defer.
 * Leaving the cx_finally clause itself by return or goto is allowed; an error
 * it was to re-raise is raised then, never dropped.
 *
 * Locals assigned inside the statement and read in a later clause or after
 * it must be `volatile`: docs/statements.md, "The volatile rule". */
#ifndef CX_TRY_H
#define CX_TRY_H

#include "frame.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CX__TRY_SETUP,
    CX__TRY_READY,
    CX__TRY_PROBE, /* one pass over the clauses: cx_finally says it is there */
    CX__TRY_BODY,
    CX__TRY_BODY_END,
    CX__TRY_LANDED, /* caught and handled again (cx__try_landed): handlers next */
    CX__TRY_HANDLE,
    CX__TRY_ELSE,
    CX__TRY_FAILED,
    CX__TRY_FINALLY,
    CX__TRY_DONE
};

typedef struct cx__try {
    cx__jump j;
    int phase;
    int matched;        /* a handler took the error */
    int has_finally;    /* seen by the probe */
    const cx__site *site; /* NULL in cx's own sources */
    cx_error *pending;  /* unhandled, re-raised after finally */
    cx__handled node;   /* the error being handled or finalised */
} cx__try;

CX_API void cx__try_landed(cx__try *t);
CX_API int cx__try_step(cx__try *t);
CX_API void cx__try_cleanup(cx__try *t);

/* The statement's path through a body that raises nothing, and the handler
 * match, inline; cx__try_step takes the phases that touch an error. */
static inline cx__try *cx__try_begin(cx__try *t, const cx__site *site)
{
    t->phase = CX__TRY_SETUP;
    t->matched = 0;
    t->has_finally = 0;
    t->site = site;
    t->pending = NULL;
    t->node.err = NULL;
    return t;
}

static inline void cx__try_enter(cx__try *t)
{
    cx__jump_push(&t->j);
    t->phase = CX__TRY_READY;
}

static inline int cx__try_next(cx__try *t)
{
    switch (t->phase) {
    case CX__TRY_SETUP:
        return 1;
    case CX__TRY_READY:
        t->phase = CX__TRY_PROBE;
        return 1;
    case CX__TRY_PROBE:
        t->phase = CX__TRY_BODY;
        return 1;
    case CX__TRY_LANDED:
        t->phase = CX__TRY_HANDLE;
        return 1;
    case CX__TRY_BODY_END:
        t->phase = CX__TRY_ELSE;
        return 1;
    case CX__TRY_ELSE: /* nothing pending: the body raised nothing */
        cx__jump_pop(&t->j);
        t->phase = CX__TRY_FINALLY;
        return 1;
    case CX__TRY_FINALLY:
        if (t->pending)
            break;
        t->phase = CX__TRY_DONE;
        return 0;
    case CX__TRY_DONE:
        return 0;
    default:
        break;
    }
    return cx__try_step(t);
}

static inline int cx__try_is(cx__try *t, const cx_type *type)
{
    if (t->phase != CX__TRY_HANDLE || t->matched)
        return 0;
    if (type && !cx_error_is(t->node.err, type))
        return 0;
    t->matched = 1;
    return 1;
}

static inline int cx__try_finally(cx__try *t)
{
    if (t->phase == CX__TRY_PROBE)
        t->has_finally = 1;
    return t->phase == CX__TRY_FINALLY;
}

/* The statement ends: DONE, the common way, costs no call; any other phase
 * means it was left by return or goto (cx__try_cleanup). */
static inline void cx__try_leave(cx__try *t)
{
    if (t->phase != CX__TRY_DONE)
        cx__try_cleanup(t);
}

/* Starts a try statement: cx_try { ... } followed by its clauses. */
#define cx_try                                                                 \
    CX__SHADOW_OFF CX__VLA_OFF                                                 \
    for (cx__try cx__t __attribute__((cleanup(cx__try_leave))),               \
         *cx__tp __attribute__((unused)) =                                     \
             cx__try_begin(&cx__t, CX__STMT_SITE)                              \
         CX__NO_JUMP_IN_DECLARATOR(cx__t_nojump);                              \
         cx__try_next(&cx__t);)                                                \
        CX__VLA_ON CX__SHADOW_ON                                               \
        if (cx__t.phase == CX__TRY_SETUP) {                                    \
            if (CX__SETJMP(cx__t.j.jb))                                        \
                cx__try_landed(&cx__t);                                        \
            else                                                               \
                cx__try_enter(&cx__t);                                         \
        } else if (cx__t.phase == CX__TRY_BODY)                                \
            for (; cx__t.phase == CX__TRY_BODY; cx__t.phase = CX__TRY_BODY_END)

/* Handles an error that is an instance of `type` (a const cx_type *); declares
 * cx_error *e, borrowed, valid inside the clause. */
#define cx_except(type, e)                                                     \
    else if (cx__try_is(&cx__t, (type)))                                       \
        for (cx_error *e = cx__t.node.err; e; e = NULL)

/* Handles every error, like a bare `except:`; declares cx_error *e. */
#define cx_except_any(e) cx_except(NULL, e)

/* Runs when the body raised nothing. */
#define cx_else else if (cx__t.phase == CX__TRY_ELSE)

/* Always runs last; an error no clause handled is raised again after it. */
#define cx_finally else if (cx__try_finally(&cx__t))

#ifdef __cplusplus
}
#endif
#endif
