/* cx-bench: cx against hand-written C, C++ and CPython, side by side in one
 * run.
 *
 * Every row is calibrated on its own (n operations take about the time
 * budget), warmed up, then sampled: each repetition runs every row of a case
 * once, in an order that rotates, so a burst of load from elsewhere on the
 * machine lands on all of a case's implementations alike.  A figure is the
 * median of the repetitions, with min and max kept.  CPython peers run in one
 * python3 process (peers.py) driven over a pipe, timed inside Python
 * (timeit-style), so interpreter start-up is never counted.
 *
 *   cx-bench [--smoke] [--reps N] [--budget-ms MS] [--only CASE] [--impl IMPL]
 *            [--json PATH] [--chart PATH] [--markdown PATH]
 *            [--python PATH] [--peers PATH]
 *
 * --smoke runs every row a handful of times (keeps the program honest in
 * `make check`; its figures mean nothing). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cx/error.h>

#include "bench.h"

/* The most operations one timed run is grown to: 2^32, or what a long can
 * hold (times the growth factor, 100) where long has 32 bits. */
#define N_MAX ((long long)LONG_MAX / 100 < (1LL << 32) ? LONG_MAX / 100 : (long)(1LL << 32))

#ifndef CX_BENCH_PEERS
#define CX_BENCH_PEERS "bench/peers.py"
#endif

#ifdef CX_BENCH_HAVE_CXX
#define CPP(fn) .run = (fn)
#else
#define CPP(fn) .missing = "missing (no C++ compiler)"
#endif
#ifdef CX_BENCH_HAVE_ASYNC
#define ASYNC(fn) .run = (fn)
#else
#define ASYNC(fn) .missing = "missing (cx-async not built)"
#endif
#define C(fn) .run = (fn)
#define PY .run = NULL

enum { PER_OP, WHOLE_RUN };
enum { DEVNULL_REPS = 63, DEVNULL_PROCESSES = 9 };

typedef struct row {
    const char *name, *impl;
    bench_fn *run;       /* NULL: a python peer (missing == NULL) or missing */
    const char *missing; /* why the row cannot be measured */
    int kind;            /* PER_OP, or WHOLE_RUN (tasks_100k) */
    int reps_floor;      /* at least this many repetitions for the case (its
                          * target is as narrow as the machine's noise) */
    long n_floor;        /* at least this many operations a sample (a run
                          * whose start costs milliseconds: a process) */
    int processes;       /* > 1: the case's C rows are sampled in this many
                          * fresh processes (see samples_child) */
    /* results */
    long n;
    double *samples;     /* total ns per repetition */
    int nsamples;
    double ns, min, max; /* per op (PER_OP) or per run (WHOLE_RUN) */
    double allocs;       /* cx rows: cx allocations per op; < 0 not counted */
    double rss_kib;      /* WHOLE_RUN: KiB of peak RSS growth per task, after a one-task run */
    const char *failed;  /* measured, but a run failed */
} row;

