/* Locks as managers: mutex, rlock, rwlock, semaphore, condition wait, flock,
 * and the sliding-window rate limiter. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <stdint.h>

#include <cx/sync.h>
#include <cx/try.h>

#include "../core/internal.h"
#include "../port/port.h"

/* ---- Which locks this thread holds through cx ----
 *
 * POSIX gives no way to ask a mutex who holds it (and a default mutex
 * records no owner in every C library), so a second cx_lock on it from the
 * same thread would deadlock silently.  Each thread keeps the locks it took
 * through cx, most recent last (a short list: locks nest shallowly), so a
 * busy lock can be told apart from one this thread already holds.
 *
 * Entry i is held.first[i] for the first HELD_INLINE, held_heap[i -
 * HELD_INLINE] after: the fast paths touch only the inline part.  An entry
 * is the lock's address with its kind in the two low bits; a mutex's kind
 * is 0, so its entry is its address. */

enum { HELD_MUTEX = 0, HELD_READ = 1, HELD_WRITE = 2, HELD_ANY = 3 };
#define HELD_KIND_BITS ((uintptr_t)3)
#define HELD_NONE ((size_t)-1)

_Static_assert(_Alignof(pthread_mutex_t) >= 4 && _Alignof(pthread_rwlock_t) >= 4,
               "a lock's two low address bits are free for its kind");

typedef uintptr_t held_entry;

#define HELD_INLINE 16

/* The count next to the first entries: the fast paths reach both from one
 * thread-pointer offset. */
static __thread struct {
    size_t n;
    held_entry first[HELD_INLINE];
} held __attribute__((tls_model("initial-exec")));
static __thread held_entry *held_heap __attribute__((tls_model("initial-exec")));
static __thread size_t held_cap __attribute__((tls_model("initial-exec"))); /* held_heap's */

static held_entry *held_at(size_t i)
{
    return i < HELD_INLINE ? &held.first[i] : &held_heap[i - HELD_INLINE];
}

/* Room for one more entry, made before the lock is taken (this may raise),
 * so that recording it afterwards cannot fail. */
static void held_reserve(void)
{
    if (held.n < HELD_INLINE + held_cap)
        return;
    size_t cap = held_cap ? 2 * held_cap : HELD_INLINE;
    held_entry *grown = cx_malloc(cap * sizeof *grown);
    if (held_cap)
        memcpy(grown, held_heap, held_cap * sizeof *grown);
    cx_free(held_heap);
    held_heap = grown;
    held_cap = cap;
}

static void held_add(const void *lock, int kind)
{
    *held_at(held.n++) = (uintptr_t)lock | (uintptr_t)kind;
}

/* The index of the most recent entry for `lock` of `kind` (HELD_ANY: any
 * kind), or HELD_NONE. */
static size_t held_find(const void *lock, int kind)
{
    for (size_t i = held.n; i-- > 0;) {
        held_entry e = *held_at(i);
        if ((e & ~HELD_KIND_BITS) == (uintptr_t)lock &&
            (kind == HELD_ANY || (e & HELD_KIND_BITS) == (uintptr_t)kind))
            return i;
    }
    return HELD_NONE;
}

static void held_remove(const void *lock, int kind)
{
    size_t i = held_find(lock, kind);
    if (i == HELD_NONE)
        return;
    for (; i + 1 < held.n; i++) /* locks are mostly released last-taken first */
        *held_at(i) = *held_at(i + 1);
    if (--held.n <= HELD_INLINE && held_heap) { /* all inline again */
        cx_free(held_heap);
        held_heap = NULL;
        held_cap = 0;
    }
}

/* ---- pthread_mutex_t ---- */

__attribute__((noinline, noreturn)) static void mutex_relocked(const char *who)
{
    cx_raise(&cx_RuntimeError,
             "%s: mutex already held by this thread (use cx_rlock for reentrant locking)", who);
}

/* EDEADLK: an error-checking mutex this thread took without cx. */
__attribute__((noinline, noreturn)) static void mutex_failed(int rc, const char *who,
                                                             const char *what)
{
    if (rc == EDEADLK)
        mutex_relocked(who);
    cx_raise_errno(rc, "%s: %s mutex", who, what);
}

