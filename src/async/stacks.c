/* Task stacks: small slots carved from large mappings.  One mmap per task
 * (plus a guard page) would hit vm.max_map_count (65530 by default) long
 * before 100,000 tasks, and give every task a page for its bookkeeping; here
 * a slot's top bytes hold the task and its coroutine, right above the stack,
 * so a task that suspends shallowly touches one page.
 *
 * When a loop ends its chunks are kept, mapped and with the pages its tasks
 * touched, for the next loop (on any thread) whose tasks have stacks of the
 * same size: the kernel supplying fresh zeroed pages, and taking them back,
 * was a quarter of the time of a loop running 100,000 tasks.  What is kept
 * is the most any loop had at once, as malloc keeps freed memory. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sched.h"
#include "../port/port.h"

/* A chunk maps 128 slots: 32 GiB of address space at the largest. */
#define CX__TASK_MAX_STACK ((size_t)256 << 20)

static size_t stack_setting = 64 * 1024;

void cx_async_set_stack_size(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (bytes > CX__TASK_MAX_STACK)
        cx_raise(&cx_ValueError, "cx_async_set_stack_size: %zu bytes is more than %zu", bytes,
                 (size_t)CX__TASK_MAX_STACK);
    if (bytes == 0)
        bytes = 64 * 1024;
    if (bytes < 16 * 1024)
        bytes = 16 * 1024;
    __atomic_store_n(&stack_setting, (bytes + page - 1) / page * page, __ATOMIC_RELAXED);
}

size_t cx_async_stack_size(void) { return __atomic_load_n(&stack_setting, __ATOMIC_RELAXED); }

#define SLOTS_PER_CHUNK CX__SLOTS_PER_CHUNK

/* The chunks of the loops that ended (process-wide; cx_run is rare, so a
 * mutex costs nothing per task). */
static struct {
    pthread_mutex_t lock;
    size_t slot_size;
    char **chunks;
    size_t n, cap;
} kept = {.lock = PTHREAD_MUTEX_INITIALIZER};

static char *kept_take(size_t slot_size)
{
    char *m = NULL;
    pthread_mutex_lock(&kept.lock);
    if (kept.n && kept.slot_size == slot_size)
        m = kept.chunks[--kept.n];
    pthread_mutex_unlock(&kept.lock);
    return m;
}

/* Keeps p's chunks (unmaps them if there is no room to note them). */
static void kept_give(cx__slots *p)
{
    pthread_mutex_lock(&kept.lock);
    if (kept.slot_size != p->slot_size) { /* the stack size changed: the old ones go */
        for (size_t i = 0; i < kept.n; i++)
            munmap(kept.chunks[i], kept.slot_size * SLOTS_PER_CHUNK);
        kept.n = 0;
        kept.slot_size = p->slot_size;
    }
    if (kept.cap - kept.n < p->nchunks) {
        size_t cap = kept.n + p->nchunks;
        char **chunks = realloc(kept.chunks, cap * sizeof *chunks);
        if (chunks) {
            kept.chunks = chunks;
            kept.cap = cap;
        }
    }
    size_t i = 0;
    for (; i < p->nchunks && kept.n < kept.cap; i++)
        kept.chunks[kept.n++] = p->chunks[i];
    pthread_mutex_unlock(&kept.lock);
    for (; i < p->nchunks; i++)
        munmap(p->chunks[i], p->slot_size * SLOTS_PER_CHUNK);
}

void cx__slots_init(cx__slots *p)
{
    memset(p, 0, sizeof *p);
    p->slot_size = cx_async_stack_size();
}


static void **slot_link(cx__slots *p, void *slot)
{
    return (void **)((char *)slot + p->slot_size - sizeof(void *));
}

void *cx__slot_take_given(cx__slots *p)
{
    void *slot = p->free;
    if (slot)
        p->free = *slot_link(p, slot);
    return slot;
}

void *cx__slot_take(cx__slots *p, size_t *index, bool *fresh)
{
    void *slot = cx__slot_take_given(p); /* its top is the likeliest in cache */
    if (slot) {
        *fresh = false;
        return slot;
    }
    if (p->left == 0) {
        if (p->nchunks == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 16;
            char **chunks = realloc(p->chunks, cap * sizeof *chunks);
            if (!chunks)
                return NULL;
            p->chunks = chunks;
            p->cap = cap;
        }
        char *m = kept_take(p->slot_size);
        if (!m) {
            /* Only the pages a task touches cost memory (port.h). */
            m = mmap(NULL, p->slot_size * SLOTS_PER_CHUNK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | CX__MAP_NORESERVE, -1, 0);
            if (m == MAP_FAILED)
                return NULL;
        }
        p->chunks[p->nchunks++] = m;
        p->next = m;
        p->left = SLOTS_PER_CHUNK;
    }
    slot = p->next;
    *index = (p->nchunks - 1) * SLOTS_PER_CHUNK + (SLOTS_PER_CHUNK - p->left);
    *fresh = true;
    p->next += p->slot_size;
    p->left--;
    return slot;
}

/* The free list's link lives in the slot's top word, which a task's
 * bookkeeping reuses: the page is already touched. */
void cx__slot_give(cx__slots *p, void *slot)
{
    *slot_link(p, slot) = p->free;
    p->free = slot;
}

void cx__slots_release(cx__slots *p)
{
    kept_give(p);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}
