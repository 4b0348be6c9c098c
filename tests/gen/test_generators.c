/* Generators: iteration, errors crossing cx_yield, close, nesting, threads. */
#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

static void count_to(cx_gen *g, void *arg)
{
    long n = (long)arg;
    for (long i = 1; i <= n; i++)
        cx_yield(g, (void *)i);
}

TEST(gen_yields_values_in_order_then_finishes)
{
    cx_gen *g = cx_gen_new(count_to, (void *)3);
    void *v;
    long sum = 0, n = 0;
    while (cx_gen_next(g, &v)) {
        sum = sum * 10 + (long)v;
        n++;
    }
    CHECK_EQ(n, 3);
    CHECK_EQ(sum, 123);
    CHECK(cx_gen_finished(g));
    cx_gen_close(g);
}

TEST(gen_next_after_finish_keeps_returning_false)
{
    cx_gen *g = cx_gen_new(count_to, (void *)1);
    CHECK(cx_gen_next(g, NULL));
    CHECK(!cx_gen_next(g, NULL));
    CHECK(!cx_gen_next(g, NULL));
    cx_gen_close(g);
}

static void nothing(cx_gen *g, void *arg) { (void)g, (void)arg; th_log("ran"); }

TEST(gen_body_does_not_run_until_first_next)
{
    cx_gen *g = cx_gen_new(nothing, NULL);
    CHECK_STR(th_trace, "");
    CHECK(!cx_gen_next(g, NULL));
    CHECK_STR(th_trace, "ran");
    cx_gen_close(g);
}

TEST(gen_that_never_yields_finishes_at_once)
{
    cx_gen *g = cx_gen_new(nothing, NULL);
    CHECK(!cx_gen_next(g, NULL));
    CHECK(cx_gen_finished(g));
    cx_gen_close(g);
}

static void raises_after_one(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, (void *)1);
    cx_raise(&cx_KeyError, "inside the generator");
}

static void drive(void *g)
{
    while (cx_gen_next(g, NULL)) {}
}

TEST(gen_uncaught_error_propagates_to_the_resumer)
{
    cx_gen *g = cx_gen_new(raises_after_one, NULL);
    cx_error *e = cx_protect(drive, g);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(cx_error_message(e), "inside the generator");
    CHECK(cx_gen_finished(g));
    cx_error_unref(e);
    cx_gen_close(g);
}

TEST(gen_error_keeps_its_raise_site)
{
    cx_gen *g = cx_gen_new(raises_after_one, NULL);
    cx_error *e = cx_protect(drive, g);
    CHECK_STR(cx_error_function(e), "raises_after_one");
    cx_error_unref(e);
    cx_gen_close(g);
}

static void try_inside(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
        cx_raise(&cx_ValueError, "caught inside");
    } cx_except (&cx_ValueError, e) {
        th_log("gen caught %s", cx_error_message(e));
    }
    cx_yield(g, (void *)2);
}

TEST(gen_try_inside_the_generator_catches_its_own_errors)
{
    cx_gen *g = cx_gen_new(try_inside, NULL);
    void *v;
    CHECK(cx_gen_next(g, &v));
    CHECK(cx_gen_next(g, &v));
    CHECK_EQ((long)v, 2);
    CHECK_STR(th_trace, "gen caught caught inside");
    cx_gen_close(g);
}

static void with_inside(cx_gen *g, void *arg)
{
    (void)arg;
    cx_with (PROBE(.name = "g"))
        cx_yield(g, NULL);
}

TEST(gen_with_inside_spans_yields_and_exits_on_finish)
{
    cx_gen *g = cx_gen_new(with_inside, NULL);
    CHECK(cx_gen_next(g, NULL));
    CHECK_STR(th_trace, "enter:g");
    CHECK(!cx_gen_next(g, NULL));
    CHECK_STR(th_trace, "enter:g exit:g:ok");
    cx_gen_close(g);
}