/* The general case: this thread holds locks through cx already.  A busy
 * mutex found in the list is this thread's: raise rather than deadlock.  A
 * recursive mutex this thread holds is not busy to its owner's trylock, so
 * it takes another level (and another entry). */
__attribute__((noinline)) static void mutex_acquire(pthread_mutex_t *m, const char *who)
{
    held_reserve();
    int rc = pthread_mutex_trylock(m);
    if (rc == EBUSY) {
        if (held_find(m, HELD_MUTEX) != HELD_NONE)
            mutex_relocked(who);
        rc = pthread_mutex_lock(m);
    }
    if (__builtin_expect(rc != 0, 0))
        mutex_failed(rc, who, "lock");
    held_add(m, HELD_MUTEX);
}

static void mutex_release(pthread_mutex_t *m, const char *who)
{
    held_remove(m, HELD_MUTEX);
    int rc = pthread_mutex_unlock(m);
    if (__builtin_expect(rc != 0, 0))
        mutex_failed(rc, who, "unlock");
}

__attribute__((noinline, noreturn)) static void mutex_lock_failed(int rc)
{
    held.n = 0;
    mutex_failed(rc, "cx_lock", "lock");
}

__attribute__((noinline, noreturn)) static void mutex_unlock_failed(int rc)
{
    mutex_failed(rc, "cx_lock", "unlock");
}

/* Reached by a tail call, m still in the register it arrived in: the fast
 * path saves no register for the slow one. */
__attribute__((noinline)) static void *mutex_enter_slow(pthread_mutex_t *m)
{
    if (!m)
        cx__null_argument("cx_lock_mutex", "m");
    mutex_acquire(m, "cx_lock");
    return NULL;
}

/* cx_lock's enter and exit take the common case themselves (a thread that
 * holds no other lock through cx: a call fewer each, no registers to save)
 * and leave the rest to mutex_acquire and mutex_release.  The manager is
 * made inline (cx__lock_mutex), so a NULL mutex is caught here, sent to the
 * slow path with the test for other locks held. */
static void *mutex_enter(void *state)
{
    pthread_mutex_t *m = *(pthread_mutex_t **)state;
    if (__builtin_expect(!m || held.n != 0, 0))
        return mutex_enter_slow(m);
    /* Holding nothing through cx, this thread cannot be taking the lock
     * again (but through plain pthread_mutex_lock: then an error-checking
     * mutex says EDEADLK, any other deadlocks as without cx).  The entry is
     * written first, so nothing is needed after the call. */
    held.first[0] = (held_entry)m;
    held.n = 1;
    int rc = pthread_mutex_lock(m);
    if (__builtin_expect(rc != 0, 0))
        mutex_lock_failed(rc);
    return NULL;
}

/* The count was taken down already (mutex_exit). */
__attribute__((noinline)) static bool mutex_exit_slow(pthread_mutex_t *m)
{
    held.n++;
    mutex_release(m, "cx_lock");
    return false;
}

static bool mutex_exit(void *state, cx_error *err)
{
    pthread_mutex_t *m = *(pthread_mutex_t **)state;
    (void)err;
    /* The one lock this thread holds through cx is m's: a manager is exited
     * where it was entered (unlocking a mutex from a thread that does not
     * hold it is undefined for pthreads), and m's entry is in this
     * thread's list.  Counted down first and asked after, in one
     * instruction; the slow path counts back up. */
    if (__builtin_expect(--held.n == 0, 1)) {
        CX_ASSERT(held.first[0] == (held_entry)m);
        int rc = pthread_mutex_unlock(m);
        if (__builtin_expect(rc != 0, 0))
            mutex_unlock_failed(rc);
        return false;
    }
    return mutex_exit_slow(m);
}

const cx_manager_type cx__mutex_type = {"lock", mutex_enter, mutex_exit};

/* The exported function behind the inline form, for callers that take its
 * address or are not C. */
#undef cx_lock_mutex
cx_manager cx_lock_mutex(pthread_mutex_t *m) { return cx__lock_mutex(m); }

/* ---- cx_rlock ---- */

