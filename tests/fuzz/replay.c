/* The make-check driver of a fuzz target: runs each file named (or each
 * file of each directory named) through LLVMFuzzerTestOneInput once, and
 * fails when an input leaves memory allocated through cx behind (the
 * thread's caches drained first) or a descriptor open.  Findings abort. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/cx.h>

#include "fuzz.h"

CX_API void cx__thread_drain(void);

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static long live;

static void *counting_malloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return p;
}

static void *counting_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q && !p)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return q;
}

static void counting_free(void *p)
{
    if (p)
        __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    free(p);
}

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, got;
    do {
        if (size == cap) {
            cap = cap ? 2 * cap : 4096;
            data = realloc(data, cap);
            if (!data)
                abort();
        }
        got = fread(data + size, 1, cap - size, f);
        size += got;
    } while (got);
    fclose(f);
    cx__thread_drain();
    long blocks = live;
    int fds = fuzz_count_fds();
    LLVMFuzzerTestOneInput(data, size);
    cx__thread_drain();
    free(data);
    if (live != blocks || fuzz_count_fds() != fds) {
        fprintf(stderr, "%s: %ld blocks and %d descriptors left behind\n", path, live - blocks,
                fuzz_count_fds() - fds);
        exit(1);
    }
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    cx_set_allocator(counting_malloc, counting_realloc, counting_free);
    LLVMFuzzerInitialize(&argc, &argv);
    long runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            run_file(argv[i]);
            runs++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, by_name);
        if (n < 0) {
            perror(argv[i]);
            return 2;
        }
        for (int k = 0; k < n; k++) {
            if (names[k]->d_name[0] != '.') {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
                run_file(path);
                runs++;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("%ld inputs replayed, no finding\n", runs);
    return runs ? 0 : 2;
}
