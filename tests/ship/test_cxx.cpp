// cx from C++: the statement macros, errors crossing the boundary in both
// directions, and what happens when a C++ exception crosses a cx statement.
// One test per run, named on the command line (as CTest runs them), inside
// the same leak gate as the C suites (tests/harness.c): a test that leaves a
// descriptor open or a block allocated through cx fails.
#include <cx/cx.h>

#include <dirent.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int failures;

#define EXPECT(cond)                                                           \
    do {                                                                       \
        if (!(cond)) {                                                         \
            std::fprintf(stderr, "%s:%d: EXPECT(%s) failed\n", __FILE__,       \
                         __LINE__, #cond);                                     \
            failures++;                                                        \
        }                                                                      \
    } while (0)

struct counter {
    int enters, exits;
    bool saw_error;
};

void *counter_enter(void *state)
{
    counter *c = *static_cast<counter **>(state);
    c->enters++;
    return c;
}

bool counter_exit(void *state, cx_error *err)
{
    counter *c = *static_cast<counter **>(state);
    c->exits++;
    c->saw_error = err != nullptr;
    return false;
}

const cx_manager_type counter_type = {"counter", counter_enter, counter_exit};

cx_manager counting(counter *c) { return cx_manager_make(&counter_type, &c, sizeof c); }

// The boundary pattern docs/cxx.md recommends: run cx code under cx_protect
// and turn an escaping cx error into a C++ exception.
struct cx_exception : std::runtime_error {
    explicit cx_exception(cx_error *e)
        : std::runtime_error(std::string(cx_error_type(e)->name) + ": " +
                             cx_error_message(e))
    {
        cx_error_unref(e);
    }
};

template <class F> void cx_call(F f)
{
    cx_error *e = cx_protect([](void *arg) { (*static_cast<F *>(arg))(); }, &f);
    if (e)
        throw cx_exception(e);
}

void with_binds_a_typed_pointer_and_runs_exit()
{
    counter c = {0, 0, false};
    cx_with (counter *bound, counting(&c)) {
        EXPECT(bound == &c);
        EXPECT(c.enters == 1 && c.exits == 0);
    }
    EXPECT(c.exits == 1 && !c.saw_error);
}

void try_catches_an_error_raised_in_a_with_body()
{
    counter c = {0, 0, false};
    std::string caught;
    cx_try {
        cx_with (counter *bound, counting(&c)) {
            cx_raise(&cx_ValueError, "bad value %d", bound->enters);
        }
    } cx_except (&cx_ValueError, e) {
        caught = cx_error_message(e);
    }
    EXPECT(caught == "bad value 1");
    EXPECT(c.exits == 1 && c.saw_error);
}

void stacked_with_and_else_and_finally_run_in_order()
{
    std::string trace;
    cx_try {
        cx_with (FILE *f, cx_tempfile())
        cx_with (cx_nullcontext(f)) {
            std::fputs("x", f);
            trace += "body ";
        }
    } cx_except_any (e) {
        (void)e;
        trace += "except ";
    } cx_else {
        trace += "else ";
    } cx_finally {
        trace += "finally";
    }
    EXPECT(trace == "body else finally");
}

void lock_suppress_and_rlock_init_work_from_cpp()
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static cx_rlock rl = CX_RLOCK_INIT;
    cx_with (cx_lock(&m)) {
        EXPECT(pthread_mutex_trylock(&m) != 0); // held inside the block
    }
    EXPECT(pthread_mutex_trylock(&m) == 0); // released after it
    pthread_mutex_unlock(&m);
    cx_with (cx_lock(&rl))
    cx_with (cx_lock(&rl)) {
        EXPECT(cx_rlock_depth(&rl) == 2);
    }
    EXPECT(cx_rlock_depth(&rl) == 0);
    bool after = false;
    cx_with (cx_suppress(&cx_KeyError, &cx_IndexError)) {
        cx_raise(&cx_IndexError, "swallowed");
    }
    after = true;
    EXPECT(after);
}

void cx_error_becomes_a_cpp_exception_at_the_boundary()
{
    std::string what;
    try {
        cx_call([] { cx_raise(&cx_KeyError, "no key %s", "k"); });
    } catch (const std::exception &x) {
        what = x.what();
    }
    EXPECT(what == "KeyError: no key k");
}

void cpp_exception_caught_in_the_body_becomes_a_cx_error()
{
    std::string caught;
    cx_try {
        try {
            throw std::out_of_range("index 7");
        } catch (const std::exception &x) {
            cx_raise(&cx_IndexError, "%s", x.what());
        }
    } cx_except (&cx_IndexError, e) {
        caught = cx_error_message(e);
    }
    EXPECT(caught == "index 7");
}

void cpp_exception_leaving_a_with_body_runs_exit_without_an_error()
{
    counter c = {0, 0, false};
    std::string what;
    try {
        cx_with (counter *bound, counting(&c)) {
            (void)bound;
            throw std::runtime_error("from C++");
        }
    } catch (const std::exception &x) {
        what = x.what();
    }
    EXPECT(what == "from C++");
    EXPECT(c.exits == 1 && !c.saw_error);
    // The frame chain is intact: a later raise lands in the right place.
    bool landed = false;
    cx_try { cx_raise(&cx_RuntimeError, "after"); } cx_except_any (e) { (void)e; landed = true; }
    EXPECT(landed);
}

