/* Locks as managers: mutex, rlock, rwlock, semaphore, condition wait, flock,
 * and the sliding-window rate limiter. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cx/sync.h>
#include <cx/try.h>

#include "../core/internal.h"

/* ---- Which locks this thread holds through cx ----
 *
 * A PTHREAD_MUTEX_INITIALIZER mutex cannot name its owner, so a second
 * cx_lock on it from the same thread would deadlock silently.  Each thread
 * keeps the locks it took through cx (a short list: locks nest shallowly), so
 * a busy lock can be told apart from one this thread already holds.  Room is
 * reserved before acquiring, so recording the lock afterwards cannot fail. */

enum { HELD_ANY, HELD_MUTEX, HELD_READ, HELD_WRITE };

typedef struct {
    const void *lock;
    int kind;
} held_entry;

#define HELD_INLINE 16

static __thread held_entry held_inline[HELD_INLINE] __attribute__((tls_model("initial-exec")));
static __thread held_entry *held_heap __attribute__((tls_model("initial-exec")));   /* when more than HELD_INLINE */
static __thread size_t held_n __attribute__((tls_model("initial-exec"))), held_cap __attribute__((tls_model("initial-exec")));

static held_entry *held_list(void) { return held_heap ? held_heap : held_inline; }

static void held_reserve(void)
{
    size_t cap = held_heap ? held_cap : HELD_INLINE;
    if (held_n < cap)
        return;
    held_entry *grown = cx_malloc(2 * cap * sizeof *grown);
    memcpy(grown, held_list(), held_n * sizeof *grown);
    cx_free(held_heap);
    held_heap = grown;
    held_cap = 2 * cap;
}

static void held_add(const void *lock, int kind)
{
    held_list()[held_n++] = (held_entry){lock, kind};
}

/* The most recent entry for `lock` of `kind` (HELD_ANY: any kind), or NULL. */
static held_entry *held_find(const void *lock, int kind)
{
    held_entry *list = held_list();
    for (size_t i = held_n; i-- > 0;)
        if (list[i].lock == lock && (kind == HELD_ANY || list[i].kind == kind))
            return &list[i];
    return NULL;
}

static void held_remove(const void *lock, int kind)
{
    held_entry *list = held_list(), *e = held_find(lock, kind);
    if (!e)
        return;
    if (e != list + held_n - 1) /* locks are mostly released last-taken first */
        memmove(e, e + 1, (size_t)(list + held_n - (e + 1)) * sizeof *e);
    if (--held_n == 0 && held_heap) {
        cx_free(held_heap);
        held_heap = NULL;
        held_cap = 0;
    }
}

/* ---- pthread_mutex_t ---- */

#if defined(__GLIBC__)
/* glibc writes the owner's thread id into every mutex it locks (the
 * __owner field of its public pthread_mutex_t), normal mutexes included,
 * and clears it before it lets go: a relock by the owner is seen from the
 * mutex itself, with no list to keep.  This also catches a mutex the thread
 * took with pthread_mutex_lock rather than cx_lock. */
static __thread pid_t tid_cache __attribute__((tls_model("initial-exec")));

static void forget_tid(void) { tid_cache = 0; } /* a forked child has its own */

__attribute__((constructor)) static void tid_register(void)
{
    pthread_atfork(NULL, NULL, forget_tid);
}

__attribute__((noinline)) static pid_t tid_fetch(void)
{
    return tid_cache = (pid_t)syscall(SYS_gettid);
}

static inline bool mutex_owned_by(pthread_mutex_t *m, pid_t tid)
{
    return __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) == tid;
}

/* Owned by this thread: a recursive mutex takes another level; any other
 * kind would deadlock (or fail, an error-checking one), so it raises. */
__attribute__((noinline)) static void mutex_relock(pthread_mutex_t *m, const char *who)
{
    if ((m->__data.__kind & 3) != PTHREAD_MUTEX_RECURSIVE)
        cx_raise(&cx_RuntimeError,
                 "%s: mutex already held by this thread (use cx_rlock for reentrant locking)",
                 who);
}

__attribute__((noinline, noreturn)) static void mutex_failed(int rc, const char *who,
                                                             const char *what)
{
    cx_raise_errno(rc, "%s: %s mutex", who, what);
}

static inline void mutex_lock_or_raise(pthread_mutex_t *m, const char *who)
{
    int rc = pthread_mutex_lock(m);
    if (__builtin_expect(rc != 0, 0))
        mutex_failed(rc, who, "lock");
}

/* The thread id is not known yet, or the mutex is this thread's. */
__attribute__((noinline)) static void mutex_acquire_slow(pthread_mutex_t *m, const char *who)
{
    if (mutex_owned_by(m, tid_cache ? tid_cache : tid_fetch()))
        mutex_relock(m, who);
    mutex_lock_or_raise(m, who);
}

/* The common case keeps nothing across a call but the mutex, so it saves no
 * register: both questions (is the id known, is the mutex ours) are asked
 * before the lock, and either leaves for the slow path. */
static inline void mutex_acquire(pthread_mutex_t *m, const char *who)
{
    pid_t me = tid_cache;
    if (__builtin_expect(me == 0 || mutex_owned_by(m, me), 0))
        mutex_acquire_slow(m, who);
    else
        mutex_lock_or_raise(m, who);
}

