/* The platform layer: every call cx's sources make that differs between
 * kernels or C libraries goes through here.  One implementation per
 * platform, chosen by CMake (CX_PORT): linux.c for Linux with any C library
 * (glibc, musl), posix.c for other POSIX systems (each with unix.c, what
 * they share), windows.c for Windows, which builds the core only and so
 * implements the first part alone.  A new platform is one new file
 * implementing this header; docs/portability.md traces each item.
 *
 * Internal: nothing here is exported.  Public detection (compilers, CPUs,
 * sanitizers) stays in include/cx/config.h; what only cx's sources need to
 * know about the platform is here. */
#ifndef CX_PORT_H
#define CX_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cx/config.h>

/* ==== what the core needs: every platform ==== */

/* ---- errno text ---- */

/* The message for `errnum`, in `buf` or in static storage: never NULL, with
 * either flavour of strerror_r (GNU returns the text, XSI fills `buf`). */
const char *cx__port_strerror(int errnum, char *buf, size_t size);

/* ---- threads ---- */

/* Whether the calling thread is the process's initial thread. */
bool cx__port_on_main_thread(void);

/* ---- formatting ---- */

/* A stream writing into `buf`, which takes at most `size` bytes and refuses
 * the rest (fmemopen's "w"), for what printf cannot format whole; NULL with
 * errno where the C library has no such stream (Windows). */
FILE *cx__port_fmemopen(char *buf, size_t size);

/* Text written to a stream, then taken whole (open_memstream's use):
 * cx__port_text_open gives the stream in t->out, or false (nothing to
 * close); cx__port_text_close closes it and returns the text, NUL-ended and
 * malloc'd (free() it), or NULL when it could not be had. */
typedef struct cx__port_text {
    FILE *out;
    char *text;
    size_t len;
} cx__port_text;
bool cx__port_text_open(cx__port_text *t);
char *cx__port_text_close(cx__port_text *t);

/* ==== the rest of the library: POSIX systems ==== */
#ifndef CX__WINDOWS

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Mappings whose pages cost memory only once touched.  Where the flag does
 * not exist (FreeBSD, macOS) every anonymous mapping already behaves so. */
#ifdef MAP_NORESERVE
#define CX__MAP_NORESERVE MAP_NORESERVE
#else
#define CX__MAP_NORESERVE 0
#endif

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

/* ---- file locks and directory entries ---- */

/* An open-file-description lock of `type` (F_RDLCK or F_WRLCK) on all of
 * fd, without waiting: the kernel drops it when the last descriptor of that
 * open goes, whatever process holds it, and the process's own fcntl and
 * flock locks cannot release it.  0, or -1 with errno: EAGAIN or EACCES
 * when another holds a conflicting one; EINVAL, ENOLCK or EOPNOTSUPP where
 * the kernel or file system has no such locks.  Linux: F_OFD_SETLK; other
 * systems: flock, whose locks are the open's too but which a flock of the
 * program's own on the same descriptor converts or drops. */
int cx__port_ofd_lock(int fd, short type);

/* A directory entry as lstat sees it, and whether it is the root of a
 * mount (a bind mount of the same file system has the same st_dev: only
 * Linux's statx tells; false elsewhere). */
typedef struct {
    mode_t mode;
    dev_t dev;
    ino_t ino;
    bool mount_root;
} cx__port_entry;
/* 0, or -1 with errno. */
int cx__port_entry_stat(int dirfd, const char *name, cx__port_entry *out);
/* The POSIX part of cx__port_entry_stat (mount_root false), for the
 * platform files (unix.c). */
int cx__port_entry_fstatat(int dirfd, const char *name, cx__port_entry *out);

/* ---- condition variables on the monotonic clock ---- */

/* Initialises c so that cx__port_cond_deadline's deadlines apply to it: on
 * CLOCK_MONOTONIC where the platform can set a condition's clock (POSIX
 * clock selection; macOS cannot), else on CLOCK_REALTIME.  A pthread error
 * number, 0 on success. */
int cx__port_cond_init(pthread_cond_t *c);
/* The pthread_cond_timedwait deadline, for a condition made by
 * cx__port_cond_init, of the CLOCK_MONOTONIC instant `monotonic_ns`. */
struct timespec cx__port_cond_deadline(int64_t monotonic_ns);

/* ---- resource usage ---- */

/* ru_maxrss in KiB (Linux and the BSDs report KiB, macOS bytes). */
long cx__port_maxrss_kib(const struct rusage *ru);

#endif /* !CX__WINDOWS */
#endif
