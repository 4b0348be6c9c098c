/* The scheduler's own state (sched.c, stacks.c, timers.c). */
#ifndef CX_ASYNC_SCHED_H
#define CX_ASYNC_SCHED_H

#include "internal.h"

typedef struct cx__slots {
    size_t slot_size;
    char **chunks;
    size_t nchunks, cap;
    char *next;      /* the next never-used slot of the newest chunk */
    size_t left;
    void *free;      /* slots given back, the last first */
} cx__slots;

/* Slots per chunk: slot i is chunks[i / CX__SLOTS_PER_CHUNK], position
 * i % CX__SLOTS_PER_CHUNK. */
#define CX__SLOTS_PER_CHUNK 128

void cx__slots_init(cx__slots *p);
/* A free slot, or NULL when none can be mapped.  *index is its index; *fresh
 * tells a slot never used by this loop (its task header holds garbage). */
void *cx__slot_take(cx__slots *p, size_t *index, bool *fresh);
/* The slot given back last, or NULL if none is. */
void *cx__slot_take_given(cx__slots *p);
/* The slot of index i, or NULL if this loop never handed it out.  Inline:
 * every call through a task handle looks its slot up. */
static inline void *cx__slot_at(const cx__slots *p, size_t i)
{
    size_t chunk = i / CX__SLOTS_PER_CHUNK, pos = i % CX__SLOTS_PER_CHUNK;
    if (chunk >= p->nchunks || (chunk == p->nchunks - 1 && pos >= CX__SLOTS_PER_CHUNK - p->left))
        return NULL; /* not carved yet */
    return p->chunks[chunk] + pos * p->slot_size;
}
void cx__slot_give(cx__slots *p, void *slot);
void cx__slots_release(cx__slots *p);

struct cx__sched {
    uv_loop_t loop;
    uv_timer_t timer;         /* fires for the earliest deadline */
    uv_idle_t idle;           /* runs the ready tasks while there are some */
    cx__coro *loop_coro;      /* the context the loop runs on */
    cx_task *ready_head, *ready_tail; /* the ready queue, through the tasks
                                       * (a wake never allocates) */
    size_t nready;
    cx__deadline **heap;
    size_t heap_len, heap_cap;
    /* Deadlines that came in order (each no earlier than the last, as
     * sleeps and timeouts of one length do) wait in a FIFO list instead. */
    cx__deadline *fifo_head, *fifo_tail;
    uint32_t seq;
    size_t live;              /* tasks not finished */
    cx_task *all;             /* every task not yet freed */
    cx_task *main;
    cx_task *switched_from;   /* the task that switched away last (see after_switch) */
    unsigned handoffs;        /* task-to-task switches since the loop last polled */
    bool main_done;
    bool cancel_pending;      /* main ended: the rest are cancelled after one more round */
    cx__slots slots;
    cx__sched *outer;         /* a loop this one runs inside (another thread's never) */
    uint32_t gen_seed;        /* the first generation of this loop's slots */
    uv_signal_t sigint;       /* Ctrl-C, watched only where SIGINT had its default action */
    int interrupts;           /* SIGINTs seen while it ran */
    cx__loops *loops;         /* its cx_run_threads run, or NULL */
};

void cx__timers_init(cx__sched *s);
void cx__timers_fini(cx__sched *s);

#endif
