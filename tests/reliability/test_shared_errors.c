/* Errors shared between threads: raised, chained, printed and dropped from
 * eight threads at once.  Every name says "thread", so `make tsan` runs
 * them; `make sanitize` runs them under ASan.  A thread counts what it finds
 * wrong (CHECK belongs to the main thread) and the main thread checks the
 * counts; the harness's leak gate then proves every error was freed. */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define THREADS 8
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(CX_TEST_UNDER_VALGRIND)
#define ROUNDS 200
#elif defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define ROUNDS 400 /* TSan serialises atomics on one address: 8 threads on one error take ~25x longer */
#else
#define ROUNDS 3000
#endif
#define SHARED 4 /* errors made by the main thread, read by all */
#define SLOTS 4  /* errors a worker makes and hands to the others */

static cx_error *shared[SHARED];
static struct {
    pthread_mutex_t lock;
    cx_error *e;
} slot[SLOTS] = {[0 ... SLOTS - 1] = {PTHREAD_MUTEX_INITIALIZER, NULL}};
static atomic_long wrong;
static atomic_int go;

static void count_wrong(bool bad, const char *what)
{
    if (bad && atomic_fetch_add(&wrong, 1) < 5)
        fprintf(stderr, "thread check failed: %s\n", what);
}

static cx_error *slot_take(int i)
{
    pthread_mutex_lock(&slot[i].lock);
    cx_error *e = cx_error_ref(slot[i].e);
    pthread_mutex_unlock(&slot[i].lock);
    return e;
}

static void slot_put(int i, cx_error *e)
{
    pthread_mutex_lock(&slot[i].lock);
    cx_error *old = slot[i].e;
    slot[i].e = e;
    pthread_mutex_unlock(&slot[i].lock);
    cx_error_unref(old);
}

struct act {
    cx_error *e; /* the error to raise again */
    int id, round;
};

/* `raise e` while handling an error of this thread's own. */
static void throw_while_handling(void *arg)
{
    struct act *a = arg;
    cx_try {
        cx_raise(&cx_KeyError, "own %d.%d", a->id, a->round);
    } cx_except_any (h) {
        cx_throw(a->e);
    }
}

/* `raise RuntimeError(...) from e` while handling one of its own. */
static void raise_from_while_handling(void *arg)
{
    struct act *a = arg;
    cx_try {
        cx_raise(&cx_IndexError, "own %d.%d", a->id, a->round);
    } cx_except_any (h) {
        cx_raise_from(&cx_RuntimeError, a->e, "from shared %d.%d", a->id, a->round);
    }
}

static void raise_worker_error(void *arg)
{
    struct act *a = arg;
    cx_try {
        cx_raise(&cx_TypeError, "inner %d.%d", a->id, a->round);
    } cx_except_any (h) {
        cx_raise(&cx_ValueError, "published %d.%d", a->id, a->round);
    }
}

static bool printed_has(const cx_error *e, const char *a, const char *b)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return false;
    cx_error_print(e, mem);
    fclose(mem);
    bool ok = strstr(text, a) && (!b || strstr(text, b));
    free(text);
    return ok;
}

/* One error, thrown, chained to, printed and dropped. */
static void exercise(cx_error *s, int id, int round)
{
    char own[32];
    snprintf(own, sizeof own, "own %d.%d", id, round);
    struct act a = {s, id, round};

    cx_error *r = cx_protect(throw_while_handling, &a);
    count_wrong(!r || cx_error_type(r) != cx_error_type(s), "raise e keeps the type");
    count_wrong(strcmp(cx_error_message(r), cx_error_message(s)) != 0, "raise e keeps the message");
    cx_error *ctx = cx_error_context(r);
    count_wrong(!ctx || strcmp(cx_error_message(ctx), own) != 0, "raise e chains the handled error");
    /* Python prints e's cause, when it has one, in place of its context. */
    count_wrong(!printed_has(r, cx_error_cause(s) ? cx_error_message(cx_error_cause(s)) : own,
                             cx_error_message(s)),
                "print shows both");
    cx_error_unref(r);

    r = cx_protect(raise_from_while_handling, &a);
    count_wrong(!r || cx_error_cause(r) != s, "raise from keeps the shared cause");
    count_wrong(!printed_has(r, "direct cause", cx_error_message(s)), "print shows the cause");
    cx_error_unref(r);
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    while (!atomic_load(&go))
        ;
    cx_error *mine = NULL;
    for (int round = 0; round < ROUNDS; round++) {
        exercise(shared[(id + round) % SHARED], id, round);

        /* Hand a fresh error of this thread's own to the others, keep it, and
         * raise it again here while they may be reading it. */
        if (round % 8 == 0) {
            struct act a = {NULL, id, round};
            cx_error_unref(mine);
            mine = cx_protect(raise_worker_error, &a);
            slot_put((id + round) % SLOTS, cx_error_ref(mine));
        }
        if (mine)
            exercise(mine, id, round);

        cx_error *other = slot_take((id + round + 1) % SLOTS);
        if (other) {
            exercise(other, id, round);
            cx_error_unref(other);
        }
    }
    cx_error_unref(mine);
    return NULL;
}