/* The table: exactly these cases and implementations, in order. */
static row rows[] = {
    {"with_trivial", "cx", C(cx_with_trivial), .kind = PER_OP},
    {"with_trivial", "c_handwritten", C(c_with_trivial), .kind = PER_OP},
    {"with_trivial", "cpp_raii", CPP(cpp_with_trivial), .kind = PER_OP},
    {"with_trivial", "python", PY, .kind = PER_OP},
    /* the peer is with_trivial's: the same hand-written enter/exit pair */
    {"using_trivial", "cx", C(cx_using_trivial), .kind = PER_OP},
    {"using_trivial", "c_handwritten", C(c_with_trivial), .kind = PER_OP},
    {"defer_one", "cx", C(cx_defer_one), .kind = PER_OP},
    {"defer_one", "c_cleanup_attr", C(c_defer_one), .kind = PER_OP},
    {"defer_one", "cpp_raii", CPP(cpp_defer_one), .kind = PER_OP},
    {"raise_catch", "cx", C(cx_raise_catch), .kind = PER_OP},
    {"raise_catch", "cpp_throw_catch", CPP(cpp_raise_catch), .kind = PER_OP},
    {"raise_catch", "python", PY, .kind = PER_OP},
    {"suppress_raise", "cx", C(cx_suppress_raise), .kind = PER_OP},
    {"suppress_raise", "python", PY, .kind = PER_OP},
    {"generator_cm", "cx", C(cx_generator_cm), .kind = PER_OP},
    {"generator_cm", "python", PY, .kind = PER_OP},
    {"gen_iterate", "cx", C(cx_gen_iterate), .kind = PER_OP},
    {"gen_iterate", "python", PY, .kind = PER_OP},
    {"exitstack_1", "cx", C(cx_exitstack_1), .kind = PER_OP},
    {"exitstack_1", "python", PY, .kind = PER_OP},
    {"exitstack_10", "cx", C(cx_exitstack_10), .kind = PER_OP},
    {"exitstack_10", "python", PY, .kind = PER_OP},
    {"mutex_with", "cx", C(cx_mutex_with), .kind = PER_OP},
    {"mutex_with", "c_handwritten", C(c_mutex_with), .kind = PER_OP},
    /* "within 1%": a median of 9 moved by about 1% from run to run here,
     * and a process's layout by as much again */
    {"open_close_devnull", "cx", C(cx_open_close_devnull), .kind = PER_OP,
     .reps_floor = DEVNULL_REPS, .processes = DEVNULL_PROCESSES},
    {"open_close_devnull", "c_handwritten", C(c_open_close_devnull), .kind = PER_OP,
     .reps_floor = DEVNULL_REPS, .processes = DEVNULL_PROCESSES},
    {"open_close_devnull", "python_with", PY, .kind = PER_OP, .reps_floor = DEVNULL_REPS},
    {"open_close_devnull", "python_manual", PY, .kind = PER_OP, .reps_floor = DEVNULL_REPS},
    {"using_open_close_devnull", "cx", C(cx_using_open_close_devnull), .kind = PER_OP,
     .reps_floor = DEVNULL_REPS, .processes = DEVNULL_PROCESSES},
    {"using_open_close_devnull", "c_handwritten", C(c_open_close_devnull), .kind = PER_OP,
     .reps_floor = DEVNULL_REPS, .processes = DEVNULL_PROCESSES},
    {"async_with_acm", "cx", ASYNC(cx_async_with_acm), .kind = PER_OP},
    {"async_with_acm", "python", PY, .kind = PER_OP},
    {"task_spawn_await", "cx", ASYNC(cx_task_spawn_await), .kind = PER_OP},
    {"task_spawn_await", "python", PY, .kind = PER_OP},
    {"tasks_100k", "cx", ASYNC(cx_tasks_many), .kind = WHOLE_RUN},
    {"tasks_100k", "python", PY, .kind = WHOLE_RUN},
    {"echo_roundtrip", "cx", ASYNC(cx_echo_roundtrip), .kind = PER_OP},
    {"echo_roundtrip", "python", PY, .kind = PER_OP},
    {"echo_roundtrip", "c_libuv", ASYNC(c_libuv_echo_roundtrip), .kind = PER_OP},
    /* each sample starts the client process */
    {"echo_2_loops", "cx_1_loop", ASYNC(cx_echo_1_loop), .kind = PER_OP, .n_floor = 20000},
    {"echo_2_loops", "cx_2_loops", ASYNC(cx_echo_2_loops), .kind = PER_OP, .n_floor = 20000},
};
enum { NROWS = sizeof rows / sizeof rows[0] };

/* The targets.  ratio = a's ns / b's ns; "alloc" and "rss" bound
 * a row's own figure. */
typedef struct target {
    const char *name;
    const char *a, *b;   /* impls compared: ratio a/b */
    char op;             /* '<': ratio <= bound, '>': ratio >= bound,
                            'a': cx allocs == 0, 'r': rss KiB/task <= bound */
    double bound;
    const char *text;
} target;