void cx_rlock_init(cx_rlock *l)
{
    if (!l)
        cx__null_argument("cx_rlock_init", "l");
    *l = (cx_rlock)CX_RLOCK_INIT;
}

void cx_rlock_destroy(cx_rlock *l)
{
    if (!l)
        return;
    pthread_cond_destroy(&l->released);
    pthread_mutex_destroy(&l->guard);
}

int cx_rlock_depth(cx_rlock *l)
{
    if (!l)
        cx__null_argument("cx_rlock_depth", "l");
    pthread_mutex_lock(&l->guard);
    int depth = l->depth > 0 && pthread_equal(l->owner, pthread_self()) ? l->depth : 0;
    pthread_mutex_unlock(&l->guard);
    return depth;
}

static void *rlock_enter(void *state)
{
    cx_rlock *l = *(cx_rlock **)state;
    pthread_t self = pthread_self();
    pthread_mutex_lock(&l->guard);
    if (l->depth > 0 && pthread_equal(l->owner, self)) {
        l->depth++;
    } else {
        while (l->depth > 0)
            pthread_cond_wait(&l->released, &l->guard);
        l->owner = self;
        l->depth = 1;
    }
    pthread_mutex_unlock(&l->guard);
    return NULL;
}

/* Only reachable from another thread if a manager is exited by hand
 * (cx_manager_exit) somewhere it was not entered. */
static bool rlock_exit(void *state, cx_error *err)
{
    cx_rlock *l = *(cx_rlock **)state;
    (void)err;
    pthread_mutex_lock(&l->guard);
    bool mine = l->depth > 0 && pthread_equal(l->owner, pthread_self());
    if (mine && --l->depth == 0)
        pthread_cond_signal(&l->released);
    pthread_mutex_unlock(&l->guard);
    if (!mine)
        cx_raise(&cx_RuntimeError, "cx_lock: cannot release un-acquired rlock");
    return false;
}

static const cx_manager_type rlock_type = {"rlock", rlock_enter, rlock_exit};

cx_manager cx_lock_rlock(cx_rlock *l)
{
    if (!l)
        cx__null_argument("cx_lock_rlock", "l");
    return cx_manager_make(&rlock_type, &l, sizeof l);
}

/* ---- pthread_rwlock_t ---- */

typedef struct {
    pthread_rwlock_t *rw;
    int kind;   /* HELD_READ or HELD_WRITE */
} rwlock_state;

static void *rwlock_enter(void *state)
{
    rwlock_state *s = state;
    held_reserve();
    int rc;
    if (s->kind == HELD_WRITE) {
        if (held_find(s->rw, HELD_ANY) != HELD_NONE)
            cx_raise(&cx_RuntimeError, "cx_lock: rwlock already held by this thread");
        rc = pthread_rwlock_wrlock(s->rw);
    } else {
        if (held_find(s->rw, HELD_WRITE) != HELD_NONE)
            cx_raise(&cx_RuntimeError,
                     "cx_read_lock: rwlock already write-locked by this thread");
        rc = pthread_rwlock_rdlock(s->rw);
    }
    if (rc != 0)
        cx_raise_errno(rc, "%s: lock rwlock", s->kind == HELD_WRITE ? "cx_lock" : "cx_read_lock");
    held_add(s->rw, s->kind);
    return NULL;
}

static bool rwlock_exit(void *state, cx_error *err)
{
    rwlock_state *s = state;
    (void)err;
    held_remove(s->rw, s->kind);
    int rc = pthread_rwlock_unlock(s->rw);
    if (rc != 0)
        cx_raise_errno(rc, "%s: unlock rwlock", s->kind == HELD_WRITE ? "cx_lock" : "cx_read_lock");
    return false;
}

static const cx_manager_type rwlock_type = {"rwlock", rwlock_enter, rwlock_exit};

cx_manager cx_lock_rwlock(pthread_rwlock_t *rw)
{
    if (!rw)
        cx__null_argument("cx_lock_rwlock", "rw");
    rwlock_state s = {rw, HELD_WRITE};
    return cx_manager_make(&rwlock_type, &s, sizeof s);
}

