/* Allocation faults: every allocation cx makes while running a scenario is
 * made to fail, one at a time and from some point on, and each run must end
 * cleanly with nothing leaked (the harness counts cx's blocks;
 * LeakSanitizer watches the rest under make sanitize).  Two sets, both
 * written by tests/diff/difftest.py --write-faults:
 * - fault_scenarios.txt: none can catch, suppress or replace a MemoryError,
 *   so each run ends with the scenario's own trace or with cx_MemoryError as
 *   the error that escaped; any other end is a bug.
 * - fault_scenarios_any.txt: the full language, where a suppress(Exception)
 *   or an exit that suppresses everything may swallow the MemoryError without
 *   a trace and a cleanup that raises may replace it: each run must reach
 *   its end ("end ..." as the trace's last line) with nothing leaked and no
 *   crash, whatever that end is. */
#include "harness.h"

#include "../diff/interp.h"

typedef struct scenario {
    int id;            /* its number in the file ("S <id> ...") */
    char *text;
    node *tree, *all;
    char *reference;   /* the trace with no fault */
    long allocations;  /* how many allocations the reference run made */
} scenario;

/* As many as tests/diff/difftest.py's FAULT_COUNT and FAULT_ANY_COUNT. */
#define FAULT_SCENARIOS 1000
#define FAULT_ANY_SCENARIOS 300

static scenario set[FAULT_SCENARIOS];
static int nset;

/* A run from cold caches: every error, generator and ExitStack is allocated
 * afresh, so every allocation point is reached. */
static void run(scenario *s)
{
    th_drain_caches();
    diff_trace_reset();
    diff_run(s->tree);
}

static void load(const char *path)
{
    FILE *in = fopen(path, "r");
    CHECK(in != NULL);
    char *line = NULL;
    size_t cap = 0;
    while (nset < FAULT_SCENARIOS && getline(&line, &cap, in) > 0) {
        int skip = 0, id;
        if (sscanf(line, "S %d %n", &id, &skip) != 1 || !skip)
            continue;
        scenario *s = &set[nset++];
        s->id = id;
        s->text = strdup(line + skip);
        s->tree = diff_parse(s->text, &s->all);
        th_fail_allocation(0, 0);
        run(s);
        s->allocations = th_fail_allocation(0, 0);
        s->reference = strdup(diff_trace());
    }
    free(line);
    fclose(in);
}

static void unload(void)
{
    for (int i = 0; i < nset; i++) {
        diff_free(set[i].all);
        free(set[i].text);
        free(set[i].reference);
    }
    nset = 0;
}

/* How the run ended: its trace's last line, which starts "end ". */
static const char *ending(const char *trace)
{
    size_t n = strlen(trace);
    CHECK(n > 1 && trace[n - 1] == '\n');
    const char *last = trace + n - 1;
    while (last > trace && last[-1] != '\n')
        last--;
    CHECK(strncmp(last, "end ", 4) == 0);
    return last;
}

/* Whether `trace` is `reference` but for messages cut short: a message too
 * long to be stored inline (cx_using's "asked to suppress" one) is kept
 * truncated, ending "...[truncated]", when its heap copy cannot be had
 * (include/cx/error.h).  Each line of the trace is the reference's, or its
 * head up to the mark and its tail after the message. */
static bool same_but_truncated(const char *trace, const char *reference)
{
    static const char mark[] = "...[truncated]";
    while (*trace && *reference) {
        size_t t = strcspn(trace, "\n"), r = strcspn(reference, "\n");
        if (t != r || strncmp(trace, reference, t) != 0) {
            const char *cut = strstr(trace, mark);
            if (!cut || cut >= trace + t)
                return false;
            size_t head = (size_t)(cut - trace), tail = t - head - (sizeof mark - 1);
            if (head + tail >= r || strncmp(trace, reference, head) != 0 ||
                strncmp(cut + sizeof mark - 1, reference + r - tail, tail) != 0)
                return false;
        }
        trace += t + (trace[t] == '\n');
        reference += r + (reference[r] == '\n');
    }
    return !*trace && !*reference;
}

