/* The platform layer: every call cx's sources make that differs between
 * kernels or C libraries goes through here.  One implementation per
 * platform, chosen by CMake (CX_PORT): linux.c for Linux with any C library
 * (glibc, musl), posix.c for other POSIX systems.  A new platform is one new
 * file implementing this header; docs/portability.md traces each item.
 *
 * Internal: nothing here is exported.  Public detection (compilers, CPUs,
 * sanitizers) stays in include/cx/config.h; what only cx's sources need to
 * know about the platform is here. */
#ifndef CX_PORT_H
#define CX_PORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/resource.h>

/* ---- platform detection (internal) ---- */
#if defined(__linux__)
#define CX__LINUX 1
#endif
#if defined(__APPLE__) && defined(__MACH__)
#define CX__DARWIN 1
#endif

/* Mappings whose pages cost memory only once touched.  Where the flag does
 * not exist (FreeBSD, macOS) every anonymous mapping already behaves so. */
#ifdef MAP_NORESERVE
#define CX__MAP_NORESERVE MAP_NORESERVE
#else
#define CX__MAP_NORESERVE 0
#endif

/* ---- errno text ---- */

/* The message for `errnum`, in `buf` or in static storage: never NULL, with
 * either flavour of strerror_r (GNU returns the text, XSI fills `buf`). */
const char *cx__port_strerror(int errnum, char *buf, size_t size);

/* ---- threads ---- */

/* Whether the calling thread is the process's initial thread. */
bool cx__port_on_main_thread(void);

/* ---- signal masks ---- */

/* pthread_sigmask: 0 or an errno value. */
int cx__port_sigmask(int how, const sigset_t *set, sigset_t *old);

/* ---- memory mapping ---- */

/* The page size, asked of the system once. */
size_t cx__port_page_size(void);

/* Maps `size` bytes (whole pages) readable and writable, committed only as
 * touched; NULL with errno on failure. */
void *cx__port_map(size_t size);

/* Maps `size` bytes whose lowest `guard` bytes (whole pages) stay
 * inaccessible: a stack growing down into them faults.  The guard is never
 * committed memory.  NULL with errno on failure. */
void *cx__port_map_guarded(size_t size, size_t guard);

void cx__port_unmap(void *map, size_t size);

/* Gives the pages of [addr, addr + size) back to the system; the range stays
 * mapped and reads as zeros (or as before, where the system keeps them). */
void cx__port_discard(void *addr, size_t size);

/* The process's kernel mappings and the most it may have, when the system
 * bounds them separately from memory (Linux's vm.max_map_count); false
 * where it does not or cannot say. */
bool cx__port_map_count(long *maps, long *max);

/* ---- temporary files ---- */

/* A new file in directory `dir`, read-write, close-on-exec, with no name
 * (or its name already removed): a descriptor, or -1 with errno. */
int cx__port_tmpfile(const char *dir);

/* A private read-write descriptor for captured output: anonymous memory
 * where the kernel has it, else an unnamed file in /tmp; -1 with errno. */
int cx__port_capture_fd(void);

/* ---- resource usage ---- */

/* ru_maxrss in KiB (Linux and the BSDs report KiB, macOS bytes). */
long cx__port_maxrss_kib(const struct rusage *ru);

#endif