cx_manager cx_read_lock(pthread_rwlock_t *rw)
{
    if (!rw)
        cx__null_argument("cx_read_lock", "rw");
    rwlock_state s = {rw, HELD_READ};
    return cx_manager_make(&rwlock_type, &s, sizeof s);
}

/* ---- sem_t ---- */

static void *sem_enter(void *state)
{
    sem_t *s = *(sem_t **)state;
    while (sem_wait(s) != 0)
        if (errno != EINTR)
            cx_raise_errno(errno, "cx_lock: sem_wait");
    return NULL;
}

static bool sem_exit(void *state, cx_error *err)
{
    (void)err;
    if (sem_post(*(sem_t **)state) != 0)
        cx_raise_errno(errno, "cx_lock: sem_post");
    return false;
}

static const cx_manager_type sem_type = {"semaphore", sem_enter, sem_exit};

cx_manager cx_lock_sem(sem_t *s)
{
    if (!s)
        cx__null_argument("cx_lock_sem", "s");
    return cx_manager_make(&sem_type, &s, sizeof s);
}

/* ---- condition wait ---- */

typedef struct {
    pthread_mutex_t *m;
    pthread_cond_t *c;
    bool (*pred)(void *);
    void *arg;
} when_state;

static void *when_enter(void *state)
{
    when_state *s = state;
    mutex_acquire(s->m, "cx_lock_when");
    cx_try {
        while (!s->pred(s->arg)) {
            int rc = pthread_cond_wait(s->c, s->m);
            if (rc != 0)
                cx_raise_errno(rc, "cx_lock_when: wait");
        }
    } cx_except_any (e) {
        (void)e;
        mutex_release(s->m, "cx_lock_when");
        cx_reraise();
    }
    return NULL;
}

static bool when_exit(void *state, cx_error *err)
{
    (void)err;
    mutex_release(((when_state *)state)->m, "cx_lock_when");
    return false;
}

static const cx_manager_type when_type = {"lock_when", when_enter, when_exit};

cx_manager cx_lock_when(pthread_mutex_t *m, pthread_cond_t *c, bool (*pred)(void *), void *arg)
{
    if (!m)
        cx__null_argument("cx_lock_when", "m");
    if (!c)
        cx__null_argument("cx_lock_when", "c");
    if (!pred)
        cx__null_argument("cx_lock_when", "pred");
    when_state s = {m, c, pred, arg};
    return cx_manager_make(&when_type, &s, sizeof s);
}

/* ---- flock ---- */

typedef struct {
    int fd;
    int operation;
} flock_state;

static void *flock_enter(void *state)
{
    flock_state *s = state;
    int base = s->operation & ~LOCK_NB;
    if (base != LOCK_SH && base != LOCK_EX)
        cx_raise(&cx_ValueError,
                 "flock: operation %d is not LOCK_SH or LOCK_EX (optionally | LOCK_NB)",
                 s->operation);
    while (flock(s->fd, s->operation) != 0)
        if (errno != EINTR)
            cx_raise_errno(errno, "flock fd %d", s->fd);
    return NULL;
}

static bool flock_exit(void *state, cx_error *err)
{
    flock_state *s = state;
    (void)err;
    if (flock(s->fd, LOCK_UN) != 0)
        cx_raise_errno(errno, "unlock flock fd %d", s->fd);
    return false;
}

static const cx_manager_type flock_type = {"flock", flock_enter, flock_exit};

cx_manager cx_flock(int fd, int operation)
{
    flock_state s = {fd, operation};
    return cx_manager_make(&flock_type, &s, sizeof s);
}

/* ---- rate limiter ---- */

const cx_type cx_RateLimitExceeded = {"RateLimitExceeded", &cx_RuntimeError};

/* The calls in the window, oldest first, as a ring of CLOCK_MONOTONIC
 * nanoseconds.  `changed` (cx__port_cond_init's) wakes waiters when a call
 * is forgotten. */
