/* Every thread has its own frame chain. */
#include <pthread.h>
#include <stdint.h>

#include "probe.h"

#define THREADS 8
#define ROUNDS 20000

static void *raise_and_catch_many(void *arg)
{
    long id = (long)(intptr_t)arg; /* intptr_t: long is narrower on 64-bit Windows */
    volatile intptr_t caught = 0;
    for (volatile int i = 0; i < ROUNDS; i++) {
        cx_try {
            cx_raise(&cx_ValueError, "%ld:%d", id, i);
        } cx_except (&cx_ValueError, e) {
            char want[32];
            snprintf(want, sizeof want, "%ld:%d", id, i);
            if (strcmp(cx_error_message(e), want) == 0)
                caught++;
        }
    }
    return (void *)caught;
}

TEST(threads_raising_concurrently_each_catch_their_own_errors)
{
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, raise_and_catch_many, (void *)i);
    for (int i = 0; i < THREADS; i++) {
        void *caught;
        pthread_join(t[i], &caught);
        CHECK_EQ((intptr_t)caught, ROUNDS);
    }
}

static void *unhandled_in_thread(void *arg)
{
    (void)arg;
    cx_raise(&cx_KeyError, "only this thread ends");
    return (void *)1;
}

static void run_thread_that_fails(void *arg)
{
    (void)arg;
    pthread_t t;
    void *result;
    pthread_create(&t, NULL, unhandled_in_thread, NULL);
    pthread_join(t, &result);
    fprintf(stderr, "main goes on: %s\n", result == PTHREAD_CANCELED ? "cancelled" : result ? "returned" : "ended");
}

TEST(threads_unhandled_error_ends_only_that_thread)
{
    char *err = NULL;
    int status = th_run_child(run_thread_that_fails, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(err, "KeyError: only this thread ends") != NULL);
    CHECK(strstr(err, "main goes on: ended") != NULL);
    free(err);
}

static void *with_in_thread(void *arg)
{
    int *exits = arg;
    for (int i = 0; i < ROUNDS; i++)
        cx_with (PROBE(.name = "t", .suppress = 1, .exits = exits))
            cx_raise(&cx_ValueError, "x");
    return NULL;
}

TEST(threads_with_blocks_suppressing_concurrently_keep_exact_counts)
{
    pthread_t t[THREADS];
    int exits[THREADS] = {0};
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, with_in_thread, &exits[i]);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(exits[i], ROUNDS);
    }
}
