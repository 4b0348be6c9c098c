/* ExitStack: CPython's test_contextlib behaviours, in our own words. */
#include <pthread.h>

#include "probe.h"

static void note(void *what) { th_log("%s", (const char *)what); }

static bool note_exit(void *what, cx_error *err)
{
    th_log("%s:%s", (const char *)what, err ? cx_error_type(err)->name : "ok");
    return false;
}

static bool suppress_all(void *what, cx_error *err)
{
    th_log("%s:%s", (const char *)what, err ? cx_error_type(err)->name : "ok");
    return true;
}

static void raise_index(void *arg) { (void)arg; cx_raise(&cx_IndexError, "index"); }
static void raise_key(void *arg) { (void)arg; cx_raise(&cx_KeyError, "key"); }
static void raise_value(void *arg) { (void)arg; cx_raise(&cx_ValueError, "value"); }
static bool exit_raise_value(void *arg, cx_error *err) { (void)arg, (void)err; cx_raise(&cx_ValueError, "from exit"); }

TEST(exitstack_callbacks_run_lifo)
{
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, note, "first");
        cx_exitstack_callback(s, note, "second");
        cx_exitstack_callback(s, note, "third");
        th_log("body");
    }
    CHECK_STR(th_trace, "body third second first");
}

TEST(exitstack_callback_gets_its_argument)
{
    cx_with (cx_exitstack *s, cx_exitstack_new())
        cx_exitstack_callback(s, note, "arg");
    CHECK_STR(th_trace, "arg");
}

TEST(exitstack_push_exit_sees_no_error_on_success)
{
    cx_with (cx_exitstack *s, cx_exitstack_new())
        cx_exitstack_push(s, note_exit, "x");
    CHECK_STR(th_trace, "x:ok");
}

static void body_raises_with_exits(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_push(s, note_exit, "a");
        cx_exitstack_push(s, note_exit, "b");
        cx_raise(&cx_KeyError, "body");
    }
}

TEST(exitstack_push_exits_see_the_body_error)
{
    cx_error *e = cx_protect(body_raises_with_exits, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(th_trace, "b:KeyError a:KeyError");
    cx_error_unref(e);
}

TEST(exitstack_enter_context_returns_the_enter_value_and_exits_at_close)
{
    const char *volatile v = NULL;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        v = cx_exitstack_enter(s, PROBE(.name = "m"));
        th_log("body");
    }
    CHECK_STR(v, "m");
    CHECK_STR(th_trace, "enter:m body exit:m:ok");
}

static void enter_raises_inside(void *arg)
{
    cx_exitstack **out = arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        *out = s;
        cx_exitstack_enter(s, PROBE(.name = "ok"));
        cx_exitstack_enter(s, PROBE(.name = "bad", .enter_raises = 1));
    }
}

TEST(exitstack_enter_context_that_raises_pushes_nothing)
{
    cx_exitstack *s = NULL;
    cx_error *e = cx_protect(enter_raises_inside, &s);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "enter:ok enter:bad exit:ok:ValueError");
    cx_error_unref(e);
}

static void body_suppressed_by_exit(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_push(s, note_exit, "outer");
        cx_exitstack_push(s, suppress_all, "suppressor");
        cx_exitstack_push(s, note_exit, "inner");
        cx_raise(&cx_KeyError, "body");
    }
    th_log("after");
}

TEST(exitstack_exit_that_suppresses_makes_outer_entries_see_no_error)
{
    CHECK(cx_protect(body_suppressed_by_exit, NULL) == NULL);
    CHECK_STR(th_trace, "inner:KeyError suppressor:KeyError outer:ok after");
}

TEST(exitstack_body_error_suppressed_continues_after_the_with)
{
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_enter(s, cx_suppress(&cx_IndexError));
        cx_raise(&cx_IndexError, "gone");
    }
    th_log("after");
    CHECK_STR(th_trace, "after");
}

static void chaining(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, raise_index, NULL);
        cx_exitstack_callback(s, raise_key, NULL);
        cx_exitstack_callback(s, raise_value, NULL);
        cx_raise(&cx_TypeError, "body");
    }
}

