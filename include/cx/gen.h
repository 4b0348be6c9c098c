/* cx/gen.h — generators on stackful coroutines, and generator-based
 * managers (@contextmanager).
 *
 *   static void numbers(cx_gen *g, void *arg) {
 *       for (long i = 0; i < 3; i++)
 *           cx_yield(g, (void *)i);
 *   }
 *   cx_gen *g = cx_gen_new(numbers, NULL);
 *   void *v;
 *   while (cx_gen_next(g, &v)) printf("%ld\n", (long)v);
 *   cx_gen_close(g);
 *
 * A generator runs on its own stack with its own frame chain, so cx_try,
 * cx_with and cx_scope work inside it; an error it does not catch propagates
 * to whoever resumed it. */
#ifndef CX_GEN_H
#define CX_GEN_H

#include "with.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A generator: an opaque coroutine with its own stack and frame chain. */
typedef struct cx_gen cx_gen;
/* A generator's body: runs on the generator's stack; yields with cx_yield. */
typedef void cx_gen_fn(cx_gen *g, void *arg);

/* A new generator that will run fn(g, arg) on first cx_gen_next.  Its stack
 * is taken when it starts (see cx_gen_set_stack_size).  The caller owns it
 * and ends it with cx_gen_close.  Raises cx_MemoryError. */
CX_API cx_gen *cx_gen_new(cx_gen_fn *fn, void *arg);

/* Suspends the generator, handing `value` to its resumer; returns NULL when
 * resumed by cx_gen_next.  An error thrown in (cx_gen_close's GeneratorExit,
 * a with body's error for a generator manager) is raised here.  Raises
 * cx_RuntimeError when g is not the running generator. */
CX_API void *cx_yield(cx_gen *g, void *value);

/* Runs g to its next cx_yield; stores the yielded value in *out (out may be
 * NULL) and returns true, or returns false when g finished.  Raises what the
 * generator's body raised (the generator is then finished),
 * cx_ValueError "generator already executing" if g is running or for a
 * closed (stale) handle, and cx_MemoryError when g's first resume cannot
 * map its stack, naming vm.max_map_count when the process's mappings ran
 * out (g has not started: close it, or resume it again once there is room). */
CX_API bool cx_gen_next(cx_gen *g, void **out);

/* Python's generator.close(): throws cx_GeneratorExit in at the suspended
 * cx_yield so the generator's with blocks, defers and finally clauses run,
 * then frees g.  Raises cx_RuntimeError "generator ignored GeneratorExit" if
 * it yields again (its remaining cleanups are then lost), or what else its
 * body raised; g is then freed all the same.  Raises cx_ValueError, leaving
 * g as it is, when called inside g ("generator already executing"), and for
 * a handle already closed (stale: detected until 8 more generators were
 * closed on the thread, docs/generators.md "Limits").  NULL does nothing. */
CX_API void cx_gen_close(cx_gen *g);

/* contextlib.closing(g) for a generator, with no function pointer to cast:
 * binds g; exit calls cx_gen_close(g) on every path, so a loop that leaves
 * early still runs the generator's cleanup (its finally clauses, with exits
 * and defers) at the block's end, and an error that cleanup raises
 * propagates from the exit.  Single-use: the first exit closes g.  Raises
 * cx_ValueError for a NULL g (cx_aclosing, async.h, is the async twin). */
CX_API cx_manager cx_gen_closing(cx_gen *g);

/* True once g has finished (returned or raised).  Raises cx_ValueError for
 * a closed (stale) handle. */
CX_API bool cx_gen_finished(const cx_gen *g);

/* Bytes of stack for generators started from now on: 0 (the default,
 * 256 KiB) or 16 KiB to 1 GiB, rounded up to whole pages; cx_ValueError
 * outside that range, the setting unchanged.  Below each stack lies a 1 MiB
 * inaccessible guard: overflowing the stack ends the process (abort) with
 * "cx: stack overflow in generator (stack size N bytes; raise it with
 * cx_gen_set_stack_size)"; a single frame larger than the guard is caught
 * only if its code was built with -fstack-clash-protection. */
