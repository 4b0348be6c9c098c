/* The platform layer on Linux, with glibc or musl (port.h).  Kernel
 * features both C libraries expose: thread ids, O_TMPFILE, memfd_create,
 * /proc, ru_maxrss in KiB. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "port.h"

bool cx__port_on_main_thread(void) { return syscall(SYS_gettid) == getpid(); }

/* O_TMPFILE where the file system has it (never linked, so never seen);
 * else a named file removed at once. */
int cx__port_tmpfile(const char *dir)
{
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
#endif
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/cx-tmp-XXXXXX", dir) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int named = mkostemp(path, O_CLOEXEC);
    if (named >= 0)
        unlink(path);
    return named;
}

int cx__port_capture_fd(void)
{
    int fd = memfd_create("cx-capture", MFD_CLOEXEC);
    return fd >= 0 ? fd : cx__port_tmpfile("/tmp"); /* whatever memfd's failure, a file may do */
}

/* Lines of a /proc file (its entries), or -1. */
static long proc_lines(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[4096];
    long lines = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    close(fd);
    return n < 0 ? -1 : lines;
}

static long proc_number(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return strtol(buf, NULL, 10);
}

bool cx__port_map_count(long *maps, long *max)
{
    *maps = proc_lines("/proc/self/maps");
    *max = proc_number("/proc/sys/vm/max_map_count");
    return *maps >= 0 && *max > 0;
}

long cx__port_maxrss_kib(const struct rusage *ru) { return ru->ru_maxrss; }

int cx__port_ofd_lock(int fd, short type)
{
    struct flock lk = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int rc;
    while ((rc = fcntl(fd, F_OFD_SETLK, &lk)) != 0 && errno == EINTR)
        ;
    return rc;
}

/* statx where the kernel has it (4.11, and its C library the wrapper). */
int cx__port_entry_stat(int dirfd, const char *name, cx__port_entry *out)
{
#ifdef STATX_TYPE
    struct statx sx;
    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_INO, &sx) ==
        0) {
        out->mode = sx.stx_mode;
        out->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
        out->ino = sx.stx_ino;
        out->mount_root = (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
                          (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
        return 0;
    }
    if (errno != ENOSYS)
        return -1;
#endif
    return cx__port_entry_fstatat(dirfd, name, out);
}
