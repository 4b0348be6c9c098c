/* The platform layer on other POSIX systems (port.h): the BSDs, macOS, and
 * Linux when configured with -DCX_PORT=posix (which is how this file is
 * tested on Linux).  Only POSIX calls, plus the units macOS reports in. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "port.h"

/* The initial thread is the one that ran the constructors: cx loaded at
 * start-up, or dlopen'ed before the program makes threads. */
static pthread_t main_thread;

__attribute__((constructor)) static void main_thread_record(void)
{
    main_thread = pthread_self();
}

bool cx__port_on_main_thread(void) { return pthread_equal(pthread_self(), main_thread) != 0; }

/* A named file removed at once: POSIX has no unnamed one.  close-on-exec is
 * set after mkstemp, so a fork-and-exec in between may inherit it. */
int cx__port_tmpfile(const char *dir)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/cx-tmp-XXXXXX", dir) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

int cx__port_capture_fd(void) { return cx__port_tmpfile("/tmp"); }

bool cx__port_map_count(long *maps, long *max)
{
    *maps = *max = -1;
    return false;
}

long cx__port_maxrss_kib(const struct rusage *ru)
{
#if defined(CX__DARWIN)
    return ru->ru_maxrss / 1024; /* bytes there */
#else
    return ru->ru_maxrss;
#endif
}

/* flock's locks are the open's too, on the BSDs and macOS as on Linux, but
 * a flock by the program on the same descriptor converts or drops them. */
int cx__port_ofd_lock(int fd, short type)
{
    int rc;
    while ((rc = flock(fd, (type == F_WRLCK ? LOCK_EX : LOCK_SH) | LOCK_NB)) != 0 &&
           errno == EINTR)
        ;
    if (rc != 0 && errno == EWOULDBLOCK)
        errno = EAGAIN;
    return rc;
}

int cx__port_entry_stat(int dirfd, const char *name, cx__port_entry *out)
{
    return cx__port_entry_fstatat(dirfd, name, out);
}
