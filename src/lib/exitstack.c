/* ExitStack, with CPython's exit and chaining rules (contextlib.ExitStack). */
#include <cx/contextlib.h>

#include "../core/internal.h"

enum { ENTRY_EXIT, ENTRY_CALLBACK, ENTRY_MANAGER };

typedef struct entry {
    int kind;
    union {
        struct { bool (*fn)(void *, cx_error *); void *arg; } exit;
        struct { void (*fn)(void *); void *arg; } callback;
        cx_manager manager;
    } u;
} entry;

#define INLINE_ENTRIES 8
/* A pooled stack keeps grown storage up to this many entries, so a with over
 * a stack of that size allocates nothing in steady state; beyond it the
 * storage goes back to the allocator at exit. */
#define KEPT_ENTRIES 64

struct cx_exitstack {
    size_t n, cap;
    entry *heap;          /* NULL while the inline entries suffice */
    int owned;            /* from pop_all: close frees it */
    cx_exitstack *next;   /* in the thread's pool */
    entry inline_[INLINE_ENTRIES];
};

/* Stacks are pooled per thread, so a with over an ExitStack allocates
 * nothing once the thread has used one. */
static __thread cx_exitstack *pool __attribute__((tls_model("initial-exec")));

static void pool_drain(void)
{
    while (pool) {
        cx_exitstack *s = pool;
        pool = s->next;
        cx__dealloc(s->heap);
        cx__dealloc(s);
    }
}

__attribute__((constructor)) static void pool_register(void)
{
    cx__thread_drain_register(pool_drain);
}

static cx_exitstack *stack_get(void)
{
    cx_exitstack *s = pool;
    if (s) {
        pool = s->next;
    } else {
        s = cx_malloc(sizeof *s);
        s->cap = INLINE_ENTRIES;
        s->heap = NULL;
    }
    s->n = 0;
    s->owned = 0;
    return s;
}

static void stack_put(void *p)
{
    cx_exitstack *s = p;
    if (s->cap > KEPT_ENTRIES) {
        cx__dealloc(s->heap);
        s->heap = NULL;
        s->cap = INLINE_ENTRIES;
    }
    if (!pool)
        cx__thread_cache_used();
    s->next = pool;
    pool = s;
}

static entry *entries(cx_exitstack *s) { return s->heap ? s->heap : s->inline_; }

size_t cx_exitstack_size(const cx_exitstack *s) { return s->n; }

/* Returns false when no room can be had (nothing is pushed then). */
static bool make_room(cx_exitstack *s)
{
    if (s->n < s->cap)
        return true;
    size_t cap = s->cap * 2;
    entry *more = cx__alloc(cap * sizeof *more);
    if (!more)
        return false;
    for (size_t i = 0; i < s->n; i++)
        more[i] = entries(s)[i];
    cx__dealloc(s->heap);
    s->heap = more;
    s->cap = cap;
    return true;
}

/* The next slot, counted; filled in place (an entry is as big as a manager:
 * building one aside and copying it costs more than the rest of a push). */
static entry *push_entry(cx_exitstack *s, int kind)
{
    if (!make_room(s))
        cx_raise(&cx_MemoryError, "exitstack: no memory for entry %zu", s->n + 1);
    entry *e = &entries(s)[s->n++];
    e->kind = kind;
    return e;
}

void cx_exitstack_push(cx_exitstack *s, bool (*exit)(void *, cx_error *), void *arg)
{
    entry *e = push_entry(s, ENTRY_EXIT);
    e->u.exit.fn = exit;
    e->u.exit.arg = arg;
}

void cx_exitstack_callback(cx_exitstack *s, void (*fn)(void *), void *arg)
{
    entry *e = push_entry(s, ENTRY_CALLBACK);
    e->u.callback.fn = fn;
    e->u.callback.arg = arg;
}

/* The entry is recorded before enter runs (its state must not move once
 * entered) but only counted once enter returned. */
void *cx_exitstack_enter(cx_exitstack *s, cx_manager m)
{
    if (!make_room(s))
        cx_raise(&cx_MemoryError, "exitstack: no memory for entry %zu", s->n + 1);
    entry *e = &entries(s)[s->n];
    e->kind = ENTRY_MANAGER;
    e->u.manager = m;
    void *value = m.type->enter(e->u.manager.state.bytes);
    s->n++;
    return value;
}

