/* The benchmark's cases.  Each function runs `n` operations of one case for
 * one implementation; the driver (main.c) times it.  Peers live in their own
 * files (cases_c.c, cases_cpp.cpp, cases_cx.c, cases_async.c) and the
 * managers cx uses live in another (managers.c), so the compiler cannot see
 * through one side's calls while the other side's stay opaque. */
#ifndef CX_BENCH_H
#define CX_BENCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void bench_fn(long n);

/* Opaque work the compiler can neither remove nor inline: a body that
 * "uses" a value. */
void bench_touch(void *p);
extern volatile long bench_sink;
/* Set by a case whose run failed (what failed, for the table); the driver
 * then prints the row as failed, never a figure. */
extern const char *bench_failure;

/* ---- C (cases_c.c) ---- */
bench_fn c_with_trivial, c_defer_one, c_mutex_with, c_open_close_devnull;

/* ---- C++ (cases_cpp.cpp) ---- */
bench_fn cpp_with_trivial, cpp_defer_one, cpp_raise_catch;

/* ---- cx (cases_cx.c) ---- */
bench_fn cx_with_trivial, cx_defer_one, cx_raise_catch, cx_suppress_raise,
    cx_generator_cm, cx_gen_iterate, cx_exitstack_1, cx_exitstack_10,
    cx_mutex_with, cx_open_close_devnull, cx_using_trivial, cx_using_open_close_devnull;

/* ---- cx-async (cases_async.c, built only with the cx_async target) ---- */
bench_fn cx_async_with_acm, cx_task_spawn_await;
/* n tasks at once, each an async with over a generator manager around a
 * 10 ms sleep; runs the whole loop (cx_run) once. */
bench_fn cx_tasks_many;
/* One client task and one server task (cx_tcp_serve) on one loop exchanging
 * 64-byte messages over loopback TCP: n round trips. */
bench_fn cx_echo_roundtrip;
/* n round trips of ECHO_CLIENTS connections from another process against a
 * server under cx_run_threads(1 or 2). */
bench_fn cx_echo_1_loop, cx_echo_2_loops;
/* The client process of echo_2_loops (--echo-client PORT CONNS N): exit code. */
int bench_echo_client(int port, int conns, long n);
/* The floor of echo_roundtrip: the same exchange as libuv callbacks. */
bench_fn c_libuv_echo_roundtrip;

#ifdef __cplusplus
}
#endif
#endif
