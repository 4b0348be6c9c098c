/* Threads: every thread runs its own with / raise / suppress / generator
 * manager cycles and checks its own counts exactly; lock managers and the
 * rate limiter are hammered by all threads at once.  Every name here says
 * "thread", so `make tsan` (label `threads`) runs them all.
 *
 * Iterations: 100,000 per thread natively and under ASan and TSan; under
 * Valgrind (which runs one thread at a time, ~50x slower) a tenth. */
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "harness.h"

#ifdef CX_TEST_UNDER_VALGRIND
#define ITERATIONS 10000
#else
#define ITERATIONS 100000
#endif
#define THREADS 8

static void run_threads(void *(*fn)(void *), void *args, size_t size)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, fn, (char *)args + i * size), 0);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
}

/* ---- per-thread cycles ---- */

typedef struct counts {
    int id;
    long enters, exits, exits_with_error, caught, suppressed, gen_setups, gen_teardowns,
        gen_caught, stack_callbacks, chained, failures;
} counts;

typedef struct counting_state {
    counts *c;
} counting_state;

static void *counting_enter(void *state)
{
    ((counting_state *)state)->c->enters++;
    return ((counting_state *)state)->c;
}

static bool counting_exit(void *state, cx_error *err)
{
    counts *c = ((counting_state *)state)->c;
    c->exits++;
    if (err)
        c->exits_with_error++;
    return false;
}

static const cx_manager_type counting_type = {"counting", counting_enter, counting_exit};

static cx_manager counting(counts *c)
{
    counting_state s = {c};
    return cx_manager_make(&counting_type, &s, sizeof s);
}

/* A generator manager that catches ValueError (suppressing it). */
static void guarded(cx_gen *g, void *arg)
{
    counts *c = arg;
    c->gen_setups++;
    cx_try {
        cx_yield(g, c);
    } cx_except (&cx_ValueError, e) {
        (void)e;
        c->gen_caught++;
    } cx_finally {
        c->gen_teardowns++;
    }
}

static void callback(void *arg) { ((counts *)arg)->stack_callbacks++; }

static void one_cycle(counts *c, long i)
{
    /* with + raise + except */
    cx_try {
        cx_with (counts *mine, counting(c)) {
            if (mine != c)
                c->failures++;
            cx_raise(&cx_KeyError, "t%d i%ld", c->id, i);
        }
    } cx_except (&cx_KeyError, e) {
        char want[48];
        snprintf(want, sizeof want, "t%d i%ld", c->id, i);
        if (strcmp(cx_error_message(e), want) != 0)
            c->failures++;
        c->caught++;
    }
    /* suppress */
    cx_with (cx_suppress(&cx_IndexError)) {
        c->suppressed++;
        cx_raise(&cx_IndexError, "suppressed");
    }
    /* a generator manager, its body raising every other time */
    cx_with (counts *mine, cx_contextmanager(guarded, c)) {
        if (mine != c)
            c->failures++;
        if (i & 1)
            cx_raise(&cx_ValueError, "into the generator");
    }
    /* chaining: an exit that raises while the body's error is in flight */
    cx_try {
        cx_try {
            cx_raise(&cx_TypeError, "first %ld", i);
        } cx_finally {
            cx_raise(&cx_RuntimeError, "second %ld", i);
        }
    } cx_except (&cx_RuntimeError, e) {
        cx_error *ctx = cx_error_context(e);
        if (ctx && cx_error_is(ctx, &cx_TypeError))
            c->chained++;
    }
    /* an ExitStack now and then */
    if (i % 16 == 0) {
        cx_with (cx_exitstack *s, cx_exitstack_new()) {
            cx_exitstack_callback(s, callback, c);
            cx_exitstack_enter(s, counting(c));
        }
    }
}

static void *cycles(void *arg)
{
    counts *c = arg;
    for (long i = 0; i < ITERATIONS; i++)
        one_cycle(c, i);
    return NULL;
}

