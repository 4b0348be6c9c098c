/* Generators at their limits: stack overflow with frames of any size, the
 * stack memory a burst leaves behind, the kernel's mapping budget, and the
 * accepted stack sizes.  Each fault is made to happen for real, in a child
 * process where it ends the process. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void no_core_file(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
}

enum { STACK = 64 * 1024 };

/* What the handler prints for the overflow of a stack of STACK bytes. */
static const char overflow_message[] =
    "cx: stack overflow in generator (stack size 65536 bytes; raise it with "
    "cx_gen_set_stack_size)\n";

static void check_overflow_report(int status, const char *err)
{
    if (!strstr(err, overflow_message))
        fprintf(stderr, "child printed: %s\n", err);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK(strstr(err, overflow_message) != NULL);
}

/* ---- frames that overflow: their lowest byte is written first, as a
 * local array filled from its start is, so a frame larger than the guard
 * skips it unless its pages are probed ---- */

static volatile char sink;

/* The array's address escapes, so the whole array is in the frame: a
 * compiler may otherwise shrink an array of which one byte is used to that
 * byte (clang does, volatile or not). */
#define WHOLE_FRAME(buf) __asm__ volatile("" : : "r"(buf) : "memory")

__attribute__((noinline)) static void frame_8k(void)
{
    volatile char buf[8 * 1024];
    buf[0] = 1;
    sink = buf[0];
    WHOLE_FRAME(buf);
}

__attribute__((noinline)) static void frame_64k(void)
{
    volatile char buf[64 * 1024];
    buf[0] = 1;
    sink = buf[0];
    WHOLE_FRAME(buf);
}

/* 2 MiB: larger than the 1 MiB guard.  Built with stack-clash protection
 * (gcc: per function; clang has no such attribute, so the probing the
 * option emits is written out: one touch per page, from the top down). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline, optimize("stack-clash-protection"))) static void frame_2m(void)
{
    volatile char buf[2 * 1024 * 1024];
    buf[0] = 1;
    sink = buf[0];
    WHOLE_FRAME(buf);
}
#else
__attribute__((noinline)) static void frame_2m(void)
{
    volatile char buf[2 * 1024 * 1024];
    for (size_t i = sizeof buf; i >= 4096; i -= 4096)
        buf[i - 4096] = 1;
    sink = buf[0];
    WHOLE_FRAME(buf);
}
#endif

/* 2 MiB, not probed: its first access is its lowest byte, 1 MiB past the
 * guard. */
__attribute__((noinline)) static void frame_2m_unprobed(void)
{
    volatile char buf[2 * 1024 * 1024];
    buf[0] = 1;
    sink = buf[0];
    WHOLE_FRAME(buf);
}

/* Small frames down to about 2 KiB above the stack's lowest byte (`top`
 * is an address near the stack's top), then the frame under test. */
__attribute__((noinline)) static void descend(char *top, void (*frame)(void))
{
    volatile char pad[192];
    pad[0] = 0;
    if ((size_t)(top - (char *)pad) < STACK - 2048)
        descend(top, frame);
    else
        frame();
    sink = pad[0];
}

/* Yields first (its stack is then mapped), overflows when resumed. */
static void overflowing(cx_gen *g, void *frame)
{
    char top;
    cx_yield(g, NULL);
    descend(&top, (void (*)(void))frame);
}

/* A generator mapped right after the overflowing one's stack, so its
 * mapping lies just below that stack's guard: the memory a frame that
 * skipped the guard would write into. */
static void neighbour(cx_gen *g, void *arg)
{
    (void)arg;
    volatile char canary[1024];
    memset((char *)canary, 0x5a, sizeof canary);
    cx_yield(g, (void *)canary);
    for (size_t i = 0; i < sizeof canary; i++)
        if (canary[i] != 0x5a)
            fprintf(stderr, "the neighbour's stack was overwritten\n");
}

static void overflow_next_to_a_neighbour(void *frame)
{
    no_core_file();
    cx_gen_set_stack_size(STACK);
    /* g's stack is mapped first, the neighbour's next (below it). */
    cx_gen *g = cx_gen_new(overflowing, frame);
    cx_gen *victim = cx_gen_new(neighbour, NULL);
    cx_gen_next(g, NULL);
    cx_gen_next(victim, NULL);
    cx_gen_next(g, NULL); /* g runs out of stack here */
    fprintf(stderr, "no overflow reported\n");
    cx_gen_next(victim, NULL);
}

