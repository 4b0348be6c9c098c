/* What every fuzz target shares.  A target defines LLVMFuzzerTestOneInput
 * (and may define LLVMFuzzerInitialize); built with libFuzzer (`make fuzz`)
 * it is a fuzzer, built with replay.c (make check) it runs the files it is
 * given once each. */
#ifndef CX_FUZZ_H
#define CX_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken property: says which and aborts, which both drivers report as a
 * finding (libFuzzer saves the input as crash-<sha1>). */
#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property broken: %s: ", __FILE__,          \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The input as a stream of choices: reading past the end gives zeros, so
 * every input is a valid program for the target. */
typedef struct fuzz_input {
    const uint8_t *p;
    size_t n;
} fuzz_input;

static inline uint8_t fuzz_byte(fuzz_input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

/* How many descriptors the process has open (the replay's and the mode
 * target's leak checks). */
static inline int fuzz_count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

#endif
