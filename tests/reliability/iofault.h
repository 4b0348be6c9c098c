/* The I/O fault injector: runs a scenario in a traced child and makes the
 * k-th call of one system call fail with one errno, for real (ptrace: the
 * kernel returns the error to whatever made the call, stdio's internal
 * writes included).  See docs/testing.md, "I/O fault injection". */
#ifndef CX_TEST_IOFAULT_H
#define CX_TEST_IOFAULT_H

#include <stdbool.h>

#include <cx/cx.h>

/* What the child saw, sent back to the tracer. */
typedef struct iof_verdict {
    bool raised;
    int err;             /* cx_error_errno of what escaped */
    char type[32];       /* its type's name */
    char msg[256];       /* its message */
    bool body_ok;        /* the scenario's own check inside the child (read-back data) */
    bool cwd_back;       /* the working directory and descriptors 1, 2 are as before */
    int fds_leaked;      /* descriptors open after, minus before */
    long blocks_leaked;  /* cx heap blocks live after, minus before */
} iof_verdict;

/* The system calls the injector counts and fails (file-system calls). */
typedef struct iof_syscall {
    long nr;
    const char *name;
    bool executes;       /* the call runs and then reports the error (close:
                            Linux releases the descriptor whatever it says) */
} iof_syscall;

extern const iof_syscall iof_syscalls[];
extern const int iof_nsyscalls;

typedef struct iof_result {
    bool reached;        /* the k-th call was made (and failed) */
    bool crashed;        /* the child died or said nothing */
    int status;
    long calls[64];      /* calls of each iof_syscalls entry in the window */
    iof_verdict v;
} iof_result;

/* The scenario's body runs in the child between two marker calls; only the
 * calls in between are counted.  `fn(arg)` may raise.  The child may write
 * its own findings through iof_current(). */
void iof_run(void (*fn)(void *), void *arg, int sys, long k, int err, iof_result *out);

iof_verdict *iof_current(void);

/* Whether tracing works here (x86-64 Linux, ptrace permitted). */
bool iof_supported(const char **why);

#endif
