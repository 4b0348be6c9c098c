/* What the tests of released task handles share (test_handles.c,
 * test_detach.c): task bodies, the calls made through a handle (each a
 * cx_protect target), and the check that one was refused as stale. */
#ifndef TESTS_ASYNC_STALE_H
#define TESTS_ASYNC_STALE_H

#include <stdio.h>

#include <cx/async.h>

#include "harness.h"

static inline void nothing(void *arg) { (void)arg; }
static inline void count(void *arg) { ++*(int *)arg; }

static inline void await_it(void *t) { cx_await_task(t); }
static inline void cancel_it(void *t) { cx_task_cancel(t); }
static inline void done_it(void *t) { (void)cx_task_done(t); }

/* e is the ValueError a use of a released handle raises, naming `what`;
 * consumes e. */
static inline void check_stale(cx_error *e, const char *what)
{
    CHECK(e && cx_error_is(e, &cx_ValueError));
    char want[128];
    snprintf(want, sizeof want, "%s: stale task handle (the task was released)", what);
    CHECK_STR(cx_error_message(e), want);
    cx_error_unref(e);
}

#endif
