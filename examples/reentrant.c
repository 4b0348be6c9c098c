/* Common Pitfalls and Solutions / 2. Not Making Context Managers Reentrant
 * When Needed: the guide's ReentrantContextManager on a cx_rlock, entered
 * again by a nested call; another thread really waits for the outermost
 * release.  A plain mutex entered twice is reported, not deadlocked. */
#include <pthread.h>

#include "examples.h"

typedef struct {
    cx_rlock lock; /* Reentrant lock */
    int count;
} reentrant_context_manager;

static void *rcm_enter(void *state)
{
    reentrant_context_manager *self = *(reentrant_context_manager **)state;
    cx_manager acquire = cx_lock(&self->lock);
    cx_manager_enter(&acquire);
    self->count += 1;
    printf("  Lock acquired (depth: %d)\n", self->count);
    return self;
}

static bool rcm_exit(void *state, cx_error *err)
{
    reentrant_context_manager *self = *(reentrant_context_manager **)state;
    (void)err;
    self->count -= 1;
    printf("  Lock released (depth: %d)\n", self->count);
    cx_manager release = cx_lock(&self->lock);
    cx_manager_exit(&release, NULL);
    return false;
}

static const cx_manager_type rcm_type = {"ReentrantContextManager", rcm_enter, rcm_exit};

static reentrant_context_manager manager_object = {CX_RLOCK_INIT, 0};

static cx_manager manager(void)
{
    reentrant_context_manager *self = &manager_object;
    return cx_manager_make(&rcm_type, &self, sizeof self);
}

static void nested_function(void)
{
    cx_using (manager());
    puts("  Inner function");
}

static void *other_thread(void *unused)
{
    (void)unused;
    cx_using (manager());
    puts("  Other thread: got the lock once the outer function let go");
    return NULL; /* released here */
}

static void outer_function(void)
{
    pthread_t other;
    {
        cx_using (manager());
        puts("  Outer function");
        int rc = pthread_create(&other, NULL, other_thread, NULL);
        if (rc != 0)
            cx_raise_errno(rc, "pthread_create");
        sleep_s(0.1); /* the other thread is now blocked on the lock */
        nested_function(); /* This works because it's reentrant */
    }
    pthread_join(other, NULL);
}

void example_reentrant(void)
{
    outer_function();

    puts("The same nesting on a plain mutex:");
    static pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
    cx_try {
        cx_using (cx_lock(&plain));
        cx_using (cx_lock(&plain)); /* raises: the first one unlocks */
        puts("  not reached");
    } cx_except (&cx_RuntimeError, e) {
        show_error_line(e);
    }
}
