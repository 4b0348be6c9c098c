/* The test runner behind harness.h. */
#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#undef cx_set_allocator

#define MAX_TESTS 1024

/* ---- the counting allocator under cx (the leak gate, fault injection) ---- */

static void *(*inner_malloc)(size_t) = malloc;
static void *(*inner_realloc)(void *, size_t) = realloc;
static void (*inner_free)(void *) = free;
static long live, made, fail_at, fail_rest;

static bool should_fail(void)
{
    long n = __atomic_add_fetch(&made, 1, __ATOMIC_RELAXED);
    long k = __atomic_load_n(&fail_at, __ATOMIC_RELAXED);
    return k > 0 && (n == k || (n > k && __atomic_load_n(&fail_rest, __ATOMIC_RELAXED)));
}

static void *counting_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = inner_malloc(n);
    if (p)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return p;
}

static void *counting_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    void *q = inner_realloc(p, n);
    if (q && !p)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return q;
}

static void counting_free(void *p)
{
    if (p)
        __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    inner_free(p);
}

void th_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t), void (*f)(void *))
{
    inner_malloc = m ? m : malloc;
    inner_realloc = r ? r : realloc;
    inner_free = f ? f : free;
}

long th_live_blocks(void) { return __atomic_load_n(&live, __ATOMIC_RELAXED); }

CX_API void cx__thread_drain(void);

void th_drain_caches(void) { cx__thread_drain(); }

long th_fail_allocation(long k, int all_after)
{
    __atomic_store_n(&fail_at, 0, __ATOMIC_RELAXED);
    long n = __atomic_exchange_n(&made, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fail_rest, all_after, __ATOMIC_RELAXED);
    __atomic_store_n(&fail_at, k, __ATOMIC_RELAXED);
    return n;
}

static struct {
    const char *name;
    void (*fn)(void);
} tests[MAX_TESTS];
static int ntests;

__thread char th_trace[4096] __attribute__((tls_model("local-exec")));

void th_register(const char *name, void (*fn)(void))
{
    if (ntests == MAX_TESTS) {
        fputs("too many tests\n", stderr);
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void th_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: %s\n", file, line, what);
    exit(1);
}

void th_check_str(const char *file, int line, const char *as, const char *bs,
                  const char *a, const char *b)
{
    if (a && b && strcmp(a, b) == 0)
        return;
    fprintf(stderr, "%s:%d: %s == %s failed:\n  \"%s\"\n  \"%s\"\n", file, line,
            as, bs, a ? a : "(null)", b ? b : "(null)");
    exit(1);
}

void th_log(const char *fmt, ...)
{
    size_t n = strlen(th_trace);
    if (n && n < sizeof th_trace - 1)
        th_trace[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(th_trace + n, sizeof th_trace - n, fmt, ap);
    va_end(ap);
}

char *th_printed(const cx_error *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cx_error_print(e, out);
    fclose(out);
    return text;
}

void th_check_site(const char *at, int at_line, const cx_error *e, const char *file, int line,
                   const char *func)
{
    char want[4096];
    if (!e)
        th_fail(at, at_line, "nothing was raised");
    snprintf(want, sizeof want, "File \"%s\", line %d, in %s", file, line, func);
    const char *got_file = cx_error_file(e), *got_func = cx_error_function(e);
    char *text = th_printed(e);
    /* cx's own files: src/<module>/... and include/cx/... */
    static const char *const own[] = {"src/core/", "src/coro/", "src/lib/",    "src/res/",
                                      "src/sqlite/", "src/pg/", "src/async/", "include/cx/"};
    const char *inside = NULL;
    for (size_t i = 0; i < sizeof own / sizeof own[0] && !inside; i++)
        if (strstr(text, own[i]))
            inside = own[i];
    if (got_file && strcmp(got_file, file) == 0 && cx_error_line(e) == line && got_func &&
        strcmp(got_func, func) == 0 && strstr(text, want) && !inside) {
        free(text);
        return;
    }
    fprintf(stderr, "%s:%d: the error does not name %s:%d in %s%s%s; it names %s:%d in %s; "
                    "printed:\n%s",
            at, at_line, file, line, func, inside ? ", or its print shows " : "",
            inside ? inside : "", got_file ? got_file : "(null)", cx_error_line(e),
            got_func ? got_func : "(null)", text);
    free(text);
    exit(1);
}

long th_status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

int th_count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

int th_run_child(void (*fn)(void *), void *arg, char **err_text)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        th_fail(__FILE__, __LINE__, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], 2);
        close(pipefd[1]);
        /* The child starts at the bottom of its frame stack, as a program's
         * main does: the runner's cx_protect is not its to land in. */
        cx__state_get()->top = NULL;
        cx__state_get()->handling = NULL;
        fn(arg);
        fflush(NULL);
        _exit(0);
    }
    close(pipefd[1]);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(pipefd[0], buf + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (err_text)
        *err_text = buf;
    else
        free(buf);
    return status;
}

static void run_body(void *fn) { ((void (*)(void))fn)(); }

static int run_one(int i)
{
    th_trace[0] = '\0';
    th_drain_caches();
    int fds = th_count_fds();
    long blocks = th_live_blocks();
    cx_error *e = cx_protect(run_body, (void *)tests[i].fn);
    th_fail_allocation(0, 0);
    th_set_allocator(NULL, NULL, NULL);
    if (e) {
        fprintf(stderr, "%s: an error escaped the test:\n", tests[i].name);
        cx_error_print(e, stderr);
        cx_error_unref(e);
        return 1;
    }
    th_drain_caches();
    if (th_count_fds() != fds) {
        fprintf(stderr, "%s: leaked %d descriptor(s)\n", tests[i].name, th_count_fds() - fds);
        return 1;
    }
    if (th_live_blocks() != blocks) {
        fprintf(stderr, "%s: leaked %ld heap block(s) allocated through cx\n", tests[i].name,
                th_live_blocks() - blocks);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++)
            puts(tests[i].name);
        return 0;
    }
    int failed = 0, ran = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
            continue;
        ran++;
        if (run_one(i)) {
            failed++;
            fprintf(stderr, "FAIL %s\n", tests[i].name);
        }
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 2;
    }
    if (argc <= 1)
        printf("%d passed, %d failed\n", ran - failed, failed);
    return failed != 0;
}

void th_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    chmod(path, 0700);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d))) {
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name);
            th_remove_tree(sub);
        }
        closedir(d);
    }
    rmdir(path);
}
