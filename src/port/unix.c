/* The platform layer's part every POSIX system shares (port.h): errno text,
 * signal masks, mappings.  What differs between them is in linux.c or
 * posix.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

/* ---- errno text ----
 * strerror_r comes in two flavours under one name: GNU's (glibc with
 * _GNU_SOURCE) returns the text, which may be a static string and not
 * `buf`; XSI's (musl, the BSDs, macOS, glibc without _GNU_SOURCE) fills
 * `buf` and returns 0 or an error.  The call's type picks the reading, so
 * whichever the C library declares is read right. */
static const char *gnu_text(char *text, char *buf, size_t size)
{
    (void)buf;
    (void)size;
    return text;
}

static const char *xsi_text(int rc, char *buf, size_t size)
{
    (void)size;
    return rc == 0 ? buf : NULL;
}

const char *cx__port_strerror(int errnum, char *buf, size_t size)
{
    if (size == 0)
        return "";
    buf[0] = 0;
    const char *text = _Generic(strerror_r(errnum, buf, size),
                                char *: gnu_text,
                                default: xsi_text)(strerror_r(errnum, buf, size), buf, size);
    if (!text || !*text) {
        snprintf(buf, size, "Unknown error %d", errnum);
        text = buf;
    }
    return text;
}

/* ---- formatting ---- */

FILE *cx__port_fmemopen(char *buf, size_t size) { return fmemopen(buf, size, "w"); }

bool cx__port_text_open(cx__port_text *t)
{
    t->text = NULL;
    t->len = 0;
    t->out = open_memstream(&t->text, &t->len);
    return t->out != NULL;
}

char *cx__port_text_close(cx__port_text *t)
{
    if (fclose(t->out) != 0) {
        free(t->text);
        return NULL;
    }
    return t->text;
}

/* ---- signal masks ---- */

int cx__port_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return pthread_sigmask(how, set, old);
}

/* ---- memory mapping ---- */

/* Asked once: every generator made from the pool checks its stack's size,
 * and this is on that path. */
size_t cx__port_page_size(void)
{
    static size_t cached;
    size_t p = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (!p) {
        p = (size_t)sysconf(_SC_PAGESIZE);
        __atomic_store_n(&cached, p, __ATOMIC_RELAXED);
    }
    return p;
}

void *cx__port_map(size_t size)
{
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | CX__MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* PROT_NONE first, the usable part opened after: one mapping, two kernel
 * regions, and the guard never counts as committed memory, even under
 * strict overcommit. */
void *cx__port_map_guarded(size_t size, size_t guard)
{
    char *map = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | CX__MAP_NORESERVE,
                     -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    if (mprotect(map + guard, size - guard, PROT_READ | PROT_WRITE) != 0) {
        int err = errno;
        munmap(map, size);
        errno = err;
        return NULL;
    }
    return map;
}

void cx__port_unmap(void *map, size_t size) { munmap(map, size); }

void cx__port_discard(void *addr, size_t size)
{
#if defined(MADV_DONTNEED)
    madvise(addr, size, MADV_DONTNEED);
#else
    posix_madvise(addr, size, POSIX_MADV_DONTNEED);
#endif
}

int cx__port_entry_fstatat(int dirfd, const char *name, cx__port_entry *out)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    *out = (cx__port_entry){st.st_mode, st.st_dev, st.st_ino, false};
    return 0;
}

#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0
#define COND_CLOCK CLOCK_MONOTONIC
#else
#define COND_CLOCK CLOCK_REALTIME
#endif

int cx__port_cond_init(pthread_cond_t *c)
{
#if COND_CLOCK == CLOCK_MONOTONIC
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
#else
    return pthread_cond_init(c, NULL);
#endif
}

struct timespec cx__port_cond_deadline(int64_t monotonic_ns)
{
    int64_t at = monotonic_ns;
#if COND_CLOCK != CLOCK_MONOTONIC
    /* The same distance from now on the wall clock. */
    struct timespec mono, wall;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &wall);
    at += ((int64_t)wall.tv_sec - mono.tv_sec) * 1000000000 + (wall.tv_nsec - mono.tv_nsec);
#endif
    return (struct timespec){(time_t)(at / 1000000000), (long)(at % 1000000000)};
}
