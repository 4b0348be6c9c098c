/* cx/config.h — compiler and platform detection, in one place.
 *
 * Not an API.  cx's headers and sources test the names defined here and no
 * compiler or platform macro of their own. */
#ifndef CX_CONFIG_H
#define CX_CONFIG_H

/* ---- compilers ---- */
#if defined(__clang__)
#define CX__CLANG 1
#elif defined(__GNUC__)
#define CX__GCC 1
#endif

/* ---- systems ----
 * Windows (mingw-w64): the core only, no generators yet
 * (docs/portability.md). */
#if defined(_WIN32)
#define CX__WINDOWS 1
#endif
#if defined(__linux__)
#define CX__LINUX 1
#endif
#if defined(__APPLE__) && defined(__MACH__)
#define CX__DARWIN 1
#endif

/* ferror_unlocked: in glibc and musl (declared by cx/io.h for C programs
 * that do not ask for it: -std=c11 hides it; C++ compilers on Linux define
 * _GNU_SOURCE, which declares it). */
#if defined(CX__LINUX)
#define CX__FERROR_UNLOCKED 1
#endif

/* ---- CPUs with an assembly switch (src/coro/switch_*.S) ----
 * 64-bit pointers on x86-64 and aarch64 (not x32 or ILP32).  32-bit ARM: a
 * core with the ARM instruction set and VFP (armhf and the like; the switch
 * saves d8-d15).  RISC-V: RV64 with the D extension's registers or none
 * (not F alone).  CMakeLists.txt picks src/coro/switch_*.S by the same
 * conditions. */
#if defined(__x86_64__) && defined(__LP64__)
#define CX__X86_64 1
#elif defined(__aarch64__) && defined(__LP64__)
#define CX__AARCH64 1
#elif defined(__i386__)
#define CX__I386 1
#elif defined(__arm__) && defined(__ARM_ARCH_ISA_ARM) && defined(__ARM_FP)
#define CX__ARM 1
#elif defined(__riscv) && __riscv_xlen == 64 && (!defined(__riscv_flen) || __riscv_flen == 64)
#define CX__RISCV64 1
#endif
/* x86-64 Windows (LLP64, its own calling convention): no switch yet. */
#if defined(__x86_64__) && defined(_WIN64)
#define CX__WIN64 1
#endif

/* ---- sanitizers ---- */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CX__TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define CX__ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CX__TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CX__ASAN 1
#endif

/* ---- linkage and attributes ---- */

/* Marks a declaration as part of cx's ABI: default visibility while cx itself
 * is built (everything else is hidden), nothing for its users.  On Windows
 * exported from the DLL (only these are); users need no dllimport, the
 * linker imports them (mingw-w64's auto-import, also for data). */
#if defined(CX_BUILDING) && defined(CX__WINDOWS)
#define CX_API __declspec(dllexport)
#elif defined(CX_BUILDING)
#define CX_API __attribute__((visibility("default")))
#else
#define CX_API
#endif

/* Windows: cx formats with mingw-w64's C99 printf (the build defines
 * __USE_MINGW_ANSI_STDIO), whatever its users' own printf is: %zu, %lld. */
#ifdef CX__WINDOWS
#define CX__PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define CX__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

/* C11 spells "never returns" _Noreturn; C++ has no such keyword. */
#ifdef __cplusplus
#define CX__NORETURN __attribute__((noreturn))
#else
#define CX__NORETURN _Noreturn
#endif

/* ---- the jump primitive (frame.h) ----
 * GCC's __builtin_setjmp on x86-64 and aarch64, clang's on x86-64; _setjmp
 * elsewhere, under TSan (which follows only libc's longjmp), or when
 * CX_USE_LIBC_SETJMP is defined (the same way for cx and its users).
 * x86-64 Windows takes the builtin too: mingw-w64's setjmp/longjmp (the CRT's)
 * unwind to the target frame with RtlUnwindEx, which walks the SEH tables
 * (.pdata) of every frame in between and cannot pass a frame that has none
 * (a future coroutine's stack, hand-written assembly); the builtin restores
 * the frame, stack pointer and landing address directly, as on Linux, and
 * its caller saves every callee-saved register of the Windows convention
 * (xmm6-xmm15, rsi, rdi included), so no table is consulted. */
#if !defined(CX_USE_LIBC_SETJMP) && !defined(CX__TSAN) &&                      \
    (defined(CX__X86_64) || defined(CX__WIN64) ||                              \
     (defined(CX__AARCH64) && !defined(CX__CLANG)))
#define CX__BUILTIN_JUMP 1
#endif

/* ---- inside cx's own sources ---- */
#ifdef CX_BUILDING
/* Invariants: checked in debug builds (no NDEBUG) and under the sanitizers,
 * compiled out otherwise, the way SQLite's assert() and Lua's lua_assert are. */
#if !defined(NDEBUG) || defined(CX__ASAN) || defined(CX__TSAN) || defined(CX_DEBUG)
#define CX__CHECKED 1
/* Static: each of cx's libraries (cx, cx-async, ...) has its own copy, none
 * exported. */
#include <stdio.h>
#include <stdlib.h>
__attribute__((noreturn, cold, unused)) static void cx__assert_failed(const char *expr,
                                                                     const char *file, int line)
{
    fprintf(stderr, "cx: internal check failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
#define CX_ASSERT(x) ((x) ? (void)0 : cx__assert_failed(#x, __FILE__, __LINE__))
#else
#define CX_ASSERT(x) ((void)0)
#endif

/* Valgrind's client requests, where its header is installed. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#define CX__VALGRIND 1
#endif
#endif
#endif /* CX_BUILDING */

#endif