/* With nothing suppressing, each error an entry raises chains to the one
 * before it, down to the body's: IndexError <- KeyError <- ValueError <- TypeError */
TEST(exitstack_exit_that_raises_chains_the_original)
{
    cx_error *e = cx_protect(chaining, NULL);
    CHECK(cx_error_is(e, &cx_IndexError));
    cx_error *k = cx_error_context(e);
    CHECK(cx_error_is(k, &cx_KeyError));
    cx_error *v = cx_error_context(k);
    CHECK(cx_error_is(v, &cx_ValueError));
    cx_error *t = cx_error_context(v);
    CHECK(cx_error_is(t, &cx_TypeError));
    CHECK(cx_error_context(t) == NULL);
    cx_error_unref(e);
}

/* CPython's test_exit_exception_chaining: callbacks raising IndexError,
 * KeyError and AttributeError, then a suppressing exit, then a callback
 * raising ValueError, over a body that divides by zero.  C has neither
 * error type, so the test makes its own. */
static CX_DEFINE_ERROR(AttributeError, cx_Exception);
static CX_DEFINE_ERROR(ZeroDivisionError, cx_Exception);

static void raise_attribute(void *arg) { (void)arg; cx_raise(&AttributeError, "attribute"); }

static bool keep_and_suppress(void *seen, cx_error *err)
{
    *(cx_error **)seen = cx_error_ref(err);
    return true;
}

static void chaining_across_a_suppression(void *seen)
{
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, raise_index, NULL);
        cx_exitstack_callback(s, raise_key, NULL);
        cx_exitstack_callback(s, raise_attribute, NULL);
        cx_exitstack_push(s, keep_and_suppress, seen);
        cx_exitstack_callback(s, raise_value, NULL);
        cx_raise(&ZeroDivisionError, "division by zero");
    }
}

TEST(exitstack_errors_raised_above_a_suppression_chain_only_to_each_other)
{
    cx_error *seen = NULL;
    cx_error *e = cx_protect(chaining_across_a_suppression, &seen);
    CHECK(cx_error_is(e, &cx_IndexError));
    cx_error *k = cx_error_context(e);
    CHECK(cx_error_is(k, &cx_KeyError));
    cx_error *a = cx_error_context(k);
    CHECK(cx_error_is(a, &AttributeError));
    CHECK(cx_error_context(a) == NULL); /* what came before was suppressed */
    cx_error_unref(seen);
    cx_error_unref(e);
}

TEST(exitstack_suppressing_exit_sees_the_inner_exit_error_chained_to_the_body_error)
{
    cx_error *seen = NULL;
    cx_error *e = cx_protect(chaining_across_a_suppression, &seen);
    CHECK(cx_error_is(seen, &cx_ValueError));
    CHECK(cx_error_is(cx_error_context(seen), &ZeroDivisionError));
    CHECK(cx_error_context(cx_error_context(seen)) == NULL);
    cx_error_unref(seen);
    cx_error_unref(e);
}

static void raise_nested_inner_outer(void *arg)
{
    const char **names = arg;
    cx_try {
        cx_raise(&cx_Exception, "%s", names[0]);
    } cx_finally {
        cx_raise(&cx_Exception, "%s", names[1]);
    }
}

static const char *exc23[] = {"2", "3"};
static const char *exc45[] = {"4", "5"};

static void existing_context(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, raise_nested_inner_outer, exc45);
        cx_exitstack_callback(s, raise_nested_inner_outer, exc23);
        cx_raise(&cx_Exception, "1");
    }
}

/* CPython's test_exit_exception_with_existing_context: 5 <- 4 <- 3 <- 2 <- 1 */
TEST(exitstack_exit_exception_keeps_existing_context_in_order)
{
    cx_error *e = cx_protect(existing_context, NULL);
    const char *want[] = {"5", "4", "3", "2", "1"};
    cx_error *c = e;
    for (int i = 0; i < 5; i++, c = cx_error_context(c)) {
        CHECK(c != NULL);
        CHECK_STR(cx_error_message(c), want[i]);
    }
    CHECK(c == NULL);
    cx_error_unref(e);
}

static bool suppress_then_log(void *arg, cx_error *err)
{
    (void)arg;
    th_log("suppressing:%s", err ? cx_error_type(err)->name : "ok");
    return true;
}

