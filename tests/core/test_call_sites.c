/* Errors the core raises on behalf of a call the user wrote name that call:
 * its file, line and function, never a file of cx's own (docs/errors.md). */
#include <stdint.h>
#include <stdlib.h>

#include <cx/with.h>

#include "harness.h"

/* An allocator with no block of 1 MiB or more (the error itself is small
 * and still gets its memory). */
enum { HUGE_BLOCK = 1 << 20 };

static void *small_blocks_only(size_t n) { return n < HUGE_BLOCK ? malloc(n) : NULL; }

static void *small_resizes_only(void *p, size_t n)
{
    return n < HUGE_BLOCK ? realloc(p, n) : NULL;
}

TEST(manager_enter_with_null_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_manager_enter(NULL));
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_manager_enter: m is NULL");
    cx_error_unref(e);
}

TEST(manager_exit_with_null_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_manager_exit(NULL, NULL));
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_manager_exit: m is NULL");
    cx_error_unref(e);
}

TEST(manager_make_without_a_type_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, (void)cx_manager_make(NULL, NULL, 0));
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_manager_make: type is NULL");
    cx_error_unref(e);
}

static void *nop_enter(void *state) { return state; }
static bool nop_exit(void *state, cx_error *err) { (void)state, (void)err; return false; }
static const cx_manager_type nop_type = {"nop", nop_enter, nop_exit};

TEST(manager_make_with_too_much_state_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, (void)cx_manager_make(&nop_type, NULL, CX_MANAGER_STATE_SIZE + 1));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

TEST(throw_of_null_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_throw(NULL));
    CHECK_STR(cx_error_message(e), "cx_throw: e is NULL");
    cx_error_unref(e);
}

TEST(protect_of_null_returns_an_error_naming_the_callers_line)
{
    cx_error *e = cx_protect(NULL, NULL); int line = __LINE__;
    CHECK_STR(cx_error_message(e), "cx_protect: fn is NULL");
    CHECK_SITE(e, __FILE__, line, __func__);
    cx_error_unref(e);
}

TEST(malloc_without_memory_names_the_callers_line)
{
    cx_set_allocator(small_blocks_only, small_resizes_only, free);
    cx_error *e;
    void *volatile p = NULL; /* assigned in the cx_try, read after it */
    CHECK_RAISES_HERE(e, p = cx_malloc(HUGE_BLOCK));
    cx_set_allocator(NULL, NULL, NULL);
    CHECK(p == NULL);
    CHECK(cx_error_is(e, &cx_MemoryError));
    cx_error_unref(e);
}

TEST(realloc_without_memory_names_the_callers_line)
{
    cx_set_allocator(small_blocks_only, small_resizes_only, free);
    void *p = cx_malloc(8);
    cx_error *e;
    void *volatile q = NULL; /* assigned in the cx_try, read after it */
    CHECK_RAISES_HERE(e, q = cx_realloc(p, HUGE_BLOCK));
    cx_set_allocator(NULL, NULL, NULL);
    CHECK(q == NULL);
    CHECK(cx_error_is(e, &cx_MemoryError));
    cx_error_unref(e);
    cx_free(p);
}
