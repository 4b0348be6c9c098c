/* The test runner behind harness.h. */
#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdarg.h>
#include <unistd.h>
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#define lstat stat /* th_remove_tree: no links to leave alone here */
#endif

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

#ifdef _WIN32
/* An unnamed temporary file (removed when closed): Windows' C runtime has
 * no stream over memory. */
static FILE *scratch_file(void)
{
    char dir[MAX_PATH + 1], path[MAX_PATH + 1];
    DWORD n = GetTempPathA(sizeof dir, dir);
    if (n == 0 || n > sizeof dir || GetTempFileNameA(dir, "th", 0, path) == 0)
        th_fail(__FILE__, __LINE__, "no temporary file");
    FILE *f = fopen(path, "w+bD");
    if (!f)
        th_fail(__FILE__, __LINE__, "no temporary file");
    return f;
}

/* The whole of what was written to f (malloc'd); closes f. */
static char *scratch_text(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *text = malloc(n > 0 ? (size_t)n + 1 : 1);
    rewind(f);
    size_t got = n > 0 ? fread(text, 1, (size_t)n, f) : 0;
    text[got] = '\0';
    fclose(f);
    return text;
}

char *th_printed(const cx_error *e)
{
    FILE *out = scratch_file();
    cx_error_print(e, out);
    return scratch_text(out);
}
#else
char *th_printed(const cx_error *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cx_error_print(e, out);
    fclose(out);
    return text;
}
#endif

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

#ifdef _WIN32
/* The C runtime's descriptors (it has at most 2048). */
int th_count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 2048; fd++)
        n += _get_osfhandle(fd) != -1;
    return n;
}
#else
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

#endif

/* The test running, and which of its th_run_child calls it has reached. */
static int current;
static int child_calls;

#ifdef _WIN32
/* In a child (TH_CHILD_AT=k in its environment), the k-th call of the test
 * it was started on: there it becomes the child. */
static int child_at;

/* Runs fn as the child the call stands for: at the bottom of its frame
 * stack, as a program's main is (the runner's cx_protect is not its to land
 * in); its exit status is fn's (0 if fn returns). */
static _Noreturn void become_child(void (*fn)(void *), void *arg)
{
    cx__state_get()->top = NULL;
    cx__state_get()->handling = NULL;
    fn(arg);
    fflush(NULL);
    _exit(0);
}

