/* Task stacks: small slots carved from large mappings.  One mmap per task
 * (plus a guard page) would hit vm.max_map_count (65530 by default) long
 * before 100,000 tasks, and give every task a page for its bookkeeping; here
 * a slot's top bytes hold the task and its coroutine, right above the stack,
 * so a task that suspends shallowly touches one page. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sched.h"

static size_t stack_setting = 64 * 1024;

void cx_async_set_stack_size(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (bytes == 0)
        bytes = 64 * 1024;
    if (bytes < 16 * 1024)
        bytes = 16 * 1024;
    __atomic_store_n(&stack_setting, (bytes + page - 1) / page * page, __ATOMIC_RELAXED);
}

size_t cx_async_stack_size(void) { return __atomic_load_n(&stack_setting, __ATOMIC_RELAXED); }

#define SLOTS_PER_CHUNK 128

void cx__slots_init(cx__slots *p)
{
    memset(p, 0, sizeof *p);
    p->slot_size = cx_async_stack_size();
}

void *cx__slot_take(cx__slots *p)
{
    if (p->free) {
        void **slot = p->free;
        p->free = *(void **)((char *)slot + p->slot_size - sizeof(void *));
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
        /* MAP_NORESERVE: only the pages a task touches cost memory. */
        char *m = mmap(NULL, p->slot_size * SLOTS_PER_CHUNK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        p->chunks[p->nchunks++] = m;
        p->next = m;
        p->left = SLOTS_PER_CHUNK;
    }
    void *slot = p->next;
    p->next += p->slot_size;
    p->left--;
    return slot;
}

/* The free list's link lives in the slot's top word, which a task's
 * bookkeeping reuses: the page is already touched. */
void cx__slot_give(cx__slots *p, void *slot)
{
    *(void **)((char *)slot + p->slot_size - sizeof(void *)) = p->free;
    p->free = slot;
}

void cx__slots_release(cx__slots *p)
{
    for (size_t i = 0; i < p->nchunks; i++)
        munmap(p->chunks[i], p->slot_size * SLOTS_PER_CHUNK);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}