static const target targets[] = {
    {"with_trivial", "cx", "c_handwritten", '<', 3.0, "cx <= 3.0x c_handwritten"},
    {"with_trivial", "python", "cx", '>', 15, "cx >= 15x faster than python"},
    {"using_trivial", "cx", "c_handwritten", '<', 1.3, "cx <= 1.3x c_handwritten"},
    {"defer_one", "cx", "c_cleanup_attr", '<', 2.0, "cx <= 2.0x c_cleanup_attr"},
    {"raise_catch", "cpp_throw_catch", "cx", '>', 20, "cx >= 20x faster than cpp_throw_catch"},
    {"raise_catch", "python", "cx", '>', 5, "cx >= 5x faster than python"},
    {"suppress_raise", "python", "cx", '>', 10, "cx >= 10x faster than python"},
    {"generator_cm", "python", "cx", '>', 25, "cx >= 25x faster than python"},
    {"generator_cm", "cx", NULL, 'a', 0, "cx: 0 allocations per op"},
    {"exitstack_10", "python", "cx", '>', 100, "cx >= 100x faster than python"},
    {"exitstack_10", "cx", NULL, 'a', 0, "cx: 0 allocations per op"},
    {"mutex_with", "cx", "c_handwritten", '<', 1.3, "cx <= 1.3x c_handwritten"},
    {"open_close_devnull", "cx", "c_handwritten", '<', 1.01,
     "cx within 1% of c_handwritten (<= 1.01x)"},
    {"using_open_close_devnull", "cx", "c_handwritten", '<', 1.01,
     "cx within 1% of c_handwritten (<= 1.01x)"},
    {"async_with_acm", "python", "cx", '>', 20, "cx >= 20x faster than python"},
    {"task_spawn_await", "python", "cx", '>', 150, "cx >= 150x faster than python"},
    {"tasks_100k", "python", "cx", '>', 25, "cx >= 25x faster than python"},
    {"tasks_100k", "cx", NULL, 'r', 4, "cx <= 4 KiB RSS per task"},
    {"echo_roundtrip", "python", "cx", '>', 10, "cx >= 10x faster than python"},
    {"echo_roundtrip", "cx", "c_libuv", '<', 1.3, "cx <= 1.3x c_libuv"},
};

static struct {
    bool smoke;
    int reps;
    double budget_ns;
    const char *only, *impl, *json, *chart, *markdown, *python, *peers;
    long tasks; /* tasks_100k's task count */
    long count; /* operations per sample, fixed (0: calibrated) */
} opt = {false, 9, 30e6, NULL, NULL, NULL, NULL, NULL, "python3", CX_BENCH_PEERS, 100000, 0};

/* ---- time ---- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* NAN when the run failed (bench_failure says why). */
static double time_c(bench_fn *fn, long n)
{
    double t0 = now_ns();
    fn(n);
    double t = now_ns() - t0;
    return bench_failure ? NAN : t;
}

/* ---- the python3 peer process ---- */

static struct {
    pid_t pid;
    FILE *to, *from;
    const char *missing;
} py = {0, NULL, NULL, NULL};

static void python_start(void)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out)) {
        perror("cx-bench: pipe");
        exit(2);
    }
    fflush(NULL);
    py.pid = fork();
    if (py.pid < 0) {
        perror("cx-bench: fork");
        exit(2);
    }
    if (py.pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execlp(opt.python, opt.python, "-u", opt.peers, (char *)NULL);
        fprintf(stderr, "cx-bench: cannot run %s: %s\n", opt.python, strerror(errno));
        _exit(127);
    }
    close(in[0]), close(out[1]);
    py.to = fdopen(in[1], "w");
    py.from = fdopen(out[0], "r");
    signal(SIGPIPE, SIG_IGN);
}

/* Sends one command; returns the reply's number, or NAN (py.missing or
 * *why says what went wrong). */
static double python_ask(const char *cmd, const row *r, double arg, const char **why)
{
    static char reply[512];
    if (py.missing) {
        *why = py.missing;
        return NAN;
    }
    fprintf(py.to, "%s %s %s %.0f\n", cmd, r->name, r->impl, arg);
    fflush(py.to);
    if (!fgets(reply, sizeof reply, py.from)) {
        py.missing = "missing (python3 did not run)";
        *why = py.missing;
        return NAN;
    }
    reply[strcspn(reply, "\n")] = 0;
    char *end;
    double v = strtod(reply, &end);
    if (end == reply || *end) {
        *why = strdup(reply);
        return NAN;
    }
    return v;
}

static void python_stop(void)
{
    if (!py.to)
        return;
    fputs("quit\n", py.to);
    fclose(py.to);
    fclose(py.from);
    waitpid(py.pid, NULL, 0);
}

/* ---- allocation counting (cx's allocator hook) ---- */

static long alloc_count;

static void *count_malloc(size_t n)
{
    alloc_count++;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n)
{
    alloc_count++;
    return realloc(p, n);
}

/* The counting functions hand out libc's memory, so swapping them in and
 * out with cx's pools holding blocks is safe. */
