/* Deadlines: a binary min-heap behind the loop's one uv timer.  Sleeps and
 * timeouts need no libuv handle of their own (nothing to close), and 100,000
 * sleeping tasks cost one pointer each here.
 *
 * A deadline no earlier than the last one queued goes to a FIFO list
 * instead, where taking the first out moves nothing (each step of a heap's
 * sift reads a deadline on another task's stack).  The earliest deadline is
 * the earlier of the list's first and the heap's top. */
#include <stdlib.h>

#include "sched.h"

static __thread cx__sched *timers_of; /* set by cx__timers_init for this thread */

static bool before(const cx__deadline *a, const cx__deadline *b)
{
    return a->at < b->at || (a->at == b->at && (int32_t)(a->seq - b->seq) < 0);
}

static void place(cx__sched *s, size_t i, cx__deadline *d)
{
    s->heap[i] = d;
    d->index = (uint32_t)i; /* below IN_FIFO: cx__deadline_add's bound */
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

/* A deadline's index: its place in the heap, IN_FIFO, or CX__NOT_QUEUED. */
#define IN_FIFO (CX__NOT_QUEUED - 1)

static bool in_fifo(const cx__deadline *d) { return d->index == IN_FIFO; }

/* The FIFO is a list through the deadlines themselves (they live on their
 * tasks' stacks): adding one never allocates, removing one moves nothing. */
static void fifo_push(cx__sched *s, cx__deadline *d)
{
    d->index = IN_FIFO;
    d->next = NULL;
    d->prev = s->fifo_tail;
    if (s->fifo_tail)
        s->fifo_tail->next = d;
    else
        s->fifo_head = d;
    s->fifo_tail = d;
}

static void fifo_take_out(cx__sched *s, cx__deadline *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        s->fifo_head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        s->fifo_tail = d->prev;
    d->index = CX__NOT_QUEUED;
}

/* The deadline due first, or NULL. */
static cx__deadline *earliest(cx__sched *s)
{
    cx__deadline *f = s->fifo_head;
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
    s->fifo_head = s->fifo_tail = NULL;
    timers_of = NULL;
}

uint64_t cx__async_now(void) { return uv_hrtime(); }

void cx__deadline_add(cx__deadline *d, uint64_t at)
{
    cx__sched *s = timers_of;
    d->at = at;
    d->seq = s->seq++;
    if (!s->fifo_tail || at >= s->fifo_tail->at) {
        fifo_push(s, d);
    } else {
        if (s->heap_len == s->heap_cap) {
            size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
            if (cap > IN_FIFO) /* every index stays below IN_FIFO */
                cx_raise(&cx_MemoryError, "deadline queue: full at %zu deadlines",
                         s->heap_cap);
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