TEST(gen_close_runs_the_generators_exit_handlers_with_generator_exit)
{
    cx_gen *g = cx_gen_new(with_inside, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
    CHECK_STR(th_trace, "enter:g exit:g:GeneratorExit");
}

static void note(void *what) { th_log("%s", (const char *)what); }

static void finally_inside(cx_gen *g, void *arg)
{
    (void)arg;
    cx_scope {
        cx_defer(note, "defer");
        cx_try {
            cx_yield(g, NULL);
        } cx_finally {
            th_log("finally");
        }
    }
}

TEST(gen_close_runs_finally_and_defers)
{
    cx_gen *g = cx_gen_new(finally_inside, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
    CHECK_STR(th_trace, "finally defer");
}

TEST(gen_close_of_an_unstarted_generator_runs_nothing)
{
    cx_gen *g = cx_gen_new(finally_inside, NULL);
    cx_gen_close(g);
    CHECK_STR(th_trace, "");
}

TEST(gen_close_of_a_finished_generator_does_nothing)
{
    cx_gen *g = cx_gen_new(count_to, (void *)1);
    drive(g);
    cx_gen_close(g);
    CHECK_STR(th_trace, "");
}

TEST(gen_close_of_null_does_nothing)
{
    cx_gen_close(NULL);
}

static void ignores_exit(cx_gen *g, void *arg)
{
    (void)arg;
    for (;;) {
        cx_try {
            cx_yield(g, NULL);
        } cx_except (&cx_GeneratorExit, e) {
            th_log("ignored");
        }
    }
}

static void close_it(void *g) { cx_gen_close(g); }

TEST(gen_yielding_after_generator_exit_raises_runtime_error)
{
    cx_gen *g = cx_gen_new(ignores_exit, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_error *e = cx_protect(close_it, g);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "generator ignored GeneratorExit");
    cx_error_unref(e);
}

static void raises_other_on_close(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
    } cx_except (&cx_GeneratorExit, e) {
        cx_raise(&cx_ValueError, "cleanup failed");
    }
}

TEST(gen_close_propagates_another_error_with_generator_exit_as_context)
{
    cx_gen *g = cx_gen_new(raises_other_on_close, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_error *e = cx_protect(close_it, g);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(cx_error_is(cx_error_context(e), &cx_GeneratorExit));
    cx_error_unref(e);
}

static void resumes_itself(cx_gen *g, void *arg)
{
    (void)arg;
    cx_gen_next(g, NULL);
}

TEST(gen_resuming_a_running_generator_raises_value_error)
{
    cx_gen *g = cx_gen_new(resumes_itself, NULL);
    cx_error *e = cx_protect(drive, g);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "generator already executing");
    cx_error_unref(e);
    cx_gen_close(g);
}

static void yield_outside(void *g) { cx_yield(g, NULL); }

TEST(gen_yield_outside_the_generator_raises_runtime_error)
{
    cx_gen *g = cx_gen_new(count_to, (void *)1);
    cx_error *e = cx_protect(yield_outside, g);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    cx_error_unref(e);
    cx_gen_close(g);
}

static void inner_gen(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, (void *)10);
    cx_yield(g, (void *)20);
}

static void outer_gen(cx_gen *g, void *arg)
{
    (void)arg;
    cx_gen *inner = cx_gen_new(inner_gen, NULL);
    void *v;
    while (cx_gen_next(inner, &v))
        cx_yield(g, (void *)((long)v + 1));
    cx_gen_close(inner);
}

TEST(gen_a_generator_can_drive_another)
{
    cx_gen *g = cx_gen_new(outer_gen, NULL);
    void *v;
    long got[3] = {0};
    int n = 0;
    while (cx_gen_next(g, &v))
        got[n++] = (long)v;
    CHECK_EQ(n, 2);
    CHECK_EQ(got[0], 11);
    CHECK_EQ(got[1], 21);
    cx_gen_close(g);
}

static void inner_raises(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, NULL);
    cx_raise(&cx_IndexError, "from the inner generator");
}

static void outer_catches(cx_gen *g, void *arg)
{
    (void)arg;
    cx_gen *inner = cx_gen_new(inner_raises, NULL);
    cx_try {
        while (cx_gen_next(inner, NULL))
            cx_yield(g, NULL);
    } cx_except (&cx_IndexError, e) {
        th_log("outer caught: %s", cx_error_message(e));
    }
    cx_gen_close(inner);
}

TEST(gen_nested_generator_error_reaches_the_generator_driving_it)
{
    cx_gen *g = cx_gen_new(outer_catches, NULL);
    drive(g);
    CHECK_STR(th_trace, "outer caught: from the inner generator");
    cx_gen_close(g);
}

TEST(gen_frame_chain_of_the_resumer_is_untouched_by_the_generator)
{
    cx__frame *top = cx__state_get()->top;
    cx_gen *g = cx_gen_new(try_inside, NULL);
    cx_gen_next(g, NULL);
    CHECK(cx__state_get()->top == top);
    cx_gen_next(g, NULL);
    CHECK(cx__state_get()->top == top);
    cx_gen_close(g);
    CHECK(cx__state_get()->top == top);
}