/* Runs every scenario of `path` (`expect` of them) failing each allocation
 * point in turn; `strict`: only a MemoryError escaping, or a long message
 * kept truncated, may change the end (else any end will do: ending() has
 * checked there is one).  Returns how
 * many scenarios ran. */
static int fail_at_every_point(const char *path, int expect, bool strict, int all_after,
                               long *points)
{
    load(path);
    CHECK_EQ(nset, expect);
    for (int i = 0; i < nset; i++) {
        scenario *s = &set[i];
        for (long k = 1;; k++) {
            th_drain_caches();
            long live = th_live_blocks();
            th_fail_allocation(k, all_after);
            run(s);
            long made = th_fail_allocation(0, 0);
            th_drain_caches();
            if (th_live_blocks() != live) {
                fprintf(stderr, "scenario S %d, allocation %ld failing: %ld block(s) leaked\n%s",
                        s->id, k, th_live_blocks() - live, diff_trace());
                CHECK(th_live_blocks() == live);
            }
            const char *trace = diff_trace();
            const char *end = ending(trace);
            if (made < k) { /* the fault was never reached: the scenario completed */
                CHECK_STR(trace, s->reference);
                break;
            }
            ++*points;
            if (strict && strcmp(trace, s->reference) != 0 &&
                strncmp(end, "end raised MemoryError(", 23) != 0 &&
                !same_but_truncated(trace, s->reference)) {
                fprintf(stderr, "scenario S %d of %s, allocation %ld failing: neither the "
                        "reference trace nor a MemoryError escaping\n--- reference\n%s"
                        "--- with the fault\n%s", s->id, path, k, s->reference, trace);
                CHECK(!"a failed allocation ended the run other than with a MemoryError");
            }
        }
    }
    int ran = nset;
    unload();
    return ran;
}

TEST(alloc_failure_at_each_point_of_each_scenario_ends_cleanly)
{
    long points = 0;
    int n = fail_at_every_point(CX_FAULT_SCENARIOS, FAULT_SCENARIOS, true, 0, &points);
    printf("alloc faults (one failure): %d scenarios, %ld failure points\n", n, points);
    CHECK(points > 2 * n);
}

TEST(alloc_failing_from_each_point_on_ends_cleanly)
{
    long points = 0;
    int n = fail_at_every_point(CX_FAULT_SCENARIOS, FAULT_SCENARIOS, true, 1, &points);
    printf("alloc faults (failing from k on): %d scenarios, %ld failure points\n", n, points);
    CHECK(points > 2 * n);
}

TEST(alloc_failure_at_each_point_of_any_scenario_ends_without_crash_or_leak)
{
    long points = 0;
    int n = fail_at_every_point(CX_FAULT_SCENARIOS_ANY, FAULT_ANY_SCENARIOS, false, 0, &points);
    printf("alloc faults, full language (one failure): %d scenarios, %ld failure points\n", n,
           points);
    CHECK(points > 2 * n);
}

TEST(alloc_failing_from_each_point_on_of_any_scenario_ends_without_crash_or_leak)
{
    long points = 0;
    int n = fail_at_every_point(CX_FAULT_SCENARIOS_ANY, FAULT_ANY_SCENARIOS, false, 1, &points);
    printf("alloc faults, full language (failing from k on): %d scenarios, %ld failure points\n",
           n, points);
    CHECK(points > 2 * n);
}

/* The harness's own gate sees a block cx allocated and did not free. */
TEST(leak_gate_counts_blocks_allocated_through_cx)
{
    long before = th_live_blocks();
    void *p = cx_malloc(10);
    CHECK_EQ(th_live_blocks(), before + 1);
    cx_free(p);
    CHECK_EQ(th_live_blocks(), before);
}

