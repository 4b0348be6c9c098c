/* The error model: types, messages, chains, printing. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>
#include <wchar.h>

#include "harness.h"

CX_DEFINE_ERROR(ConfigError, cx_ValueError);

static cx_error *caught(void (*fn)(void *), void *arg)
{
    cx_error *e = cx_protect(fn, arg);
    CHECK(e != NULL);
    return e;
}

static void raise_value_error(void *arg) { cx_raise(&cx_ValueError, "bad value %d", *(int *)arg); }

TEST(raise_sets_type_and_formatted_message)
{
    int n = 42;
    cx_error *e = caught(raise_value_error, &n);
    CHECK(cx_error_type(e) == &cx_ValueError);
    CHECK_STR(cx_error_message(e), "bad value 42");
    cx_error_unref(e);
}

TEST(raise_records_file_line_and_function)
{
    int n = 1;
    cx_error *e = caught(raise_value_error, &n);
    CHECK(strstr(cx_error_file(e), "test_errors.c") != NULL);
    CHECK(cx_error_line(e) > 0);
    CHECK_STR(cx_error_function(e), "raise_value_error");
    cx_error_unref(e);
}

static void raise_constant(void *arg) { (void)arg; cx_raise(&cx_KeyError, "no such key"); }

TEST(raise_with_a_constant_message_keeps_it_and_the_site)
{
    cx_error *e = caught(raise_constant, NULL);
    CHECK(cx_error_type(e) == &cx_KeyError);
    CHECK_STR(cx_error_message(e), "no such key");
    CHECK_STR(cx_error_function(e), "raise_constant");
    CHECK(strstr(cx_error_file(e), "test_errors.c") != NULL);
    cx_error_unref(e);
}

TEST(error_is_matches_the_type_and_its_bases)
{
    int n = 1;
    cx_error *e = caught(raise_value_error, &n);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(cx_error_is(e, &cx_Exception));
    CHECK(cx_error_is(e, &cx_BaseException));
    CHECK(!cx_error_is(e, &cx_TypeError));
    cx_error_unref(e);
}

TEST(hierarchy_follows_python)
{
    CHECK(cx_type_is(&cx_KeyError, &cx_LookupError));
    CHECK(cx_type_is(&cx_IndexError, &cx_LookupError));
    CHECK(cx_type_is(&cx_NotImplementedError, &cx_RuntimeError));
    CHECK(cx_type_is(&cx_FileNotFoundError, &cx_OSError));
    CHECK(cx_type_is(&cx_TimeoutError, &cx_OSError));
    CHECK(cx_type_is(&cx_BrokenPipeError, &cx_ConnectionError));
    CHECK(cx_type_is(&cx_MemoryError, &cx_Exception));
    CHECK(cx_BaseException.base == NULL);
}

TEST(generator_exit_cancelled_and_keyboard_interrupt_are_not_exceptions)
{
    CHECK(!cx_type_is(&cx_GeneratorExit, &cx_Exception));
    CHECK(!cx_type_is(&cx_CancelledError, &cx_Exception));
    CHECK(cx_type_is(&cx_GeneratorExit, &cx_BaseException));
    CHECK(cx_type_is(&cx_CancelledError, &cx_BaseException));
    CHECK(!cx_type_is(&cx_KeyboardInterrupt, &cx_Exception));
    CHECK(cx_type_is(&cx_KeyboardInterrupt, &cx_BaseException));
}

static void raise_config_error(void *arg) { (void)arg; cx_raise(&ConfigError, "missing key"); }

TEST(user_defined_error_type_has_its_name_and_base)
{
    cx_error *e = caught(raise_config_error, NULL);
    CHECK_STR(cx_error_type(e)->name, "ConfigError");
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

static void raise_errno(void *arg) { cx_raise_errno(*(int *)arg, "open %s", "data.txt"); }

static const cx_type *errno_type(int errnum)
{
    cx_error *e = caught(raise_errno, &errnum);
    const cx_type *t = cx_error_type(e);
    CHECK_EQ(cx_error_errno(e), errnum);
    cx_error_unref(e);
    return t;
}

TEST(raise_errno_maps_enoent_to_file_not_found)
{
    CHECK(errno_type(ENOENT) == &cx_FileNotFoundError);
}

TEST(raise_errno_maps_like_python)
{
    CHECK(errno_type(EEXIST) == &cx_FileExistsError);
    CHECK(errno_type(EACCES) == &cx_PermissionError);
    CHECK(errno_type(EPERM) == &cx_PermissionError);
    CHECK(errno_type(EISDIR) == &cx_IsADirectoryError);
    CHECK(errno_type(ENOTDIR) == &cx_NotADirectoryError);
    CHECK(errno_type(EINTR) == &cx_InterruptedError);
    CHECK(errno_type(ETIMEDOUT) == &cx_TimeoutError);
    CHECK(errno_type(EPIPE) == &cx_BrokenPipeError);
    CHECK(errno_type(ECONNREFUSED) == &cx_ConnectionRefusedError);
    CHECK(errno_type(EAGAIN) == &cx_BlockingIOError);
    CHECK(errno_type(ENOSPC) == &cx_OSError);
}

TEST(raise_errno_message_names_object_and_reason)
{
    int errnum = ENOENT;
    cx_error *e = caught(raise_errno, &errnum);
    CHECK_STR(cx_error_message(e), "open data.txt: No such file or directory");
    cx_error_unref(e);
}

TEST(errno_is_zero_for_non_os_errors)
{
    int n = 1;
    cx_error *e = caught(raise_value_error, &n);
    CHECK_EQ(cx_error_errno(e), 0);
    cx_error_unref(e);
}

static void raise_long(void *arg)
{
    (void)arg;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cx_raise(&cx_ValueError, "%s!", big);
}

TEST(long_messages_are_kept_whole)
{
    cx_error *e = caught(raise_long, NULL);
    CHECK_EQ(strlen(cx_error_message(e)), 1000);
    CHECK_EQ(cx_error_message(e)[999], '!');
    cx_error_unref(e);
}

static void raise_plain(void *arg)
{
    (void)arg;
    cx_raise(&cx_ValueError, "bad value");
}

TEST(a_message_without_conversions_is_kept_as_written)
{
    cx_error *e = caught(raise_plain, NULL);
    CHECK_STR(cx_error_message(e), "bad value");
    cx_error_unref(e);
}

#define TEN "0123456789"
static void raise_long_plain(void *arg)
{
    (void)arg;
    cx_raise(&cx_ValueError, TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN "!");
}

TEST(a_long_message_without_conversions_is_kept_whole)
{
    cx_error *e = caught(raise_long_plain, NULL);
    CHECK_EQ(strlen(cx_error_message(e)), 151);
    CHECK_EQ(cx_error_message(e)[150], '!');
    cx_error_unref(e);
}

static void raise_percent(void *arg)
{
    (void)arg;
    cx_raise(&cx_ValueError, "100%% sure");
}

TEST(a_doubled_percent_in_a_message_prints_one)
{
    cx_error *e = caught(raise_percent, NULL);
    CHECK_STR(cx_error_message(e), "100% sure");
    cx_error_unref(e);
}

static void raise_in_handler(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "first");
    } cx_except (&cx_KeyError, e) {
        cx_raise(&cx_ValueError, "second");
    }
}

TEST(raise_in_handler_sets_context)
{
    cx_error *e = caught(raise_in_handler, NULL);
    CHECK(cx_error_type(e) == &cx_ValueError);
    CHECK(cx_error_context(e) != NULL);
    CHECK(cx_error_type(cx_error_context(e)) == &cx_KeyError);
    CHECK_STR(cx_error_message(cx_error_context(e)), "first");
    CHECK(cx_error_cause(e) == NULL);
    cx_error_unref(e);
}

static void raise_from(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "low");
    } cx_except (&cx_KeyError, e) {
        cx_raise_from(&cx_RuntimeError, e, "high");
    }
}

TEST(raise_from_sets_cause)
{
    cx_error *e = caught(raise_from, NULL);
    CHECK(cx_error_type(e) == &cx_RuntimeError);
    CHECK(cx_error_cause(e) != NULL);
    CHECK_STR(cx_error_message(cx_error_cause(e)), "low");
    cx_error_unref(e);
}

static void raise_from_none(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "hidden");
    } cx_except (&cx_KeyError, e) {
        cx_raise_from(&cx_RuntimeError, NULL, "shown");
    }
}

TEST(raise_from_none_hides_context_when_printed)
{
    cx_error *e = caught(raise_from_none, NULL);
    CHECK(cx_error_cause(e) == NULL);
    char *text = th_printed(e);
    CHECK(strstr(text, "hidden") == NULL);
    CHECK(strstr(text, "RuntimeError: shown") != NULL);
    free(text);
    cx_error_unref(e);
}

#define printed th_printed

TEST(print_shows_python_traceback_shape)
{
    int n = 7;
    cx_error *e = caught(raise_value_error, &n);
    char *text = printed(e);
    CHECK(strncmp(text, "Traceback (most recent call last):\n  File \"", 43) == 0);
    CHECK(strstr(text, "test_errors.c\", line ") != NULL);
    CHECK(strstr(text, ", in raise_value_error\n") != NULL);
    CHECK(strstr(text, "\nValueError: bad value 7\n") != NULL);
    free(text);
    cx_error_unref(e);
}

TEST(print_shows_context_chain_oldest_first)
{
    cx_error *e = caught(raise_in_handler, NULL);
    char *text = printed(e);
    char *first = strstr(text, "KeyError: first");
    char *sep = strstr(text, "During handling of the above exception, another exception occurred:");
    char *second = strstr(text, "ValueError: second");
    CHECK(first && sep && second);
    CHECK(first < sep && sep < second);
    free(text);
    cx_error_unref(e);
}

TEST(print_shows_cause_with_direct_cause_sentence)
{
    cx_error *e = caught(raise_from, NULL);
    char *text = printed(e);
    CHECK(strstr(text, "The above exception was the direct cause of the following exception:") != NULL);
    CHECK(strstr(text, "KeyError: low") < strstr(text, "RuntimeError: high"));
    free(text);
    cx_error_unref(e);
}

static void raise_empty(void *arg) { (void)arg; cx_raise(&cx_KeyError, "%s", ""); }

TEST(print_of_empty_message_shows_type_alone)
{
    cx_error *e = caught(raise_empty, NULL);
    char *text = printed(e);
    CHECK(strstr(text, "\nKeyError\n") != NULL);
    free(text);
    cx_error_unref(e);
}

static cx_error *kept;

static void throw_kept(void *arg) { (void)arg; cx_throw(kept); }

TEST(throw_raises_an_existing_error_and_caller_keeps_its_reference)
{
    int n = 3;
    kept = caught(raise_value_error, &n);
    cx_error *e = caught(throw_kept, NULL);
    CHECK(e == kept);
    cx_error_unref(e);
    CHECK_STR(cx_error_message(kept), "bad value 3");
    cx_error_unref(kept);
}

static void throw_in_handler(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "now");
    } cx_except (&cx_KeyError, e) {
        cx_throw(kept);
    }
}

TEST(throw_in_handler_sets_context_like_raise_e)
{
    int n = 5;
    kept = caught(raise_value_error, &n);
    cx_error *e = caught(throw_in_handler, NULL);
    CHECK(e == kept);
    CHECK(cx_error_context(e) && cx_error_is(cx_error_context(e), &cx_KeyError));
    cx_error_unref(e);
    cx_error_unref(kept);
}

static void raise_while_handling_key_error(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "first");
    } cx_except (&cx_KeyError, e) {
        cx_raise(&cx_ValueError, "second");
    }
}

/* Python: `raise saved` with nothing being handled leaves
 * saved.__context__ as it was. */
