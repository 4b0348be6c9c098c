/* Coroutine stacks (mmap'ed, guarded, pooled) and the switch around the
 * assembly routine (or ucontext where there is none). */
#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "../core/internal.h"
#include "coro.h"
#include "../port/port.h"


#if CX_CORO_UCONTEXT
#include <fenv.h>
#endif

#ifdef CX__ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* ThreadSanitizer keeps a shadow stack per thread: without being told of
 * each switch it grows by a coroutine's frames at every switch until it
 * overflows.  Each stack is a TSan fiber. */
#ifdef CX__TSAN
#include <sanitizer/tsan_interface.h>
#endif

#ifdef CX__VALGRIND
#include <valgrind/valgrind.h>
#endif

typedef struct ctx {
    void *sp;
    void *pc;
} ctx;

struct cx__coro {
    ctx regs;
#if CX_CORO_UCONTEXT
    ucontext_t uc;
#endif
    char *map;          /* guard page + stack; NULL for a thread's context
                         * and for a stack the caller provided */
    char *low;          /* the stack's lowest byte; NULL for a thread's context */
    size_t map_size;
    cx__coro_entry *entry;
    void *arg;
    cx__coro *next;     /* in the pool */
    void *asan_fake;    /* ASan's fake stack while switched out */
    const void *asan_bottom; /* a thread context's stack, learnt from ASan */
    size_t asan_size;
    unsigned valgrind_id;
    void *tsan_fiber;   /* TSan's fiber; a thread context's is learnt as it leaves */
};

void cx__ctx_switch(ctx *from, ctx *to);
void cx__ctx_boot(void);
_Noreturn void cx__coro_start(cx__coro *c);

static size_t page_size(void) { return cx__port_page_size(); }
static char *stack_low(const cx__coro *c) { return c->low; }
static char *stack_top(cx__coro *c) { return (char *)c; }
static size_t stack_bytes(const cx__coro *c) { return (size_t)((const char *)c - stack_low(c)); }
size_t cx__coro_stack_size(const cx__coro *c) { return stack_bytes(c); }

/* ---- overflow: a guard region below every stack, and a handler on an
 * alternate signal stack that names the problem ---- */

/* The running coroutine of the faulting thread (gen.c's thread-local, read
 * without side effects: async-signal-safe). */
cx__coro *cx__coro_running_raw(void);

static struct sigaction previous_segv;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void write_number(char *buf, size_t *n, size_t v)
{
    char digits[24];
    int k = 0;
    do digits[k++] = (char)('0' + v % 10); while ((v /= 10) && k < 24);
    while (k)
        buf[(*n)++] = digits[--k];
}

static void append(char *buf, size_t *n, const char *s)
{
    size_t len = strlen(s);
    memcpy(buf + *n, s, len);
    *n += len;
}

/* The stack pointer of the context that faulted, 0 where unknown. */
static uintptr_t fault_sp(void *uc)
{
#if defined(CX__X86_64) && defined(REG_RSP)
    return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RSP];
#elif defined(CX__AARCH64)
    return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.sp;
#elif defined(CX__I386) && defined(REG_ESP)
    return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_ESP];
#elif defined(CX__ARM)
    return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.arm_sp;
#elif defined(CX__RISCV64) && defined(REG_SP)
    return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.__gregs[REG_SP];
#else
    (void)uc;
    return 0;
#endif
}

/* Whether the fault is c overflowing its stack: the address is in c's guard
 * region, or c's stack pointer is already below its stack and the fault is
 * at it (a frame larger than the guard that reached unmapped memory; the
 * frame's own accesses are at or above the stack pointer, less a red zone,
 * which keeps a fault on another stack, such as a signal handler's, out).
 * The faulting thread's own coroutine is the only candidate, so this holds
 * for any number of stacks. */
static bool is_overflow(const cx__coro *c, uintptr_t addr, uintptr_t sp)
{
    uintptr_t low = (uintptr_t)c->low, map = (uintptr_t)c->map;
    if (addr >= map && addr < low)
        return true;
    return sp && sp < low && low - sp < CX__CORO_OVERFLOW_REACH && addr < low &&
           addr + 256 >= sp;
}

/* Async-signal-safe: write(2) and abort(3).  The size printed is the
 * overflowing stack's own (the setting may have changed since it was
 * mapped). */
