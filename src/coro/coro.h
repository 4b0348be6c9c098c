/* Stackful coroutines: the context switch and the stacks it runs on.
 * Internal to cx (generators and tasks stand on it). */
#ifndef CX_CORO_H
#define CX_CORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cx/error.h> /* CX_API: cx-async switches tasks with these */

typedef struct cx__coro cx__coro;
typedef void cx__coro_entry(void *arg);

#define CX__CORO_DEFAULT_STACK (256 * 1024)
/* The accepted stack sizes (0 means the default). */
#define CX__CORO_MIN_STACK (16 * 1024)
#define CX__CORO_MAX_STACK ((size_t)1 << 30)
/* The inaccessible region below each mapped stack: as large as the kernel's
 * own gap below a thread's main stack (stack_guard_gap, 256 pages), so a
 * frame up to 1 MiB that overflows faults instead of writing into the
 * mapping below.  It costs address space only. */
#define CX__CORO_GUARD (1024 * 1024)
/* A fault with the running coroutine's stack pointer this far below its
 * stack at most is its overflow (a frame larger than the guard that hit
 * unmapped memory). */
#define CX__CORO_OVERFLOW_REACH ((uintptr_t)1 << 30)

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
/* A coroutine of cx__coro_new_on that will never be switched back to (it
 * switched away for the last time) runs entry(arg) from the start at its
 * next switch, on the same memory: cx__coro_free and cx__coro_new_on in one,
 * without clearing it. */
CX_API void cx__coro_restart(cx__coro *c, cx__coro_entry *entry, void *arg);
/* Whether cx__coro_free of a coroutine on caller memory does anything: only
 * under Valgrind and TSan, which track stacks.  Otherwise a caller dropping
 * many at once may skip the calls (and the cold pages they would touch). */
CX_API bool cx__coro_free_on_caller_memory_matters(void);
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
/* ---- the generators' direct switch ----
 * cx__coro_jump(from, to) does what cx__coro_switch does, inlined into its
 * caller where cx's own switch is used and no sanitizer needs telling (ASan,
 * TSan, the ucontext fallback go through cx__coro_switch; so do i386, ARM
 * and riscv64, which have the out-of-line switch only).  Inlined, the
 * resume address is a label in the caller itself: no call/ret pair straddles
 * the two stacks, so the return predictor misses once per transfer (where
 * the code returns into different callers) instead of at every level of an
 * out-of-line switch.  The registers the ABI makes callee-saved are clobbers,
 * so the compiler saves just those the caller holds live; the frame pointer
 * is saved by hand.  Both ends of any switch agree: a context is resumed by
 * the code that saved it, and a new one starts at cx__ctx_boot.
 *
 * The floating-point environment (x86-64 and i386: MXCSR and the x87
 * control word; aarch64: FPCR; ARM: FPSCR; riscv64: fcsr) is the thread's, not each coroutine's: no switch saves or
 * loads it, so a generator or task runs in the rounding mode in force when
 * it is resumed, as a called function does, and a change it makes is still
 * in force after it yields (Python's generators likewise run in their
 * resumer's decimal context; the cost of saving it: docs/benchmarks.md).
 * The ucontext fallback carries the environment across swapcontext
 * (coro.c), so every backend behaves alike (test
 * gen_rounding_mode_is_the_threads_not_the_generators). */
#if !defined(CX_CORO_UCONTEXT)
#if defined(CX__X86_64) || defined(CX__AARCH64) || defined(CX__I386) || defined(CX__ARM) ||    \
    defined(CX__RISCV64)
#define CX_CORO_UCONTEXT 0
#else
#define CX_CORO_UCONTEXT 1
#endif
#endif
#if defined(CX__ASAN) || defined(CX__TSAN)
#define CX__CORO_SANITIZED 1
#endif

/* cx__coro_jump_bare(from, to) is cx__coro_jump for a side that needs none
 * of the ABI's callee-saved registers kept when it is resumed: they are not
 * clobbers, so the function around it saves none it does not use itself,
 * and whatever calls it must not keep a value in them across the call
 * (cx__coro_forget_saved after the call says so to the compiler).  A
 * finished generator parks this way: its loop reloads what it needs.  The
 * frame pointer is still saved by hand. */
#if !CX_CORO_UCONTEXT && !defined(CX__CORO_SANITIZED) && defined(CX__X86_64)
/* *from and *to start with the saved { sp, resume address }. */
#define CX__JUMP_ASM                                                            \
    "subq $160, %%rsp\n\t" /* step over the caller's red zone */               \
    "movq %%rbp, (%%rsp)\n\t"                                                  \
    "leaq 1f(%%rip), %%rax\n\t"                                                \
    "movq %%rsp, (%0)\n\t"                                                     \
    "movq %%rax, 8(%0)\n\t"                                                    \
    "movq (%1), %%rsp\n\t"                                                     \
    "jmpq *8(%1)\n"                                                            \
    "1:\n\t"                                                                   \
    "movq (%%rsp), %%rbp\n\t"                                                  \
    "addq $160, %%rsp"
