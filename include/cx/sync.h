/* cx/sync.h — locks as managers: mutexes, a reentrant lock, read-write
 * locks, semaphores, condition waits, flock(2), and a rate limiter.
 *
 *   static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
 *   cx_with (cx_lock(&m)) { shared++; }          // Python's `with lock:`
 *
 * Every lock manager releases on every path out of the block (end, raise,
 * return, break, goto).  A plain mutex or an rwlock taken again by the thread
 * that already holds it through cx_lock is reported (cx_RuntimeError) instead
 * of deadlocking; a lock taken with raw pthread calls is not known to cx and
 * cannot be checked.  Use cx_rlock where nesting is intended.
 *
 * A NULL lock, condition, predicate or limiter raises cx_ValueError naming
 * the function and argument (when the manager is made, or for cx_lock_mutex,
 * made inline, at enter); an `arg` may be NULL: it is only passed along.
 * cx_rlock_destroy(NULL) and cx_rate_limiter_free(NULL) do nothing. */
#ifndef CX_SYNC_H
#define CX_SYNC_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <sys/file.h>

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pthread_rwlock_t exists only with POSIX 2001 visible: a program built with
 * plain -std=c11 gets cx_lock without the rwlock forms (define
 * _POSIX_C_SOURCE=200809L or _DEFAULT_SOURCE to have them). */
#if !defined(__GLIBC__) || defined(__USE_XOPEN2K)
#define CX__HAVE_RWLOCK 1
#endif

/* A reentrant lock (Python's threading.RLock): the thread that holds it may
 * take it again; it is free when every acquisition has been released.
 * Statically initialisable:  static cx_rlock l = CX_RLOCK_INIT;
 * The members are cx's: use it only through the functions below. */
typedef struct cx_rlock {
    pthread_mutex_t guard;     /* protects owner and depth */
    pthread_cond_t released;   /* signalled when depth drops to 0 */
    pthread_t owner;           /* meaningful only while depth > 0 */
    int depth;                 /* acquisitions by owner not yet released */
} cx_rlock;

/* The static initialiser of a cx_rlock. */
#ifdef __cplusplus
#define CX_RLOCK_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, pthread_t(), 0}
#else
#define CX_RLOCK_INIT \
    {.guard = PTHREAD_MUTEX_INITIALIZER, .released = PTHREAD_COND_INITIALIZER, .depth = 0}
#endif

/* Initialises a cx_rlock at run time (same as CX_RLOCK_INIT). */
CX_API void cx_rlock_init(cx_rlock *l);
/* Destroys a cx_rlock nobody holds or waits for.  NULL does nothing. */
CX_API void cx_rlock_destroy(cx_rlock *l);
/* How many times the calling thread holds `l` (0 when it does not own it). */
CX_API int cx_rlock_depth(cx_rlock *l);

/* cx_lock(L): Python's `with lock:`, chosen by the type of L:
 *   pthread_mutex_t *   cx_lock_mutex
 *   cx_rlock *          cx_lock_rlock
 *   pthread_rwlock_t *  cx_lock_rwlock (the write side; cx_read_lock for the read side)
 *   sem_t *             cx_lock_sem
 * Binds nothing (NULL). */
#ifndef __cplusplus
#ifdef CX__HAVE_RWLOCK
#define cx_lock(L)                                                             \
    CX__AT(_Generic((L),                                                       \
        pthread_mutex_t *: cx__lock_mutex,                                     \
        cx_rlock *: cx_lock_rlock,                                             \
        pthread_rwlock_t *: cx_lock_rwlock,                                    \
        sem_t *: cx_lock_sem)(L))
#else
#define cx_lock(L)                                                             \
    CX__AT(_Generic((L),                                                       \
        pthread_mutex_t *: cx__lock_mutex,                                     \
        cx_rlock *: cx_lock_rlock,                                             \
        sem_t *: cx_lock_sem)(L))
#endif
#endif

/* Locks `m` for the block, unlocks at exit.  If the calling thread already
 * holds the mutex, enter raises cx_RuntimeError "cx_lock: mutex already held
 * by this thread (use cx_rlock for reentrant locking)" instead of
 * deadlocking, when it took it through cx (or, for an error-checking mutex,
 * however it took it); a PTHREAD_MUTEX_RECURSIVE mutex takes another level
 * instead.  Otherwise
 * enter blocks until the mutex is free.  Other pthread failures raise
 * OSError.  The mutex stays the caller's.  Reusable, not reentrant. */
CX_API cx_manager cx_lock_mutex(pthread_mutex_t *m);

/* cx_lock_mutex, inline: the manager is built in the with statement's own
 * storage (two stores), not returned through a call and copied. */
CX_API extern const cx_manager_type cx__mutex_type;
static inline cx_manager cx__lock_mutex(pthread_mutex_t *m)
{
    return cx_manager_make(&cx__mutex_type, &m, sizeof m);
}
/* cx_lock_mutex in its inline form (the function above for its address). */
#define cx_lock_mutex(...) cx__lock_mutex(__VA_ARGS__)

/* Takes the reentrant lock `l` for the block (blocking while another thread
 * owns it) and releases one level at exit.  Enter never raises; exit raises
 * cx_RuntimeError "cx_lock: cannot release un-acquired rlock" only if the
 * manager is exited by hand on a thread that does not own `l`.  The lock
 * stays the caller's.  Reusable and reentrant. */
CX_API cx_manager cx_lock_rlock(cx_rlock *l);

/* Takes the write side of `rw` for the block, unlocks at exit.  Enter raises
 * cx_RuntimeError if the calling thread already holds `rw` (read or write)
 * through cx_lock / cx_read_lock, OSError for other pthread failures.
 * Reusable, not reentrant. */
