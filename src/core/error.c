/* Error objects: creation without malloc on the hot path, reference counts,
 * accessors. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../port/port.h"

/* Raising MemoryError must never need memory: this one is static and
 * immortal, so it carries no context or site of its own. */
static cx_error out_of_memory = {
    .type = &cx_MemoryError, .refs = -1, .line = 0, .file = "",
    .func = "", .msg = "out of memory", .share = CX__ERR_SHARED,
};

/* A small per-thread cache of freed errors keeps raise/catch off malloc.
 * Thread-locals on hot paths are initial-exec, as cx__ts is (so libcx's
 * thread-local block is static already): the default model in a shared
 * library calls __tls_get_addr, and the caller saves its registers around
 * that call even where the linker turns it into a plain load. */
#define CACHE_MAX 16
/* One thread-local block: its fields share one address load. */
static __thread struct {
    int n;
    /* The thread's end is told once that this cache needs draining (asking
     * each time the cache refills costs a raise/catch a tenth of its time). */
    bool drain_pending;
    cx_error *slot[CACHE_MAX];
} cache __attribute__((tls_model("initial-exec")));

/* This thread, as errors record it: the address of its cache is unique
 * among live threads and costs one instruction to take. */
static inline const void *this_thread(void) { return &cache; }

static inline int refs_of(const cx_error *e)
{
    return __atomic_load_n(&e->refs, __ATOMIC_RELAXED);
}

static void cache_drain(void)
{
    while (cache.n)
        cx__dealloc(cache.slot[--cache.n]);
    cache.drain_pending = false;
}

__attribute__((constructor)) static void cache_register(void)
{
    cx__thread_drain_register(cache_drain);
}

static void cache_put(cx_error *e)
{
    if (!cache.drain_pending) {
        cx__thread_cache_used();
        cache.drain_pending = true;
    }
    cache.slot[cache.n++] = e;
}

/* The links of an error the cache holds are clear (cx_error_unref's fast
 * path puts back only such errors, error_free clears the others): a raise
 * taking one sets the rest only. */
static void clear_links(cx_error *e)
{
    e->msg_on_heap = false;
    e->context = NULL;
    e->cause = NULL;
    e->items = NULL;
    e->nitems = 0;
    e->copy_of = NULL;
}

/* An error with its links clear. */
cx_error *cx__error_alloc(void)
{
    if (cache.n)
        return cache.slot[--cache.n];
    cx_error *e = cx__alloc(sizeof *e);
    if (!e)
        return &out_of_memory;
    clear_links(e);
    return e;
}

static void error_free(cx_error *e)
{
    if (e->msg_on_heap)
        cx__dealloc((char *)e->msg);
    if (cache.n < CACHE_MAX) {
        clear_links(e);
        cache_put(e);
    } else {
        cx__dealloc(e);
    }
}

#define TRUNCATED "...[truncated]"
/* How much of a message printf cannot format whole is kept. */
#define TRUNCATED_KEEP ((size_t)1 << 20)

/* Cuts the inline message so that the truncation mark fits after it. */
static void mark_inline_truncated(cx_error *e)
{
    size_t keep = strnlen(e->inline_msg, sizeof e->inline_msg - sizeof TRUNCATED);
    memcpy(e->inline_msg + keep, TRUNCATED, sizeof TRUNCATED);
    e->msg = e->inline_msg;
}

/* printf refuses a result longer than INT_MAX bytes (EOVERFLOW) and one it
 * cannot encode (EILSEQ), and then says nothing of what it wrote.  Written
 * to a stream of TRUNCATED_KEEP bytes instead, the text up to the failure is
 * kept (the stream refuses the byte past its end, which ends the formatting
 * early), then the mark. */
static void format_truncated(cx_error *e, const char *fmt, va_list ap)
{
    char *heap = cx__alloc(TRUNCATED_KEEP + sizeof TRUNCATED);
    FILE *f = heap ? cx__port_fmemopen(heap, TRUNCATED_KEEP + 1) : NULL;
    if (!f) {
        cx__dealloc(heap);
        e->inline_msg[0] = '\0';
        mark_inline_truncated(e);
        return;
    }
    setvbuf(f, NULL, _IONBF, 0);
    vfprintf(f, fmt, ap);
    long n = ftell(f);
    fclose(f);
    size_t len = n > 0 ? (size_t)n : 0;
    if (len > TRUNCATED_KEEP)
        len = TRUNCATED_KEEP;
    memcpy(heap + len, TRUNCATED, sizeof TRUNCATED);
    e->msg = heap;
    e->msg_on_heap = true;
}

