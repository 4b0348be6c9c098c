/* Stackful coroutines: the context switch and the stacks it runs on.
 * Internal to cx (generators and tasks stand on it). */
#ifndef CX_CORO_H
#define CX_CORO_H

#include <stdbool.h>
#include <stddef.h>

#include <cx/error.h> /* CX_API: cx-async switches tasks with these */

typedef struct cx__coro cx__coro;
typedef void cx__coro_entry(void *arg);

#define CX__CORO_DEFAULT_STACK (256 * 1024)

/* The calling thread's own context, as a switch source or target. */
CX_API cx__coro *cx__coro_thread(void);
/* A coroutine with `stack_size` bytes of stack (0: the default) that runs
 * entry(arg) when first switched to; entry must never return.  NULL if no
 * stack could be mapped (errno set). */
CX_API cx__coro *cx__coro_new(size_t stack_size, cx__coro_entry *entry, void *arg);
/* A coroutine on the caller's memory [mem, mem + size): no guard page, its
 * bookkeeping in the top bytes.  cx__coro_free only forgets it (the memory
 * stays the caller's, who may call this again on it). */
CX_API cx__coro *cx__coro_new_on(void *mem, size_t size, cx__coro_entry *entry, void *arg);
/* The coroutine running on this thread (the thread's own context if none);
 * the switcher of tasks and generators keeps it up to date. */
CX_API cx__coro *cx__coro_current(void);
CX_API void cx__coro_set_current(cx__coro *c);
/* Installs n as the thread's resumer link (what a generator with no
 * handled error of its own sees as handled); returns the previous one. */
struct cx__handled;
CX_API struct cx__handled *cx__coro_swap_outer_handling(struct cx__handled *n);
/* Saves the running context into `from` and continues `to`. */
CX_API void cx__coro_switch(cx__coro *from, cx__coro *to);
/* Returns a coroutine that is not running to the pool. */
CX_API void cx__coro_free(cx__coro *c);
CX_API size_t cx__coro_stack_size(const cx__coro *c);
/* The stack size used when cx__coro_new is given 0 (0 here: the default). */
void cx__coro_set_default_stack(size_t bytes);
/* The stack size (whole pages) a coroutine made now gets. */
size_t cx__coro_default_stack(void);
/* How many stacks have been mapped (tests check that the pool works). */
size_t cx__coro_mmap_count(void);

#endif