TEST(threads_run_with_raise_suppress_and_generator_cycles_independently)
{
    counts c[THREADS];
    memset(c, 0, sizeof c);
    for (int i = 0; i < THREADS; i++)
        c[i].id = i;
    run_threads(cycles, c, sizeof *c);
    long stacks = (ITERATIONS + 15) / 16;
    for (int i = 0; i < THREADS; i++) {
        CHECK_EQ(c[i].failures, 0);
        CHECK_EQ(c[i].enters, ITERATIONS + stacks);
        CHECK_EQ(c[i].exits, ITERATIONS + stacks);
        CHECK_EQ(c[i].exits_with_error, ITERATIONS);
        CHECK_EQ(c[i].caught, ITERATIONS);
        CHECK_EQ(c[i].suppressed, ITERATIONS);
        CHECK_EQ(c[i].gen_setups, ITERATIONS);
        CHECK_EQ(c[i].gen_teardowns, ITERATIONS);
        CHECK_EQ(c[i].gen_caught, ITERATIONS / 2);
        CHECK_EQ(c[i].chained, ITERATIONS);
        CHECK_EQ(c[i].stack_callbacks, stacks);
    }
}

/* ---- lock managers under contention ---- */

#define LOCK_ROUNDS (ITERATIONS / 4)

static struct {
    pthread_mutex_t mutex;
    cx_rlock rlock;
    pthread_rwlock_t rw;
    sem_t sem;
    long counter, rcounter, rwcounter;
    int inside_sem, max_inside_sem, torn_reads;
} shared = {.mutex = PTHREAD_MUTEX_INITIALIZER, .rlock = CX_RLOCK_INIT, .rw = PTHREAD_RWLOCK_INITIALIZER};