struct cx_rate_limiter {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    int max_calls;
    bool wait;
    double period_s;
    int64_t period_ns;
    int head, count;
    int64_t stamps[];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

cx_rate_limiter *cx_rate_limiter_new(int max_calls, double period_s, bool wait)
{
    if (max_calls < 1)
        cx_raise(&cx_ValueError, "cx_rate_limiter_new: max_calls must be at least 1, not %d",
                 max_calls);
    if (!(period_s > 0 && period_s < 1e9))
        cx_raise(&cx_ValueError,
                 "cx_rate_limiter_new: period_s must be positive and under 1e9, not %g",
                 period_s);
    cx_rate_limiter *rl = cx_malloc(sizeof *rl + (size_t)max_calls * sizeof rl->stamps[0]);
    int rc = cx__port_cond_init(&rl->changed);
    if (rc == 0 && (rc = pthread_mutex_init(&rl->mutex, NULL)) != 0)
        pthread_cond_destroy(&rl->changed);
    if (rc != 0) {
        cx_free(rl);
        cx_raise_errno(rc, "rate limiter: initialise");
    }
    rl->max_calls = max_calls;
    rl->wait = wait;
    rl->period_s = period_s;
    rl->period_ns = (int64_t)(period_s * 1e9);
    rl->head = rl->count = 0;
    return rl;
}

void cx_rate_limiter_free(cx_rate_limiter *rl)
{
    if (!rl)
        return;
    pthread_cond_destroy(&rl->changed);
    pthread_mutex_destroy(&rl->mutex);
    cx_free(rl);
}

static int64_t *stamp_at(cx_rate_limiter *rl, int i)
{
    return &rl->stamps[(rl->head + i) % rl->max_calls];
}

/* Drops calls that left the window: those at least a period old. */
static void expire(cx_rate_limiter *rl, int64_t now)
{
    while (rl->count > 0 && now - *stamp_at(rl, 0) >= rl->period_ns) {
        rl->head = (rl->head + 1) % rl->max_calls;
        rl->count--;
    }
}

/* Takes a slot and returns its stamp, or returns -1 when the window is full
 * and the limiter does not wait.  Called with the mutex held. */
static int64_t admit(cx_rate_limiter *rl)
{
    for (;;) {
        int64_t now = now_ns();
        expire(rl, now);
        if (rl->count < rl->max_calls) {
            *stamp_at(rl, rl->count++) = now;
            return now;
        }
        if (!rl->wait)
            return -1;
        struct timespec ts = cx__port_cond_deadline(*stamp_at(rl, 0) + rl->period_ns);
        pthread_cond_timedwait(&rl->changed, &rl->mutex, &ts);
    }
}

/* Forgets the call stamped `stamp`, if it is still in the window.  Calls with
 * equal stamps are interchangeable, so the newest such is removed. */
static void forget(cx_rate_limiter *rl, int64_t stamp)
{
    for (int i = rl->count; i-- > 0;) {
        if (*stamp_at(rl, i) != stamp)
            continue;
        for (; i + 1 < rl->count; i++)
            *stamp_at(rl, i) = *stamp_at(rl, i + 1);
        rl->count--;
        pthread_cond_broadcast(&rl->changed);
        return;
    }
}

typedef struct {
    cx_rate_limiter *rl;
    int64_t stamp;
} limited_state;

static void *limited_enter(void *state)
{
    limited_state *s = state;
    cx_rate_limiter *rl = s->rl;
    pthread_mutex_lock(&rl->mutex);
    s->stamp = admit(rl);
    pthread_mutex_unlock(&rl->mutex);
    if (s->stamp < 0)
        cx_raise(&cx_RateLimitExceeded, "rate limit exceeded: %d calls per %g s",
                 rl->max_calls, rl->period_s);
    return NULL;
}

static bool limited_exit(void *state, cx_error *err)
{
    limited_state *s = state;
    if (err) {
        pthread_mutex_lock(&s->rl->mutex);
        forget(s->rl, s->stamp);
        pthread_mutex_unlock(&s->rl->mutex);
    }
    return false;
}

static const cx_manager_type limited_type = {"rate_limited", limited_enter, limited_exit};

cx_manager cx_rate_limited(cx_rate_limiter *rl)
{
    if (!rl)
        cx__null_argument("cx_rate_limited", "rl");
    limited_state s = {rl, 0};
    return cx_manager_make(&limited_type, &s, sizeof s);
}