#ifdef CX__HAVE_RWLOCK
CX_API cx_manager cx_lock_rwlock(pthread_rwlock_t *rw);

/* Takes the read side of `rw` for the block, unlocks at exit.  Readers share;
 * a thread may nest read locks.  Enter raises cx_RuntimeError if the calling
 * thread holds the write side through cx_lock, OSError for other pthread
 * failures (EAGAIN: too many readers).  Reusable; reentrant for readers. */
CX_API cx_manager cx_read_lock(pthread_rwlock_t *rw);
#endif

/* Waits on (decrements) the semaphore for the block and posts it at exit:
 * Python's `with threading.Semaphore(n):`.  Interrupted waits are retried.
 * Enter raises OSError on sem_wait failure, exit on sem_post failure
 * (EOVERFLOW).  Semaphores have no owner: a thread may hold several units,
 * so this is reusable and reentrant (each level takes one unit). */
CX_API cx_manager cx_lock_sem(sem_t *s);

/* Python's `with cond: cond.wait_for(pred)`: locks `m` (as cx_lock_mutex
 * does, with the same reentry check), then waits on `c` until pred(arg) is
 * true; the body runs with `m` held and pred(arg) true.  Exit unlocks `m`.
 * Whoever makes pred true must do so with `m` held and signal or broadcast
 * `c`.  pred is called with `m` held; if it raises, `m` is unlocked and the
 * error propagates (the body does not run).  Binds nothing.  Reusable, not
 * reentrant. */
CX_API cx_manager cx_lock_when(pthread_mutex_t *m, pthread_cond_t *c,
                               bool (*pred)(void *arg), void *arg);

/* flock(2) on `fd` for the block: `operation` is LOCK_SH or LOCK_EX,
 * optionally | LOCK_NB.  Blocking requests wait for the lock (interrupted
 * waits are retried); with LOCK_NB a lock held elsewhere raises
 * cx_BlockingIOError.  Other failures raise the OSError subclass for errno;
 * an operation that is not LOCK_SH or LOCK_EX raises cx_ValueError.  Exit
 * unlocks (LOCK_UN) and raises OSError if that fails.  The lock belongs to the
 * open file description, as flock's always does; the descriptor stays the
 * caller's.  Reusable, not reentrant (a nested flock on the same description
 * converts the lock, and the inner exit releases it). */
CX_API cx_manager cx_flock(int fd, int operation);

/* ---- Rate limiting ---- */

/* Raised by cx_rate_limited when the window is full and the limiter does not
 * wait.  Base: cx_RuntimeError. */
CX_API extern const cx_type cx_RateLimitExceeded;

/* A sliding-window rate limiter: at most `max_calls` entries in any `period_s`
 * seconds (CLOCK_MONOTONIC).  Thread-safe. */
typedef struct cx_rate_limiter cx_rate_limiter;

/* Makes a limiter.  `wait` chooses what a call over the limit does: sleep
 * until a slot frees (true) or raise cx_RateLimitExceeded (false).  Raises
 * cx_ValueError if max_calls < 1 or period_s is not in (0, 1e9) (NaN and
 * infinity included), cx_MemoryError when out of memory.  The caller owns the limiter and frees it with
 * cx_rate_limiter_free. */
CX_API cx_rate_limiter *cx_rate_limiter_new(int max_calls, double period_s, bool wait);

/* Frees a limiter no thread is using.  NULL is allowed. */
CX_API void cx_rate_limiter_free(cx_rate_limiter *rl);

/* One rate-limited call: enter records the call in `rl`'s window, waiting for
 * a slot or raising cx_RateLimitExceeded "rate limit exceeded: N calls per
 * S s" when the window is full.  A call whose body raised is forgotten at
 * exit (its slot is given back, and waiting threads are woken), as in the
 * guide's RateLimiter.  Binds nothing.  Reusable and reentrant (each level is
 * one call; a waiting limiter nested deeper than max_calls in one thread waits
 * forever). */
CX_API cx_manager cx_rate_limited(cx_rate_limiter *rl);

#ifdef __cplusplus
/* C++ has no _Generic: there cx_lock is an overloaded function. */
extern "C++" {
inline cx_manager cx_lock(pthread_mutex_t *m) { return cx_lock_mutex(m); }
inline cx_manager cx_lock(cx_rlock *l) { return cx_lock_rlock(l); }
#ifdef CX__HAVE_RWLOCK
inline cx_manager cx_lock(pthread_rwlock_t *rw) { return cx_lock_rwlock(rw); }
#endif
inline cx_manager cx_lock(sem_t *s) { return cx_lock_sem(s); }
}
/* Records the call site, as C's cx_lock does. */
#define cx_lock(L) CX__AT(cx_lock(L))
}
#endif

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_rlock_init(...) CX__AT(cx_rlock_init(__VA_ARGS__))
#define cx_rlock_depth(...) CX__AT(cx_rlock_depth(__VA_ARGS__))
#define cx_lock_rlock(...) CX__AT(cx_lock_rlock(__VA_ARGS__))
#ifdef CX__HAVE_RWLOCK
#define cx_lock_rwlock(...) CX__AT(cx_lock_rwlock(__VA_ARGS__))
#define cx_read_lock(...) CX__AT(cx_read_lock(__VA_ARGS__))
#endif
#define cx_lock_sem(...) CX__AT(cx_lock_sem(__VA_ARGS__))
#define cx_lock_when(...) CX__AT(cx_lock_when(__VA_ARGS__))
#define cx_flock(...) CX__AT(cx_flock(__VA_ARGS__))
#define cx_rate_limiter_new(...) CX__AT(cx_rate_limiter_new(__VA_ARGS__))
#define cx_rate_limited(...) CX__AT(cx_rate_limited(__VA_ARGS__))
#endif
#endif
