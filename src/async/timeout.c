/* asyncio.timeout: the deadline cancels the task; exit turns that one
 * cancellation (and no other) into TimeoutError.  The bookkeeping is
 * asyncio's: the task's count of cancellation requests at enter, compared
 * at exit after taking back our own request. */
#include <math.h>
#include <stddef.h>

#include "internal.h"

enum { TIMEOUT_ARMED, TIMEOUT_EXPIRED, TIMEOUT_DONE };

typedef struct {
    double seconds;
    cx__deadline d;
    cx_task *task;
    int cancelling_at_enter;
    int state;
} timeout_state;

static void timeout_fire(cx__deadline *d)
{
    timeout_state *s = (timeout_state *)((char *)d - offsetof(timeout_state, d));
    s->state = TIMEOUT_EXPIRED;
    cx__task_cancel(s->task);
}

static void *timeout_enter(void *state)
{
    timeout_state *s = state;
    s->task = cx__async_task("cx_timeout");
    s->state = TIMEOUT_ARMED;
    s->cancelling_at_enter = s->task->cancel_requests;
    s->d.index = CX__NOT_QUEUED;
    s->d.fire = timeout_fire;
    if (!isinf(s->seconds)) {
        uint64_t now = cx__async_now();
        double ns = s->seconds > 0 ? s->seconds * 1e9 : 0;
        cx__deadline_add(&s->d, ns >= 1.8e19 ? UINT64_MAX : now + (uint64_t)ns);
        if (ns == 0) /* due now: cancels at the first suspension, even cx_sleep(0)'s */
            cx__poll_soon();
    }
    return NULL;
}

static bool timeout_exit(void *state, cx_error *err)
{
    timeout_state *s = state;
    cx__deadline_remove(&s->d);
    if (s->state != TIMEOUT_EXPIRED) {
        s->state = TIMEOUT_DONE;
        return false;
    }
    s->state = TIMEOUT_DONE;
    bool mine = cx__task_uncancel(s->task) <= s->cancelling_at_enter;
    if (!err) {
        /* Expired while the body could not be interrupted (a shielded wait):
         * the cancellation never surfaced; it is ours to take back. */
        if (mine && s->task->must_cancel) {
            s->task->must_cancel = false;
            cx_raise(&cx_TimeoutError, "timed out after %g s", s->seconds);
        }
        return false;
    }
    if (mine && cx_error_is(err, &cx_CancelledError))
        cx_raise_from(&cx_TimeoutError, err, "timed out after %g s", s->seconds);
    return false;
}

static const cx_manager_type timeout_type = {"timeout", timeout_enter, timeout_exit};

cx_manager cx_timeout(double seconds)
{
    if (isnan(seconds))
        cx_raise(&cx_ValueError, "cx_timeout: seconds is NaN");
    timeout_state s = {.seconds = seconds, .d = {.index = CX__NOT_QUEUED}};
    return cx_manager_make(&timeout_type, &s, sizeof s);
}