static void *resume_in_thread(void *g)
{
    void *v = NULL;
    cx_gen_next(g, &v);
    return v;
}

TEST(gen_can_be_resumed_from_another_thread)
{
    cx_gen *g = cx_gen_new(count_to, (void *)3);
    void *v;
    CHECK(cx_gen_next(g, &v) && (long)v == 1);
    pthread_t t;
    pthread_create(&t, NULL, resume_in_thread, g);
    pthread_join(t, &v);
    CHECK_EQ((long)v, 2);
    CHECK(cx_gen_next(g, &v) && (long)v == 3);
    CHECK(!cx_gen_next(g, NULL));
    cx_gen_close(g);
}

static void with_across_threads(cx_gen *g, void *arg)
{
    (void)arg;
    cx_try {
        cx_yield(g, NULL);
        cx_raise(&cx_KeyError, "raised on the second thread");
    } cx_except (&cx_KeyError, e) {
        cx_yield(g, (void *)7);
    }
}

TEST(gen_try_spanning_a_thread_switch_still_catches)
{
    cx_gen *g = cx_gen_new(with_across_threads, NULL);
    CHECK(cx_gen_next(g, NULL));
    pthread_t t;
    void *v;
    pthread_create(&t, NULL, resume_in_thread, g);
    pthread_join(t, &v);
    CHECK_EQ((long)v, 7);
    cx_gen_close(g);
}

static void *generators_in_thread(void *arg)
{
    long sum = 0;
    for (int round = 0; round < 2000; round++) {
        cx_gen *g = cx_gen_new(count_to, (void *)5);
        void *v;
        while (cx_gen_next(g, &v))
            sum += (long)v;
        cx_gen_close(g);
    }
    (void)arg;
    return (void *)sum;
}

TEST(gen_threads_each_run_their_own_generators)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, generators_in_thread, NULL);
    for (int i = 0; i < 4; i++) {
        void *sum;
        pthread_join(t[i], &sum);
        CHECK_EQ((long)sum, 2000 * 15);
    }
}

TEST(gen_many_generators_alive_at_once)
{
    enum { N = 200 };
    cx_gen *gs[N];
    for (int i = 0; i < N; i++) {
        gs[i] = cx_gen_new(count_to, (void *)2);
        CHECK(cx_gen_next(gs[i], NULL));
    }
    for (int i = 0; i < N; i++) {
        void *v;
        CHECK(cx_gen_next(gs[i], &v) && (long)v == 2);
        cx_gen_close(gs[i]);
    }
}

static void deep(int n) { char pad[256]; pad[0] = (char)n; if (n > 0) deep(n - 1); __asm__ volatile("" ::"r"(pad) : "memory"); }

static void uses_stack(cx_gen *g, void *arg)
{
    (void)arg;
    deep(100);
    cx_yield(g, NULL);
}