/* Formats into the inline buffer; a longer message gets a heap copy, or is
 * truncated when none can be had (losing a tail beats losing the error).
 * A cut message ends in TRUNCATED. */
static void error_format(cx_error *e, const char *fmt, va_list ap)
{
    /* A short message with no conversion (cx_raise(t, "bad value")) is the
     * format itself: copied in one pass, it costs a fraction of vsnprintf
     * (a plain loop: GCC expands a bounded memcpy into `rep movsq`, whose
     * start-up alone costs more). */
    for (size_t i = 0; i < sizeof e->inline_msg && fmt[i] != '%'; i++) {
        e->inline_msg[i] = fmt[i];
        if (!fmt[i]) {
            e->msg = e->inline_msg;
            return;
        }
    }
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(e->inline_msg, sizeof e->inline_msg, fmt, ap);
    e->msg = e->inline_msg;
    if (n >= (int)sizeof e->inline_msg) {
        char *heap = cx__alloc((size_t)n + 1);
        if (heap) {
            vsnprintf(heap, (size_t)n + 1, fmt, again);
            e->msg = heap;
            e->msg_on_heap = true;
        } else {
            mark_inline_truncated(e);
        }
    } else if (n < 0) {
        format_truncated(e, fmt, again);
    }
    va_end(again);
}

/* All but the links (see clear_links). */
static void error_init(cx_error *e, const char *file, int line, const char *func,
                       const cx_type *t)
{
    if (!file && cx__ts.here) { /* raised by cx itself: the user's call it serves */
        file = cx__ts.here->file;
        line = cx__ts.here->line;
        func = cx__ts.here->func;
    }
    e->type = t;
    e->ntrail = 0;
    __atomic_store_n(&e->refs, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&e->share, CX__ERR_OWNED, __ATOMIC_RELAXED);
    e->home = this_thread();
    e->line = line;
    e->errnum = 0;
    e->suppress_context = 0;
    e->dbcode = 0;
    e->sqlstate[0] = '\0';
    e->file = file;
    e->func = func;
}

cx_error *cx__error_new(const char *file, int line, const char *func,
                        const cx_type *t, const char *fmt, va_list ap)
{
    cx_error *e = cx__error_alloc();
    if (e == &out_of_memory)
        return e;
    error_init(e, file, line, func, t);
    error_format(e, fmt ? fmt : "", ap);
    return e;
}

__attribute__((noinline)) static cx_error *new_literal_uncached(const char *file, int line,
                                                                const char *func,
                                                                const cx_type *t,
                                                                const char *msg)
{
    cx_error *e = cx__error_alloc();
    if (e == &out_of_memory)
        return e;
    error_init(e, file, line, func, t);
    e->msg = msg;
    return e;
}

/* The cached case saves no registers: the allocation is out of line. */
cx_error *cx__error_new_literal(const char *file, int line, const char *func,
                                const cx_type *t, const char *msg)
{
    if (__builtin_expect(!cache.n, 0))
        return new_literal_uncached(file, line, func, t, msg);
    cx_error *e = cache.slot[--cache.n];
    error_init(e, file, line, func, t);
    e->msg = msg;
    return e;
}

cx_error *cx_error_ref(cx_error *e)
{
    if (e && refs_of(e) > 0)
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
    return e;
}

/* True when the reference dropped was the last.  A holder of the only
 * reference needs no locked instruction: no other thread can reach the
 * error to change the count (the acquire load still orders after the
 * release of whoever dropped the one before). */
static inline bool drop_ref(cx_error *e)
{
    if (__atomic_load_n(&e->refs, __ATOMIC_ACQUIRE) == 1)
        return true;
    return __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0;
}

/* The link of dead error e to release next, taken out of e: its cause, else
 * its context, else its original (a copy's copy_of). */
