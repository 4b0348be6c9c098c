/* Error objects: creation without malloc on the hot path, reference counts,
 * accessors. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Raising MemoryError must never need memory: this one is static and
 * immortal, so it carries no context or site of its own. */
static cx_error out_of_memory = {
    .type = &cx_MemoryError, .refs = -1, .line = 0, .file = "",
    .func = "", .msg = "out of memory",
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

/* Formats into the inline buffer; a longer message gets a heap copy, or is
 * truncated when none can be had (losing a tail beats losing the error). */
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
        }
    } else if (n < 0) {
        e->inline_msg[0] = '\0';
    }
    va_end(again);
}

/* All but the links (see clear_links). */
static void error_init(cx_error *e, const char *file, int line, const char *func,
                       const cx_type *t)
{
    e->type = t;
    e->refs = 1;
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
    if (e && e->refs > 0)
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

/* Iterative along the chain, so a long context chain cannot overflow the stack. */
__attribute__((noinline)) static void unref_chain(cx_error *e)
{
    while (e && e->refs > 0 && drop_ref(e)) {
        if (e->cause)
            cx_error_unref(e->cause);
        if (e->items) {
            for (size_t i = 0; i < e->nitems; i++)
                cx_error_unref(e->items[i]);
            cx__dealloc(e->items);
        }
        cx_error *next = e->context;
        error_free(e);
        e = next;
    }
}

/* True when e links nothing and its message needs no freeing: tested as one
 * word (one branch, not four). */
static inline bool is_lone(const cx_error *e)
{
    return !((uintptr_t)e->context | (uintptr_t)e->cause | (uintptr_t)e->items |
             (uintptr_t)e->msg_on_heap);
}

/* The common release: the last reference to a lone error with its message
 * in place goes back to the cache with no call and no register saved. */
void cx_error_unref(cx_error *e)
{
    if (e && __atomic_load_n(&e->refs, __ATOMIC_ACQUIRE) == 1 && is_lone(e) &&
        cache.n < CACHE_MAX && cache.drain_pending) {
        cache.slot[cache.n++] = e;
        return;
    }
    unref_chain(e);
}

/* Python's rule for `raise`: the handled error becomes the context, unless
 * that would make a cycle, which is cut where it closes (cut_links_to). */
#define CUT_WALK_MAX 256

/* Cuts every link to e in the chains reachable from `from` (context and
 * cause links both).  Python cuts only the context link that closes the
 * cycle and leaves a cycle through a __cause__ (`raise X from e` then
 * `raise e`) to its collector; cx counts references, so that link goes too.
 * The raised error prints the same: the printer stops at an error seen. */
static void cut_links_to(cx_error *e, cx_error *from)
{
    cx_error *todo[CUT_WALK_MAX], *seen[CUT_WALK_MAX];
    int ntodo = 0, nseen = 0;
    if (from)
        todo[ntodo++] = from;
    while (ntodo) {
        cx_error *c = todo[--ntodo];
        bool again = c->refs < 0; /* the static MemoryError links nothing */
        for (int i = 0; i < nseen && !again; i++)
            again = seen[i] == c;
        if (again)
            continue;
        if (nseen == CUT_WALK_MAX)
            return; /* a pathological graph: a cycle left there only leaks */
        seen[nseen++] = c;
        if (c->context == e) {
            c->context = NULL;
            cx_error_unref(e);
        }
        if (c->cause == e) {
            c->cause = NULL;
            cx_error_unref(e);
        }
        if (c->context && ntodo < CUT_WALK_MAX)
            todo[ntodo++] = c->context;
        if (c->cause && ntodo < CUT_WALK_MAX)
            todo[ntodo++] = c->cause;
    }
}

void cx__error_set_context(cx_error *e, cx_error *context)
{
    if (e->refs < 0 || context == e)
        return;
    cut_links_to(e, context);
    cx_error *old = e->context;
    e->context = cx_error_ref(context);
    cx_error_unref(old);
}

const cx_type *cx_error_type(const cx_error *e) { return e->type; }
const char *cx_error_message(const cx_error *e) { return e->msg; }
int cx_error_errno(const cx_error *e) { return e->errnum; }
bool cx_error_is(const cx_error *e, const cx_type *t) { return e && cx__is_subtype(e->type, t); }
cx_error *cx_error_context(const cx_error *e) { return e->context; }
cx_error *cx_error_cause(const cx_error *e) { return e->cause; }
const char *cx_error_file(const cx_error *e) { return e->file; }
int cx_error_line(const cx_error *e) { return e->line; }
const char *cx_error_function(const cx_error *e) { return e->func; }

bool cx__error_set_items(cx_error *e, cx_error **items, size_t n)
{
    if (n == 0)
        return true;
    cx_error **copy = e->refs > 0 ? cx__alloc(n * sizeof *copy) : NULL;
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
