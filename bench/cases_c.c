/* Hand-written C: what a careful C programmer writes without cx. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

/* ---- with_trivial: enter and exit through function pointers ---- */

typedef struct manager_ops {
    void *(*enter)(void *state);
    int (*exit)(void *state, void *err);
} manager_ops;

static void *nop_enter(void *state) { return state; }
static int nop_exit(void *state, void *err) { (void)state, (void)err; return 0; }
static const manager_ops *volatile nop_ops = &(manager_ops){nop_enter, nop_exit};

void c_with_trivial(long n)
{
    const manager_ops *ops = nop_ops;
    int state;
    for (long i = 0; i < n; i++) {
        void *v = ops->enter(&state);
        bench_touch(v);
        ops->exit(&state, NULL);
    }
}

/* ---- defer_one: __attribute__((cleanup)) ---- */

static void release(int *p) { bench_touch(p); }

void c_defer_one(long n)
{
    for (long i = 0; i < n; i++) {
        __attribute__((cleanup(release))) int x = 1;
        (void)x;
    }
}

/* ---- mutex_with ---- */

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

void c_mutex_with(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&mutex);
        bench_touch(&mutex);
        pthread_mutex_unlock(&mutex);
    }
}

/* ---- open_close_devnull ---- */

void c_open_close_devnull(long n)
{
    for (long i = 0; i < n; i++) {
        FILE *f = fopen("/dev/null", "w");
        if (!f)
            abort();
        bench_touch(f);
        if (fclose(f) != 0)
            abort();
    }
}
