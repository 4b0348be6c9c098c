/* Per-thread caches (errors, ExitStacks, ...) are emptied when their thread
 * ends, or leak checkers would rightly complain. */
#include <pthread.h>

#include "internal.h"

#define MAX_DRAINS 8

static void (*drains[MAX_DRAINS])(void);
static int ndrains;
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Whether this thread's key is set: caches say they are used each time they
 * refill, which must cost no more than this test. */
static __thread bool marked;

static void drain_all(void *unused)
{
    (void)unused;
    marked = false; /* a drain that refills a cache sets the key again */
    for (int i = 0; i < ndrains; i++)
        drains[i]();
}

static void make_key(void) { pthread_key_create(&key, drain_all); }

/* Called from constructors, before any thread but main exists. */
void cx__thread_drain_register(void (*drain)(void))
{
    if (ndrains < MAX_DRAINS)
        drains[ndrains++] = drain;
}

/* Empties the calling thread's caches now: a leak check (the test harness's
 * gate) then sees only what the program holds. */
CX_API void cx__thread_drain(void) { drain_all(NULL); }

void cx__thread_cache_used(void)
{
    if (marked)
        return;
    pthread_once(&once, make_key);
    if (!pthread_getspecific(key))
        pthread_setspecific(key, &key);
    marked = true;
}