static void raise_shared(void *arg)
{
    int i = (int)(long)arg;
    switch (i % 3) {
    case 0:
        cx_raise(&cx_ValueError, "shared %d", i);
    case 1: /* with a context */
        cx_try {
            cx_raise(&cx_KeyError, "shared context %d", i);
        } cx_except_any (e) {
            cx_raise(&cx_OSError, "shared %d", i);
        }
        break; /* not reached: the handler raises */
    default: /* with a cause */
        cx_try {
            cx_raise(&cx_KeyError, "shared cause %d", i);
        } cx_except_any (e) {
            cx_raise_from(&cx_RuntimeError, e, "shared %d", i);
        }
    }
}

TEST(errors_shared_between_threads_raised_chained_printed_and_dropped_stay_intact)
{
    for (long i = 0; i < SHARED; i++)
        shared[i] = cx_protect(raise_shared, (void *)i);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    atomic_store(&go, 1);
    /* The main thread drops its references while the workers run. */
    for (int i = 0; i < SHARED; i++)
        for (int j = 0; j < THREADS; j++)
            cx_error_ref(shared[i]);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < SHARED; i++) {
        CHECK(printed_has(shared[i], "shared", NULL));
        for (int j = 0; j <= THREADS; j++)
            cx_error_unref(shared[i]);
    }
    for (int i = 0; i < SLOTS; i++)
        slot_put(i, NULL);
    CHECK_EQ(atomic_load(&wrong), 0);
}

/* ---- the tester's case: one error, several throwers ---- */

static cx_error *one;

static void *throw_one_many_times(void *arg)
{
    int id = (int)(long)arg;
    while (!atomic_load(&go))
        ;
    for (int round = 0; round < ROUNDS; round++) {
        struct act a = {one, id, round};
        cx_error *r = cx_protect(throw_while_handling, &a);
        cx_error *ctx = cx_error_context(r);
        char own[32];
        snprintf(own, sizeof own, "own %d.%d", id, round);
        count_wrong(!ctx || strcmp(cx_error_message(ctx), own) != 0, "context is this thread's");
        cx_error_unref(r);
    }
    return NULL;
}

static void raise_one(void *arg) { (void)arg; cx_raise(&cx_ValueError, "one for all"); }

TEST(threads_throwing_one_shared_error_while_handling_their_own_corrupt_nothing)
{
    atomic_store(&go, 0);
    one = cx_protect(raise_one, NULL);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, throw_one_many_times, (void *)i), 0);
    atomic_store(&go, 1);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK_EQ(atomic_load(&wrong), 0);
    /* Shared with other threads, the error itself was never changed. */
    CHECK(cx_error_context(one) == NULL);
    CHECK_STR(cx_error_message(one), "one for all");
    cx_error_unref(one);
}

/* ---- what a thread sees of an error another thread has read ---- */

static void *read_context(void *arg)
{
    return cx_error_context(arg);
}

static void throw_one_in_handler(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "handled here");
    } cx_except_any (h) {
        cx_throw(one);
    }
}

TEST(throw_of_an_error_another_thread_has_read_raises_a_copy_with_the_new_context)
{
    one = cx_protect(raise_one, NULL);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, read_context, one), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    cx_error *r = cx_protect(throw_one_in_handler, NULL);
    CHECK(r != one);
    CHECK(cx_error_type(r) == &cx_ValueError);
    CHECK_STR(cx_error_message(r), "one for all");
    CHECK_STR(cx_error_function(r), "raise_one");
    CHECK_STR(cx_error_message(cx_error_context(r)), "handled here");
    CHECK(cx_error_context(one) == NULL);
    cx_error_unref(r);
    cx_error_unref(one);
}

TEST(throw_of_an_error_no_other_thread_has_read_changes_it_in_place)
{
    one = cx_protect(raise_one, NULL);
    cx_error *r = cx_protect(throw_one_in_handler, NULL);
    CHECK(r == one);
    CHECK_STR(cx_error_message(cx_error_context(one)), "handled here");
    cx_error_unref(r);
    cx_error_unref(one);
}

/* cx_MemoryError never needs memory: with none left, the handled error is
 * the static MemoryError and no copy can be had, so the shared error is
 * raised as it is, its context unchanged. */
TEST(throw_of_an_error_another_thread_has_read_without_memory_for_a_copy_raises_it_unchanged)
{
    one = cx_protect(raise_one, NULL);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, read_context, one), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    th_drain_caches();
    th_fail_allocation(1, 1);
    cx_error *r = cx_protect(throw_one_in_handler, NULL);
    th_fail_allocation(0, 0);
    CHECK(r == one);
    CHECK(cx_error_context(one) == NULL);
    CHECK_STR(cx_error_message(r), "one for all");
    cx_error_unref(r);
    cx_error_unref(one);
}