static void suppressed_entry_error_then_another(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, raise_key, NULL);
        cx_exitstack_push(s, suppress_then_log, NULL);
        cx_exitstack_callback(s, raise_index, NULL);
        cx_raise(&cx_TypeError, "body");
    }
}

/* CPython's test_exit_exception_non_suppressing (issue 19092): a suppression
 * ends with the entry that suppressed; what an entry below it raises still
 * propagates.  The body raises too, so a stale context would show. */
TEST(exitstack_error_raised_after_an_entry_error_was_suppressed_propagates_without_context)
{
    cx_error *e = cx_protect(suppressed_entry_error_then_another, NULL);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK(cx_error_context(e) == NULL);
    CHECK_STR(th_trace, "suppressing:IndexError");
    cx_error_unref(e);
}

/* CPython's test_exit_exception_with_correct_context (issue 20317): generator
 * managers that raise in a finally after their yield.  The generator manager
 * already chains what it raises to the error thrown in; ExitStack must see
 * that and leave the chain alone, not loop on it. */
#ifndef _WIN32
static void raises_in_finally(cx_gen *g, void *name)
{
    cx_try {
        cx_yield(g, NULL);
    } cx_finally {
        cx_raise(&cx_Exception, "%s", (const char *)name);
    }
}

static void generator_managers_raising_in_finally(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_enter(s, cx_contextmanager(raises_in_finally, "4"));
        cx_exitstack_enter(s, cx_contextmanager(raises_in_finally, "3"));
        cx_exitstack_enter(s, cx_contextmanager(raises_in_finally, "2"));
        cx_raise(&cx_Exception, "1");
    }
}
#endif

TEST(exitstack_generator_managers_raising_in_finally_chain_each_error_once)
{
#ifdef _WIN32
    th_skip("generator managers (gen.h): no generators on Windows yet");
#else
    cx_error *e = cx_protect(generator_managers_raising_in_finally, NULL);
    const char *want[] = {"4", "3", "2", "1"};
    cx_error *c = e;
    for (int i = 0; i < 4; i++, c = cx_error_context(c)) {
        CHECK(c != NULL);
        CHECK_STR(cx_error_message(c), want[i]);
    }
    CHECK(c == NULL);
    cx_error_unref(e);
#endif
}

static void suppress_then_exit_raises(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_push(s, exit_raise_value, NULL);
        cx_exitstack_push(s, suppress_all, "s");
        cx_raise(&cx_KeyError, "body");
    }
}

TEST(exitstack_exit_raising_after_a_suppression_propagates)
{
    cx_error *e = cx_protect(suppress_then_exit_raises, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(cx_error_context(e) == NULL);
    cx_error_unref(e);
}

static void raise_after_suppressing_raise(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_push(s, suppress_all, "outer");
        cx_exitstack_callback(s, raise_value, NULL);
    }
    th_log("after");
}

/* CPython's test_exit_suppress: an exit may suppress what an inner exit raised. */
TEST(exitstack_exit_can_suppress_what_an_inner_exit_raised)
{
    CHECK(cx_protect(raise_after_suppressing_raise, NULL) == NULL);
    CHECK_STR(th_trace, "outer:ValueError after");
}

TEST(exitstack_pop_all_moves_entries_to_a_stack_the_caller_closes)
{
    cx_exitstack *volatile moved = NULL;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, note, "moved");
        moved = cx_exitstack_pop_all(s);
        CHECK_EQ(cx_exitstack_size(s), 0);
        th_log("body");
    }
    th_log("after");
    CHECK_EQ(cx_exitstack_size(moved), 1);
    cx_exitstack_close(moved);
    CHECK_STR(th_trace, "body after moved");
}

TEST(exitstack_close_runs_entries_now_and_leaves_the_stack_usable)
{
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, note, "one");
        cx_exitstack_close(s);
        th_log("closed");
        cx_exitstack_callback(s, note, "two");
    }
    CHECK_STR(th_trace, "one closed two");
}

static void close_raises(void *arg)
{
    cx_exitstack *s = cx_exitstack_pop_all(arg);
    cx_exitstack_close(s);
}

