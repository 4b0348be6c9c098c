/* A small test harness: TEST(name) registers a test; the runner runs one by
 * name (as CTest does, one process per test) or all of them.  Every test runs
 * inside cx_protect, so an error escaping it fails the test with its traceback,
 * and descriptors it leaves open fail it too. */
#ifndef CX_TEST_HARNESS_H
#define CX_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cx/cx.h>

void th_register(const char *name, void (*fn)(void));
_Noreturn void th_fail(const char *file, int line, const char *what);

#define TEST(name)                                                             \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void register_##name(void)             \
    {                                                                          \
        th_register(#name, test_##name);                                       \
    }                                                                          \
    static void test_##name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            th_fail(__FILE__, __LINE__, "CHECK(" #cond ") failed");            \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_) {                                                        \
            char m_[256];                                                      \
            snprintf(m_, sizeof m_, "%s == %s failed: %lld != %lld", #a, #b,   \
                     a_, b_);                                                  \
            th_fail(__FILE__, __LINE__, m_);                                   \
        }                                                                      \
    } while (0)

#define CHECK_STR(a, b) th_check_str(__FILE__, __LINE__, #a, #b, (a), (b))
void th_check_str(const char *file, int line, const char *as, const char *bs,
                  const char *a, const char *b);

/* Runs fn(arg) and returns the error that escaped (caller owns it), or NULL. */
#define TRY_CAPTURE(fn, arg) cx_protect((fn), (arg))

/* Runs fn in a child process; returns its wait status and captures its stderr
 * (malloc'd, NUL-terminated) into *err_text when err_text is not NULL.
 * Windows has no fork: the child is this program run again on the same
 * test, which becomes the child at the same call (the k-th of the test), so
 * a test must reach it the same way each time, and fn's stdout goes where
 * the test's does.  Its status reads with the macros below. */
int th_run_child(void (*fn)(void *), void *arg, char **err_text);
#ifdef _WIN32
/* The child's exit code as waitpid would give it; a crash (an exception
 * code past 255) is not an exit. */
#define WIFEXITED(status) (((status) & 0x7f) == 0)
#define WEXITSTATUS(status) (((status) >> 8) & 0xff)
#else
#include <sys/wait.h>
#endif

/* What cx_error_print prints for e (malloc'd). */
char *th_printed(const cx_error *e);

/* Checks that e names the call at file:line in func (cx_error_file, _line,
 * _function), and that its print shows that line as Python does
 * (`File "<file>", line N, in <func>`) and no file of cx's own sources or
 * headers. */
#define CHECK_SITE(e, file, line, func) th_check_site(__FILE__, __LINE__, (e), (file), (line), (func))
void th_check_site(const char *at, int at_line, const cx_error *e, const char *file, int line,
                   const char *func);

/* Runs `stmt` in a cx_try of the calling function and keeps what it raised
 * in `e` (owned; NULL fails the test), then checks (CHECK_SITE) that the
 * error names this line of this file and the calling function.  Write the
 * whole invocation on one line: that line is the call's. */
#define CHECK_RAISES_HERE(e, stmt)                                             \
    do {                                                                       \
        (e) = NULL;                                                            \
        cx_try { stmt; } cx_except_any (th_err_) { (e) = cx_error_ref(th_err_); } \
        CHECK_SITE((e), __FILE__, __LINE__, __func__);                         \
    } while (0)

/* Skips, for what a platform lacks.  th_skip ends the running test as
 * skipped, saying why; call it first in the test (it raises, and so is not
 * to be caught).  A test a platform cannot build (a file of POSIX-only tests
 * on Windows, tests/CMakeLists.txt) is run as
 * `test_<label> --skip NAME REASON`, which says why.  Either way the line
 * is "NAME: skipped on this platform: REASON".  Either way a test run alone exits 77, CTest's
 * SKIP_RETURN_CODE here. */
#define TH_SKIP_STATUS 77
_Noreturn void th_skip(const char *why);

/* The leak gate: every test runs with a counting allocator under cx (see
 * cx_set_allocator); a test fails if, once the thread's caches are drained,
 * more blocks are live through cx than before it, or more descriptors are
 * open.  Tests that install their own allocator keep working: the macro
 * below routes cx_set_allocator to the harness, which calls theirs inside its
 * counter (NULL arguments restore libc's). */
void th_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t), void (*f)(void *));
#define cx_set_allocator th_set_allocator

/* Blocks allocated through cx and not yet freed (caches included). */
long th_live_blocks(void);

/* How many descriptors the process has open (the entries of /proc/self/fd;
 * on Windows the C runtime's open descriptors). */
int th_count_fds(void);
/* A /proc/self/status field in KiB (VmRSS, VmHWM ...), or -1. */
long th_status_kib(const char *field);

/* Removes path and everything below it, giving each directory back its
 * owner's permissions first (tests take them away); follows no link. */
void th_remove_tree(const char *path);
/* Drains the calling thread's cx caches (error freelist, generator and
 * ExitStack pools): what remains live is what the program holds. */
void th_drain_caches(void);
/* Fault injection: the k-th allocation through cx from now (1-based) and,
 * when `all_after`, every one after it, returns NULL; 0 disarms.  Returns
 * how many allocations were made since the last call (arming counts from 0). */
long th_fail_allocation(long k, int all_after);

/* A trace buffer tests append event names to, and compare at the end. */
/* Per thread: threads may log concurrently.  Local-exec (every test program
 * links the harness in): GCC's -fsanitize=null tests the flags of the `add`
 * that makes an initial-exec address, and ld relaxes that add into a lea,
 * which sets none, so the check read stale flags and reported a null
 * th_trace passed to strstr. */
extern __thread char th_trace[4096] __attribute__((tls_model("local-exec")));
void th_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tests that map thousands of stacks, spend the process's mapping budget or
 * measure resident memory: Valgrind's address-space manager and qemu-user's
 * (the aarch64 run) are not the kernel's, and the sanitizers' own mappings
 * and shadow memory would be what is measured, so they run on the
 * uninstrumented builds only, and with 64-bit pointers (in 4 GiB, the
 * address space runs out before the mapping budget: thousands of 256 KiB
 * stacks and their 1 MiB guards do not fit). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CX_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CX_TEST_SANITIZED 1
#endif
#endif
#if defined(CX_TEST_UNDER_QEMU) || defined(CX_TEST_SANITIZED) || UINTPTR_MAX <= 0xffffffffu
#define TH_HEAVY_MAPPING_SKIPPED() 1
#else
#define TH_HEAVY_MAPPING_SKIPPED() (RUNNING_ON_VALGRIND != 0)
#endif

#endif
