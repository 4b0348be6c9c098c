/* Locks as managers, with real threads and processes. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cx/sync.h>

#include "probe.h"

#define THREADS 8
#define ROUNDS 20000

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void start_threads(pthread_t *t, int n, void *(*fn)(void *), void *arg)
{
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, fn, arg), 0);
}

static void join_threads(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
}

/* ---- pthread_mutex_t ---- */

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

TEST(lock_mutex_is_held_in_the_block_and_released_after)
{
    volatile int inside = -1;
    cx_with (cx_lock(&mutex))
        inside = pthread_mutex_trylock(&mutex);
    CHECK_EQ(inside, EBUSY);
    CHECK_EQ(pthread_mutex_trylock(&mutex), 0);
    pthread_mutex_unlock(&mutex);
}

static void mutex_body_raises(void *arg)
{
    (void)arg;
    cx_with (cx_lock(&mutex))
        cx_raise(&cx_ValueError, "inside");
}

TEST(lock_mutex_is_released_when_the_body_raises)
{
    cx_error *e = cx_protect(mutex_body_raises, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_EQ(pthread_mutex_trylock(&mutex), 0);
    pthread_mutex_unlock(&mutex);
    cx_error_unref(e);
}

static int return_from_locked_block(void)
{
    cx_with (cx_lock(&mutex))
        return 7;
    return 0;
}

TEST(lock_mutex_is_released_when_the_body_returns)
{
    CHECK_EQ(return_from_locked_block(), 7);
    CHECK_EQ(pthread_mutex_trylock(&mutex), 0);
    pthread_mutex_unlock(&mutex);
}

static long counter;

static void *increment_under_mutex(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++)
        cx_with (cx_lock(&mutex)) {
            long v = counter;
            counter = v + 1;
        }
    return NULL;
}

TEST(lock_mutex_with_eight_threads_keeps_an_exact_counter)
{
    pthread_t t[THREADS];
    counter = 0;
    start_threads(t, THREADS, increment_under_mutex, NULL);
    join_threads(t, THREADS);
    CHECK_EQ(counter, (long)THREADS * ROUNDS);
}

static void lock_twice(void *arg)
{
    (void)arg;
    cx_with (cx_lock(&mutex)) {
        th_log("outer");
        cx_with (cx_lock(&mutex))
            th_log("inner");
    }
}

TEST(lock_mutex_taken_again_by_the_same_thread_raises_instead_of_deadlocking)
{
    cx_error *e = cx_protect(lock_twice, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e),
              "cx_lock: mutex already held by this thread (use cx_rlock for reentrant locking)");
    CHECK_STR(th_trace, "outer");
    CHECK_EQ(pthread_mutex_trylock(&mutex), 0);   /* the outer block released it */
    pthread_mutex_unlock(&mutex);
    cx_error_unref(e);
}

static void lock_twice_inner(void *arg)
{
    (void)arg;
    cx_with (cx_lock(&mutex))
        th_log("inner");
}

static void lock_after_pthread_lock(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    cx_try {
        cx_with (cx_lock(m))
            th_log("inner");
    } cx_finally {
        pthread_mutex_unlock(m);
    }
}

/* A lock taken without cx is not in cx's list; an error-checking mutex
 * says so itself (EDEADLK), and that is reported as a relock. */
TEST(lock_mutex_taken_by_plain_pthread_lock_raises_on_an_error_checking_mutex)
{
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &a);
    cx_error *e = cx_protect(lock_after_pthread_lock, &m);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e),
              "cx_lock: mutex already held by this thread (use cx_rlock for reentrant locking)");
    CHECK_STR(th_trace, "");
    CHECK_EQ(pthread_mutex_trylock(&m), 0);
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);
    pthread_mutexattr_destroy(&a);
    cx_error_unref(e);
}

TEST(lock_mutex_on_a_recursive_mutex_nests_in_one_thread)
{
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m, &a);
    cx_with (cx_lock(&m))
        cx_with (cx_lock(&m))
            th_log("inner");
    CHECK_STR(th_trace, "inner");
    CHECK_EQ(pthread_mutex_trylock(&m), 0); /* both levels released */
    pthread_mutex_unlock(&m);
    pthread_mutex_destroy(&m);
    pthread_mutexattr_destroy(&a);
}

