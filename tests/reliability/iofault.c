/* The I/O fault injector (iofault.h).  A traced child runs the scenario;
 * the tracer stops it at every system call, counts the file-system calls
 * made between two marker calls (getppid, which nothing else in a scenario
 * makes), and at the k-th call of the chosen one either skips it and returns
 * -errno (the call did nothing, as a real ENOSPC write or EACCES open does)
 * or, for close, lets it run and then returns -errno (Linux frees the
 * descriptor whatever close reports).  x86-64 only: elsewhere the tests that
 * use it say "skipped". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "iofault.h"

#define SYS(name, executes) {SYS_##name, #name, executes}

const iof_syscall iof_syscalls[] = {
#if defined(__x86_64__)
    SYS(read, false),      SYS(write, false),     SYS(pread64, false),
    SYS(pwrite64, false),  SYS(open, false),      SYS(openat, false),
    SYS(close, true),      SYS(fsync, false),     SYS(fdatasync, false),
    SYS(rename, false),    SYS(renameat, false),  SYS(renameat2, false),
    SYS(mkdir, false),     SYS(mkdirat, false),   SYS(rmdir, false),
    SYS(unlink, false),    SYS(unlinkat, false),  SYS(fchmod, false),
    SYS(fchmodat, false),  SYS(ftruncate, false), SYS(flock, false),
    SYS(fcntl, false),     SYS(dup, false),       SYS(dup2, false),
    SYS(dup3, false),      SYS(chdir, false),     SYS(fchdir, false),
    SYS(getdents64, false), SYS(newfstatat, false), SYS(fstat, false),
    SYS(statx, false),     SYS(lseek, false),     SYS(link, false),
    SYS(linkat, false),    SYS(memfd_create, false), SYS(getcwd, false),
    SYS(mount, false),     SYS(umount2, false),
#endif
    {-1, NULL, false},
};
const int iof_nsyscalls = (int)(sizeof iof_syscalls / sizeof *iof_syscalls) - 1;

_Static_assert(sizeof iof_syscalls / sizeof *iof_syscalls <= 64, "iof_result.calls");

static iof_verdict verdict;

iof_verdict *iof_current(void) { return &verdict; }

bool iof_supported(const char **why)
{
#if defined(__x86_64__) && defined(PTRACE_GET_SYSCALL_INFO)
    /* Under Valgrind the traced child is Valgrind, whose own calls the
     * window would count (make valgrind; its LD_PRELOAD names vgpreload). */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        *why = "under valgrind";
        return false;
    }
    *why = NULL;
    return true;
#else
    *why = "the injector rewrites x86-64 registers";
    return false;
#endif
}

static void marker(void) { syscall(SYS_getppid); }

/* Used by the x86-64 runner below only. */
__attribute__((unused)) static void in_child(void (*fn)(void *), void *arg, int out)
{
    /* The runner's cx_protect is not the child's to land in. */
    cx__state_get()->top = NULL;
    cx__state_get()->handling = NULL;
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
        _exit(90);
    raise(SIGSTOP);
    memset(&verdict, 0, sizeof verdict);
    th_drain_caches();
    long blocks = th_live_blocks();
    int fds = th_count_fds();
    char cwd[4096], cwd_after[4096];
    struct stat out1, out2, after1, after2;
    if (!getcwd(cwd, sizeof cwd) || fstat(1, &out1) != 0 || fstat(2, &out2) != 0)
        _exit(92);
    marker();
    cx_error *e = cx_protect(fn, arg);
    marker();
    if (e) {
        verdict.raised = true;
        verdict.err = cx_error_errno(e);
        snprintf(verdict.type, sizeof verdict.type, "%s", cx_error_type(e)->name);
        snprintf(verdict.msg, sizeof verdict.msg, "%s", cx_error_message(e));
        cx_error_unref(e);
    }
    verdict.cwd_back = getcwd(cwd_after, sizeof cwd_after) && strcmp(cwd, cwd_after) == 0 &&
                       fstat(1, &after1) == 0 && fstat(2, &after2) == 0 &&
                       out1.st_ino == after1.st_ino && out1.st_dev == after1.st_dev &&
                       out2.st_ino == after2.st_ino && out2.st_dev == after2.st_dev;
    th_drain_caches();
    verdict.blocks_leaked = th_live_blocks() - blocks;
    verdict.fds_leaked = th_count_fds() - fds;
    if (write(out, &verdict, sizeof verdict) != (ssize_t)sizeof verdict)
        _exit(91);
    _exit(0);
}

#if defined(__x86_64__) && defined(PTRACE_GET_SYSCALL_INFO)
void iof_run(void (*fn)(void *), void *arg, int sys, long k, int err, iof_result *out)
{
    memset(out, 0, sizeof *out);
    int pipefd[2];
    CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        in_child(fn, arg, pipefd[1]);
    }
    close(pipefd[1]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFSTOPPED(status));
    CHECK(ptrace(PTRACE_SETOPTIONS, pid, NULL,
                 (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) == 0);
    bool window = false, pending = false;
    int sig = 0;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) != 0)
            break;
        sig = 0;
        if (waitpid(pid, &status, 0) != pid || WIFEXITED(status) || WIFSIGNALED(status))
            break;
        if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
            sig = WSTOPSIG(status); /* a signal for the child: deliver it */
            continue;
        }
        struct __ptrace_syscall_info info;
        if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info) <= 0)
            continue;
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
            long nr = (long)info.entry.nr;
            if (nr == SYS_getppid) {
                window = !window;
                continue;
            }
            if (!window)
                continue;
            for (int i = 0; i < iof_nsyscalls; i++) {
                if (iof_syscalls[i].nr != nr)
                    continue;
                if (++out->calls[i] == k && i == sys) {
                    out->reached = pending = true;
                    if (!iof_syscalls[i].executes) {
                        struct user_regs_struct regs;
                        CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
                        regs.orig_rax = (unsigned long long)-1; /* skip the call */
                        CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0);
                    }
                }
                break;
            }
        } else if (info.op == PTRACE_SYSCALL_INFO_EXIT && pending) {
            struct user_regs_struct regs;
            CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
            regs.rax = (unsigned long long)(long long)-err;
            CHECK(ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0);
            pending = false;
        }
    }
    if (!WIFEXITED(status) && !WIFSIGNALED(status))
        CHECK(waitpid(pid, &status, 0) == pid);
    out->status = status;
    ssize_t got = read(pipefd[0], &out->v, sizeof out->v);
    close(pipefd[0]);
    out->crashed = got != (ssize_t)sizeof out->v || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}
#else
void iof_run(void (*fn)(void *), void *arg, int sys, long k, int err, iof_result *out)
{
    (void)fn, (void)arg, (void)sys, (void)k, (void)err;
    memset(out, 0, sizeof *out);
    out->crashed = true;
}
#endif