TEST(gen_overflow_by_8_kib_frames_is_reported_not_written_into_the_neighbour)
{
    char *err = NULL;
    int status = th_run_child(overflow_next_to_a_neighbour, (void *)frame_8k, &err);
    check_overflow_report(status, err);
    free(err);
}

TEST(gen_overflow_by_a_64_kib_frame_is_reported_not_written_into_the_neighbour)
{
    char *err = NULL;
    int status = th_run_child(overflow_next_to_a_neighbour, (void *)frame_64k, &err);
    check_overflow_report(status, err);
    free(err);
}

TEST(gen_overflow_by_a_probed_frame_larger_than_the_guard_is_reported)
{
    char *err = NULL;
    int status = th_run_child(overflow_next_to_a_neighbour, (void *)frame_2m, &err);
    check_overflow_report(status, err);
    free(err);
}

/* The frame lands past the guard in memory that is not writable (a
 * reservation mapped right below the stack): the fault is not in the
 * guard, but the generator's stack pointer is below its stack. */
static void overflow_past_the_guard(void *arg)
{
    (void)arg;
    no_core_file();
    cx_gen_set_stack_size(STACK);
    cx_gen *g = cx_gen_new(overflowing, (void *)frame_2m_unprobed);
    cx_gen_next(g, NULL);
    void *below = mmap(NULL, 8 * 1024 * 1024, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(below != MAP_FAILED);
    cx_gen_next(g, NULL);
    fprintf(stderr, "no overflow reported\n");
}

TEST(gen_overflow_by_a_frame_larger_than_the_guard_into_unmapped_memory_is_reported)
{
    if (RUNNING_ON_VALGRIND) /* Valgrind places mappings itself: the frame */
        return;              /* may land in a writable one (the hazard above) */
    char *err = NULL;
    int status = th_run_child(overflow_past_the_guard, NULL, &err);
    check_overflow_report(status, err);
    free(err);
}

static void park_forever(cx_gen *g, void *arg)
{
    (void)arg;
    for (;;)
        cx_yield(g, NULL);
}

/* More stacks than the old fixed table of guard pages had room for. */
static void overflow_among_many(void *arg)
{
    (void)arg;
    no_core_file();
    cx_gen_set_stack_size(STACK);
    enum { N = 5000 };
    for (int i = 0; i < N; i++)
        cx_gen_next(cx_gen_new(park_forever, NULL), NULL);
    cx_gen *g = cx_gen_new(overflowing, (void *)frame_8k);
    cx_gen_next(g, NULL);
    cx_gen_next(g, NULL);
    fprintf(stderr, "no overflow reported\n");
}

TEST(gen_overflow_is_reported_with_more_than_4096_stacks_alive)
{
    if (TH_HEAVY_MAPPING_SKIPPED())
        return;
    char *err = NULL;
    int status = th_run_child(overflow_among_many, NULL, &err);
    check_overflow_report(status, err);
    free(err);
}

/* ---- memory returned after a burst ---- */

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f && fscanf(f, "%ld %ld", &pages, &resident) == 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

__attribute__((noinline)) static void touch_32k(void)
{
    volatile char buf[32 * 1024];
    for (size_t i = 0; i < sizeof buf; i += 512)
        buf[i] = (char)i;
    sink = buf[100];
}

static void touches_its_stack(cx_gen *g, void *arg)
{
    (void)arg;
    touch_32k();
    cx_yield(g, NULL);
}

/* 20,000 generators that each used 32 KiB of stack (640 MiB together),
 * all closed: what stays resident is the pools' bound (docs/generators.md,
 * "Limits"): 72 stacks as used per thread, the rest given back. */
static void burst_and_close(void *arg)
{
    (void)arg;
    enum { N = 20000 };
    long before = rss_kib();
    cx_gen **gs = malloc(N * sizeof *gs);
    for (int i = 0; i < N; i++) {
        gs[i] = cx_gen_new(touches_its_stack, NULL);
        cx_gen_next(gs[i], NULL);
    }
    long peak = rss_kib();
    for (int i = 0; i < N; i++)
        cx_gen_close(gs[i]);
    free(gs);
    long after = rss_kib();
    fprintf(stderr, "rss KiB: before %ld peak %ld after %ld\n", before, peak, after);
    if (peak - before < 500 * 1000)
        fprintf(stderr, "the burst did not use its stacks\n");
    if (after - before > 16 * 1024)
        fprintf(stderr, "kept more than 16 MiB\n");
}

TEST(gen_stack_memory_returns_to_the_system_after_a_burst_is_closed)
{
    if (TH_HEAVY_MAPPING_SKIPPED())
        return;
    char *err = NULL;
    int status = th_run_child(burst_and_close, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fprintf(stderr, "%s", err); /* the figures, for the log */
    CHECK(strstr(err, "rss KiB") != NULL);
    CHECK(strstr(err, "kept more") == NULL);
    CHECK(strstr(err, "did not use") == NULL);
    free(err);
}

/* ---- the kernel's mapping budget (vm.max_map_count) ---- */

static void *nothing(void *arg) { return arg; }

static bool thread_starts(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0)
        return false;
    pthread_join(t, NULL);
    return true;
}

/* Live generators until no stack can be mapped: the error names the
 * limit; once they are closed, threads and generators start again. */
static void burst_to_the_map_limit(void *arg)
{
    (void)arg;
    cx_gen_set_stack_size(STACK);
    size_t cap = 70000;
    volatile size_t n = 0;
    cx_gen **gs = malloc(cap * sizeof *gs);
    volatile bool full = false;
    while (!full && n < cap) {
        cx_gen *g = cx_gen_new(park_forever, NULL);
        cx_try {
            cx_gen_next(g, NULL);
            gs[n++] = g;
        } cx_except (&cx_MemoryError, e) {
            fprintf(stderr, "raised after %zu: %s\n", n, cx_error_message(e));
            cx_gen_close(g);
            full = true;
        }
    }
    fprintf(stderr, "threads while full: %s\n", thread_starts() ? "yes" : "no");
    for (size_t i = 0; i < n; i++)
        cx_gen_close(gs[i]);
    free(gs);
    fprintf(stderr, "threads after: %s\n", thread_starts() ? "yes" : "no");
    cx_gen *g = cx_gen_new(park_forever, NULL);
    cx_gen_next(g, NULL);
    cx_gen_close(g);
    fprintf(stderr, "generators after: yes\n");
}

TEST(gen_map_limit_raises_memory_error_naming_it_and_the_process_recovers)
{
    if (TH_HEAVY_MAPPING_SKIPPED())
        return;
    char *err = NULL;
    int status = th_run_child(burst_to_the_map_limit, NULL, &err);
    fprintf(stderr, "%s", err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#ifdef CX_TEST_PORT_LINUX /* the only layer that can count the mappings */
    CHECK(strstr(err, "cannot map a generator stack: the process has ") != NULL);
    CHECK(strstr(err, " of vm.max_map_count=") != NULL);
#else
    CHECK(strstr(err, "no memory for its stack (mmap failed)") != NULL);
#endif
    CHECK(strstr(err, "threads after: yes\n") != NULL);
    CHECK(strstr(err, "generators after: yes\n") != NULL);
    free(err);
}

/* ---- stack sizes ---- */

static void set_size(void *bytes) { cx_gen_set_stack_size((size_t)(uintptr_t)bytes); }

static void check_size_refused(size_t bytes)
{
    cx_error *e = cx_protect(set_size, (void *)(uintptr_t)bytes);
    CHECK(e && cx_error_is(e, &cx_ValueError));
    CHECK(strstr(cx_error_message(e), "cx_gen_set_stack_size: ") != NULL);
    cx_error_unref(e);
}

static void count_two(cx_gen *g, void *arg)
{
    (void)arg;
    cx_yield(g, (void *)1);
    cx_yield(g, (void *)2);
}

TEST(gen_stack_size_of_size_max_raises_value_error)
{
    check_size_refused(SIZE_MAX);
    /* The setting is unchanged: generators still run. */
    cx_gen *g = cx_gen_new(count_two, NULL);
    void *v = NULL;
    CHECK(cx_gen_next(g, &v) && v == (void *)1);
    cx_gen_close(g);
}

TEST(gen_stack_size_below_16_kib_raises_value_error)
{
    check_size_refused(1);
    check_size_refused(16 * 1024 - 1);
}

TEST(gen_stack_size_above_1_gib_raises_value_error)
{
    check_size_refused(((size_t)1 << 30) + 1);
}

TEST(gen_stack_size_bounds_are_accepted)
{
    cx_gen_set_stack_size(16 * 1024);
    cx_gen *g = cx_gen_new(count_two, NULL);
    CHECK(cx_gen_next(g, NULL));
    cx_gen_close(g);
    cx_gen_set_stack_size((size_t)1 << 30);
    cx_gen_set_stack_size(0); /* the default again */
}