TEST(gen_body_can_use_its_stack)
{
    cx_gen *g = cx_gen_new(uses_stack, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
}

static void recurse_forever(cx_gen *g, void *arg)
{
    (void)g, (void)arg;
    deep(1 << 30);
}

/* The overflow ends the child as any segfault does: no core file, please. */
static void no_core_file(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
}

static void overflow_child(void *arg)
{
    (void)arg;
    no_core_file();
    cx_gen_set_stack_size(64 * 1024);
    cx_gen *g = cx_gen_new(recurse_forever, NULL);
    cx_gen_next(g, NULL);
}

/* What the overflow handler prints for a stack of `bytes` (rounded up to
 * whole pages, as the stack is). */
static void expected_message(char *buf, size_t n, size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    snprintf(buf, n, "cx: stack overflow in generator (stack size %zu bytes; raise it with "
             "cx_gen_set_stack_size)\n", (bytes + page - 1) / page * page);
}

TEST(gen_stack_overflow_ends_the_process_with_a_clear_message)
{
    char *err = NULL, want[160];
    int status = th_run_child(overflow_child, NULL, &err);
    expected_message(want, sizeof want, 64 * 1024);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK(strstr(err, want) != NULL);
    free(err);
}

static void count_to_three(cx_gen *g, void *arg)
{
    (void)arg;
    for (long i = 1; i <= 3; i++)
        cx_yield(g, (void *)i);
}

/* A child whose address space has no room for another stack: the first
 * resume raises MemoryError and leaves the generator unstarted, usable once
 * there is room again. */
static void stack_without_room(void *arg)
{
    (void)arg;
    cx_gen_set_stack_size(256 * 1024 * 1024);
    cx_gen *g = cx_gen_new(count_to_three, NULL);
    /* Room for 64 MiB more than is mapped now: malloc still works, a
     * 256 MiB stack does not fit. */
    unsigned long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    CHECK(statm && fscanf(statm, "%lu", &pages) == 1);
    fclose(statm);
    struct rlimit as;
    getrlimit(RLIMIT_AS, &as);
    struct rlimit tight = {pages * (rlim_t)sysconf(_SC_PAGESIZE) + 64 * 1024 * 1024, as.rlim_max};
    CHECK_EQ(setrlimit(RLIMIT_AS, &tight), 0);
    cx_try {
        cx_gen_next(g, NULL);
        fprintf(stderr, "resumed without a stack\n");
    } cx_except (&cx_MemoryError, e) {
        fprintf(stderr, "raised: %s\n", cx_error_message(e));
    }
    setrlimit(RLIMIT_AS, &as);
    void *v = NULL;
    long sum = 0;
    while (cx_gen_next(g, &v))
        sum += (long)v;
    fprintf(stderr, "then ran: %ld\n", sum);
    cx_gen_close(g);
}

TEST(gen_stack_that_cannot_be_mapped_raises_memory_error_at_first_resume)
{
#ifdef CX_TEST_UNDER_QEMU
    return; /* qemu-user does not bound a guest's mmap by RLIMIT_AS */
#endif
    char *err = NULL;
    int status = th_run_child(stack_without_room, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(err, "raised: generator: no memory for its stack (mmap failed)\n") != NULL);
    CHECK(strstr(err, "then ran: 6\n") != NULL);
    free(err);
}

static void recurse_when_resumed(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, NULL);
    deep(1 << 30);
}

static void overflow_after_resize(void *arg)
{
    (void)arg;
    no_core_file();
    cx_gen_set_stack_size(100000); /* not a whole number of pages */
    cx_gen *g = cx_gen_new(recurse_when_resumed, NULL);
    cx_gen_next(g, NULL);          /* started: its stack is taken */
    cx_gen_set_stack_size(1024 * 1024);
    cx_gen_next(g, NULL);
}

TEST(gen_stack_overflow_reports_the_overflowing_stacks_size_not_the_current_setting)
{
    char *err = NULL, want[160];
    int status = th_run_child(overflow_after_resize, NULL, &err);
    expected_message(want, sizeof want, 100000);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    if (!strstr(err, want))
        fprintf(stderr, "printed: %swanted: %s", err, want);
    CHECK(strstr(err, want) != NULL);
    free(err);
}

size_t cx__coro_mmap_count(void); /* internal: how many stacks were mapped */

TEST(gen_steady_state_maps_no_new_stacks)
{
    /* Closed generators wait out a quarantine of 8 before their stacks are
     * reused (docs/generators.md): the steady state starts after it. */
    for (int i = 0; i < 100; i++) {
        cx_gen *g = cx_gen_new(count_to, (void *)1);
        drive(g);
        cx_gen_close(g);
    }
    size_t before = cx__coro_mmap_count();
    for (int i = 0; i < 1000; i++) {
        cx_gen *g = cx_gen_new(count_to, (void *)2);
        drive(g);
        cx_gen_close(g);
    }
    CHECK_EQ(cx__coro_mmap_count(), before);
}

static void deep_enough(cx_gen *g, void *arg)
{
    (void)arg;
    deep(1500); /* about 400 KiB of frames: more than the default 256 KiB */
    cx_yield(g, (void *)1);
}

static void run_deep(void *arg)
{
    (void)arg;
    cx_gen_set_stack_size(2 * 1024 * 1024);
    cx_gen *g = cx_gen_new(deep_enough, NULL);
    void *v = NULL;
    cx_gen_next(g, &v);
    cx_gen_close(g);
    fprintf(stderr, "deep ok %ld\n", (long)v);
}

TEST(gen_stack_size_can_be_raised_for_deep_generators)
{
    char *err = NULL;
    int status = th_run_child(run_deep, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(err, "deep ok 1") != NULL);
    free(err);
}

static void echo_pointer(cx_gen *g, void *arg)
{
    cx_yield(g, arg);
    cx_yield(g, NULL);
}