static cx_error *take_next_link(cx_error *e)
{
    cx_error **slot = e->cause ? &e->cause : e->context ? &e->context : &e->copy_of;
    cx_error *next = *slot;
    *slot = NULL;
    return next;
}

/* Iterative, so no chain of contexts, causes or copies' originals, however
 * long, can overflow the stack (an original's own chain may hold a copy, whose
 * original holds another, and so on): an error that dies holding more than
 * one of them is parked (linked through its cause field, the context and
 * original it still holds kept) while its cause is followed, and the rest are
 * taken up, one at a time, when that runs out.  Only an ExceptionGroup's
 * members recurse. */
__attribute__((noinline)) static void unref_chain(cx_error *e)
{
    cx_error *parked = NULL;
    for (;;) {
        while (e && refs_of(e) > 0 && drop_ref(e)) {
            if (e->items) {
                for (size_t i = 0; i < e->nitems; i++)
                    cx_error_unref(e->items[i]);
                cx__dealloc(e->items);
                e->items = NULL;
                e->nitems = 0;
            }
            cx_error *next = take_next_link(e);
            if (e->context || e->copy_of) {
                e->cause = parked; /* taken: the cause, if any, is `next` */
                parked = e;
            } else {
                error_free(e);
            }
            e = next;
        }
        if (!parked)
            return;
        cx_error **slot = parked->context ? &parked->context : &parked->copy_of;
        e = *slot;
        *slot = NULL;
        if (!parked->context && !parked->copy_of) {
            cx_error *done = parked;
            parked = parked->cause;
            error_free(done);
        }
    }
}

/* True when e links nothing and its message needs no freeing: tested as one
 * word (one branch, not four). */
static inline bool is_lone(const cx_error *e)
{
    return !((uintptr_t)e->context | (uintptr_t)e->cause | (uintptr_t)e->items |
             (uintptr_t)e->copy_of | (uintptr_t)e->msg_on_heap);
}

/* The common release: the last reference to a lone error with its message
 * in place goes back to the cache with no call and no register saved. */
void cx_error_unref(cx_error *e)
{
    if (!e) /* the common call: a task or boundary that ended without error */
        return;
    if (__atomic_load_n(&e->refs, __ATOMIC_ACQUIRE) == 1 && is_lone(e) &&
        cache.n < CACHE_MAX && cache.drain_pending) {
        cache.slot[cache.n++] = e;
        return;
    }
    unref_chain(e);
}

/* ---- sharing ----
 *
 * Python's `raise e` changes e (its __context__).  An error held by two
 * threads cannot be changed that way: the other thread may be walking the
 * very link being replaced, whose old target the change frees.  So an error
 * is changed in place only by the thread that made it and only until another
 * thread first reads its links; from then on it is frozen, and a raise that
 * would change it raises a copy (same type, message, site, cause and
 * errno) carrying the new context instead.  One thread alone sees Python's
 * semantics exactly. */

static void spin_pause(unsigned *n)
{
    if (++*n % 64 == 0)
        sched_yield(); /* the home thread was preempted inside its change */
}

