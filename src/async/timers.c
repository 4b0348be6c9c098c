/* Deadlines: a binary min-heap behind the loop's one uv timer.  Sleeps and
 * timeouts need no libuv handle of their own (nothing to close), and 100,000
 * sleeping tasks cost one pointer each here. */
#include <stdlib.h>

#include "sched.h"

static __thread cx__sched *timers_of; /* set by cx__timers_init for this thread */

static bool before(const cx__deadline *a, const cx__deadline *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void place(cx__sched *s, size_t i, cx__deadline *d)
{
    s->heap[i] = d;
    d->index = i;
}

static void sift_up(cx__sched *s, size_t i)
{
    cx__deadline *d = s->heap[i];
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(d, s->heap[up]))
            break;
        place(s, i, s->heap[up]);
        i = up;
    }
    place(s, i, d);
}

static void sift_down(cx__sched *s, size_t i)
{
    cx__deadline *d = s->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const cx__deadline *best = d;
        if (l < s->heap_len && before(s->heap[l], best))
            m = l, best = s->heap[l];
        if (l + 1 < s->heap_len && before(s->heap[l + 1], best))
            m = l + 1;
        if (m == i)
            break;
        place(s, i, s->heap[m]);
        i = m;
    }
    place(s, i, d);
}

static void on_timer(uv_timer_t *h);
static void take_out(cx__sched *s, cx__deadline *d);

/* Points the uv timer at the earliest deadline. */
static void rearm(cx__sched *s)
{
    if (!s->heap_len) {
        uv_timer_stop(&s->timer);
        return;
    }
    uint64_t now = uv_hrtime(), at = s->heap[0]->at;
    uint64_t ms = at > now ? (at - now + 999999) / 1000000 : 0;
    uv_timer_start(&s->timer, on_timer, ms, 0);
}

/* libuv's clock is in whole milliseconds and may run behind uv_hrtime: a
 * deadline not yet reached is simply re-armed, so no sleep ends early. */
static void on_timer(uv_timer_t *h)
{
    cx__sched *s = h->data;
    uint64_t now = uv_hrtime();
    while (s->heap_len && s->heap[0]->at <= now) {
        cx__deadline *d = s->heap[0];
        take_out(s, d);
        d->fire(d);
    }
    rearm(s);
}

void cx__timers_init(cx__sched *s)
{
    uv_timer_init(&s->loop, &s->timer);
    s->timer.data = s;
    timers_of = s;
}

void cx__timers_fini(cx__sched *s)
{
    free(s->heap);
    s->heap = NULL;
    s->heap_len = s->heap_cap = 0;
    timers_of = NULL;
}

uint64_t cx__async_now(void) { return uv_hrtime(); }

void cx__deadline_add(cx__deadline *d, uint64_t at)
{
    cx__sched *s = timers_of;
    if (s->heap_len == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        cx__deadline **heap = realloc(s->heap, cap * sizeof *heap);
        if (!heap)
            cx_raise(&cx_MemoryError, "deadline queue: out of memory");
        s->heap = heap;
        s->heap_cap = cap;
    }
    d->at = at;
    d->seq = s->seq++;
    place(s, s->heap_len++, d);
    sift_up(s, d->index);
    if (s->heap[0] == d)
        rearm(s);
}

static void take_out(cx__sched *s, cx__deadline *d)
{
    size_t i = d->index;
    d->index = CX__NOT_QUEUED;
    cx__deadline *last = s->heap[--s->heap_len];
    if (i < s->heap_len) {
        place(s, i, last);
        sift_up(s, i);
        sift_down(s, last->index);
    }
}

void cx__deadline_remove(cx__deadline *d)
{
    cx__sched *s = timers_of;
    if (d->index == CX__NOT_QUEUED)
        return;
    bool was_first = d->index == 0;
    take_out(s, d);
    if (was_first)
        rearm(s);
}