/* The child of fork is a copy of the thread that forked, holding what it
 * held: its relock is reported, not a deadlock (alarm ends one). */
TEST(lock_mutex_relock_is_still_reported_in_a_forked_child)
{
    volatile pid_t pid = -1;
    cx_with (cx_lock(&mutex)) {
        pid = fork();
        if (pid == 0) {
            alarm(10);
            cx_error *e = cx_protect(lock_twice_inner, NULL);
            _exit(e && cx_error_is(e, &cx_RuntimeError) ? 0 : 1);
        }
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void *hold_mutex_briefly(void *arg)
{
    volatile int *state = arg;
    cx_with (cx_lock(&mutex)) {
        __atomic_store_n(state, 1, __ATOMIC_SEQ_CST);
        sleep_s(0.1);
        __atomic_store_n(state, 2, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

TEST(lock_mutex_held_by_another_thread_blocks_until_it_is_released)
{
    int state = 0;
    volatile int seen = -1;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, hold_mutex_briefly, &state), 0);
    while (__atomic_load_n(&state, __ATOMIC_SEQ_CST) == 0)
        sleep_s(0.001);
    cx_with (cx_lock(&mutex))
        seen = __atomic_load_n(&state, __ATOMIC_SEQ_CST);
    CHECK_EQ(seen, 2);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

TEST(lock_mutex_nested_on_different_mutexes_releases_both)
{
    static pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
    cx_with (cx_lock(&mutex))
    cx_with (cx_lock(&other))
        th_log("both");
    CHECK_STR(th_trace, "both");
    CHECK_EQ(pthread_mutex_trylock(&mutex), 0);
    CHECK_EQ(pthread_mutex_trylock(&other), 0);
    pthread_mutex_unlock(&other);
    pthread_mutex_unlock(&mutex);
}

static void lock_b_again(void *b)
{
    cx_with (cx_lock((pthread_mutex_t *)b))
        th_log("unreachable");
}

TEST(lock_mutex_released_out_of_order_still_tracks_the_one_held)
{
    static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
    cx_manager ma = cx_lock(&a), mb = cx_lock(&b);
    cx_manager_enter(&ma);
    cx_manager_enter(&mb);
    cx_manager_exit(&ma, NULL); /* a first: b stays held */
    cx_error *e = cx_protect(lock_b_again, &b);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
    cx_with (cx_lock(&a)) /* a is no longer held: taken again without complaint */
        th_log("a");
    cx_manager_exit(&mb, NULL);
    CHECK_STR(th_trace, "a");
    CHECK_EQ(pthread_mutex_trylock(&b), 0);
    pthread_mutex_unlock(&b);
}

static pthread_mutex_t many[40];

static void lock_many(int i)
{
    if (i == 40) {
        CHECK_EQ(pthread_mutex_trylock(&many[0]), EBUSY);
        return;
    }
    cx_with (cx_lock(&many[i]))
        lock_many(i + 1);
}

TEST(lock_mutex_tracks_more_held_mutexes_than_fit_inline)
{
    for (int i = 0; i < 40; i++)
        pthread_mutex_init(&many[i], NULL);
    lock_many(0);
    for (int i = 0; i < 40; i++) {
        CHECK_EQ(pthread_mutex_trylock(&many[i]), 0);
        pthread_mutex_unlock(&many[i]);
        pthread_mutex_destroy(&many[i]);
    }
}

/* ---- cx_rlock ---- */

static cx_rlock rlock = CX_RLOCK_INIT;

TEST(rlock_nests_in_one_thread_and_counts_its_depth)
{
    CHECK_EQ(cx_rlock_depth(&rlock), 0);
    cx_with (cx_lock(&rlock)) {
        th_log("%d", cx_rlock_depth(&rlock));
        cx_with (cx_lock(&rlock))
            th_log("%d", cx_rlock_depth(&rlock));
        th_log("%d", cx_rlock_depth(&rlock));
    }
    th_log("%d", cx_rlock_depth(&rlock));
    CHECK_STR(th_trace, "1 2 1 0");
}

static void rlock_raise_at_depth_two(void *arg)
{
    (void)arg;
    cx_with (cx_lock(&rlock))
    cx_with (cx_lock(&rlock))
        cx_raise(&cx_KeyError, "deep");
}

TEST(rlock_is_fully_released_when_the_body_raises_at_depth_two)
{
    cx_error *e = cx_protect(rlock_raise_at_depth_two, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_EQ(cx_rlock_depth(&rlock), 0);
    cx_error_unref(e);
}

static void *depth_seen_by_other_thread(void *arg)
{
    *(int *)arg = cx_rlock_depth(&rlock);
    return NULL;
}

TEST(rlock_depth_is_zero_in_a_thread_that_does_not_own_it)
{
    int other = -1;
    cx_with (cx_lock(&rlock)) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, depth_seen_by_other_thread, &other), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    CHECK_EQ(other, 0);
}

static void *increment_under_rlock_nested(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS / 4; i++)
        cx_with (cx_lock(&rlock)) {
            volatile long v = counter;   /* live across the inner with's setjmp */
            cx_with (cx_lock(&rlock))
                counter = v + 1;
        }
    return NULL;
}

TEST(rlock_with_eight_threads_nesting_keeps_an_exact_counter)
{
    pthread_t t[THREADS];
    counter = 0;
    start_threads(t, THREADS, increment_under_rlock_nested, NULL);
    join_threads(t, THREADS);
    CHECK_EQ(counter, (long)THREADS * (ROUNDS / 4));
}

TEST(rlock_initialised_at_run_time_behaves_like_the_static_one)
{
    cx_rlock l;
    cx_rlock_init(&l);
    cx_with (cx_lock(&l))
    cx_with (cx_lock(&l))
        CHECK_EQ(cx_rlock_depth(&l), 2);
    CHECK_EQ(cx_rlock_depth(&l), 0);
    cx_rlock_destroy(&l);
}

/* ---- pthread_rwlock_t ---- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void *try_read(void *arg)
{
    int rc = pthread_rwlock_tryrdlock(&rw);
    if (rc == 0)
        pthread_rwlock_unlock(&rw);
    *(int *)arg = rc;
    return NULL;
}

TEST(rwlock_write_lock_keeps_readers_of_another_thread_out)
{
    int rc = -1;
    cx_with (cx_lock(&rw)) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, try_read, &rc), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    CHECK_EQ(rc, EBUSY);
    CHECK_EQ(pthread_rwlock_trywrlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
}

static pthread_barrier_t barrier;

static void *read_together(void *arg)
{
    (void)arg;
    cx_with (cx_read_lock(&rw))
        pthread_barrier_wait(&barrier);   /* only passes if all hold it at once */
    return NULL;
}

TEST(rwlock_read_locks_are_shared_by_threads)
{
    pthread_t t[4];
    pthread_barrier_init(&barrier, NULL, 4);
    start_threads(t, 4, read_together, NULL);
    join_threads(t, 4);
    pthread_barrier_destroy(&barrier);
    CHECK_EQ(pthread_rwlock_trywrlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
}

static void write_under_read(void *arg)
{
    (void)arg;
    cx_with (cx_read_lock(&rw))
    cx_with (cx_lock(&rw))
        th_log("not reached");
}

TEST(rwlock_write_lock_under_the_same_threads_read_lock_raises_runtime_error)
{
    cx_error *e = cx_protect(write_under_read, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "cx_lock: rwlock already held by this thread");
    CHECK_STR(th_trace, "");
    CHECK_EQ(pthread_rwlock_trywrlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
    cx_error_unref(e);
}

TEST(rwlock_read_locks_nest_in_one_thread)
{
    cx_with (cx_read_lock(&rw))
    cx_with (cx_read_lock(&rw))
        CHECK_EQ(pthread_rwlock_trywrlock(&rw), EBUSY);
    CHECK_EQ(pthread_rwlock_trywrlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
}

static long pair[2];

static void *write_or_read_pair(void *arg)
{
    long id = (long)arg;
    volatile long torn = 0;
    for (int i = 0; i < ROUNDS / 4; i++) {
        if (id % 2) {
            cx_with (cx_lock(&rw)) {
                pair[0]++;
                pair[1]++;
            }
        } else {
            cx_with (cx_read_lock(&rw))
                torn += pair[0] != pair[1];
        }
    }
    return (void *)torn;
}

TEST(rwlock_with_threads_readers_never_see_a_half_written_pair)
{
    pthread_t t[THREADS];
    long torn = 0;
    for (long i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, write_or_read_pair, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        CHECK_EQ(pthread_join(t[i], &r), 0);
        torn += (long)r;
    }
    CHECK_EQ(torn, 0);
    CHECK_EQ(pair[0], (long)(THREADS / 2) * (ROUNDS / 4));
    CHECK_EQ(pair[1], pair[0]);
}

/* ---- sem_t ---- */

static sem_t sem;
static int holders, most_holders;

static void *hold_sem(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++)
        cx_with (cx_lock(&sem)) {
            cx_with (cx_lock(&mutex)) {
                if (++holders > most_holders)
                    most_holders = holders;
            }
            sched_yield();
            cx_with (cx_lock(&mutex))
                holders--;
        }
    return NULL;
}

TEST(sem_lets_at_most_its_count_of_threads_in_at_once)
{
    pthread_t t[THREADS];
    int value = -1;
    sem_init(&sem, 0, 3);
    start_threads(t, THREADS, hold_sem, NULL);
    join_threads(t, THREADS);
    CHECK(most_holders >= 1 && most_holders <= 3);
    sem_getvalue(&sem, &value);
    CHECK_EQ(value, 3);
    sem_destroy(&sem);
}

static void sem_body_raises(void *arg)
{
    (void)arg;
    cx_with (cx_lock(&sem))
        cx_raise(&cx_ValueError, "inside");
}

TEST(sem_is_posted_when_the_body_raises)
{
    int inside = -1, after = -1;
    sem_init(&sem, 0, 1);
    cx_with (cx_lock(&sem))
        sem_getvalue(&sem, &inside);
    cx_error *e = cx_protect(sem_body_raises, NULL);
    sem_getvalue(&sem, &after);
    CHECK_EQ(inside, 0);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_EQ(after, 1);
    sem_destroy(&sem);
    cx_error_unref(e);
}

/* ---- cx_lock_when ---- */

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int items;

static bool have_items(void *arg)
{
    (void)arg;
    return items > 0;
}

static void *produce_later(void *arg)
{
    (void)arg;
    sleep_s(0.05);
    cx_with (cx_lock(&mutex)) {
        items = 3;
        pthread_cond_broadcast(&cond);
    }
    return NULL;
}

TEST(lock_when_waits_for_another_thread_to_make_the_predicate_true)
{
    pthread_t t;
    volatile int seen = 0;
    items = 0;
    CHECK_EQ(pthread_create(&t, NULL, produce_later, NULL), 0);
    cx_with (cx_lock_when(&mutex, &cond, have_items, NULL)) {
        seen = items;
        items--;
        CHECK_EQ(pthread_mutex_trylock(&mutex), EBUSY);
    }
    CHECK_EQ(seen, 3);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(pthread_mutex_trylock(&mutex), 0);
    pthread_mutex_unlock(&mutex);
}

static void *consume_one(void *arg)
{
    (void)arg;
    cx_with (cx_lock_when(&mutex, &cond, have_items, NULL))
        items--;
    return NULL;
}

TEST(lock_when_wakes_exactly_as_many_threads_as_there_are_items)
{
    pthread_t t[THREADS];
    items = 0;
    start_threads(t, THREADS, consume_one, NULL);
    for (int i = 0; i < THREADS; i++)
        cx_with (cx_lock(&mutex)) {
            items++;
            pthread_cond_signal(&cond);
        }
    join_threads(t, THREADS);
    CHECK_EQ(items, 0);
}

static bool predicate_raises(void *arg)
{
    (void)arg;
    cx_raise(&cx_KeyError, "no such item");
}

static void when_pred_raises(void *arg)
{
    (void)arg;
    cx_with (cx_lock_when(&mutex, &cond, predicate_raises, NULL))
        th_log("not reached");
}

TEST(lock_when_predicate_that_raises_unlocks_and_skips_the_body)
{
    cx_error *e = cx_protect(when_pred_raises, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(th_trace, "");
    CHECK_EQ(pthread_mutex_trylock(&mutex), 0);
    pthread_mutex_unlock(&mutex);
    cx_error_unref(e);
}

/* ---- flock, between processes ---- */

static char lock_path[64];

static int open_lock_file(void)
{
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    return fd;
}

static void make_lock_file(void)
{
    strcpy(lock_path, "/tmp/cx-flock-XXXXXX");
    int fd = mkstemp(lock_path);
    CHECK(fd >= 0);
    close(fd);
}

/* A child that holds `operation` on its own descriptor of the lock file
 * (its own open file description, as another program would) until the
 * parent closes `go`. */
typedef struct {
    pid_t pid;
    int go;
} holder;

static holder start_holder(int operation)
{
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        int fd = open_lock_file();
        char c;
        cx_with (cx_flock(fd, operation)) {
            if (write(ready[1], "h", 1) != 1 || read(go[0], &c, 1) < 0)
                _exit(3);
        }
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    close(ready[0]);
    return (holder){pid, go[1]};
}

static void stop_holder(holder h)
{
    int status;
    close(h.go);
    CHECK_EQ(waitpid(h.pid, &status, 0), h.pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void try_exclusive_nb(void *arg)
{
    int fd = *(int *)arg;
    cx_with (cx_flock(fd, LOCK_EX | LOCK_NB))
        th_log("got it");
}

TEST(flock_nonblocking_exclusive_raises_blocking_io_error_while_another_process_holds_it)
{
    make_lock_file();
    holder h = start_holder(LOCK_EX);
    int fd = open_lock_file();
    cx_error *e = cx_protect(try_exclusive_nb, &fd);
    CHECK(cx_error_is(e, &cx_BlockingIOError));
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK(cx_error_errno(e) == EWOULDBLOCK);
    CHECK(strstr(cx_error_message(e), "flock fd") != NULL);
    CHECK_STR(th_trace, "");
    stop_holder(h);
    close(fd);
    unlink(lock_path);
    cx_error_unref(e);
}

TEST(flock_is_released_at_exit_so_another_process_can_take_it)
{
    make_lock_file();
    int fd = open_lock_file();
    cx_with (cx_flock(fd, LOCK_EX))
        th_log("held");
    holder h = start_holder(LOCK_EX | LOCK_NB);   /* fails the test if it cannot */
    stop_holder(h);
    CHECK_STR(th_trace, "held");
    close(fd);
    unlink(lock_path);
}

TEST(flock_shared_locks_coexist_between_processes)
{
    make_lock_file();
    holder h = start_holder(LOCK_SH);
    int fd = open_lock_file();
    cx_with (cx_flock(fd, LOCK_SH | LOCK_NB))
        th_log("shared");
    CHECK_STR(th_trace, "shared");
    stop_holder(h);
    close(fd);
    unlink(lock_path);
}

static void *release_holder_later(void *arg)
{
    sleep_s(0.1);
    close(*(int *)arg);
    return NULL;
}

TEST(flock_blocking_exclusive_waits_until_a_thread_makes_the_other_process_release)
{
    make_lock_file();
    holder h = start_holder(LOCK_EX);
    int fd = open_lock_file();
    pthread_t t;
    double t0 = mono(), waited = 0;
    CHECK_EQ(pthread_create(&t, NULL, release_holder_later, &h.go), 0);
    cx_with (cx_flock(fd, LOCK_EX))
        waited = mono() - t0;
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(waited >= 0.09);
    int status;
    CHECK_EQ(waitpid(h.pid, &status, 0), h.pid);
    close(fd);
    unlink(lock_path);
}

static void flock_bad_operation(void *arg)
{
    (void)arg;
    cx_with (cx_flock(0, LOCK_UN))
        th_log("not reached");
}

TEST(flock_with_an_operation_other_than_sh_or_ex_raises_value_error)
{
    cx_error *e = cx_protect(flock_bad_operation, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static void flock_bad_fd(void *arg)
{
    (void)arg;
    cx_with (cx_flock(-1, LOCK_EX))
        th_log("not reached");
}

TEST(flock_on_a_bad_descriptor_raises_os_error_with_ebadf)
{
    cx_error *e = cx_protect(flock_bad_fd, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EBADF);
    cx_error_unref(e);
}

/* ---- rate limiter ---- */

#define MAX_STAMPS 512

typedef struct {
    cx_rate_limiter *rl;
    pthread_mutex_t m;
    int calls_each;
    double until;        /* or run until this time, when calls_each is 0 */
    int n, refused;
    /* Admission happened somewhere in [before, after]: the limiter's own
     * clock is not visible, and a slow scheduler (Valgrind, a loaded
     * machine) can put any delay between the two. */
    struct { double before, after; } stamps[MAX_STAMPS];
} rate_run;

static void *rate_worker(void *arg)
{
    rate_run *r = arg;
    for (volatile int i = 0; r->calls_each ? i < r->calls_each : mono() < r->until; i++) {
        cx_try {
            double before = mono();
            cx_with (cx_rate_limited(r->rl)) {
                double after = mono();
                cx_with (cx_lock(&r->m)) {
                    if (r->n < MAX_STAMPS) {
                        r->stamps[r->n].before = before;
                        r->stamps[r->n++].after = after;
                    }
                }
            }
        } cx_except (&cx_RateLimitExceeded, e) {
            (void)e;
            cx_with (cx_lock(&r->m))
                r->refused++;
            sleep_s(0.002);
        }
    }
    return NULL;
}

/* The most calls proven to have been admitted inside one window of
 * `period` seconds: calls that began at or after call i's start and were
 * admitted before i's start + period, whatever the scheduling delays. */
static int busiest_window(rate_run *r, double period)
{
    int most = 0;
    for (int i = 0; i < r->n; i++) {
        double from = r->stamps[i].before, to = from + period;
        int inside = 0;
        for (int j = 0; j < r->n; j++)
            inside += r->stamps[j].before >= from && r->stamps[j].after < to;
        if (inside > most)
            most = inside;
    }
    return most;
}

static void run_rate_threads(rate_run *r)
{
    pthread_t t[THREADS];
    pthread_mutex_init(&r->m, NULL);
    start_threads(t, THREADS, rate_worker, r);
    join_threads(t, THREADS);
    pthread_mutex_destroy(&r->m);
}

TEST(rate_limiter_waiting_with_eight_threads_never_exceeds_max_calls_in_a_window)
{
    static rate_run r;
    r.rl = cx_rate_limiter_new(5, 0.1, true);
    r.calls_each = 5;
    double t0 = mono();
    run_rate_threads(&r);
    double took = mono() - t0;
    CHECK_EQ(r.n, THREADS * 5);
    CHECK_EQ(r.refused, 0);
    CHECK(busiest_window(&r, 0.1) <= 5);
    CHECK(took >= (THREADS * 5 / 5 - 1) * 0.1 - 0.01);   /* 40 calls: 8 windows */
    cx_rate_limiter_free(r.rl);
}

TEST(rate_limiter_refusing_with_eight_threads_never_exceeds_max_calls_in_a_window)
{
    static rate_run r;
    r.rl = cx_rate_limiter_new(3, 0.1, false);
    r.until = mono() + 0.45;
    run_rate_threads(&r);
    /* At least a window's worth got through (natively about four; under
     * Valgrind, which runs one thread at a time, starting them eats windows). */
    CHECK(r.n >= 3);
    CHECK(r.refused > 0);
    CHECK(busiest_window(&r, 0.1) <= 3);
    cx_rate_limiter_free(r.rl);
}

TEST(rate_limiter_refusing_with_eight_threads_admits_exactly_max_calls_in_one_window)
{
    static rate_run r;
    r.rl = cx_rate_limiter_new(5, 60, false);
    r.calls_each = 10;
    run_rate_threads(&r);
    CHECK_EQ(r.n, 5);
    CHECK_EQ(r.refused, THREADS * 10 - 5);
    cx_rate_limiter_free(r.rl);
}

static void call_limited(void *arg)
{
    cx_with (cx_rate_limited(arg))
        th_log("call");
}

TEST(rate_limiter_over_the_limit_raises_rate_limit_exceeded_a_runtime_error)
{
    cx_rate_limiter *rl = cx_rate_limiter_new(2, 60, false);
    CHECK(cx_protect(call_limited, rl) == NULL);
    CHECK(cx_protect(call_limited, rl) == NULL);
    cx_error *e = cx_protect(call_limited, rl);
    CHECK(cx_error_is(e, &cx_RateLimitExceeded));
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "rate limit exceeded: 2 calls per 60 s");
    CHECK_STR(th_trace, "call call");
    cx_error_unref(e);
    cx_rate_limiter_free(rl);
}

static void limited_body_raises(void *arg)
{
    cx_with (cx_rate_limited(arg))
        cx_raise(&cx_ValueError, "the call failed");
}

TEST(rate_limiter_forgets_a_call_whose_body_raised)
{
    cx_rate_limiter *rl = cx_rate_limiter_new(1, 60, false);
    cx_error *e = cx_protect(limited_body_raises, rl);
    CHECK(cx_error_is(e, &cx_ValueError));   /* propagates unchanged */
    cx_error_unref(e);
    CHECK(cx_protect(call_limited, rl) == NULL);   /* the slot was given back */
    e = cx_protect(call_limited, rl);
    CHECK(cx_error_is(e, &cx_RateLimitExceeded));
    cx_error_unref(e);
    cx_rate_limiter_free(rl);
}

TEST(rate_limiter_waiting_blocks_until_the_oldest_call_leaves_the_window)
{
    cx_rate_limiter *rl = cx_rate_limiter_new(2, 0.15, true);
    double t0 = mono();
    call_limited(rl);
    call_limited(rl);
    double fast = mono() - t0;
    call_limited(rl);
    double slow = mono() - t0;
    CHECK(fast < 0.1);
    CHECK(slow >= 0.145);
    cx_rate_limiter_free(rl);
}

#define SLOT_HELD_S 0.05

static int slot_taken;
static double taken_at;   /* published by the store to slot_taken */

static void slow_failing_call(void *arg)
{
    cx_with (cx_rate_limited(arg)) {
        /* Stamped by the holder, not by the waiter once it notices: a waiter
         * that is scheduled late would see less than the hold. */
        taken_at = mono();
        __atomic_store_n(&slot_taken, 1, __ATOMIC_SEQ_CST);
        sleep_s(SLOT_HELD_S);
        cx_raise(&cx_ValueError, "the call failed");
    }
}

static void *fail_while_holding_the_slot(void *arg)
{
    cx_error_unref(cx_protect(slow_failing_call, arg));
    return NULL;
}

TEST(rate_limiter_waiting_thread_is_woken_when_a_failed_call_is_forgotten)
{
    /* One slot a minute, taken by a call that fails: the waiter gets the
     * slot when the failure gives it back, not a minute later. */
    cx_rate_limiter *rl = cx_rate_limiter_new(1, 60, true);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, fail_while_holding_the_slot, rl), 0);
    while (!__atomic_load_n(&slot_taken, __ATOMIC_SEQ_CST))
        sleep_s(0.001);
    call_limited(rl);
    /* The slot came back no earlier than the failing call's hold ended (the
     * waiter really waited), and long before the minute's window closed. */
    double waited = mono() - taken_at;
    CHECK(waited >= SLOT_HELD_S - 0.001 && waited < 5);
    CHECK_EQ(pthread_join(t, NULL), 0);
    cx_rate_limiter_free(rl);
}

static void bad_limiter(void *arg)
{
    cx_rate_limiter_new(*(int *)arg, 1, false);
}

TEST(rate_limiter_new_rejects_fewer_than_one_call)
{
    int zero = 0;
    cx_error *e = cx_protect(bad_limiter, &zero);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_rate_limiter_new: max_calls must be at least 1, not 0");
    cx_error_unref(e);
}
