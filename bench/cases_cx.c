/* The cx side of every synchronous case. */
#include <pthread.h>
#include <stdio.h>

#include <cx/cx.h>

#include "bench.h"
#include "managers.h"

/* A loop counter live across a with statement's jump buffer.  Under libc's
 * _setjmp (32-bit targets, TSan) a register variable changed after the
 * setjmp may be lost by the longjmp, so it is volatile there; the compiler's
 * own jump (CX__BUILTIN_JUMP) keeps every variable, and the timed loops
 * stay as a C programmer writes them. */
#ifdef CX__BUILTIN_JUMP
#define BENCH_JMP_LIVE
#else
#define BENCH_JMP_LIVE volatile
#endif

/* ---- with_trivial: a with over a manager whose enter/exit do nothing ---- */

void cx_with_trivial(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_with (void *v, cx_manager_make(&bench_nop_type, NULL, 0))
            bench_touch(v);
}

/* ---- using_trivial: cx_using over the same manager ---- */

void cx_using_trivial(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++) {
        cx_using (void *v, cx_manager_make(&bench_nop_type, NULL, 0));
        bench_touch(v);
    }
}

/* ---- defer_one: a scope with one deferred call ---- */

static void release(void *p) { bench_touch(p); }

void cx_defer_one(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_scope {
            int x = 1;
            cx_defer(release, &x);
        }
}

/* ---- raise_catch: raise with a message, caught one level up ---- */

__attribute__((noinline)) static void fails(void)
{
    cx_raise(&cx_ValueError, "bad value");
}

void cx_raise_catch(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_try {
            fails();
        } cx_except (&cx_ValueError, e) {
            bench_touch(e);
        }
}

/* ---- suppress_raise: a raise inside suppress ---- */

void cx_suppress_raise(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_with (cx_suppress(&cx_ValueError))
            fails();
}

/* ---- generator_cm: enter + exit of a generator-based manager ---- */

static void trivial_cm(cx_gen *g, void *arg) { cx_yield(g, arg); }

void cx_generator_cm(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_with (void *v, cx_contextmanager(trivial_cm, &n))
            bench_touch(v);
}

/* ---- gen_iterate: per item of a generator loop ---- */

static void count_up(cx_gen *g, void *arg)
{
    long n = *(long *)arg;
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_yield(g, (void *)i);
}

void cx_gen_iterate(long n)
{
    cx_gen *g = cx_gen_new(count_up, &n);
    void *v;
    while (cx_gen_next(g, &v))
        bench_touch(v);
    cx_gen_close(g);
}

/* ---- exitstack_1 / exitstack_10: ExitStack with 1 / 10 callbacks ---- */

static void callback(void *p) { bench_touch(p); }

static void exitstack(long n, int callbacks)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_with (cx_exitstack *s, cx_exitstack_new())
            for (int k = 0; k < callbacks; k++)
                cx_exitstack_callback(s, callback, s);
}

void cx_exitstack_1(long n) { exitstack(n, 1); }
void cx_exitstack_10(long n) { exitstack(n, 10); }

/* ---- mutex_with: a lock manager, uncontended ---- */

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

void cx_mutex_with(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_with (cx_lock(&mutex))
            bench_touch(&mutex);
}

/* ---- open_close_devnull: the guide's performance section ---- */

void cx_open_close_devnull(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++)
        cx_with (FILE *f, cx_open("/dev/null", "w"))
            bench_touch(f);
}

void cx_using_open_close_devnull(long n)
{
    for (BENCH_JMP_LIVE long i = 0; i < n; i++) {
        cx_using (FILE *f, cx_open("/dev/null", "w"));
        bench_touch(f);
    }
}