TEST(throw_outside_a_handler_keeps_the_errors_context)
{
    kept = caught(raise_while_handling_key_error, NULL);
    CHECK(cx_error_is(cx_error_context(kept), &cx_KeyError));
    cx_error *e = caught(throw_kept, NULL);
    CHECK(e == kept);
    CHECK(cx_error_context(e) && cx_error_is(cx_error_context(e), &cx_KeyError));
    CHECK_STR(cx_error_message(cx_error_context(e)), "first");
    cx_error_unref(e);
    cx_error_unref(kept);
}

static void throw_handled_error(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_KeyError, "self");
    } cx_except (&cx_KeyError, e) {
        cx_throw(e);
    }
}

TEST(throw_of_the_handled_error_does_not_chain_it_to_itself)
{
    cx_error *e = caught(throw_handled_error, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

static void reraise_in_handler(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_IndexError, "again");
    } cx_except_any (e) {
        cx_reraise();
    }
}

TEST(reraise_propagates_the_handled_error_unchanged)
{
    cx_error *e = caught(reraise_in_handler, NULL);
    CHECK(cx_error_is(e, &cx_IndexError));
    CHECK_STR(cx_error_message(e), "again");
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

static int reraise_line;
static void reraise_outside(void *arg) { (void)arg; reraise_line = __LINE__; cx_reraise(); }

TEST(reraise_outside_a_handler_is_a_runtime_error_naming_the_site)
{
    cx_error *e = caught(reraise_outside, NULL);
    CHECK(cx_error_is(e, &cx_RuntimeError));
    CHECK_STR(cx_error_message(e), "no active exception to reraise");
    CHECK(strstr(cx_error_file(e), "test_errors.c") != NULL);
    CHECK_EQ(cx_error_line(e), reraise_line);
    cx_error_unref(e);
}

TEST(ref_and_unref_keep_an_error_alive)
{
    int n = 9;
    cx_error *e = caught(raise_value_error, &n);
    cx_error_ref(e);
    cx_error_unref(e);
    CHECK_STR(cx_error_message(e), "bad value 9");
    cx_error_unref(e);
    cx_error_unref(NULL);
}

static void nothing(void *arg) { ++*(int *)arg; }

TEST(protect_runs_the_function_and_returns_null)
{
    int n = 0;
    CHECK(cx_protect(nothing, &n) == NULL);
    CHECK_EQ(n, 1);
}

/* More than any allocator gives (malloc refuses sizes past PTRDIFF_MAX), on
 * 32-bit targets too, where SIZE_MAX / 2 is PTRDIFF_MAX itself. */
static void huge_malloc(void *arg) { (void)arg; cx_malloc((size_t)PTRDIFF_MAX + 1); }

TEST(cx_malloc_raises_memory_error_instead_of_null)
{
    cx_error *e = caught(huge_malloc, NULL);
    CHECK(cx_error_is(e, &cx_MemoryError));
    cx_error_unref(e);
}

static size_t live_allocs;
static int fail_all;
static void *counting_malloc(size_t n) { if (fail_all) return NULL; live_allocs++; return malloc(n); }
static void *counting_realloc(void *p, size_t n) { if (fail_all) return NULL; if (!p) live_allocs++; return realloc(p, n); }
static void counting_free(void *p) { if (p) live_allocs--; free(p); }

static void malloc_some(void *arg) { *(void **)arg = cx_malloc(16); }

TEST(set_allocator_routes_cx_malloc_through_the_hook)
{
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    void *p = NULL;
    size_t before = live_allocs;
    CHECK(cx_protect(malloc_some, &p) == NULL);
    CHECK_EQ(live_allocs, before + 1);
    cx_free(p);
    CHECK_EQ(live_allocs, before);
    cx_set_allocator(NULL, NULL, NULL);
}

TEST(memory_error_is_raised_even_when_nothing_can_be_allocated)
{
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    fail_all = 1;
    char buf[2000];
    memset(buf, 'y', sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    cx_error *e = cx_protect(huge_malloc, NULL);
    fail_all = 0;
    cx_set_allocator(NULL, NULL, NULL);
    CHECK(e != NULL);
    CHECK(cx_error_is(e, &cx_MemoryError));
    cx_error_unref(e);
}

static void unhandled_in_child(void *arg)
{
    (void)arg;
    cx_raise(&cx_KeyError, "nobody caught me");
}

TEST(unhandled_error_prints_traceback_and_exits_1)
{
    char *err = NULL;
    int status = th_run_child(unhandled_in_child, NULL, &err);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 1);
    CHECK(strstr(err, "Traceback (most recent call last):") != NULL);
    CHECK(strstr(err, "KeyError: nobody caught me") != NULL);
    free(err);
}

static void say(void *text) { fprintf(stderr, "%s\n", (const char *)text); }

/* A manager whose exit says what it saw (the child's stderr is the log). */
static void *saying_enter(void *state) { (void)state; return NULL; }
static bool saying_exit(void *state, cx_error *err)
{
    (void)state;
    fprintf(stderr, "with exit ran (%s)\n", err ? cx_error_type(err)->name : "ok");
    return false;
}
static const cx_manager_type saying_type = {"saying", saying_enter, saying_exit};

static void unhandled_after_cleanups(void *arg)
{
    (void)arg;
    cx_try {
        cx_with (cx_manager_make(&saying_type, NULL, 0)) {
            cx_scope {
                cx_defer(say, (void *)"defer ran");
                cx_raise(&cx_ValueError, "boom");
            }
        }
    } cx_finally {
        fputs("finally ran\n", stderr);
    }
}

TEST(unhandled_error_runs_every_finally_with_exit_and_defer_before_exiting)
{
    char *err = NULL;
    int status = th_run_child(unhandled_after_cleanups, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    const char *defer = strstr(err, "defer ran\n");
    const char *with_exit = strstr(err, "with exit ran (ValueError)\n");
    const char *finally = strstr(err, "finally ran\n");
    const char *report = strstr(err, "ValueError: boom");
    CHECK(defer && with_exit && finally && report);
    CHECK(defer < with_exit && with_exit < finally && finally < report);
    free(err);
}

static cx_error *hooked;
static void keep_hook(cx_error *e) { hooked = cx_error_ref(e); fputs("hook saw it\n", stderr); }

static void unhandled_with_hook(void *arg)
{
    (void)arg;
    cx_set_unhandled_hook(keep_hook);
    cx_raise(&cx_ValueError, "to the hook");
}

TEST(unhandled_hook_sees_the_error_first)
{
    char *err = NULL;
    int status = th_run_child(unhandled_with_hook, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    CHECK(strstr(err, "hook saw it") != NULL);
    free(err);
}

static long thread_allocs, thread_frees;
static void *count_malloc(size_t n)
{
    __atomic_add_fetch(&thread_allocs, 1, __ATOMIC_RELAXED);
    return malloc(n);
}
static void *count_realloc(void *p, size_t n)
{
    if (!p)
        __atomic_add_fetch(&thread_allocs, 1, __ATOMIC_RELAXED);
    return realloc(p, n);
}
static void count_free(void *p)
{
    if (p)
        __atomic_add_fetch(&thread_frees, 1, __ATOMIC_RELAXED);
    free(p);
}

static void *raise_and_catch_repeatedly(void *arg)
{
    (void)arg;
    for (volatile int i = 0; i < 5; i++)
        cx_try {
            cx_raise(&cx_ValueError, "round %d", i);
        } cx_except (&cx_ValueError, e) {
            (void)e;
        }
    return NULL;
}

TEST(errors_cached_by_a_thread_are_freed_when_the_thread_ends)
{
    cx_set_allocator(count_malloc, count_realloc, count_free);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, raise_and_catch_repeatedly, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    cx_set_allocator(NULL, NULL, NULL);
    CHECK(thread_allocs > 0);
    CHECK_EQ(thread_frees, thread_allocs);
}

/* ---- found by the differential tester under ASan (tests/diff) ---- */

/* raise KeyError; in its handler `raise TypeError from e`, whose finally
 * clause raises e again (and catches it there if `catch_it` is non-NULL). */
static void raise_from_then_raise_e(void *catch_it)
{
    cx_try {
        cx_raise(&cx_KeyError, "original");
    } cx_except (&cx_KeyError, e) {
        cx_try {
            cx_raise_from(&cx_TypeError, e, "from the original");
        } cx_finally {
            cx_try {
                cx_throw(e); /* its context becomes the TypeError, whose cause is e */
            } cx_except_any (again) {
                if (!catch_it)
                    cx_reraise();
            }
        }
    }
}

/* `raise X from e` then `raise e`: Python makes e's context X, whose cause
 * is e, a loop it leaves to its collector.  cx raises a copy of e instead
 * (cx has no collector): X keeps its cause, nothing leaks (the harness counts
 * every block), and the print stops where the chain comes back to e, as
 * Python's does. */
TEST(raise_e_whose_chain_reaches_it_through_a_cause_raises_a_copy_and_leaks_nothing)
{
    cx_error *e = cx_protect(raise_from_then_raise_e, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(cx_error_message(e), "original");
    cx_error *x = cx_error_context(e);
    CHECK(cx_error_is(x, &cx_TypeError));
    cx_error *original = cx_error_cause(x);
    CHECK(original != NULL && original != e); /* the copy's original */
    CHECK_STR(cx_error_message(original), "original");
    CHECK(cx_error_context(original) == NULL);
    char *text = th_printed(e);
    CHECK(strstr(text, "TypeError: from the original") != NULL);
    const char *first = strstr(text, "KeyError: original");
    CHECK(first != NULL);
    CHECK(strstr(first + 1, "KeyError: original") == NULL); /* shown once */
    free(text);
    cx_error_unref(e);
}

/* The same loop, the re-raised e caught in the finally clause: the
 * TypeError goes on and keeps its cause (found by the differential tester,
 * seed 1, scenario 45410: cx cut the cause link to avoid the loop). */
TEST(raise_from_e_keeps_its_cause_when_e_is_raised_and_caught_in_its_finally)
{
    cx_error *x = cx_protect(raise_from_then_raise_e, "catch it");
    CHECK(cx_error_is(x, &cx_TypeError));
    cx_error *cause = cx_error_cause(x);
    CHECK(cx_error_is(cause, &cx_KeyError));
    CHECK_STR(cx_error_message(cause), "original");
    char *text = th_printed(x);
    CHECK(strstr(text, "KeyError: original\n\nThe above exception was the direct cause") != NULL);
    free(text);
    cx_error_unref(x);
}

static cx_error *saved_copy, *saved_original;

static void throw_the_copy_while_handling_another(void *arg)
{
    (void)arg;
    cx_try {
        cx_raise(&cx_ValueError, "unrelated");
    } cx_except_any (h) {
        (void)h;
        cx_throw(saved_copy); /* its context becomes the ValueError, in place */
    }
}

static void throw_the_original_while_handling_its_copy(void *arg)
{
    (void)arg;
    cx_try {
        cx_throw(saved_copy); /* nothing handled: its context stays */
    } cx_except_any (h) {
        (void)h;
        cx_throw(saved_original); /* to Python, the error being handled */
    }
}

/* The print of a raise of KeyError "original" over `first`: first, then
 * the KeyError after "During handling", shown once, and no TypeError. */
static void check_printed_then_the_original_once(const char *text, const char *first)
{
    const char *at = strstr(text, first);
    CHECK(at != NULL);
    const char *during = strstr(at, "During handling of the above exception");
    CHECK(during != NULL);
    CHECK(strstr(during, "KeyError: original\n") != NULL);
    CHECK(strstr(text, "KeyError: original\n") > during); /* shown once, last */
    CHECK(strstr(text, "TypeError") == NULL);
}

/* `raise e` while handling a copy of e: to Python the copy is e, and raising
 * the error being handled leaves its context as it is.  The original must not
 * take the copy as its context: the copy holds its original (copy_of), so
 * that would close a loop no count frees (the harness counts every block),
 * and the print must show what Python's does, the ValueError then e. */
TEST(raise_e_while_handling_a_copy_of_e_closes_no_loop_and_prints_as_python)
{
    saved_copy = cx_protect(raise_from_then_raise_e, NULL);
    saved_original = cx_error_ref(cx_error_cause(cx_error_context(saved_copy)));
    CHECK(saved_original != NULL && saved_original != saved_copy);
    cx_error *again = cx_protect(throw_the_copy_while_handling_another, NULL);
    CHECK(again == saved_copy);
    cx_error_unref(again);
    cx_error *e = cx_protect(throw_the_original_while_handling_its_copy, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    char *text = th_printed(e);
    check_printed_then_the_original_once(text, "ValueError: unrelated\n");
    free(text);
    cx_error_unref(e);
    cx_error_unref(saved_original);
    cx_error_unref(saved_copy);
}

static void throw_the_original_while_handling_an_error_over_its_copy(void *arg)
{
    (void)arg;
    cx_try {
        cx_throw(saved_copy); /* nothing handled: its context stays */
    } cx_except_any (copy) {
        (void)copy;
        cx_try {
            cx_raise(&cx_ValueError, "over the copy");
        } cx_except_any (z) {
            (void)z;
            cx_throw(saved_original); /* Python cuts z's context, e */
        }
    }
}

/* `raise e` while handling z, whose context is a copy of e (whose own
 * context no longer reaches e): Python cuts z's
 * context (it is e) and prints z then e.  cx raises a new copy whose context
 * is z, and its print stops at the old copy: the same text, and no loop
 * (e taking z as its context would reach e again through the old copy). */
TEST(raise_e_whose_handled_chain_reaches_a_copy_of_e_closes_no_loop_and_prints_as_python)
{
    saved_copy = cx_protect(raise_from_then_raise_e, NULL);
    saved_original = cx_error_ref(cx_error_cause(cx_error_context(saved_copy)));
    cx_error_unref(cx_protect(throw_the_copy_while_handling_another, NULL)); /* cut from e */
    cx_error *e = cx_protect(throw_the_original_while_handling_an_error_over_its_copy, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK(cx_error_context(saved_original) == NULL);
    char *text = th_printed(e);
    check_printed_then_the_original_once(text, "ValueError: over the copy\n");
    CHECK(strstr(text, "unrelated") == NULL);
    free(text);
    cx_error_unref(e);
    cx_error_unref(saved_original);
    cx_error_unref(saved_copy);
}

/* ---- long chains (found by a hostile tester, issue 21) ---- */

struct level {
    cx_error *prev; /* borrowed */
    int i;
};

/* A new error whose context is `prev`. */
static void raise_over(void *arg)
{
    struct level *l = arg;
    if (!l->prev)
        cx_raise(&cx_KeyError, "level %d", l->i);
    cx_try {
        cx_throw(l->prev); /* nothing handled: prev's own context stays */
    } cx_except_any (h) {
        cx_raise(&cx_ValueError, "level %d", l->i);
    }
}

/* A chain of n errors "level 0" (the root, *root) .. "level n-1" (returned,
 * owned); each holds the one before as its context. */
static cx_error *chain_of(int n, cx_error **root)
{
    cx_error *cur = NULL;
    for (int i = 0; i < n; i++) {
        struct level l = {cur, i};
        cx_error *next = caught(raise_over, &l);
        cx_error_unref(cur);
        cur = next;
        if (i == 0)
            *root = cur;
    }
    return cur;
}

static cx_error *cycle_newest, *cycle_root;

static void throw_root_while_handling_newest(void *arg)
{
    (void)arg;
    cx_try {
        cx_throw(cycle_newest);
    } cx_except_any (h) {
        cx_throw(cycle_root);
    }
}

/* `raise e` where e sits 1000 links down the handled error's chain: Python
 * cuts the link to e wherever it is, so the chain ends. */
TEST(raise_e_closing_a_cycle_1000_links_deep_cuts_it_and_leaks_nothing)
{
    cycle_newest = chain_of(1000, &cycle_root);
    cx_error_ref(cycle_root);
    cx_error *e = caught(throw_root_while_handling_newest, NULL);
    CHECK(e == cycle_root);
    CHECK(cx_error_context(e) == cycle_newest);
    int n = 0;
    for (const cx_error *c = e; c && n <= 5000; c = cx_error_context(c))
        n++;
    CHECK_EQ(n, 1000); /* level 0, then level 999 down to level 1 */
    cx_error_unref(e);
    cx_error_unref(cycle_root);
    cx_error_unref(cycle_newest);
}

/* A plain scan: ASan's strstr reads the whole rest of the text each call. */
static int count_of(const char *text, const char *what)
{
    size_t len = strlen(what);
    int n = 0;
    for (const char *p = text; *p; p++)
        if (*p == *what && strncmp(p, what, len) == 0) {
            n++;
            p += len - 1;
        }
    return n;
}

TEST(print_of_a_100000_deep_chain_shows_every_error_oldest_first)
{
    cx_error *root;
    cx_error *e = chain_of(100000, &root);
    char *text = th_printed(e);
    CHECK_EQ(count_of(text, "Traceback (most recent call last):"), 100000);
    CHECK(strncmp(strstr(text, "KeyError: level 0\n"), "KeyError: level 0\n", 18) == 0);
    CHECK(strstr(text, "KeyError: level 0\n") < strstr(text, "ValueError: level 1\n"));
    CHECK(strstr(text, "ValueError: level 99998\n") < strstr(text, "ValueError: level 99999\n"));
    CHECK(strstr(text, "more chained exceptions") == NULL);
    free(text);
    cx_error_unref(e);
}

TEST(print_without_memory_for_a_long_chain_shows_both_ends_and_how_many_between)
{
    cx_error *root;
    cx_error *e = chain_of(1000, &root);
    th_fail_allocation(1, 1);
    char *text = th_printed(e);
    th_fail_allocation(0, 0);
    CHECK(strstr(text, "KeyError: level 0\n") != NULL);
    CHECK(strstr(text, "ValueError: level 999\n") != NULL);
    CHECK(strstr(text, "\n... 936 more chained exceptions ...\n") != NULL);
    CHECK_EQ(count_of(text, "Traceback (most recent call last):"), 64);
    free(text);
    cx_error_unref(e);
}

/* ---- messages that cannot be formatted whole ---- */

static void raise_unencodable(void *arg)
{
    (void)arg;
    static const wchar_t lone_surrogate[] = {0xD800, 0};
    cx_raise(&cx_ValueError, "name %ls!", lone_surrogate);
}

/* vsnprintf fails (EILSEQ here; EOVERFLOW past INT_MAX bytes, the same
 * path, takes glibc seconds to reach): the text it could write is kept and
 * marked. */
TEST(message_printf_fails_to_format_keeps_its_start_and_is_marked_truncated)
{
#ifdef _WIN32
    th_skip("mingw-w64's printf drops a wide character it cannot encode instead of failing "
            "(EILSEQ): nothing here fails to format");
#endif
    cx_error *e = caught(raise_unencodable, NULL);
    CHECK_STR(cx_error_message(e), "name ...[truncated]");
    cx_error_unref(e);
}


TEST(long_message_without_memory_for_it_is_cut_and_marked_truncated)
{
    cx_error_unref(caught(raise_plain, NULL)); /* an error object in the cache */
    th_fail_allocation(1, 1);
    cx_error *e = cx_protect(raise_long, NULL);
    th_fail_allocation(0, 0);
    CHECK(cx_error_is(e, &cx_ValueError));
    const char *msg = cx_error_message(e);
    CHECK_EQ(strlen(msg), 119);
    CHECK_STR(msg + 119 - strlen("...[truncated]"), "...[truncated]");
    CHECK(msg[0] == 'x');
    cx_error_unref(e);
}

/* ---- NULL at the entry points ---- */

static void throw_null(void *arg)
{
    (void)arg;
    cx_throw(NULL);
}

TEST(throw_of_null_raises_value_error)
{
    cx_error *e = cx_protect(throw_null, NULL);
    CHECK(e != NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_throw: e is NULL");
    cx_error_unref(e);
}

static void raise_null_type(void *arg)
{
    (void)arg;
    cx_raise(NULL, "no type %d", 1);
}

TEST(raise_of_a_null_type_raises_value_error_at_the_site)
{
    cx_error *e = cx_protect(raise_null_type, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_raise: t is NULL");
    CHECK_STR(cx_error_function(e), "raise_null_type");
    cx_error_unref(e);
}

TEST(protect_of_a_null_function_returns_value_error)
{
    cx_error *e = cx_protect(NULL, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_protect: fn is NULL");
    cx_error_unref(e);
}

TEST(error_accessors_of_null_give_null_zero_or_false)
{
    CHECK(cx_error_type(NULL) == NULL);
    CHECK(cx_error_message(NULL) == NULL);
    CHECK_EQ(cx_error_errno(NULL), 0);
    CHECK(!cx_error_is(NULL, &cx_Exception));
    CHECK(cx_error_context(NULL) == NULL);
    CHECK(cx_error_cause(NULL) == NULL);
    CHECK(cx_error_file(NULL) == NULL);
    CHECK_EQ(cx_error_line(NULL), 0);
    CHECK(cx_error_function(NULL) == NULL);
    int n = 1;
    cx_error *e = caught(raise_value_error, &n);
    CHECK(!cx_error_is(e, NULL));
    cx_error_unref(e);
}

TEST(print_of_null_prints_nothing)
{
    char *text = th_printed(NULL);
    CHECK_STR(text, "");
    free(text);
}

/* ---- a hook that raises ---- */

static void raising_hook(cx_error *e)
{
    (void)e;
    cx_raise(&cx_RuntimeError, "hook broke");
}

static void unhandled_with_raising_hook(void *arg)
{
    (void)arg;
    cx_set_unhandled_hook(raising_hook);
    cx_raise(&cx_KeyError, "original");
}

/* As Python when sys.excepthook raises: the hook's error, then the original,
 * then the default ending. */
TEST(unhandled_hook_that_raises_prints_its_error_then_the_original_and_exits_1)
{
    char *err = NULL;
    int status = th_run_child(unhandled_with_raising_hook, NULL, &err);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 1);
    const char *in_hook = strstr(err, "Error in unhandled-error hook:\n");
    const char *hook_error = strstr(err, "RuntimeError: hook broke\n");
    const char *original_was = strstr(err, "\nOriginal exception was:\n");
    const char *original = strstr(err, "KeyError: original\n");
    CHECK(in_hook && hook_error && original_was && original);
    CHECK(in_hook < hook_error && hook_error < original_was && original_was < original);
    free(err);
}

/* ---- long cause chains ---- */

static void raise_from_prev(void *arg)
{
    struct level *l = arg;
    cx_raise_from(&cx_ValueError, l->prev, "level %d", l->i);
}

/* "level 0" .. "level n-1" (returned, owned), each the cause of the next. */
static cx_error *cause_chain_of(int n)
{
    cx_error *cur = NULL;
    for (int i = 0; i < n; i++) {
        struct level l = {cur, i};
        cx_error *next = caught(raise_from_prev, &l);
        cx_error_unref(cur);
        cur = next;
    }
    return cur;
}

static void *drop(void *e)
{
    cx_error_unref(e);
    return NULL;
}

/* Releases e's last reference on a thread with a 128 KiB stack. */
static void drop_on_a_small_stack(cx_error *e)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, &attr, drop, e), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);
}

TEST(unref_of_a_100000_deep_cause_chain_runs_on_a_small_stack)
{
    cx_error *e = cause_chain_of(100000);
    drop_on_a_small_stack(e);
}

static void raise_from_e_then_raise_e(void *arg)
{
    cx_error *e = arg;
    cx_try {
        cx_raise_from(&cx_TypeError, e, "from e");
    } cx_except_any (x) {
        (void)x;
        cx_throw(e); /* its context would be x, whose cause is e: a copy */
    }
}

static void throw_while_handling_a_new_error(void *arg)
{
    cx_try {
        cx_raise(&cx_ValueError, "new");
    } cx_except_any (h) {
        (void)h;
        cx_throw(arg); /* its context becomes the new error, in place */
    }
}

/* "level 0" .. "level n-1", each a copy whose original (held by the copy
 * alone) has the copy before as its context: releasing the newest releases
 * its original, which releases the copy before, and so on. */
static cx_error *copy_chain_of(int n)
{
    cx_error *cur = NULL;
    for (int i = 0; i < n; i++) {
        struct level l = {cur, i};
        cx_error *original = caught(raise_over, &l);
        cx_error *copy = caught(raise_from_e_then_raise_e, original);
        CHECK(copy != original);
        cx_error *again = caught(throw_while_handling_a_new_error, copy);
        CHECK(again == copy);
        cx_error_unref(again);
        cx_error_unref(original);
        cx_error_unref(cur);
        cur = copy;
    }
    return cur;
}

TEST(unref_of_a_100000_deep_chain_through_copies_originals_runs_on_a_small_stack)
{
    cx_error *e = copy_chain_of(100000);
    drop_on_a_small_stack(e);
}

TEST(print_of_a_100000_deep_cause_chain_shows_every_error)
{
    cx_error *e = cause_chain_of(100000);
    char *text = th_printed(e);
    CHECK_EQ(count_of(text, "The above exception was the direct cause"), 99999);
    CHECK(strstr(text, "ValueError: level 0\n") < strstr(text, "ValueError: level 99999\n"));
    free(text);
    cx_error_unref(e);
}

static void *raise_unhandled_in_thread(void *arg)
{
    (void)arg;
    cx_raise(&cx_KeyError, "thread original");
    return (void *)1;
}

static void thread_with_raising_hook(void *arg)
{
    (void)arg;
    cx_set_unhandled_hook(raising_hook);
    pthread_t t;
    void *result;
    pthread_create(&t, NULL, raise_unhandled_in_thread, NULL);
    pthread_join(t, &result);
    fprintf(stderr, "main goes on: %s\n", result ? "returned" : "ended");
}

TEST(thread_whose_unhandled_hook_raises_reports_both_and_ends_only_that_thread)
{
    char *err = NULL;
    int status = th_run_child(thread_with_raising_hook, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const char *hook_error = strstr(err, "RuntimeError: hook broke\n");
    const char *original = strstr(err, "KeyError: thread original\n");
    const char *main_goes_on = strstr(err, "main goes on: ended\n");
    CHECK(hook_error && original && main_goes_on);
    CHECK(hook_error < original && original < main_goes_on);
    free(err);
}