static double count_allocs(bench_fn *fn, long n)
{
    alloc_count = 0;
    cx_set_allocator(count_malloc, count_realloc, free);
    fn(n);
    cx_set_allocator(NULL, NULL, NULL);
    if (bench_failure) {
        bench_failure = NULL;
        return -1;
    }
    return (double)alloc_count / (double)n;
}

/* ---- peak RSS per task, measured in a fresh process ---- */

static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, len) && line[len] == ':')
            v = atol(line + len + 1);
    if (f)
        fclose(f);
    return v;
}

static int rss_child(const char *impl, long n)
{
    for (int i = 0; i < NROWS; i++)
        if (rows[i].kind == WHOLE_RUN && !strcmp(rows[i].impl, impl) && rows[i].run) {
            /* A run of one task first: the pages of code and the loop's
             * first allocations are not the tasks' memory. */
            rows[i].run(1);
            long before = status_kib("VmRSS");
            rows[i].run(n);
            long peak = status_kib("VmHWM");
            if (bench_failure)
                return 1;
            printf("%.3f\n", (double)(peak - before) / (double)n);
            return 0;
        }
    return 1;
}

static double rss_c(const row *r, long n)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/proc/%d/exe --rss-child %s %ld", (int)getpid(), r->impl, n);
    FILE *p = popen(cmd, "r");
    double v = NAN;
    if (p) {
        if (fscanf(p, "%lf", &v) != 1)
            v = NAN;
        if (pclose(p) != 0)
            v = NAN;
    }
    return v;
}

/* ---- the process every row runs in ---- */

/* glibc skips atomic instructions in locks, malloc and stdio while a process
 * has a single thread.  Locks matter only in programs with threads, so the
 * whole run has a second thread alive (parked): every C, C++ and cx row pays
 * what it pays in a threaded program. */
static void *parked(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void park_a_thread(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, parked, NULL) != 0) {
        fputs("cx-bench: cannot start the parked thread\n", stderr);
        exit(2);
    }
}

/* Every side runs on one CPU: the CPython peers (in their own process)
 * and the C, C++ and cx rows.  A virtual machine's CPUs need not be equally
 * fast (a busy neighbour on one's physical core): measured on two CPUs, a
 * ratio says which CPU each side got; one showed 1.7x between its two.
 * The parked thread sleeps, so it competes for nothing.  Returns the CPU, or
 * -1 when not pinned (CX_BENCH_NO_PIN=1, or the kernel said no). */
static int pin_to_one_cpu(void)
{
    if (getenv("CX_BENCH_NO_PIN"))
        return -1;
    int cpu = sched_getcpu();
    if (cpu < 0)
        return -1;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0 ? cpu : -1;
}

/* ---- measuring ---- */

static bool available(const row *r) { return !r->missing && !r->failed; }

/* One timed run of r at its n; NAN when it failed. */
static double sample(row *r)
{
    if (r->run) {
        double t = time_c(r->run, r->n);
        if (isnan(t)) {
            r->failed = bench_failure;
            bench_failure = NULL;
        }
        return t;
    }
    const char *why = NULL;
    double t = python_ask("run", r, (double)r->n, &why);
    if (isnan(t))
        r->failed = why;
    return t;
}