static void on_segv(int sig, siginfo_t *info, void *uc)
{
    cx__coro *c = cx__coro_running_raw();
    if (c && c->map && is_overflow(c, (uintptr_t)info->si_addr, fault_sp(uc))) {
        char msg[200];
        size_t n = 0;
        append(msg, &n, "cx: stack overflow in generator (stack size ");
        write_number(msg, &n, stack_bytes(c));
        append(msg, &n, " bytes; raise it with cx_gen_set_stack_size)\n");
        if (write(2, msg, n) < 0)
            abort();
        abort();
    }
    if (previous_segv.sa_flags & SA_SIGINFO && previous_segv.sa_sigaction) {
        previous_segv.sa_sigaction(sig, info, uc);
        return;
    }
    /* The fault repeats with the previous action (the default: killed by
     * SIGSEGV, as any segfault). */
    sigaction(SIGSEGV, &previous_segv, NULL);
}

static void install_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
}

/* ---- the thread's own context and its alternate signal stack ---- */

static __thread cx__coro thread_ctx;
static __thread void *altstack;

static void altstack_drain(void)
{
    if (!altstack)
        return;
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    cx__port_unmap(altstack, 64 * 1024);
    altstack = NULL;
    thread_ctx.entry = NULL; /* drained early (cx__thread_drain): set up again on use */
}

__attribute__((constructor)) static void altstack_register(void)
{
    cx__thread_drain_register(altstack_drain);
}

static void altstack_install(void)
{
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE))
        return; /* the program has its own */
    altstack = cx__port_map(64 * 1024);
    if (!altstack)
        return;
    stack_t ss = {.ss_sp = altstack, .ss_size = 64 * 1024};
    sigaltstack(&ss, NULL);
    cx__thread_cache_used();
}

cx__coro *cx__coro_thread(void)
{
    cx__coro *c = &thread_ctx;
    if (!c->entry) {
        c->entry = (cx__coro_entry *)1; /* marks it set up */
        altstack_install();
    }
    return c;
}

/* ---- the stack pool ----
 *
 * A stack given back waits here for the next coroutine of its size, up to
 * POOL_MAX stacks for the process; beyond that it is unmapped.  A pooled
 * stack keeps its mapping but not its memory: all but its top page go back
 * to the system (MADV_DONTNEED), so what a burst of deep generators touched
 * is returned when they end.  Generators keep a few stacks of their own,
 * untrimmed, per thread (gen.c): this pool is the second tier, reached only
 * past those, so the syscall is not on the generator's usual path. */

#define POOL_MAX 64

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static cx__coro *pool;
static size_t pool_n; /* written under pool_lock; read before it too */
static size_t default_stack = CX__CORO_DEFAULT_STACK;
static size_t mmaps;
static size_t live_maps; /* stacks mapped now (pooled or in use) */

size_t cx__coro_mmap_count(void) { return __atomic_load_n(&mmaps, __ATOMIC_RELAXED); }
size_t cx__coro_mapped_stacks(void) { return __atomic_load_n(&live_maps, __ATOMIC_RELAXED); }

static size_t round_pages(size_t n)
{
    size_t p = page_size();
    return (n + p - 1) / p * p;
}