static void pop_all_then_close_raising(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, note, "last");
        cx_exitstack_callback(s, raise_value, NULL);
        cx_exitstack_callback(s, note, "first");
        close_raises(s);
    }
}

TEST(exitstack_close_runs_every_entry_even_when_one_raises)
{
    cx_error *e = cx_protect(pop_all_then_close_raising, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "first last");
    cx_error_unref(e);
}

TEST(exitstack_grows_past_eight_entries)
{
    char names[20][4];
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        for (int i = 0; i < 20; i++) {
            snprintf(names[i], sizeof names[i], "%d", i);
            cx_exitstack_callback(s, note, names[i]);
        }
        CHECK_EQ(cx_exitstack_size(s), 20);
    }
    CHECK_STR(th_trace, "19 18 17 16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0");
}

static size_t allocations;
static void *counting_malloc(size_t n) { allocations++; return malloc(n); }
static void *counting_realloc(void *p, size_t n) { allocations++; return realloc(p, n); }

static void eight_entries(void)
{
    cx_with (cx_exitstack *s, cx_exitstack_new())
        for (int i = 0; i < 8; i++)
            cx_exitstack_callback(s, note, "x");
}

TEST(exitstack_of_eight_entries_allocates_nothing_in_steady_state)
{
    eight_entries(); /* the thread's first stack comes from the allocator */
    cx_set_allocator(counting_malloc, counting_realloc, free);
    allocations = 0;
    for (int i = 0; i < 100; i++) {
        th_trace[0] = '\0';
        eight_entries();
    }
    cx_set_allocator(NULL, NULL, NULL);
    CHECK_EQ(allocations, 0);
}

static void ten_entries(void)
{
    cx_with (cx_exitstack *s, cx_exitstack_new())
        for (int i = 0; i < 10; i++)
            cx_exitstack_callback(s, note, "x");
}

TEST(exitstack_that_grew_allocates_nothing_when_it_grows_again)
{
    ten_entries(); /* grows past the inline entries once */
    cx_set_allocator(counting_malloc, counting_realloc, free);
    allocations = 0;
    for (int i = 0; i < 100; i++) {
        th_trace[0] = '\0';
        ten_entries();
    }
    cx_set_allocator(NULL, NULL, NULL);
    CHECK_EQ(allocations, 0);
}

static size_t frees;
static void counting_free(void *p) { frees++; free(p); }

static void thousand_entries(void)
{
    cx_with (cx_exitstack *s, cx_exitstack_new())
        for (int i = 0; i < 1000; i++)
            cx_exitstack_callback(s, note, "");
}

TEST(exitstack_gives_back_large_storage_at_exit)
{
    thousand_entries(); /* the thread's stack comes from the pool from now on */
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    allocations = frees = 0;
    th_trace[0] = '\0';
    thousand_entries();
    cx_set_allocator(NULL, NULL, NULL);
    CHECK(allocations > 0);
    CHECK_EQ(frees, allocations);
}

static void *use_stacks_twice(void *arg)
{
    (void)arg;
    thousand_entries(); /* one pooled stack, storage given back */
    ten_entries();      /* the same stack again, storage kept */
    return NULL;
}

TEST(exitstacks_pooled_by_a_thread_are_freed_when_the_thread_ends)
{
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    allocations = frees = 0;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, use_stacks_twice, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    cx_set_allocator(NULL, NULL, NULL);
    CHECK(allocations > 0);
    CHECK_EQ(frees, allocations);
}

TEST(exitstack_nested_stacks_are_independent)
{
    cx_with (cx_exitstack *outer, cx_exitstack_new()) {
        cx_exitstack_callback(outer, note, "outer");
        cx_with (cx_exitstack *inner, cx_exitstack_new()) {
            CHECK(inner != outer);
            cx_exitstack_callback(inner, note, "inner");
        }
        th_log("between");
    }
    CHECK_STR(th_trace, "inner between outer");
}

TEST(exitstack_mixes_managers_exits_and_callbacks_in_one_order)
{
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_enter(s, PROBE(.name = "m"));
        cx_exitstack_push(s, note_exit, "p");
        cx_exitstack_callback(s, note, "c");
    }
    CHECK_STR(th_trace, "enter:m c p:ok exit:m:ok");
}

