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
    entry *items;         /* inline_, or from the allocator once grown */
    size_t n, cap;
    int owned;            /* from pop_all: close frees it */
    cx_exitstack *next;   /* in the thread's pool */
    entry inline_[INLINE_ENTRIES];
};

static void storage_free(cx_exitstack *s)
{
    if (s->items != s->inline_)
        cx__dealloc(s->items);
    s->items = s->inline_;
    s->cap = INLINE_ENTRIES;
}

/* Stacks are pooled per thread, so a with over an ExitStack allocates
 * nothing once the thread has used one. */
static __thread cx_exitstack *pool __attribute__((tls_model("initial-exec")));

static void pool_drain(void)
{
    while (pool) {
        cx_exitstack *s = pool;
        pool = s->next;
        storage_free(s);
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
        s->items = s->inline_;
        s->cap = INLINE_ENTRIES;
    }
    s->n = 0;
    s->owned = 0;
    return s;
}

static void stack_put(cx_exitstack *s)
{
    if (s->cap > KEPT_ENTRIES)
        storage_free(s);
    if (!pool)
        cx__thread_cache_used();
    s->next = pool;
    pool = s;
}

size_t cx_exitstack_size(const cx_exitstack *s)
{
    if (!s) {
        cx__null_argument("cx_exitstack_size", "s");
        return 0;
    }
    return s->n;
}

/* The stack is full: doubles its room, or raises (nothing is pushed then). */
__attribute__((noinline)) static void grow(cx_exitstack *s)
{
    size_t cap = s->cap * 2;
    entry *more = cx__alloc(cap * sizeof *more);
    if (!more)
        cx_raise(&cx_MemoryError, "exitstack: no memory for entry %zu", s->n + 1);
    for (size_t i = 0; i < s->n; i++)
        more[i] = s->items[i];
    storage_free(s);
    s->items = more;
    s->cap = cap;
}

static inline bool full(const cx_exitstack *s) { return __builtin_expect(s->n == s->cap, 0); }

static inline void make_room(cx_exitstack *s)
{
    if (full(s))
        grow(s);
}

/* The next slot, counted; filled in place (an entry is as big as a manager:
 * building one aside and copying it costs more than the rest of a push). */
static inline entry *next_entry(cx_exitstack *s, int kind)
{
    entry *e = &s->items[s->n++];
    e->kind = kind;
    return e;
}

static inline void put_exit(cx_exitstack *s, bool (*exit)(void *, cx_error *), void *arg)
{
    entry *e = next_entry(s, ENTRY_EXIT);
    e->u.exit.fn = exit;
    e->u.exit.arg = arg;
}

static inline void put_callback(cx_exitstack *s, void (*fn)(void *), void *arg)
{
    entry *e = next_entry(s, ENTRY_CALLBACK);
    e->u.callback.fn = fn;
    e->u.callback.arg = arg;
}

/* Growing is a tail call of its own, so a push with room saves no register
 * (one grow-then-push for both kinds keeps fn and arg live across its call:
 * 598 -> 678 instructions an exitstack_10). */
__attribute__((noinline)) static void grow_put_exit(cx_exitstack *s,
                                                    bool (*exit)(void *, cx_error *), void *arg)
{
    grow(s);
    put_exit(s, exit, arg);
}

__attribute__((noinline)) static void grow_put_callback(cx_exitstack *s, void (*fn)(void *),
                                                        void *arg)
{
    grow(s);
    put_callback(s, fn, arg);
}

void cx_exitstack_push(cx_exitstack *s, bool (*exit)(void *, cx_error *), void *arg)
{
    if (__builtin_expect(!s, 0))
        return cx__null_argument("cx_exitstack_push", "s");
    if (__builtin_expect(!exit, 0))
        return cx__null_argument("cx_exitstack_push", "exit");
    if (full(s))
        grow_put_exit(s, exit, arg);
    else
        put_exit(s, exit, arg);
}

void cx_exitstack_callback(cx_exitstack *s, void (*fn)(void *), void *arg)
{
    if (__builtin_expect(!s, 0))
        return cx__null_argument("cx_exitstack_callback", "s");
    if (__builtin_expect(!fn, 0))
        return cx__null_argument("cx_exitstack_callback", "fn");
    if (full(s))
        grow_put_callback(s, fn, arg);
    else
        put_callback(s, fn, arg);
}

/* The entry is recorded before enter runs (its state must not move once
 * entered) but only counted once enter returned. */