static inline void mutex_release(pthread_mutex_t *m, const char *who)
{
    int rc = pthread_mutex_unlock(m);
    if (__builtin_expect(rc != 0, 0))
        mutex_failed(rc, who, "unlock");
}

/* The manager is made inline (cx__lock_mutex), so a NULL mutex is caught
 * here: one compare, on a value the lock call needs anyway. */
static void *mutex_enter(void *state)
{
    pthread_mutex_t *m = *(pthread_mutex_t **)state;
    if (__builtin_expect(!m, 0))
        cx__null_argument("cx_lock_mutex", "m");
    mutex_acquire(m, "cx_lock");
    return NULL;
}

static bool mutex_exit(void *state, cx_error *err)
{
    (void)err;
    mutex_release(*(pthread_mutex_t **)state, "cx_lock");
    return false;
}
#else

/* The list is consulted only when the lock is busy; an uncontended lock
 * costs a trylock and one entry written.  When the inline list is full the
 * lock is let go while room is made (which may raise), then taken again. */
static void mutex_acquire(pthread_mutex_t *m, const char *who)
{
    int rc = pthread_mutex_trylock(m);
    if (__builtin_expect(rc == 0, 1) && !held_heap && held_n < HELD_INLINE) {
        held_inline[held_n++] = (held_entry){m, HELD_MUTEX};
        return;
    }
    if (rc == 0) { /* no room in the inline list: let go, make room, lock again */
        pthread_mutex_unlock(m);
        held_reserve();
        rc = pthread_mutex_trylock(m);
    } else {
        held_reserve();
    }
    if (rc == EBUSY) {
        if (held_find(m, HELD_MUTEX))
            cx_raise(&cx_RuntimeError,
                     "%s: mutex already held by this thread (use cx_rlock for reentrant locking)",
                     who);
        rc = pthread_mutex_lock(m);
    }
    if (rc != 0)
        cx_raise_errno(rc, "%s: lock mutex", who);
    held_add(m, HELD_MUTEX);
}

static void mutex_release(pthread_mutex_t *m, const char *who)
{
    /* Mostly the lock taken last, in the inline list: drop it there. */
    if (__builtin_expect(held_n && !held_heap, 1) && held_inline[held_n - 1].lock == m &&
        held_inline[held_n - 1].kind == HELD_MUTEX)
        held_n--;
    else
        held_remove(m, HELD_MUTEX);
    int rc = pthread_mutex_unlock(m);
    if (rc != 0)
        cx_raise_errno(rc, "%s: unlock mutex", who);
}

/* cx_lock's enter and exit take the common case themselves (a call fewer
 * each, no registers to save) and leave the rest to mutex_acquire and
 * mutex_release. */
__attribute__((noinline, noreturn)) static void mutex_lock_failed(int rc)
{
    held_n = 0;
    cx_raise_errno(rc, "cx_lock: lock mutex");
}

__attribute__((noinline, noreturn)) static void mutex_unlock_failed(int rc)
{
    cx_raise_errno(rc, "cx_lock: unlock mutex");
}

__attribute__((noinline)) static void mutex_enter_busy(pthread_mutex_t *m)
{
    if (!held_heap && held_n < HELD_INLINE && pthread_mutex_trylock(m) == 0) {
        held_inline[held_n++] = (held_entry){m, HELD_MUTEX};
        return;
    }
    mutex_acquire(m, "cx_lock");
}

static void *mutex_enter(void *state)
{
    pthread_mutex_t *m = *(pthread_mutex_t **)state;
    if (__builtin_expect(!m, 0))
        cx__null_argument("cx_lock_mutex", "m");
    if (__builtin_expect(held_n == 0 && !held_heap, 1)) {
        /* Holding nothing through cx, this thread cannot be taking the lock
         * again: a plain lock (a trylock costs more) decides.  The entry is
         * written first, so nothing is needed after the call. */
        held_inline[0] = (held_entry){m, HELD_MUTEX};
        held_n = 1;
        int rc = pthread_mutex_lock(m);
        if (__builtin_expect(rc != 0, 0))
            mutex_lock_failed(rc);
        return NULL;
    }
    mutex_enter_busy(m);
    return NULL;
}

static bool mutex_exit(void *state, cx_error *err)
{
    pthread_mutex_t *m = *(pthread_mutex_t **)state;
    (void)err;
    if (__builtin_expect(held_n && !held_heap, 1) && held_inline[held_n - 1].lock == m &&
        held_inline[held_n - 1].kind == HELD_MUTEX) {
        held_n--;
        int rc = pthread_mutex_unlock(m);
        if (__builtin_expect(rc != 0, 0))
            mutex_unlock_failed(rc);
        return false;
    }
    mutex_release(m, "cx_lock");
    return false;
}

#endif

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
        if (held_find(s->rw, HELD_ANY))
            cx_raise(&cx_RuntimeError, "cx_lock: rwlock already held by this thread");
        rc = pthread_rwlock_wrlock(s->rw);
    } else {
        if (held_find(s->rw, HELD_WRITE))
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
 * nanoseconds.  `changed` (on CLOCK_MONOTONIC) wakes waiters when a call is
 * forgotten. */
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
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&rl->changed, &attr);
    pthread_condattr_destroy(&attr);
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
        int64_t until = *stamp_at(rl, 0) + rl->period_ns;
        struct timespec ts = {(time_t)(until / 1000000000), (long)(until % 1000000000)};
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