void leave_try_by_cpp_exception()
{
    try {
        cx_try {
            throw std::runtime_error("escapes");
        } cx_finally {
        }
    } catch (...) {
    }
}

void cpp_exception_leaving_a_try_body_ends_the_process_naming_the_try()
{
    int fds[2];
    EXPECT(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        leave_try_by_cpp_exception();
        _exit(0);
    }
    close(fds[1]);
    char buf[512] = {0};
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += static_cast<size_t>(r);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    EXPECT(std::strstr(buf, "a C++ exception left the cx_try at") != nullptr);
    EXPECT(std::strstr(buf, "test_cxx.cpp:") != nullptr);
}

int lock_line, flock_line;

void lock_a_null_rlock()
{
    cx_rlock *none = nullptr;
    lock_line = __LINE__; cx_with (cx_lock(none)) {}
}

void flock_a_bad_descriptor()
{
    flock_line = __LINE__; cx_with (cx_flock(-1, LOCK_EX)) {}
}

// The call-site macros work from C++ too (cx_lock's overloads included).
void errors_name_the_cpp_callers_line()
{
    cx_error *e = cx_protect([](void *) { lock_a_null_rlock(); }, nullptr);
    EXPECT(cx_error_is(e, &cx_ValueError));
    EXPECT(std::strcmp(cx_error_file(e), __FILE__) == 0);
    EXPECT(cx_error_line(e) == lock_line);
    EXPECT(std::strcmp(cx_error_function(e), "lock_a_null_rlock") == 0);
    cx_error_unref(e);
    e = cx_protect([](void *) { flock_a_bad_descriptor(); }, nullptr);
    EXPECT(cx_error_is(e, &cx_OSError));
    EXPECT(std::strcmp(cx_error_file(e), __FILE__) == 0);
    EXPECT(cx_error_line(e) == flock_line);
    EXPECT(std::strcmp(cx_error_function(e), "flock_a_bad_descriptor") == 0);
    cx_error_unref(e);
}

struct test {
    const char *name;
    void (*fn)();
};

// ---- the leak gate ----

std::atomic<long> live_blocks;

void *counting_malloc(size_t n)
{
    void *p = std::malloc(n);
    if (p)
        live_blocks++;
    return p;
}

void *counting_realloc(void *p, size_t n)
{
    void *q = std::realloc(p, n);
    if (q && !p)
        live_blocks++;
    return q;
}

void counting_free(void *p)
{
    if (p)
        live_blocks--;
    std::free(p);
}

int count_fds()
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

const test tests[] = {
    {"with_binds_a_typed_pointer_and_runs_exit", with_binds_a_typed_pointer_and_runs_exit},
    {"try_catches_an_error_raised_in_a_with_body", try_catches_an_error_raised_in_a_with_body},
    {"stacked_with_and_else_and_finally_run_in_order",
     stacked_with_and_else_and_finally_run_in_order},
    {"lock_suppress_and_rlock_init_work_from_cpp", lock_suppress_and_rlock_init_work_from_cpp},
    {"cx_error_becomes_a_cpp_exception_at_the_boundary",
     cx_error_becomes_a_cpp_exception_at_the_boundary},
    {"cpp_exception_caught_in_the_body_becomes_a_cx_error",
     cpp_exception_caught_in_the_body_becomes_a_cx_error},
    {"cpp_exception_leaving_a_with_body_runs_exit_without_an_error",
     cpp_exception_leaving_a_with_body_runs_exit_without_an_error},
    {"cpp_exception_leaving_a_try_body_ends_the_process_naming_the_try",
     cpp_exception_leaving_a_try_body_ends_the_process_naming_the_try},
    {"errors_name_the_cpp_callers_line", errors_name_the_cpp_callers_line},
};

} // namespace

extern "C" CX_API void cx__thread_drain(void);

int main(int argc, char **argv)
{
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    int ran = 0;
    for (const test &t : tests) {
        if (argc > 1 && std::strcmp(argv[1], t.name) != 0)
            continue;
        cx__thread_drain();
        int fds = count_fds();
        long blocks = live_blocks;
        cx_error *e = cx_protect([](void *fn) { (*reinterpret_cast<void (**)()>(fn))(); },
                                 const_cast<void (**)()>(&t.fn));
        if (e) {
            cx_error_print(e, stderr);
            cx_error_unref(e);
            failures++;
        }
        cx__thread_drain();
        if (count_fds() != fds) {
            std::fprintf(stderr, "%s: leaked %d descriptor(s)\n", t.name, count_fds() - fds);
            failures++;
        }
        if (live_blocks != blocks) {
            std::fprintf(stderr, "%s: leaked %ld heap block(s) allocated through cx\n", t.name,
                         live_blocks - blocks);
            failures++;
        }
        ran++;
    }
    if (!ran) {
        std::fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return failures ? 1 : 0;
}