#define CX__JUMP_CALLEE_SAVED "rbx", "r12", "r13", "r14", "r15"
#define CX__JUMP_CALLER_SAVED                                                   \
    "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3", \
        "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",  \
        "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)",      \
        "st(5)", "st(6)", "st(7)", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", \
        "mm7", "memory", "cc"
static inline __attribute__((always_inline)) void cx__coro_jump(cx__coro *from, cx__coro *to)
{
    void *f = from, *t = to;
    __asm__ volatile(CX__JUMP_ASM
                     : "+D"(f), "+S"(t)
                     :
                     : CX__JUMP_CALLEE_SAVED, CX__JUMP_CALLER_SAVED);
}
static inline __attribute__((always_inline)) void cx__coro_jump_bare(cx__coro *from, cx__coro *to)
{
    void *f = from, *t = to;
    __asm__ volatile(CX__JUMP_ASM : "+D"(f), "+S"(t) : : CX__JUMP_CALLER_SAVED);
}
#define cx__coro_forget_saved() __asm__ volatile("" : : : CX__JUMP_CALLEE_SAVED)
#elif !CX_CORO_UCONTEXT && !defined(CX__CORO_SANITIZED) && defined(CX__AARCH64)
#define CX__JUMP_ASM                                                            \
    "sub sp, sp, #16\n\t"                                                      \
    "stp x29, x30, [sp]\n\t"                                                   \
    "mov x9, sp\n\t"                                                           \
    "adr x10, 1f\n\t"                                                          \
    "stp x9, x10, [%0]\n\t"                                                    \
    "ldp x9, x10, [%1]\n\t"                                                    \
    "mov sp, x9\n\t"                                                           \
    "br x10\n"                                                                 \
    "1:\n\t"                                                                   \
    "ldp x29, x30, [sp]\n\t"                                                   \
    "add sp, sp, #16"
#define CX__JUMP_CALLEE_SAVED                                                   \
    "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "v8", "v9", \
        "v10", "v11", "v12", "v13", "v14", "v15"
#define CX__JUMP_CALLER_SAVED                                                   \
    "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", \
        "x15", "x16", "x17", "x18", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7",  \
        "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", \
        "v27", "v28", "v29", "v30", "v31", "memory", "cc"
static inline __attribute__((always_inline)) void cx__coro_jump(cx__coro *from, cx__coro *to)
{
    register void *f __asm__("x0") = from;
    register void *t __asm__("x1") = to;
    __asm__ volatile(CX__JUMP_ASM
                     : "+r"(f), "+r"(t)
                     :
                     : CX__JUMP_CALLEE_SAVED, CX__JUMP_CALLER_SAVED);
}
static inline __attribute__((always_inline)) void cx__coro_jump_bare(cx__coro *from, cx__coro *to)
{
    register void *f __asm__("x0") = from;
    register void *t __asm__("x1") = to;
    __asm__ volatile(CX__JUMP_ASM : "+r"(f), "+r"(t) : : CX__JUMP_CALLER_SAVED);
}
#define cx__coro_forget_saved() __asm__ volatile("" : : : CX__JUMP_CALLEE_SAVED)
#else
#define cx__coro_jump cx__coro_switch
#define cx__coro_jump_bare cx__coro_switch
#define cx__coro_forget_saved() ((void)0)
#endif

/* A generator manager's state, cx__cm_state, is declared in cx/gen.h (its
 * inline cx_contextmanager makes it; gen.c's enter and exit read it). */
#include <cx/gen.h>

/* Returns a coroutine that is not running to the pool. */
CX_API void cx__coro_free(cx__coro *c);
CX_API size_t cx__coro_stack_size(const cx__coro *c);
/* The stack size used when cx__coro_new is given 0 (0 here: the default). */
void cx__coro_set_default_stack(size_t bytes);
/* The stack size (whole pages) a coroutine made now gets. */
size_t cx__coro_default_stack(void);
/* How many stacks have been mapped (tests check that the pool works). */
size_t cx__coro_mmap_count(void);
/* How many are mapped now, in use or pooled. */
size_t cx__coro_mapped_stacks(void);
/* Unmaps the stacks pooled for reuse (the process's mappings ran out). */
void cx__coro_pool_release(void);
/* Raises cx_MemoryError for a `what` ("generator") stack that could not be
 * mapped (errno err), naming vm.max_map_count when that is what ran out. */
CX_API _Noreturn void cx__coro_raise_unmapped(const char *what, int err);

#endif