/* Freezes e (if another thread made it) before this thread reads its links. */
void cx__error_observe(const cx_error *ce)
{
    cx_error *e = (cx_error *)ce; /* only the share state changes */
    if (e->home == this_thread())
        return;
    unsigned char s = __atomic_load_n(&e->share, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    while (s != CX__ERR_SHARED) {
        if (s == CX__ERR_BUSY) {
            spin_pause(&n);
            s = __atomic_load_n(&e->share, __ATOMIC_ACQUIRE);
        } else if (__atomic_compare_exchange_n(&e->share, &s, CX__ERR_SHARED, false,
                                               __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            return;
        }
    }
}

/* Claims e's links for a change by this thread; false when it may not
 * change them (another thread made e, or has read it). */
static bool claim(cx_error *e)
{
    unsigned char s = CX__ERR_OWNED;
    return e->home == this_thread() &&
           __atomic_compare_exchange_n(&e->share, &s, CX__ERR_BUSY, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void release(cx_error *e) { __atomic_store_n(&e->share, CX__ERR_OWNED, __ATOMIC_RELEASE); }

void cx__error_passed(cx_error *e, const char *what, const cx__site *site)
{
    CX_ASSERT(e != NULL && what != NULL);
    if (!site || refs_of(e) <= 0 || !claim(e)) /* no site: cx's own statement */
        return;
    if (e->ntrail < CX__TRAIL)
        e->trail[e->ntrail] = (cx__trail){what, *site};
    e->ntrail++;
    release(e);
}

unsigned cx__error_trail_mark(const cx_error *e)
{
    CX_ASSERT(e != NULL);
    return e->ntrail;
}

void cx__error_trail_cut(cx_error *e, unsigned mark)
{
    CX_ASSERT(e != NULL);
    if (refs_of(e) <= 0 || e->ntrail <= mark || !claim(e))
        return;
    e->ntrail = mark;
    release(e);
}

/* ---- the walk that finds a cycle ----
 *
 * Python's rule for `raise e`: the handled error becomes e's context, and a
 * cycle that would close is cut where it closes.  CPython follows the
 * __context__ chain only (Floyd's algorithm guards it) and leaves a cycle
 * through a __cause__ or an ExceptionGroup to its collector; cx counts
 * references, so it searches every link, to any depth: each error reachable
 * from the handled one is visited once (a set of those seen), on an
 * explicit stack, both on the heap past a small start. */

#define WALK_INLINE 32

typedef struct {
    cx_error **slot;  /* open addressing; NULL is empty */
    size_t cap, n;    /* cap is a power of two */
    cx_error *inline_[WALK_INLINE];
} ptr_set;

typedef struct {
    cx_error **item;
    size_t cap, n;
    cx_error *inline_[WALK_INLINE];
} ptr_stack;

static size_t ptr_hash(const cx_error *p, size_t cap)
{
    uintptr_t h = (uintptr_t)p;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (cap - 1);
}

static void set_init(ptr_set *s)
{
    s->slot = s->inline_;
    s->cap = WALK_INLINE;
    s->n = 0;
    memset(s->inline_, 0, sizeof s->inline_);
}

static void set_fini(ptr_set *s)
{
    if (s->slot != s->inline_)
        cx__dealloc(s->slot);
}

static void set_place(cx_error **slot, size_t cap, cx_error *p)
{
    size_t i = ptr_hash(p, cap);
    while (slot[i])
        i = (i + 1) & (cap - 1);
    slot[i] = p;
}

/* Adds p; 1 when new, 0 when there already, -1 when no memory. */
static int set_add(ptr_set *s, cx_error *p)
{
    for (size_t i = ptr_hash(p, s->cap); s->slot[i]; i = (i + 1) & (s->cap - 1))
        if (s->slot[i] == p)
            return 0;
    if (2 * (s->n + 1) > s->cap) { /* kept at most half full */
        size_t cap = 2 * s->cap;
        cx_error **slot = cx__alloc(cap * sizeof *slot);
        if (!slot)
            return -1;
        memset(slot, 0, cap * sizeof *slot);
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                set_place(slot, cap, s->slot[i]);
        set_fini(s);
        s->slot = slot;
        s->cap = cap;
    }
    set_place(s->slot, s->cap, p);
    s->n++;
    return 1;
}

static void stack_init(ptr_stack *s)
{
    s->item = s->inline_;
    s->cap = WALK_INLINE;
    s->n = 0;
}

static void stack_fini(ptr_stack *s)
{
    if (s->item != s->inline_)
        cx__dealloc(s->item);
}

static bool stack_push(ptr_stack *s, cx_error *p)
{
    if (s->n == s->cap) {
        size_t cap = 2 * s->cap;
        cx_error **item = cx__alloc(cap * sizeof *item);
        if (!item)
            return false;
        memcpy(item, s->item, s->n * sizeof *item);
        stack_fini(s);
        s->item = item;
        s->cap = cap;
    }
    s->item[s->n++] = p;
    return true;
}

/* Collects into `cuts` every error reachable from `from` with a context,
 * cause or copy_of link to e, following all four kinds of link: a copy holds
 * its original, so a copy of e reached from `from` closes a loop as e would.
 * False when e cannot be cut out that way (an ExceptionGroup reached holds
 * e) or memory ran out. */
static bool find_links_to(cx_error *e, cx_error *from, ptr_stack *cuts)
{
    ptr_set seen;
    ptr_stack todo;
    set_init(&seen);
    stack_init(&todo);
    bool ok = stack_push(&todo, from);
    while (ok && todo.n) {
        cx_error *c = todo.item[--todo.n];
        if (c == e || refs_of(c) < 0) /* the static MemoryError links nothing */
            continue;
        int added = set_add(&seen, c);
        if (added <= 0) {
            ok = added == 0;
            continue;
        }
        cx__error_observe(c);
        if (c->context == e || c->cause == e || c->copy_of == e)
            ok = stack_push(cuts, c);
        for (size_t i = 0; ok && i < c->nitems; i++)
            ok = c->items[i] != e && stack_push(&todo, c->items[i]);
        if (ok && c->context && c->context != e)
            ok = stack_push(&todo, c->context);
        if (ok && c->cause && c->cause != e)
            ok = stack_push(&todo, c->cause);
        if (ok && c->copy_of && c->copy_of != e)
            ok = stack_push(&todo, c->copy_of);
    }
    stack_fini(&todo);
    set_fini(&seen);
    return ok;
}

/* Whether c's link to e is one Python cuts: a context link on the handled
 * error's context chain.  Python leaves any other (a cause, a group's
 * member, a context reached through either) to its collector, as a loop;
 * a copy's link to its original is no link to Python and cannot be cut;
 * cx has none, so the raise takes a copy of e instead, which closes no loop
 * and prints as e (cx_error_print stops where the chain comes back to it). */
static bool on_context_chain(const cx_error *c, const cx_error *e, const cx_error *handled)
{
    if (c->context != e || c->cause == e || c->copy_of == e)
        return false;
    for (const cx_error *h = handled; h; h = h->context)
        if (h == c)
            return true;
    return false;
}

/* Sets e's context to `context`, cutting the link to e on its context chain;
 * false (nothing changed) when another link reaches e (on_context_chain),
 * this thread may not change an error that would have to change, or memory
 * ran out.  `unlinked`: the caller knows
 * nothing else holds e (a new error, its only reference the raise's), so
 * no cycle can close and no other thread can be reading it. */
static bool set_context_in_place(cx_error *e, cx_error *context, bool unlinked)
{
    if (unlinked) { /* no other holder, so no other thread can read e */
        cx_error *old = e->context;
        e->context = cx_error_ref(context);
        cx_error_unref(old);
        return true;
    }
    ptr_stack cuts;
    stack_init(&cuts);
    bool ok = !context || find_links_to(e, context, &cuts);
    for (size_t i = 0; ok && i < cuts.n; i++)
        ok = on_context_chain(cuts.item[i], e, context);
    bool have_e = ok && claim(e);
    size_t claimed = 0;
    while (have_e && claimed < cuts.n && claim(cuts.item[claimed]))
        claimed++;
    ok = have_e && claimed == cuts.n;
    int dropped = 0;
    cx_error *old = NULL;
    if (ok) {
        for (size_t i = 0; i < cuts.n; i++) {
            cx_error *c = cuts.item[i];
            if (c->context == e) {
                c->context = NULL;
                dropped++;
            }
            if (c->cause == e) {
                c->cause = NULL;
                dropped++;
            }
        }
        old = e->context;
        e->context = cx_error_ref(context);
    }
    while (claimed)
        release(cuts.item[--claimed]);
    if (have_e)
        release(e);
    stack_fini(&cuts);
    /* Dropped once the links are released: freeing a chain takes a while. */
    cx_error_unref(old);
    while (dropped--)
        cx_error_unref(e);
    return ok;
}

/* A copy of e for a raise that may not change e: its own reference count
 * and links; NULL when no memory. */
static cx_error *error_copy(const cx_error *e)
{
    cx_error *c = cx__error_alloc();
    if (c == &out_of_memory)
        return NULL;
    error_init(c, e->file, e->line, e->func, e->type);
    c->file = e->file; /* as it was, even unknown */
    c->ntrail = e->ntrail;
    memcpy(c->trail, e->trail, sizeof c->trail);
    c->errnum = e->errnum;
    c->suppress_context = e->suppress_context;
    c->dbcode = e->dbcode;
    memcpy(c->sqlstate, e->sqlstate, sizeof c->sqlstate);
    if (e->msg == e->inline_msg) {
        memcpy(c->inline_msg, e->inline_msg, strlen(e->inline_msg) + 1);
        c->msg = c->inline_msg;
    } else if (e->msg_on_heap) {
        size_t len = strlen(e->msg) + 1;
        char *msg = cx__alloc(len);
        if (!msg) {
            error_free(c);
            return NULL;
        }
        c->msg = memcpy(msg, e->msg, len);
        c->msg_on_heap = true;
    } else {
        c->msg = e->msg; /* a literal */
    }
    if (e->nitems) {
        cx_error **items = cx__alloc(e->nitems * sizeof *items);
        if (!items) {
            unref_chain(c);
            return NULL;
        }
        for (size_t i = 0; i < e->nitems; i++)
            items[i] = cx_error_ref(e->items[i]);
        c->items = items;
        c->nitems = e->nitems;
    }
    c->cause = cx_error_ref(e->cause);
    c->copy_of = cx_error_ref(e->copy_of ? e->copy_of : (cx_error *)e);
    return c;
}

/* Whether e and context are, to Python, the same object: raising the error
 * being handled leaves its context as it is. */
static bool same_to_python(const cx_error *e, const cx_error *context)
{
    return context && cx__error_original(e) == cx__error_original(context);
}

cx_error *cx__error_chain(cx_error *e, cx_error *context)
{
    int refs = refs_of(e);
    if (refs == 1 && !e->copy_of) { /* a new error, the raise its only holder (so context != e) */
        cx_error *old = e->context;
        e->context = cx_error_ref(context);
        if (__builtin_expect(old != NULL, 0))
            cx_error_unref(old);
        return e;
    }
    if (refs < 0 || context == e)
        return e;
    if (same_to_python(e, context)) {
        /* e and the handled error are copies of one error (or a copy and its
         * original): Python raises the handled one as it is.  Setting the
         * one's context to the other would close a loop through copy_of. */
        cx_error_ref(context);
        cx_error_unref(e);
        return context;
    }
    cx__error_observe(e);
    if (e->context == context || set_context_in_place(e, context, false))
        return e;
    cx_error *c = error_copy(e);
    if (!c)
        return e; /* no memory: raised as it is, its context unchanged */
    c->context = cx_error_ref(context);
    cx_error_unref(e);
    return c;
}

void cx__error_set_context(cx_error *e, cx_error *context)
{
    if (refs_of(e) < 0 || context == e || same_to_python(e, context))
        return;
    cx__error_observe(e);
    if (e->context != context)
        set_context_in_place(e, context, false);
}

/* The accessors take NULL (and give NULL, 0 or false), so a chain can be
 * walked without a test at each step. */
const cx_type *cx_error_type(const cx_error *e) { return e ? e->type : NULL; }
const char *cx_error_message(const cx_error *e) { return e ? e->msg : NULL; }
int cx_error_errno(const cx_error *e) { return e ? e->errnum : 0; }
bool cx_error_is(const cx_error *e, const cx_type *t) { return e && t && cx__is_subtype(e->type, t); }
const char *cx_error_file(const cx_error *e) { return e ? e->file : NULL; }
int cx_error_line(const cx_error *e) { return e ? e->line : 0; }
const char *cx_error_function(const cx_error *e) { return e ? e->func : NULL; }

cx_error *cx_error_context(const cx_error *e)
{
    if (!e)
        return NULL;
    cx__error_observe(e);
    return e->context;
}

cx_error *cx_error_cause(const cx_error *e)
{
    if (!e)
        return NULL;
    cx__error_observe(e);
    return e->cause;
}

bool cx__error_set_items(cx_error *e, cx_error **items, size_t n)
{
    if (n == 0)
        return true;
    cx_error **copy = refs_of(e) > 0 ? cx__alloc(n * sizeof *copy) : NULL;
    if (!copy) {
        for (size_t i = 0; i < n; i++)
            cx_error_unref(items[i]);
        return false;
    }
    memcpy(copy, items, n * sizeof *copy);
    e->items = copy;
    e->nitems = n;
    return true;
}

size_t cx__error_item_count(const cx_error *e) { return e->nitems; }
cx_error *cx__error_item(const cx_error *e, size_t i) { return i < e->nitems ? e->items[i] : NULL; }