static void *hammer_locks(void *arg)
{
    (void)arg;
    for (volatile long i = 0; i < LOCK_ROUNDS; i++) {
        cx_with (cx_lock(&shared.mutex))
            shared.counter++;
        cx_with (cx_lock(&shared.rlock))
            cx_with (cx_lock(&shared.rlock))
                shared.rcounter++;
        if (i % 8 == 0) {
            cx_with (cx_lock(&shared.rw))
                shared.rwcounter += 2;
        } else {
            cx_with (cx_read_lock(&shared.rw))
                if (shared.rwcounter % 2)
                    __atomic_add_fetch(&shared.torn_reads, 1, __ATOMIC_RELAXED);
        }
        if (i % 4 == 0) {
            cx_with (cx_lock(&shared.sem)) {
                int now = __atomic_add_fetch(&shared.inside_sem, 1, __ATOMIC_ACQ_REL);
                int max = __atomic_load_n(&shared.max_inside_sem, __ATOMIC_ACQUIRE);
                while (now > max &&
                       !__atomic_compare_exchange_n(&shared.max_inside_sem, &max, now, false,
                                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {}
                __atomic_sub_fetch(&shared.inside_sem, 1, __ATOMIC_ACQ_REL);
            }
        }
    }
    return NULL;
}

TEST(lock_managers_under_thread_contention_keep_counts_exact)
{
    CHECK_EQ(sem_init(&shared.sem, 0, 3), 0);
    char unused[THREADS];
    run_threads(hammer_locks, unused, 1);
    CHECK_EQ(shared.counter, (long)THREADS * LOCK_ROUNDS);
    CHECK_EQ(shared.rcounter, (long)THREADS * LOCK_ROUNDS);
    CHECK_EQ(shared.rwcounter, 2L * THREADS * ((LOCK_ROUNDS + 7) / 8));
    CHECK_EQ(shared.torn_reads, 0);
    CHECK(shared.max_inside_sem >= 1 && shared.max_inside_sem <= 3);
    CHECK_EQ(cx_rlock_depth(&shared.rlock), 0);
    CHECK_EQ(pthread_mutex_trylock(&shared.mutex), 0);
    pthread_mutex_unlock(&shared.mutex);
    sem_destroy(&shared.sem);
}

/* ---- the rate limiter under contention ---- */

typedef struct limited {
    cx_rate_limiter *rl;
    long admitted, refused;
} limited;

static void *raising_calls(void *arg)
{
    limited *l = arg;
    for (long i = 0; i < ITERATIONS / 10; i++) {
        cx_try {
            cx_with (cx_rate_limited(l->rl))
                cx_raise(&cx_ValueError, "forgotten");
        } cx_except (&cx_ValueError, e) {
            (void)e;
            l->admitted++;
        } cx_except (&cx_RateLimitExceeded, e) {
            (void)e;
            l->refused++;
        }
    }
    return NULL;
}

/* Calls whose body raised are forgotten: with a window as wide as the
 * number of threads (at most that many calls are in flight) and a long
 * period, every one of them is admitted, and afterwards exactly that many
 * calls fit. */
TEST(rate_limiter_under_thread_contention_forgets_calls_that_raised)
{
    limited l[THREADS];
    cx_rate_limiter *rl = cx_rate_limiter_new(THREADS, 60.0, false);
    for (int i = 0; i < THREADS; i++)
        l[i] = (limited){rl, 0, 0};
    run_threads(raising_calls, l, sizeof *l);
    for (int i = 0; i < THREADS; i++) {
        CHECK_EQ(l[i].admitted, ITERATIONS / 10);
        CHECK_EQ(l[i].refused, 0);
    }
    for (int i = 0; i < THREADS; i++)
        cx_with (cx_rate_limited(rl)) {}
    volatile int refused = 0;
    cx_try {
        cx_with (cx_rate_limited(rl)) {}
    } cx_except (&cx_RateLimitExceeded, e) {
        (void)e;
        refused = 1;
    }
    CHECK(refused);
    cx_rate_limiter_free(rl);
}

typedef struct timed_calls {
    cx_rate_limiter *rl;
    long admitted, refused;
} timed_calls;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define WINDOW_CALLS 5
#define PERIOD_S 0.02
#define RUN_S 0.3

static void *competing_calls(void *arg)
{
    timed_calls *t = arg;
    double end = now_s() + RUN_S;
    while (now_s() < end) {
        cx_try {
            cx_with (cx_rate_limited(t->rl))
                t->admitted++;
        } cx_except (&cx_RateLimitExceeded, e) {
            (void)e;
            t->refused++;
        }
    }
    return NULL;
}

/* Eight threads competing for 5 calls per 20 ms for 0.3 s: no more calls are
 * admitted than the windows allow, and some are. */
TEST(rate_limiter_under_thread_contention_admits_no_more_than_its_window)
{
    timed_calls t[THREADS];
    cx_rate_limiter *rl = cx_rate_limiter_new(WINDOW_CALLS, PERIOD_S, false);
    for (int i = 0; i < THREADS; i++)
        t[i] = (timed_calls){rl, 0, 0};
    double start = now_s();
    run_threads(competing_calls, t, sizeof *t);
    double took = now_s() - start;
    long admitted = 0, refused = 0;
    for (int i = 0; i < THREADS; i++) {
        admitted += t[i].admitted;
        refused += t[i].refused;
    }
    long bound = WINDOW_CALLS * ((long)(took / PERIOD_S) + 1);
    CHECK(admitted >= WINDOW_CALLS);
    CHECK(admitted <= bound);
    CHECK(refused > 0);
    cx_rate_limiter_free(rl);
}

static void *waiting_calls(void *arg)
{
    timed_calls *t = arg;
    for (int i = 0; i < 5; i++)
        cx_with (cx_rate_limited(t->rl))
            t->admitted++;
    return NULL;
}

/* A waiting limiter admits every call, never faster than its window:
 * 40 calls at 5 per 20 ms take at least 7 full periods. */
TEST(waiting_rate_limiter_under_thread_contention_admits_all_at_its_pace)
{
    timed_calls t[THREADS];
    cx_rate_limiter *rl = cx_rate_limiter_new(WINDOW_CALLS, PERIOD_S, true);
    for (int i = 0; i < THREADS; i++)
        t[i] = (timed_calls){rl, 0, 0};
    double start = now_s();
    run_threads(waiting_calls, t, sizeof *t);
    double took = now_s() - start;
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(t[i].admitted, 5);
    CHECK(took >= (THREADS * 5 / WINDOW_CALLS - 1) * PERIOD_S * 0.99);
    cx_rate_limiter_free(rl);
}