/* Error objects a thread caches are not leaks: draining returns them. */
TEST(leak_gate_drains_the_error_freelist)
{
    th_drain_caches();
    long before = th_live_blocks();
    for (int i = 0; i < 4; i++) {
        cx_try {
            cx_raise(&cx_ValueError, "cached after this");
        } cx_except (&cx_ValueError, err) {
            (void)err;
        }
    }
    CHECK(th_live_blocks() > before); /* kept in the freelist */
    th_drain_caches();
    CHECK_EQ(th_live_blocks(), before);
}

/* ---- the allocation points, one by one ---- */

static void raise_long(void *arg)
{
    (void)arg;
    cx_raise(&cx_ValueError, "%0200d", 7);
}

/* What fn raises, from cold caches, with the k-th allocation failing (and
 * every one after it, if all_after). */
static cx_error *raised_with_allocation_failing(long k, int all_after, void (*fn)(void *))
{
    th_drain_caches();
    th_fail_allocation(k, all_after);
    cx_error *e = cx_protect(fn, NULL);
    th_fail_allocation(0, 0);
    return e;
}

/* The error itself cannot be had: the preallocated MemoryError is raised. */
TEST(alloc_failure_for_an_error_raises_the_static_memory_error)
{
    cx_error *e = raised_with_allocation_failing(1, 0, raise_long);
    CHECK(cx_error_is(e, &cx_MemoryError));
    CHECK_STR(cx_error_message(e), "out of memory");
    cx_error_unref(e);
}

/* Its long message cannot be copied: the error keeps its type and the
 * message's head (losing a tail beats losing the error). */
TEST(alloc_failure_for_a_long_message_keeps_the_error_with_its_head)
{
    cx_error *e = raised_with_allocation_failing(2, 0, raise_long);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(strlen(cx_error_message(e)) > 100 && strlen(cx_error_message(e)) < 200);
    CHECK(strncmp(cx_error_message(e), "0000000000", 10) == 0);
    cx_error_unref(e);
}

static void raise_long_constant(void *arg)
{
    (void)arg;
    cx_raise(&cx_ValueError, "0123456789012345678901234567890123456789012345678901234567890123"
                             "4567890123456789012345678901234567890123456789012345678901234567"
                             "89 and the tail that is kept");
}

/* A constant message is a literal the error points at: with every
 * allocation after the error's own failing, it is still there whole. */
TEST(a_long_constant_message_needs_no_allocation_and_is_kept_whole)
{
    cx_error *e = raised_with_allocation_failing(2, 1, raise_long_constant);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_EQ((long)strlen(cx_error_message(e)), 156);
    CHECK(strstr(cx_error_message(e), "the tail that is kept") != NULL);
    cx_error_unref(e);
}

static int ran;
static void count_run(void *arg) { (void)arg; ran++; }

static void grow_stack(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        for (int i = 0; i < 8; i++)
            cx_exitstack_callback(s, count_run, NULL);
        th_fail_allocation(1, 0);
        cx_exitstack_callback(s, count_run, NULL); /* needs room beyond 8 */
        CHECK(!"the ninth push must raise");
    }
}

/* Growing an ExitStack fails: MemoryError from the push, nothing pushed, and
 * the entries already there still run. */
TEST(alloc_failure_growing_an_exitstack_raises_memory_error_and_runs_its_entries)
{
    th_drain_caches();
    ran = 0;
    cx_error *e = cx_protect(grow_stack, NULL);
    th_fail_allocation(0, 0);
    CHECK(cx_error_is(e, &cx_MemoryError));
    CHECK_EQ(ran, 8);
    cx_error_unref(e);
}

static void simple_gen(cx_gen *g, void *arg) { (void)arg; cx_yield(g, NULL); }

static void make_gen_manager(void *arg)
{
    (void)arg;
    cx_with (cx_contextmanager(simple_gen, NULL))
        CHECK(!"the body must not run");
}

/* The generator cannot be had: MemoryError where the manager is made. */
TEST(alloc_failure_making_a_generator_manager_raises_memory_error)
{
    cx_error *e = raised_with_allocation_failing(1, 1, make_gen_manager);
    CHECK(cx_error_is(e, &cx_MemoryError));
    cx_error_unref(e);
}