static cx__coro *pool_take(size_t map_size)
{
    pthread_mutex_lock(&pool_lock);
    cx__coro **link = &pool;
    while (*link && (*link)->map_size != map_size)
        link = &(*link)->next;
    cx__coro *c = *link;
    if (c) {
        *link = c->next;
        __atomic_store_n(&pool_n, pool_n - 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&pool_lock);
    return c;
}

/* The guard region is CX__CORO_GUARD bytes (whole pages), inaccessible: a
 * frame up to that size that runs off the stack faults in it instead of
 * writing into the mapping below, which may be another coroutine's live
 * stack.  One mmap, the stack part made accessible: two kernel mappings
 * (VMAs) per stack, the least a guard allows.  PROT_NONE first: the guard
 * is never committed memory, even under strict overcommit. */
static size_t guard_bytes(void) { return round_pages(CX__CORO_GUARD); }

static cx__coro *stack_map(size_t map_size)
{
    size_t guard = guard_bytes();
    char *map = cx__port_map_guarded(map_size, guard);
    if (!map)
        return NULL;
    __atomic_add_fetch(&mmaps, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&live_maps, 1, __ATOMIC_RELAXED);
    /* The coroutine's bookkeeping lives at the top of its own mapping. */
    cx__coro *c = (cx__coro *)(map + map_size - round_pages(sizeof(cx__coro)));
    memset(c, 0, sizeof *c);
    c->map = map;
    c->low = map + guard;
    c->map_size = map_size;
#ifdef CX__VALGRIND
    c->valgrind_id = VALGRIND_STACK_REGISTER(stack_low(c), (char *)c);
#endif
    return c;
}

static void stack_unmap(cx__coro *c)
{
#ifdef CX__VALGRIND
    VALGRIND_STACK_DEREGISTER(c->valgrind_id);
#endif
#ifdef CX__TSAN
    if (c->tsan_fiber)
        __tsan_destroy_fiber(c->tsan_fiber);
#endif
#ifdef CX__ASAN
    /* Frames given up on it left redzones that would outlive the mapping. */
    __asan_unpoison_memory_region(stack_low(c), (size_t)(stack_top(c) - stack_low(c)));
#endif
    cx__port_unmap(c->map, c->map_size);
    __atomic_sub_fetch(&live_maps, 1, __ATOMIC_RELAXED);
}

/* Unmaps every pooled stack: the mappings are what ran out. */
void cx__coro_pool_release(void)
{
    pthread_mutex_lock(&pool_lock);
    cx__coro *c = pool;
    pool = NULL;
    __atomic_store_n(&pool_n, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&pool_lock);
    while (c) {
        cx__coro *next = c->next;
        stack_unmap(c);
        c = next;
    }
}

/* mmap and mprotect say ENOMEM both when memory or address space is short
 * and when the process has used up its kernel mappings (vm.max_map_count):
 * the two are told apart by counting, so that the error names the limit
 * that was hit. */
void cx__coro_raise_unmapped(const char *what, int err)
{
    if (err == ENOMEM) {
        long maps, max;
        if (cx__port_map_count(&maps, &max) && maps + 8 >= max)
            cx_raise(&cx_MemoryError,
                     "cannot map a %s stack: the process has %ld of vm.max_map_count=%ld "
                     "mappings",
                     what, maps, max);
        cx_raise(&cx_MemoryError, "%s: no memory for its stack (mmap failed)", what);
    }
    cx_raise_errno(err, "cannot map a %s stack", what);
}


/* ---- switching ---- */

/* Who switched last on this thread: the side that resumes learns from it
 * where it came from (ASan needs the stack of a thread's own context). */
#ifdef CX__ASAN
static __thread cx__coro *switched_from;

__attribute__((noinline)) static cx__coro *last_from(void) { return switched_from; }
__attribute__((noinline)) static void set_last_from(cx__coro *c) { switched_from = c; }
#else
static void set_last_from(cx__coro *c) { (void)c; }
#endif

static void sanitizer_arrived(void *fake)
{
#ifdef CX__ASAN
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(fake, &bottom, &size);
    cx__coro *from = last_from();
    if (from && !from->low) {
        from->asan_bottom = bottom;
        from->asan_size = size;
    }
#else
    (void)fake;
#endif
}

static void sanitizer_leaving(cx__coro *from, cx__coro *to)
{
#ifdef CX__ASAN
    if (to->low)
        __sanitizer_start_switch_fiber(&from->asan_fake, stack_low(to),
                                       (size_t)(stack_top(to) - stack_low(to)));
    else
        __sanitizer_start_switch_fiber(&from->asan_fake, to->asan_bottom, to->asan_size);
#else
    (void)from, (void)to;
#endif
}

_Noreturn void cx__coro_start(cx__coro *c)
{
    sanitizer_arrived(NULL);
    c->entry(c->arg);
    abort(); /* entries never return */
}

#if CX_CORO_UCONTEXT
/* The floating-point environment is the thread's, not each coroutine's, as
 * with cx's own switch (coro.h); swapcontext and setcontext load the one
 * saved with the context, so the side leaving puts its own here and the side
 * arriving takes it up.  Out of line: the thread may be another one after
 * the switch, so the TLS address is computed afresh. */
static __thread fenv_t carried_env;

__attribute__((noinline)) static void env_leave(void) { fegetenv(&carried_env); }
__attribute__((noinline)) static void env_arrive(void) { fesetenv(&carried_env); }

/* makecontext passes ints: the pointer travels in two halves. */
static void boot_ucontext(unsigned hi, unsigned lo)
{
    env_arrive();
    cx__coro_start((cx__coro *)(((uintptr_t)hi << 16 << 16) | lo));
}

static void prepare(cx__coro *c)
{
    uintptr_t p = (uintptr_t)c;
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = stack_low(c);
    c->uc.uc_stack.ss_size = (size_t)(stack_top(c) - stack_low(c));
    c->uc.uc_link = NULL;
    makecontext(&c->uc, (void (*)(void))boot_ucontext, 2, (unsigned)(p >> 16 >> 16),
                (unsigned)(p & 0xffffffffu));
}

static void raw_switch(cx__coro *from, cx__coro *to)
{
    env_leave();
    swapcontext(&from->uc, &to->uc);
    env_arrive();
}
#else
static void prepare(cx__coro *c)
{
    uintptr_t top = (uintptr_t)stack_top(c) & ~(uintptr_t)15;
    void **sp = (void **)(top - 16);
    sp[0] = c;
    c->regs.sp = sp;
    c->regs.pc = (void *)cx__ctx_boot;
}

static void raw_switch(cx__coro *from, cx__coro *to) { cx__ctx_switch(&from->regs, &to->regs); }
#endif

/* A coroutine about to run its entry from the start gets a fresh fiber (a
 * pooled stack's old one may hold the frames it was given up in). */
static void tsan_fiber_fresh(cx__coro *c)
{
#ifdef CX__TSAN
    if (c->tsan_fiber)
        __tsan_destroy_fiber(c->tsan_fiber);
    c->tsan_fiber = __tsan_create_fiber(0);
#else
    (void)c;
#endif
}

void cx__coro_switch(cx__coro *from, cx__coro *to)
{
#ifdef CX__TSAN
    if (!from->tsan_fiber)
        from->tsan_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
    sanitizer_leaving(from, to);
    set_last_from(from);
    raw_switch(from, to);
    sanitizer_arrived(from->asan_fake);
}

cx__coro *cx__coro_new(size_t stack_size, cx__coro_entry *entry, void *arg)
{
    pthread_once(&handler_once, install_handler);
    cx__coro_thread();
    size_t size = round_pages(stack_size ? stack_size : cx__coro_default_stack());
    size_t map_size = guard_bytes() + size + round_pages(sizeof(cx__coro));
    cx__coro *c = pool_take(map_size);
    if (!c && !(c = stack_map(map_size))) {
        if (errno != ENOMEM)
            return NULL;
        cx__coro_pool_release(); /* the pooled stacks may be what ran out */
        if (!(c = stack_map(map_size)))
            return NULL;
    }
    c->entry = entry;
    c->arg = arg;
    c->next = NULL;
    c->asan_fake = NULL;
#ifdef CX__ASAN
    /* A pooled stack may have been given up mid-frame: forget its redzones. */
    __asan_unpoison_memory_region(stack_low(c), (size_t)(stack_top(c) - stack_low(c)));
#endif
    tsan_fiber_fresh(c);
    prepare(c);
    return c;
}

/* The stack is [mem, mem + size): the coroutine's bookkeeping takes its top
 * bytes, no page of its own, and there is no guard page (the caller carves
 * many such stacks from one mapping, which mprotect would split). */
cx__coro *cx__coro_new_on(void *mem, size_t size, cx__coro_entry *entry, void *arg)
{
    uintptr_t top = ((uintptr_t)mem + size - sizeof(cx__coro)) & ~(uintptr_t)63;
    cx__coro *c = (cx__coro *)top;
    memset(c, 0, sizeof *c);
    c->low = mem;
#ifdef CX__VALGRIND
    c->valgrind_id = VALGRIND_STACK_REGISTER(stack_low(c), (char *)c);
#endif
    cx__coro_restart(c, entry, arg);
    return c;
}

void cx__coro_restart(cx__coro *c, cx__coro_entry *entry, void *arg)
{
    CX_ASSERT(!c->map && c->low);
    c->entry = entry;
    c->arg = arg;
#ifdef CX__ASAN
    /* Frames that never returned (the last entry's, or the memory's
     * earlier user's) may have left their redzones poisoned. */
    c->asan_fake = NULL;
    __asan_unpoison_memory_region(stack_low(c), stack_bytes(c));
#endif
    tsan_fiber_fresh(c);
    prepare(c);
}

bool cx__coro_free_on_caller_memory_matters(void)
{
#if defined(CX__TSAN)
    return true;
#elif defined(CX__VALGRIND)
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

void cx__coro_free(cx__coro *c)
{
    if (!c->map) { /* a stack the caller provided: theirs to reuse */
#ifdef CX__VALGRIND
        VALGRIND_STACK_DEREGISTER(c->valgrind_id);
#endif
#ifdef CX__TSAN
        __tsan_destroy_fiber(c->tsan_fiber);
#endif
        return;
    }
    if (__atomic_load_n(&pool_n, __ATOMIC_RELAXED) >= POOL_MAX) {
        stack_unmap(c);
        return;
    }
    /* Its pages go back; the top one, which the next coroutine touches
     * first, stays. */
    size_t keep = page_size();
    char *low = stack_low(c), *top = stack_top(c);
    if ((size_t)(top - low) > keep)
        cx__port_discard(low, (size_t)(top - low) - keep);
    pthread_mutex_lock(&pool_lock);
    if (pool_n >= POOL_MAX) {
        pthread_mutex_unlock(&pool_lock);
        stack_unmap(c);
        return;
    }
    c->next = pool;
    pool = c;
    __atomic_store_n(&pool_n, pool_n + 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&pool_lock);
}

size_t cx__coro_default_stack(void)
{
    return round_pages(__atomic_load_n(&default_stack, __ATOMIC_RELAXED));
}

void cx__coro_set_default_stack(size_t bytes)
{
    __atomic_store_n(&default_stack, bytes ? bytes : CX__CORO_DEFAULT_STACK, __ATOMIC_RELAXED);
}
