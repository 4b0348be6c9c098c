/* Built-in Context Managers / Threading Locks: four threads add to one
 * counter, each increment after `cx_using (cx_lock(&lock));`, which unlocks
 * at the end of the loop body. */
#include <pthread.h>

#include "examples.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long shared_resource;

enum { THREADS = 4, INCREMENTS = 25000 };

static void *worker(void *unused)
{
    (void)unused;
    for (int i = 0; i < INCREMENTS; i++) {
        cx_using (cx_lock(&lock));
        /* Critical section - only one thread can execute this */
        shared_resource += 1;
    }
    return NULL;
}

void example_threading_locks(void)
{
    shared_resource = 0;
    {
        cx_using (cx_lock(&lock));
        shared_resource += 1;
        printf("  Modified shared resource: %ld\n", shared_resource);
    }

    shared_resource = 0;
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        int rc = pthread_create(&threads[t], NULL, worker, NULL);
        if (rc != 0)
            cx_raise_errno(rc, "pthread_create");
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    printf("  %d threads x %d locked increments: shared resource = %ld\n", THREADS,
           INCREMENTS, shared_resource);
}
