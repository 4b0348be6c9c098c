/* The allocator every cx allocation goes through, replaceable for embedding
 * and for fault-injection tests. */
#include <stdlib.h>

#include "internal.h"

static void *(*alloc_fn)(size_t) = malloc;
static void *(*realloc_fn)(void *, size_t) = realloc;
static void (*free_fn)(void *) = free;

void cx_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t),
                      void (*f)(void *))
{
    alloc_fn = m ? m : malloc;
    realloc_fn = r ? r : realloc;
    free_fn = f ? f : free;
}

void *cx__alloc(size_t n) { return alloc_fn(n ? n : 1); }
void *cx__realloc(void *p, size_t n) { return realloc_fn(p, n ? n : 1); }
void cx__dealloc(void *p) { if (p) free_fn(p); }

void *cx_malloc(size_t n)
{
    void *p = cx__alloc(n);
    if (!p)
        cx_raise(&cx_MemoryError, "cannot allocate %zu bytes", n);
    return p;
}

void *cx_realloc(void *p, size_t n)
{
    void *q = cx__realloc(p, n);
    if (!q)
        cx_raise(&cx_MemoryError, "cannot allocate %zu bytes", n);
    return q;
}

void cx_free(void *p) { cx__dealloc(p); }