static void manager_exit_raises(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, note, "still runs");
        cx_exitstack_enter(s, PROBE(.name = "m", .exit_raises = 1));
    }
}

TEST(exitstack_entries_below_a_raising_exit_still_run)
{
    cx_error *e = cx_protect(manager_exit_raises, NULL);
    CHECK(cx_error_is(e, &cx_TypeError));
    CHECK_STR(th_trace, "enter:m exit:m:ok still runs");
    cx_error_unref(e);
}

/* ---- found by the differential tester (tests/diff) ---- */

static void inner_stack_exit_raises(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *inner, cx_exitstack_new())
        cx_exitstack_push(inner, exit_raise_value, NULL);
}

static void callback_raises_deep_inside(void *arg)
{
    (void)arg;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        cx_exitstack_callback(s, inner_stack_exit_raises, NULL);
        cx_exitstack_callback(s, raise_key, NULL);
    }
}

/* The callback was given the KeyError: what a stack nested inside it raises
 * chains to that error, as nested with statements would. */
TEST(exitstack_error_raised_deep_inside_an_entry_chains_to_the_error_it_was_given)
{
    cx_error *e = cx_protect(callback_raises_deep_inside, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(cx_error_is(cx_error_context(e), &cx_KeyError));
    CHECK(cx_error_context(cx_error_context(e)) == NULL);
    cx_error_unref(e);
}

/* ---- an exit that pushes onto the stack it is in ---- */

typedef struct pushing_state {
    long magic;           /* what a new entry in its old slot would overwrite */
    cx_exitstack *stack;
    int callbacks;        /* callbacks its exit pushes */
    bool enters;          /* its exit also enters a manager on the stack */
} pushing_state;

static void *pushing_enter(void *state) { (void)state; return NULL; }

static void *quiet_enter(void *state) { (void)state; return NULL; }
static bool quiet_exit(void *state, cx_error *err)
{
    (void)state, (void)err;
    th_log("entered");
    return false;
}
static const cx_manager_type quiet_type = {"quiet", quiet_enter, quiet_exit};

static bool pushing_exit(void *state, cx_error *err)
{
    pushing_state *s = state;
    (void)err;
    for (int i = 0; i < s->callbacks; i++)
        cx_exitstack_callback(s->stack, note, "pushed");
    if (s->enters) {
        long other[4] = {0x0bad, 0x0bad, 0x0bad, 0x0bad};
        cx_exitstack_enter(s->stack, cx_manager_make(&quiet_type, other, sizeof other));
    }
    th_log(s->magic == 0x5eed ? "state intact" : "state overwritten");
    return false;
}

static const cx_manager_type pushing_type = {"pushing", pushing_enter, pushing_exit};

static void exit_pushing(int below, int callbacks, bool enters)
{
    cx_with (cx_exitstack *stack, cx_exitstack_new()) {
        for (int i = 0; i < below; i++)
            cx_exitstack_callback(stack, note, "below");
        pushing_state st = {0x5eed, stack, callbacks, enters};
        cx_exitstack_enter(stack, cx_manager_make(&pushing_type, &st, sizeof st));
    }
}

/* Its slot is free while it runs: a manager entered there must not write
 * over the state the exit is using (CPython runs the new entry next). */
TEST(exitstack_manager_exit_entering_a_manager_keeps_its_state)
{
    exit_pushing(0, 0, true);
    CHECK_STR(th_trace, "state intact entered");
}

/* On grown storage (9 entries below it), pushes that grow it again move
 * the entries while the exit runs; the storage it had is freed. */
TEST(exitstack_manager_exit_growing_the_stack_keeps_its_state)
{
    exit_pushing(9, 20, false);
    CHECK(strncmp(th_trace, "state intact pushed", 19) == 0);
    size_t pushed = 0, below = 0;
    for (const char *p = th_trace; (p = strstr(p, "pushed")); p++)
        pushed++;
    for (const char *p = th_trace; (p = strstr(p, "below")); p++)
        below++;
    CHECK_EQ(pushed, 20);
    CHECK_EQ(below, 9);
}