void *cx_exitstack_enter(cx_exitstack *s, cx_manager m)
{
    if (__builtin_expect(!s, 0)) {
        cx__null_argument("cx_exitstack_enter", "s");
        return NULL;
    }
    if (__builtin_expect(!m.type, 0))
        cx_raise(&cx_ValueError, "cx_exitstack_enter: m has no type");
    make_room(s);
    entry *e = &s->items[s->n];
    e->kind = ENTRY_MANAGER;
    e->u.manager = m;
    void *value = m.type->enter(e->u.manager.state.bytes);
    s->n++;
    return value;
}

cx_exitstack *cx_exitstack_pop_all(cx_exitstack *s)
{
    if (!s) {
        cx__null_argument("cx_exitstack_pop_all", "s");
        return NULL;
    }
    cx_exitstack *moved = cx_malloc(sizeof *moved);
    *moved = *s; /* entries move, inline ones with the struct */
    if (s->items == s->inline_)
        moved->items = moved->inline_;
    moved->owned = 1;
    s->n = 0;
    s->items = s->inline_;
    s->cap = INLINE_ENTRIES;
    return moved;
}

/* A manager's exit runs on a copy taken out of its slot: the slot is free
 * again (run_loop counted it off), so the exit may push onto the stack it
 * is in, whose next entry lands there, or grow it, freeing the storage.  A
 * state is a value that may move (docs/contextlib.md).  Out of line, so the
 * copy does not enlarge run_loop's frame on the callbacks' path. */
__attribute__((noinline)) static bool exit_manager(const entry *e, cx_error *err)
{
    cx_manager m = e->u.manager;
    return m.type->exit(m.state.bytes, err);
}

static bool call_entry(entry *e, cx_error *err)
{
    switch (e->kind) {
    case ENTRY_EXIT:
        return e->u.exit.fn(e->u.exit.arg, err);
    default: /* callbacks are run_loop's own */
        return exit_manager(e, err);
    }
}

typedef struct unwinding {
    cx_exitstack *s;
    cx_error *err;       /* owned: the error the next entry sees */
    bool suppressed;
    bool pending;        /* err was raised by an entry */
} unwinding;

/* Runs the entries left, LIFO.  A callback or exit function may push onto
 * the stack while it unwinds (the new entry runs next, as in CPython), so n
 * and items are read afresh each time; each reads what it calls before the
 * call, as the push reuses its slot (a manager is copied: exit_manager).
 * noinline: kept out of run_entries, whose jump buffer would have every
 * value here reloaded from the stack after each call. */
__attribute__((noinline)) static void run_loop(unwinding *u)
{
    cx_exitstack *s = u->s;
    while (s->n) {
        entry *e = &s->items[--s->n];
        if (e->kind == ENTRY_CALLBACK) {
            e->u.callback.fn(e->u.callback.arg);
            continue;
        }
        if (call_entry(e, u->err) && u->err) {
            cx_error_unref(u->err);
            u->err = NULL;
            u->suppressed = true;
            u->pending = false;
        }
    }
}

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
    run_loop(u);
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

/* The landing restored what is being handled to what it was when unwind
 * began, so `frame` is asked for only when an entry raised. */
static bool unwind(cx_exitstack *s, cx_error *err, cx_error **raised_out)
{
    unwinding u = {s, cx_error_ref(err), false, false};
    cx_error *raised;
    while ((raised = run_entries(&u))) {
        fix_context(raised, u.err, cx__handled_error());
        cx_error_unref(u.err);
        u.err = raised;
        u.pending = true;
    }
    *raised_out = u.pending ? u.err : NULL;
    if (!u.pending)
        cx_error_unref(u.err);
    return err && u.suppressed;
}

/* ExitStack.__exit__ and close: the stack is disposed of (pooled or freed)
 * before what an entry raised propagates, so no deferred call is needed. */
static bool unwind_and_dispose(cx_exitstack *s, cx_error *err,
                               void (*dispose)(cx_exitstack *))
{
    cx_error *raised;
    bool suppressed = unwind(s, err, &raised);
    if (dispose)
        dispose(s);
    if (raised)
        cx__propagate(raised);
    return suppressed;
}

static void stack_free(cx_exitstack *s)
{
    storage_free(s);
    cx__dealloc(s);
}

void cx_exitstack_close(cx_exitstack *s)
{
    if (!s)
        return cx__null_argument("cx_exitstack_close", "s");
    unwind_and_dispose(s, NULL, s->owned ? stack_free : NULL);
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
    return unwind_and_dispose(*(cx_exitstack **)state, err, stack_put);
}

static const cx_manager_type exitstack_type = {"ExitStack", stack_enter, stack_exit};

cx_manager cx_exitstack_new(void) { return cx_manager_make(&exitstack_type, NULL, sizeof(void *)); }
