/* Allocation faults: every allocation cx makes while running a scenario is
 * made to fail, one at a time and from some point on, and each run must end
 * cleanly — the scenario's own result, or a cx_MemoryError that surfaced —
 * with nothing leaked (the harness counts cx's blocks; LeakSanitizer watches
 * the rest under make sanitize). */
#include "harness.h"

#include "../diff/interp.h"

typedef struct scenario {
    char *text;
    node *tree, *all;
    char *reference;   /* the trace with no fault */
    long allocations;  /* how many allocations the reference run made */
} scenario;

#define MAX_SCENARIOS 256

static scenario set[MAX_SCENARIOS];
static int nset;

/* A run from cold caches: every error, generator and ExitStack is allocated
 * afresh, so every allocation point is reached. */
static void run(scenario *s)
{
    th_drain_caches();
    diff_trace_reset();
    diff_run(s->tree);
}

static void load(void)
{
    FILE *in = fopen(CX_FAULT_SCENARIOS, "r");
    CHECK(in != NULL);
    char *line = NULL;
    size_t cap = 0;
    while (nset < MAX_SCENARIOS && getline(&line, &cap, in) > 0) {
        int skip = 0, id;
        if (sscanf(line, "S %d %n", &id, &skip) != 1 || !skip)
            continue;
        scenario *s = &set[nset++];
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

/* Returns how many scenarios ran. */
static int fail_at_every_point(int all_after, long *points)
{
    load();
    CHECK(nset >= 200);
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
                fprintf(stderr, "scenario %d, allocation %ld failing: %ld block(s) leaked\n%s",
                        i, k, th_live_blocks() - live, diff_trace());
                CHECK(th_live_blocks() == live);
            }
            const char *trace = diff_trace();
            const char *end = strstr(trace, "end ");
            CHECK(end != NULL);
            if (made < k) { /* the fault was never reached: the scenario completed */
                CHECK_STR(trace, s->reference);
                break;
            }
            ++*points;
            if (strcmp(trace, s->reference) != 0 && !strstr(trace, "MemoryError")) {
                fprintf(stderr, "scenario %d, allocation %ld failing: no MemoryError\n"
                        "--- reference\n%s--- with the fault\n%s", i, k, s->reference, trace);
                CHECK(!"a failed allocation changed the run without a MemoryError");
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
    int n = fail_at_every_point(0, &points);
    printf("alloc faults (one failure): %d scenarios, %ld failure points\n", n, points);
    CHECK(points > 2 * n);
}

TEST(alloc_failing_from_each_point_on_ends_cleanly)
{
    long points = 0;
    int n = fail_at_every_point(1, &points);
    printf("alloc faults (failing from k on): %d scenarios, %ld failure points\n", n, points);
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