CX_API void cx_gen_set_stack_size(size_t bytes);

/* Python's @contextmanager: enter runs fn to its first cx_yield and binds the
 * yielded value; exit resumes it.  An error in the with body is raised at
 * that cx_yield: a generator that catches it suppresses it; one that
 * re-raises it propagates it unchanged; one that raises something else
 * propagates that, with the original as context.  cx_RuntimeError for
 * "generator didn't yield", "generator didn't stop" and "generator didn't
 * stop after throw()".  Single-use: a second enter raises cx_RuntimeError.
 * The generator is made here and freed at exit; a manager that is never
 * entered keeps a small allocation (enter it, or don't make it). */
CX_API cx_manager cx_contextmanager(cx_gen_fn *fn, void *arg);

/* cx_contextmanager, inline: the generator comes back in two registers and
 * the manager is built in the with statement's own storage, not returned
 * through memory and copied. */
typedef struct cx__cm_state {
    struct cx_gen *g;
    unsigned serial; /* which use of the pooled generator */
} cx__cm_state;
/* site: the user's call (errors name it); recorded by the callee, which
 * keeps it for "generator didn't yield / stop". */
CX_API cx__cm_state cx__gen_cm_new(cx_gen_fn *fn, void *arg, const cx__site *site);
CX_API extern const cx_manager_type cx__contextmanager_type;
static inline cx_manager cx__contextmanager(cx_gen_fn *fn, void *arg, const cx__site *site)
{
    cx__cm_state s = cx__gen_cm_new(fn, arg, site);
    return cx_manager_make(&cx__contextmanager_type, &s, sizeof s);
}
/* cx_contextmanager in its inline form (the function above for its
 * address).  Variadic, so a compound-literal argument with commas passes
 * through. */
#ifdef CX_BUILDING
#define cx_contextmanager(...) cx__contextmanager(__VA_ARGS__, cx__ts.here)
#else
#define cx_contextmanager(...) cx__contextmanager(__VA_ARGS__, CX__SITE_HERE())
#endif

/* Python's ContextDecorator: runs fn(arg) inside manager m (entered and
 * exited around the call).  Raises what m or fn raises. */
CX_API void cx_call_with(cx_manager m, void (*fn)(void *arg), void *arg);

/* Defines `void name(void *arg)`, which runs fn(arg) inside a fresh manager
 * made by the expression `make` at each call — a decorated function:
 *   CX_DECORATED(tracked_work, track_entry_exit("work"), work)  */
#define CX_DECORATED(name, make, fn) \
    void name(void *arg) { cx_call_with((make), (fn), arg); }

/* Call sites: each function above that can raise, or whose manager can,
 * is also a macro recording the caller's file, line and function (CX__AT,
 * frame.h), so its errors name the user's call.  (name)(args) and the
 * function's address bypass it. */
#ifndef CX_BUILDING
#define cx_gen_new(...) CX__AT(cx_gen_new(__VA_ARGS__))
#define cx_yield(...) CX__AT(cx_yield(__VA_ARGS__))
#define cx_gen_next(...) CX__AT(cx_gen_next(__VA_ARGS__))
#define cx_gen_close(...) CX__AT(cx_gen_close(__VA_ARGS__))
#define cx_gen_closing(...) CX__AT(cx_gen_closing(__VA_ARGS__))
#define cx_gen_finished(...) CX__AT(cx_gen_finished(__VA_ARGS__))
#define cx_gen_set_stack_size(...) CX__AT(cx_gen_set_stack_size(__VA_ARGS__))
#define cx_call_with(...) CX__AT(cx_call_with(__VA_ARGS__))
#endif

#ifdef __cplusplus
}
#endif
#endif