cx_exitstack *cx_exitstack_pop_all(cx_exitstack *s)
{
    cx_exitstack *moved = cx_malloc(sizeof *moved);
    *moved = *s; /* entries move, inline ones with the struct */
    moved->owned = 1;
    s->n = 0;
    s->cap = INLINE_ENTRIES;
    s->heap = NULL;
    return moved;
}

static bool call_entry(entry *e, cx_error *err)
{
    switch (e->kind) {
    case ENTRY_EXIT:
        return e->u.exit.fn(e->u.exit.arg, err);
    case ENTRY_CALLBACK:
        e->u.callback.fn(e->u.callback.arg);
        return false;
    default:
        return e->u.manager.type->exit(e->u.manager.state.bytes, err);
    }
}

typedef struct unwinding {
    cx_exitstack *s;
    cx_error *err;       /* owned: the error the next entry sees */
    bool suppressed;
    bool pending;        /* err was raised by an entry */
} unwinding;

/* Runs entries until one raises (returns that error, owned) or none is left
 * (returns NULL).  As in CPython, entries run while the caller's error is
 * being handled; fix_context then chains what one raised to the error it was
 * given. */
/* noinline: inlined into unwind, clang keeps u's fields in registers across
 * the jump buffer, and a landing sees them as they were at the setjmp. */
__attribute__((noinline)) static cx_error *run_entries(unwinding *u)
{
    cx__jump j;
    if (CX__SETJMP(j.jb))
        return cx__landed();
    cx__jump_push(&j);
    while (u->s->n) {
        entry *e = &entries(u->s)[--u->s->n];
        bool suppress = call_entry(e, u->err);
        if (suppress && u->err) {
            cx_error_unref(u->err);
            u->err = NULL;
            u->suppressed = true;
            u->pending = false;
        }
    }
    cx__jump_pop(&j);
    return NULL;
}

/* The heart of ExitStack.__exit__.  err is borrowed; returns whether the
 * error it was given is suppressed; raises what an entry raised. */
/* CPython's _fix_exception_context: the link of raised's chain that reaches
 * `frame` (what the caller handles) is re-pointed at `given`, the error the
 * entry was given (NULL: none, so no stale context).  A chain that ends before
 * reaching it is left alone, except when nothing was handled at all: then it
 * ends at `given`, as nested with statements would chain it (CPython 3.11
 * loses that link: gh-102201). */
static void fix_context(cx_error *raised, cx_error *given, cx_error *frame)
{
    for (cx_error *e = raised; e; e = cx_error_context(e)) {
        cx_error *c = cx_error_context(e);
        if (c == given)
            return;
        if (c == frame || !c) {
            if (c || !frame)
                cx__error_set_context(e, given);
            return;
        }
    }
}

static bool unwind(cx_exitstack *s, cx_error *err)
{
    unwinding u = {s, cx_error_ref(err), false, false};
    cx_error *frame = cx__handled_error();
    cx_error *raised;
    while ((raised = run_entries(&u))) {
        fix_context(raised, u.err, frame);
        cx_error_unref(u.err);
        u.err = raised;
        u.pending = true;
    }
    if (u.pending)
        cx__propagate(u.err);
    cx_error_unref(u.err);
    return err && u.suppressed;
}

static void stack_free(void *s)
{
    cx__dealloc(((cx_exitstack *)s)->heap);
    cx__dealloc(s);
}

void cx_exitstack_close(cx_exitstack *s)
{
    if (!s->owned) {
        unwind(s, NULL);
        return;
    }
    cx_scope {
        cx_defer(stack_free, s);
        unwind(s, NULL);
    }
}

/* ---- the with-form ---- */

static void *stack_enter(void *state)
{
    cx_exitstack **slot = state;
    *slot = stack_get();
    return *slot;
}

static bool stack_exit(void *state, cx_error *err)
{
    cx_exitstack *s = *(cx_exitstack **)state;
    cx_scope {
        cx_defer(stack_put, s);
        return unwind(s, err);
    }
    return false;
}

static const cx_manager_type exitstack_type = {"ExitStack", stack_enter, stack_exit};

cx_manager cx_exitstack_new(void) { return cx_manager_make(&exitstack_type, NULL, sizeof(void *)); }