int th_run_child(void (*fn)(void *), void *arg, char **err_text)
{
    int call = ++child_calls;
    if (call == child_at)
        become_child(fn, arg);
    char exe[MAX_PATH + 1], cmd[2 * MAX_PATH], at[16];
    DWORD n = GetModuleFileNameA(NULL, exe, sizeof exe);
    if (n == 0 || n >= sizeof exe)
        th_fail(__FILE__, __LINE__, "GetModuleFileName");
    snprintf(cmd, sizeof cmd, "\"%s\" %s", exe, tests[current].name);
    snprintf(at, sizeof at, "%d", call);
    /* The child's stderr: a temporary file, read once it has ended. */
    char dir[MAX_PATH + 1], path[MAX_PATH + 1];
    n = GetTempPathA(sizeof dir, dir);
    if (n == 0 || n > sizeof dir || GetTempFileNameA(dir, "th", 0, path) == 0)
        th_fail(__FILE__, __LINE__, "no temporary file");
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    HANDLE err = CreateFileA(path, GENERIC_READ | GENERIC_WRITE,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &inherit,
                             CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE,
                             NULL);
    if (err == INVALID_HANDLE_VALUE)
        th_fail(__FILE__, __LINE__, "CreateFile for the child's stderr");
    STARTUPINFOA si = {.cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES};
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = err;
    PROCESS_INFORMATION pi;
    fflush(NULL);
    SetEnvironmentVariableA("TH_CHILD_AT", at);
    BOOL started = CreateProcessA(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
    if (child_at) {
        snprintf(at, sizeof at, "%d", child_at);
        SetEnvironmentVariableA("TH_CHILD_AT", at);
    } else {
        SetEnvironmentVariableA("TH_CHILD_AT", NULL);
    }
    if (!started)
        th_fail(__FILE__, __LINE__, "CreateProcess");
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    DWORD size = GetFileSize(err, NULL);
    char *buf = malloc(size == INVALID_FILE_SIZE ? 1 : (size_t)size + 1);
    DWORD got = 0;
    SetFilePointer(err, 0, NULL, FILE_BEGIN);
    if (size == INVALID_FILE_SIZE || !ReadFile(err, buf, size, &got, NULL))
        got = 0;
    buf[got] = '\0';
    CloseHandle(err);
    if (err_text)
        *err_text = buf;
    else
        free(buf);
    return code <= 255 ? (int)code << 8 : 0x7f;
}
#else
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
#endif

static void run_body(void *fn) { ((void (*)(void))fn)(); }

/* What th_skip raises: a BaseException, so no except clause for Exception
 * stops it on its way out of the test. */
static const cx_type th_Skipped = {"th_Skipped", &cx_BaseException};

void th_skip(const char *why) { cx_raise(&th_Skipped, "%s", why); }

enum { RAN_OK, RAN_FAILED, RAN_SKIPPED };

static int run_one(int i)
{
    current = i;
    child_calls = 0;
    th_trace[0] = '\0';
    th_drain_caches();
    int fds = th_count_fds();
    long blocks = th_live_blocks();
    cx_error *e = cx_protect(run_body, (void *)tests[i].fn);
    th_fail_allocation(0, 0);
    th_set_allocator(NULL, NULL, NULL);
    if (e && cx_error_type(e) == &th_Skipped) {
        printf("%s: skipped on this platform: %s\n", tests[i].name, cx_error_message(e));
        cx_error_unref(e);
        return RAN_SKIPPED;
    }
    if (e) {
        fprintf(stderr, "%s: an error escaped the test:\n", tests[i].name);
        cx_error_print(e, stderr);
        cx_error_unref(e);
        return RAN_FAILED;
    }
    th_drain_caches();
    if (th_count_fds() != fds) {
        fprintf(stderr, "%s: leaked %d descriptor(s)\n", tests[i].name, th_count_fds() - fds);
        return RAN_FAILED;
    }
    if (th_live_blocks() != blocks) {
        fprintf(stderr, "%s: leaked %ld heap block(s) allocated through cx\n", tests[i].name,
                th_live_blocks() - blocks);
        return RAN_FAILED;
    }
    return RAN_OK;
}

#ifdef _WIN32
/* The C runtime's checks of a descriptor (th_count_fds probes closed ones)
 * report through this, which would otherwise end the program. */
static void ignore_invalid_parameter(const wchar_t *expr, const wchar_t *func,
                                     const wchar_t *file, unsigned line, uintptr_t reserved)
{
    (void)expr, (void)func, (void)file, (void)line, (void)reserved;
}
#endif

int main(int argc, char **argv)
{
#ifdef _WIN32
    /* Output as written: no "\n" made "\r\n" (tests compare what a child
     * printed, byte for byte). */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
    _set_invalid_parameter_handler(ignore_invalid_parameter);
    const char *at = getenv("TH_CHILD_AT");
    child_at = at ? atoi(at) : 0;
#endif
    if (argc > 3 && strcmp(argv[1], "--skip") == 0) {
        printf("%s: skipped on this platform: %s\n", argv[2], argv[3]);
        return TH_SKIP_STATUS;
    }
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++)
            puts(tests[i].name);
        return 0;
    }
    int failed = 0, skipped = 0, ran = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
            continue;
        ran++;
        int how = run_one(i);
        skipped += how == RAN_SKIPPED;
        if (how == RAN_FAILED) {
            failed++;
            fprintf(stderr, "FAIL %s\n", tests[i].name);
        }
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 2;
    }
    if (argc <= 1 && skipped)
        printf("%d passed, %d failed, %d skipped\n", ran - failed - skipped, failed, skipped);
    else if (argc <= 1)
        printf("%d passed, %d failed\n", ran - failed, failed);
    if (failed)
        return 1;
    return argc > 1 && skipped ? TH_SKIP_STATUS : 0;
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