/* Finds n (operations per sample) and warms up. */
static void calibrate(row *r)
{
    if (r->kind == WHOLE_RUN) {
        r->n = opt.tasks;
    } else if (opt.smoke) {
        r->n = 3;
    } else if (opt.count) {
        r->n = opt.count;
    } else if (r->run) {
        long n = r->n_floor > 0 ? r->n_floor : 1;
        for (;;) {
            double t = time_c(r->run, n);
            if (isnan(t)) {
                r->failed = bench_failure;
                bench_failure = NULL;
                return;
            }
            if (t >= opt.budget_ns || n >= N_MAX)
                break;
            double grow = opt.budget_ns / (t > 1 ? t : 1) * 1.2;
            n = (long)(n * fmin(fmax(grow, 2), 100));
        }
        r->n = n;
    } else {
        const char *why = NULL;
        double n = python_ask("calibrate", r, opt.budget_ns, &why);
        if (isnan(n)) {
            r->failed = why;
            return;
        }
        r->n = (long)n;
    }
    sample(r); /* warm-up */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarise(row *r)
{
    if (!available(r) || r->nsamples == 0)
        return;
    qsort(r->samples, (size_t)r->nsamples, sizeof *r->samples, cmp_double);
    double per = r->kind == WHOLE_RUN ? 1.0 : (double)r->n;
    int k = r->nsamples;
    double median = k % 2 ? r->samples[k / 2] : (r->samples[k / 2 - 1] + r->samples[k / 2]) / 2;
    r->ns = median / per;
    r->min = r->samples[0] / per;
    r->max = r->samples[k - 1] / per;
}

static bool selected(const row *r)
{
    return (!opt.only || !strcmp(opt.only, r->name)) && (!opt.impl || !strcmp(opt.impl, r->impl));
}

/* The order the rows of a case are sampled in, drawn afresh for each
 * repetition (a fixed-seed Fisher-Yates shuffle): in a fixed rotation each
 * row always ran right after the same one, a CPython peer for some, which
 * leaves caches and predictors the same way each time. */
static void shuffle_order(int *order, int count, unsigned *seed)
{
    for (int i = 0; i < count; i++)
        order[i] = i;
    for (int i = count - 1; i > 0; i--) {
        *seed = *seed * 1103515245u + 12345u;
        int k = (int)((*seed >> 16) % (unsigned)(i + 1));
        int t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
}

/* ---- samples from fresh processes ----
 * Address-space randomization lays out each process afresh, and with it how
 * a loop's branches and data share the CPU's predictors and caches with the
 * kernel's: the two rows of open_close_devnull, which make the same system
 * calls, read up to 1% apart either way from one process to the next, with
 * 61 repetitions as with 9.  A case whose rows have .processes > 1 takes its
 * C rows' samples from that many fresh runs of this program (each a new
 * layout), interleaved in each as usual, and pools them; its Python rows are
 * sampled here as in any case. */

/* The child: `--samples-child REPS ROW-INDEX N [ROW-INDEX N]...` runs each
 * of those C rows (N operations a sample) REPS times, interleaved, after a
 * warm-up, and prints "ROW-INDEX TOTAL-NS" per sample. */
static int samples_child(int argc, char **argv)
{
    int reps = atoi(argv[2]), count = 0, idx[16];
    for (int a = 3; a + 1 < argc && count < 16; a += 2) {
        int i = atoi(argv[a]);
        if (i < 0 || i >= NROWS || !rows[i].run)
            return 2;
        rows[i].n = atol(argv[a + 1]);
        idx[count++] = i;
    }
    if (!getenv("CX_BENCH_SINGLE_THREAD"))
        park_a_thread();
    for (int j = 0; j < count; j++)
        if (isnan(time_c(rows[idx[j]].run, rows[idx[j]].n))) /* warm-up */
            return 1;
    int order[16];
    unsigned seed = (unsigned)getpid();
    for (int rep = 0; rep < reps; rep++) {
        shuffle_order(order, count, &seed);
        for (int j = 0; j < count; j++) {
            row *r = &rows[idx[order[j]]];
            double t = time_c(r->run, r->n);
            if (isnan(t))
                return 1;
            printf("%d %.17g\n", idx[order[j]], t);
        }
    }
    return 0;
}

/* Runs one child for the C rows of the case at first..first+count, adding
 * at most `room` samples to each; false if it failed (the rows are then
 * marked failed). */
static bool sample_in_child(int first, int count, int reps, int room)
{
    char cmd[4096];
    int len = snprintf(cmd, sizeof cmd, "/proc/%d/exe --samples-child %d", (int)getpid(), reps);
    for (int i = first; i < first + count; i++)
        if (rows[i].run && available(&rows[i]) && selected(&rows[i]))
            len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %d %ld", i, rows[i].n);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    int i;
    double t;
    while (fscanf(p, "%d %lf", &i, &t) == 2)
        if (i >= first && i < first + count && rows[i].run && selected(&rows[i]) &&
            rows[i].nsamples < room)
            rows[i].samples[rows[i].nsamples++] = t;
    return pclose(p) == 0;
}

static int case_processes(int first, int count)
{
    int k = 1;
    for (int i = first; i < first + count && !opt.smoke; i++)
        if (rows[i].processes > k)
            k = rows[i].processes;
    return k;
}

/* --reps, or the case's floor if higher (not in a smoke run). */
static int case_reps(int first, int count)
{
    int reps = opt.reps;
    for (int i = first; i < first + count && !opt.smoke; i++)
        if (rows[i].reps_floor > reps)
            reps = rows[i].reps_floor;
    return reps;
}

static void measure_case(int first, int count)
{
    int reps = case_reps(first, count);
    int procs = case_processes(first, count);
    int child_reps = (reps + procs - 1) / procs; /* per process, when procs > 1 */
    int room = reps + procs * child_reps;
    for (int i = first; i < first + count; i++) {
        rows[i].samples = calloc((size_t)room, sizeof(double));
        rows[i].allocs = -1;
        rows[i].rss_kib = NAN;
        if (!rows[i].missing)
            calibrate(&rows[i]);
    }
    int order[16];
    unsigned seed = 1;
    if (count > 16) {
        fputs("cx-bench: more than 16 rows in one case\n", stderr);
        exit(2);
    }
    for (int rep = 0; rep < reps; rep++) {
        shuffle_order(order, count, &seed);
        for (int j = 0; j < count; j++) {
            row *r = &rows[first + order[j]];
            if (!available(r) || (procs > 1 && r->run))
                continue;
            double t = sample(r);
            if (!isnan(t))
                r->samples[r->nsamples++] = t;
        }
    }
    for (int k = 0; k < procs && procs > 1; k++)
        if (!sample_in_child(first, count, child_reps, room))
            for (int i = first; i < first + count; i++)
                if (rows[i].run && !rows[i].failed)
                    rows[i].failed = "failed (in a sampling process)";
    for (int i = first; i < first + count; i++) {
        row *r = &rows[i];
        summarise(r);
        if (!available(r))
            continue;
        if (r->run && !strcmp(r->impl, "cx"))
            r->allocs = count_allocs(r->run, r->kind == WHOLE_RUN ? r->n : fmin(r->n, 100000));
        if (r->kind == WHOLE_RUN) {
            const char *why = NULL;
            r->rss_kib = r->run ? rss_c(r, r->n) : python_ask("rss", r, (double)r->n, &why);
        }
    }
}

/* ---- reporting ---- */

static row *find(const char *name, const char *impl)
{
    for (int i = 0; i < NROWS; i++)
        if (!strcmp(rows[i].name, name) && !strcmp(rows[i].impl, impl))
            return &rows[i];
    return NULL;
}

static bool measured(const row *r) { return r && available(r) && r->nsamples > 0; }

static void fmt_ns(char *buf, size_t size, double ns)
{
    if (ns >= 1e6)
        snprintf(buf, size, "%.2f ms", ns / 1e6);
    else if (ns >= 1e4)
        snprintf(buf, size, "%.2f us", ns / 1e3);
    else
        snprintf(buf, size, "%.2f", ns);
}

static const char *status_of(const row *r)
{
    if (r->missing)
        return r->missing;
    if (r->failed)
        return r->failed;
    return "not measured";
}

static void print_table(FILE *out, bool markdown)
{
    if (markdown) {
        fputs("| case | impl | ns/op (median) | min | max | ratio to cx | cx allocs/op |\n"
              "|---|---|---:|---:|---:|---:|---:|\n",
              out);
    } else {
        fprintf(out, "%-19s %-16s %12s %12s %12s %9s %7s\n", "case", "impl", "ns/op",
                "min", "max", "x cx", "allocs");
    }
    for (int i = 0; i < NROWS; i++) {
        row *r = &rows[i];
        if (!selected(r))
            continue;
        if (!measured(r)) {
            if (markdown)
                fprintf(out, "| %s | %s | %s | | | | |\n", r->name, r->impl, status_of(r));
            else
                fprintf(out, "%-19s %-16s %s\n", r->name, r->impl, status_of(r));
            continue;
        }
        char ns[32], mn[32], mx[32], ratio[32] = "", allocs[32] = "";
        fmt_ns(ns, sizeof ns, r->ns);
        fmt_ns(mn, sizeof mn, r->min);
        fmt_ns(mx, sizeof mx, r->max);
        row *cx = find(r->name, "cx");
        if (measured(cx))
            snprintf(ratio, sizeof ratio, "%.2fx", r->ns / cx->ns);
        if (r->allocs >= 0)
            snprintf(allocs, sizeof allocs, "%.2f", r->allocs);
        if (r->kind == WHOLE_RUN && !isnan(r->rss_kib))
            snprintf(allocs + strlen(allocs), sizeof allocs - strlen(allocs),
                     "%s%.2f KiB/task", *allocs ? ", " : "", r->rss_kib);
        if (markdown)
            fprintf(out, "| %s | %s | %s%s | %s | %s | %s | %s |\n", r->name, r->impl, ns,
                    r->kind == WHOLE_RUN ? " (whole run)" : "", mn, mx, ratio, allocs);
        else
            fprintf(out, "%-19s %-16s %12s %12s %12s %9s %7s%s\n", r->name, r->impl, ns, mn,
                    mx, ratio, allocs, r->kind == WHOLE_RUN ? "  (ns = whole run)" : "");
    }
}

/* Returns how many targets were missed; unmeasurable ones are counted apart. */
static int print_targets(FILE *out, bool markdown, int *unknown)
{
    int missed = 0;
    *unknown = 0;
    if (markdown)
        fputs("| case | target | measured | met |\n|---|---|---:|---|\n", out);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const target *t = &targets[i];
        row *a = find(t->name, t->a);
        if (opt.only && strcmp(opt.only, t->name))
            continue;
        char got[64] = "";
        int met = -1;
        if (t->op == 'a' && measured(a) && a->allocs >= 0) {
            snprintf(got, sizeof got, "%.2f allocs/op", a->allocs);
            met = a->allocs == 0;
        } else if (t->op == 'r' && measured(a) && !isnan(a->rss_kib)) {
            snprintf(got, sizeof got, "%.2f KiB/task", a->rss_kib);
            met = a->rss_kib <= t->bound;
        } else if (t->b) {
            row *b = find(t->name, t->b);
            if (measured(a) && measured(b)) {
                double ratio = a->ns / b->ns;
                snprintf(got, sizeof got, "%.2fx", ratio);
                met = t->op == '<' ? ratio <= t->bound : ratio >= t->bound;
            }
        }
        const char *verdict = met < 0 ? "unknown (not measured)" : met ? "met" : "NOT MET";
        if (met == 0)
            missed++;
        if (met < 0)
            ++*unknown;
        if (markdown)
            fprintf(out, "| %s | %s | %s | %s |\n", t->name, t->text, got, verdict);
        else
            fprintf(out, "%-19s %-42s %16s  %s\n", t->name, t->text, got, verdict);
    }
    return missed;
}

static void write_json(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cx-bench: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fputs("{\"cases\": [", f);
    const char *sep = "\n  ";
    for (int i = 0; i < NROWS; i++) {
        row *r = &rows[i];
        if (!selected(r) || !measured(r))
            continue;
        fprintf(f, "%s{\"case\": \"%s\", \"impl\": \"%s\", \"ns\": %.3f, \"min\": %.3f, \"max\": %.3f",
                sep, r->name, r->impl, r->ns, r->min, r->max);
        if (r->allocs >= 0)
            fprintf(f, ", \"allocs\": %.4f", r->allocs);
        if (r->kind == WHOLE_RUN && !isnan(r->rss_kib))
            fprintf(f, ", \"rss_kib_per_task\": %.3f", r->rss_kib);
        fputc('}', f);
        sep = ",\n  ";
    }
    fputs("\n]}\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "cx-bench: %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

/* One line per (case, peer): how many times faster cx is. */
static void write_chart(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cx-bench: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fputs("# label speed-up (peer ns / cx ns)\n", f);
    for (int i = 0; i < NROWS; i++) {
        row *r = &rows[i];
        row *cx = find(r->name, "cx");
        if (r == cx || !selected(r) || !measured(r) || !measured(cx))
            continue;
        fprintf(f, "\"%s vs %s\" %.4f\n", r->name, r->impl, r->ns / cx->ns);
    }
    fclose(f);
}

/* The 1-minute load average: how busy the machine was. */
static double loadavg(void)
{
    double l = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = NAN;
        fclose(f);
    }
    return l;
}

static void usage(void)
{
    fputs("usage: cx-bench [--smoke] [--reps N] [--budget-ms MS] [--only CASE] [--impl IMPL]\n"
          "                [--json PATH] [--chart PATH] [--markdown PATH]\n"
          "                [--python PATH] [--peers PATH]\n",
          stderr);
    exit(2);
}

/* What open_close_devnull's rows take instead of --reps (nothing in a
 * smoke run). */
static void devnull_reps(char *buf, size_t size)
{
    int reps = opt.reps > DEVNULL_REPS ? opt.reps : DEVNULL_REPS;
    int per = (reps + DEVNULL_PROCESSES - 1) / DEVNULL_PROCESSES;
    if (opt.smoke)
        buf[0] = '\0';
    else
        snprintf(buf, size, " (open_close_devnull: %d, its C rows %d in each of %d processes)", reps,
                 per, DEVNULL_PROCESSES);
}

static bool case_exists(const char *name)
{
    for (int i = 0; i < NROWS; i++)
        if (!strcmp(rows[i].name, name))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--rss-child"))
        return rss_child(argv[2], atol(argv[3]));
    if (argc >= 4 && !strcmp(argv[1], "--samples-child"))
        return samples_child(argc, argv);
#ifdef CX_BENCH_HAVE_ASYNC
    if (argc == 5 && !strcmp(argv[1], "--echo-client"))
        return bench_echo_client(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
#endif
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--smoke")) {
            opt.smoke = true;
            opt.reps = 7;
            opt.tasks = 200;
            continue;
        }
        if (!v)
            usage();
        if (!strcmp(a, "--reps"))
            opt.reps = atoi(v);
        else if (!strcmp(a, "--budget-ms"))
            opt.budget_ns = atof(v) * 1e6;
        else if (!strcmp(a, "--only"))
            opt.only = v;
        else if (!strcmp(a, "--count"))
            opt.count = atol(v);
        else if (!strcmp(a, "--impl"))
            opt.impl = v;
        else if (!strcmp(a, "--json"))
            opt.json = v;
        else if (!strcmp(a, "--chart"))
            opt.chart = v;
        else if (!strcmp(a, "--markdown"))
            opt.markdown = v;
        else if (!strcmp(a, "--python"))
            opt.python = v;
        else if (!strcmp(a, "--peers"))
            opt.peers = v;
        else
            usage();
        i++;
    }
    if (opt.reps < 7) {
        fputs("cx-bench: --reps must be at least 7\n", stderr);
        return 2;
    }
    if (opt.only && !case_exists(opt.only)) {
        fprintf(stderr, "cx-bench: no case named %s\n", opt.only);
        return 2;
    }
    double load_before = loadavg();
    int cpu = pin_to_one_cpu(); /* before the peer process and the thread: they inherit it */
    python_start();
    if (!getenv("CX_BENCH_SINGLE_THREAD"))
        park_a_thread();

    char devnull[96];
    devnull_reps(devnull, sizeof devnull);
    printf("cx-bench: %d repetitions per row%s, median (min, max); %s\n", opt.reps, devnull,
           opt.smoke ? "SMOKE RUN: tiny counts, figures mean nothing"
                     : "ratio = ns / cx's ns (above 1: cx is faster)");
    for (int i = 0; i < NROWS;) {
        int k = 1;
        while (i + k < NROWS && !strcmp(rows[i + k].name, rows[i].name))
            k++;
        int first = i;
        while (first < i + k && !selected(&rows[first]))
            first++;
        int count = 0;
        while (first + count < i + k && selected(&rows[first + count]))
            count++;
        if (count) {
            fprintf(stderr, "cx-bench: %s ...\n", rows[i].name);
            measure_case(first, count);
        }
        i += k;
    }
    python_stop();
    double load_after = loadavg();

    putchar('\n');
    print_table(stdout, false);
    printf("\ntargets:\n");
    int unknown;
    int missed = print_targets(stdout, false, &unknown);
    printf("\n%d target(s) missed, %d not measurable in this build\n", missed, unknown);
    printf("load average: %.2f at the start, %.2f at the end (%ld cores)\n", load_before,
           load_after, sysconf(_SC_NPROCESSORS_ONLN));
    if (cpu >= 0)
        printf("every side ran on CPU %d (pinned; CX_BENCH_NO_PIN=1 turns that off)\n", cpu);
    else
        printf("not pinned to one CPU: ratios may compare two CPUs\n");

    if (opt.json)
        write_json(opt.json);
    if (opt.chart)
        write_chart(opt.chart);
    if (opt.markdown) {
        FILE *f = fopen(opt.markdown, "w");
        if (f) {
            fprintf(f, "%d repetitions per row%s; 1-minute load average %.2f at the start, "
                       "%.2f at the end, %ld cores; %s.\n\n",
                    opt.reps, devnull, load_before, load_after, sysconf(_SC_NPROCESSORS_ONLN),
                    cpu >= 0 ? "every side pinned to one CPU" : "not pinned to one CPU");
            print_table(f, true);
            fputs("\n", f);
            print_targets(f, true, &unknown);
            fclose(f);
        }
    }
    return 0;
}
