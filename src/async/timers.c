/* Deadlines: a binary min-heap behind the loop's one uv timer.  Sleeps and
 * timeouts need no libuv handle of their own (nothing to close), and 100,000
 * sleeping tasks cost one pointer each here.
 *
 * A deadline no earlier than the last one queued goes to a FIFO ring
 * instead, where taking the first out moves nothing: with 100,000 tasks
 * sleeping, every step of the heap's sift read a deadline on another task's
 * stack (a cache miss each), a sixth of the run.  The earliest deadline is
 * the earlier of the ring's first and the heap's top. */
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

/* A deadline's index: its place in the heap, or FIFO_BIT | its position in
 * the ring (CX__NOT_QUEUED when in neither). */
#define FIFO_BIT ((size_t)1 << (sizeof(size_t) * 8 - 2))

static bool in_fifo(const cx__deadline *d)
{
    return d->index != CX__NOT_QUEUED && (d->index & FIFO_BIT);
}

static cx__deadline **fifo_at(cx__sched *s, size_t pos)
{
    return &s->fifo[pos & (s->fifo_cap - 1)];
}

/* Drops the removed entries at both ends. */
static void fifo_trim(cx__sched *s)
{
    while (s->fifo_head < s->fifo_tail && !*fifo_at(s, s->fifo_head))
        s->fifo_head++;
    bool trimmed = false;
    while (s->fifo_tail > s->fifo_head && !*fifo_at(s, s->fifo_tail - 1)) {
        s->fifo_tail--;
        trimmed = true;
    }
    if (s->fifo_head == s->fifo_tail)
        s->fifo_head = s->fifo_tail = 0;
    else if (trimmed)
        s->fifo_last_at = (*fifo_at(s, s->fifo_tail - 1))->at;
}

/* Moves the ring's entries to positions 0.. of a ring of `cap` slots,
 * leaving out the removed ones. */
static void fifo_rebuild(cx__sched *s, size_t cap)
{
    cx__deadline **ring = malloc(cap * sizeof *ring);
    if (!ring)
        cx_raise(&cx_MemoryError, "deadline queue: out of memory");
    size_t n = 0;
    for (size_t pos = s->fifo_head; pos < s->fifo_tail; pos++) {
        cx__deadline *d = *fifo_at(s, pos);
        if (d) {
            d->index = FIFO_BIT | n;
            ring[n++] = d;
        }
    }
    free(s->fifo);
    s->fifo = ring;
    s->fifo_cap = cap;
    s->fifo_head = 0;
    s->fifo_tail = n;
}

static void fifo_push(cx__sched *s, cx__deadline *d)
{
    if (s->fifo_tail - s->fifo_head == s->fifo_cap) {
        /* Full: compact in place if removed entries take half the room,
         * else grow. */
        size_t cap = s->fifo_cap ? s->fifo_cap : 64;
        if (s->fifo_live > s->fifo_cap / 2 || !s->fifo_cap)
            cap *= 2;
        fifo_rebuild(s, cap);
    }
    *fifo_at(s, s->fifo_tail) = d;
    d->index = FIFO_BIT | s->fifo_tail++;
    s->fifo_live++;
    s->fifo_last_at = d->at;
}

static void fifo_take_out(cx__sched *s, cx__deadline *d)
{
    *fifo_at(s, d->index & ~FIFO_BIT) = NULL;
    d->index = CX__NOT_QUEUED;
    s->fifo_live--;
    fifo_trim(s);
}

/* The deadline due first, or NULL. */
static cx__deadline *earliest(cx__sched *s)
{
    cx__deadline *f = s->fifo_head < s->fifo_tail ? *fifo_at(s, s->fifo_head) : NULL;
    cx__deadline *h = s->heap_len ? s->heap[0] : NULL;
    if (!f)
        return h;
    if (!h)
        return f;
    return before(h, f) ? h : f;
}

static void on_timer(uv_timer_t *h);
static void take_out(cx__sched *s, cx__deadline *d);

/* Points the uv timer at the earliest deadline. */
static void rearm(cx__sched *s)
{
    cx__deadline *first = earliest(s);
    if (!first) {
        uv_timer_stop(&s->timer);
        return;
    }
    uint64_t now = uv_hrtime(), at = first->at;
    uint64_t ms = at > now ? (at - now + 999999) / 1000000 : 0;
    uv_timer_start(&s->timer, on_timer, ms, 0);
}

/* libuv's clock is in whole milliseconds and may run behind uv_hrtime: a
 * deadline not yet reached is simply re-armed, so no sleep ends early. */
static void on_timer(uv_timer_t *h)
{
    cx__sched *s = h->data;
    uint64_t now = uv_hrtime();
    cx__deadline *d;
    while ((d = earliest(s)) && d->at <= now) {
        if (in_fifo(d))
            fifo_take_out(s, d);
        else
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
    free(s->fifo);
    s->fifo = NULL;
    s->fifo_cap = s->fifo_head = s->fifo_tail = s->fifo_live = 0;
    timers_of = NULL;
}

uint64_t cx__async_now(void) { return uv_hrtime(); }

void cx__deadline_add(cx__deadline *d, uint64_t at)
{
    cx__sched *s = timers_of;
    d->at = at;
    d->seq = s->seq++;
    if (s->fifo_head == s->fifo_tail || at >= s->fifo_last_at) {
        fifo_push(s, d);
    } else {
        if (s->heap_len == s->heap_cap) {
            size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
            cx__deadline **heap = realloc(s->heap, cap * sizeof *heap);
            if (!heap)
                cx_raise(&cx_MemoryError, "deadline queue: out of memory");
            s->heap = heap;
            s->heap_cap = cap;
        }
        place(s, s->heap_len++, d);
        sift_up(s, d->index);
    }
    if (earliest(s) == d)
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
    bool was_first = earliest(s) == d;
    if (in_fifo(d))
        fifo_take_out(s, d);
    else
        take_out(s, d);
    if (was_first)
        rearm(s);
}