TEST(gen_yields_any_pointer_including_null)
{
    int x;
    cx_gen *g = cx_gen_new(echo_pointer, &x);
    void *v;
    CHECK(cx_gen_next(g, &v) && v == &x);
    CHECK(cx_gen_next(g, &v) && v == NULL);
    CHECK(!cx_gen_next(g, &v));
    cx_gen_close(g);
}

static void float_work(cx_gen *g, void *arg)
{
    double *acc = arg;
    for (int i = 0; i < 100; i++) {
        *acc += 0.5;
        cx_yield(g, NULL);
    }
}

TEST(gen_floating_point_state_survives_switches)
{
    double acc = 0, mine = 1.25;
    cx_gen *g = cx_gen_new(float_work, &acc);
    while (cx_gen_next(g, NULL))
        mine *= 1.0;
    CHECK(acc == 50.0);
    CHECK(mine == 1.25);
    cx_gen_close(g);
}

/* The rounding modes fenv.h names where the CPU has them in hardware (all
 * the CPUs cx has a switch for; not a soft-float ARM). */
#if defined(FE_DOWNWARD) && defined(FE_UPWARD) && defined(FE_TOWARDZERO)
#define HAVE_ROUNDING_MODES 1

/* Sees the rounding in force when it starts, sets "up" and yields; on the
 * next resume records what is in force again. */
static void rounds_up(cx_gen *g, void *arg)
{
    int *seen = arg;
    seen[0] = fegetround();
    fesetround(FE_UPWARD);
    cx_yield(g, NULL);
    seen[1] = fegetround();
}
#endif

/* The floating-point environment is the thread's, as Python's generators
 * run in their resumer's decimal context: a generator runs in the rounding
 * its resumer has in force, and what it sets is in force in its resumer
 * after it yields.  No switch saves or loads it (x86-64 and i386: MXCSR and
 * the x87 control word, which fesetround sets both of; aarch64: FPCR; ARM:
 * FPSCR; riscv64: fcsr). */
TEST(gen_rounding_mode_is_the_threads_not_the_generators)
{
#ifdef HAVE_ROUNDING_MODES
    fenv_t before;
    fegetenv(&before);
    int seen[2] = {0, 0};
    cx_gen *g = cx_gen_new(rounds_up, seen);
    fesetround(FE_DOWNWARD);
    CHECK(cx_gen_next(g, NULL));
    int after_yield = fegetround();
    fesetround(FE_TOWARDZERO);
    CHECK(!cx_gen_next(g, NULL));
    int after_end = fegetround();
    fesetenv(&before);
    CHECK_EQ(seen[0], FE_DOWNWARD);
    CHECK_EQ(after_yield, FE_UPWARD);
    CHECK_EQ(seen[1], FE_TOWARDZERO);
    CHECK_EQ(after_end, FE_TOWARDZERO);
    cx_gen_close(g);
#endif
}

/* ---- found by the differential tester (tests/diff) ---- */

static void raises_at_once(cx_gen *g, void *arg)
{
    (void)g, (void)arg;
    cx_raise(&cx_TypeError, "in the generator");
}

static void next_while_handling(void *g)
{
    cx_try {
        cx_raise(&cx_ValueError, "handled by the resumer");
    } cx_except (&cx_ValueError, e) {
        cx_gen_next(g, NULL);
    }
}

/* Python links a generator's exc_info to its resumer's: with nothing of its
 * own being handled, what it raises chains to what the resumer handles. */
TEST(gen_error_chains_to_the_error_its_resumer_is_handling)
{
    cx_gen *g = cx_gen_new(raises_at_once, NULL);
    cx_error *e = cx_protect(next_while_handling, g);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK(cx_error_context(e) != NULL);
    CHECK_STR(cx_error_message(cx_error_context(e)), "handled by the resumer");
    cx_error_unref(e);
    cx_gen_close(g);
}

static void reraises_what_the_resumer_handles(cx_gen *g, void *arg)
{
    (void)g, (void)arg;
    cx_reraise();
}

/* ... and a bare raise inside it re-raises the resumer's error. */
TEST(gen_reraise_with_nothing_of_its_own_raises_the_resumers_error)
{
    cx_gen *g = cx_gen_new(reraises_what_the_resumer_handles, NULL);
    cx_error *e = cx_protect(next_while_handling, g);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "handled by the resumer");
    cx_error_unref(e);
    cx_gen_close(g);
}
