/* Performance Considerations / Optimizing Custom Context Managers: two
 * managers around the same body (write 300 small files in a scratch
 * directory).  The inefficient one prepares work the body may not need and
 * deletes the tree before the block can end; the efficient one starts with
 * an empty directory and hands the deletion to a background thread, so the
 * block ends at once.  Both leave nothing behind. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "examples.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void fill(const char *dir, const char *prefix, int n)
{
    char path[128];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s%03d", dir, prefix, i);
        write_text(path, "scratch data\n");
    }
}

/* ---- the background cleaner: schedule_cleanup() ---- */

static pthread_t cleaner;
static char scheduled[64];

static void *clean(void *unused)
{
    (void)unused;
    remove_tree(scheduled);
    return NULL;
}

static void schedule_cleanup(const char *dir)
{
    snprintf(scheduled, sizeof scheduled, "%s", dir);
    int rc = pthread_create(&cleaner, NULL, clean, NULL);
    if (rc != 0)
        cx_raise_errno(rc, "pthread_create");
}

/* ---- the two managers ---- */

static void efficient_manager(cx_gen *g, void *arg)
{
    (void)arg;
    char resource[] = "scratch-XXXXXX";
    if (!mkdtemp(resource)) /* Minimize work in setup */
        cx_raise_errno(errno, "mkdtemp");
    cx_try {
        cx_yield(g, resource);
    } cx_finally {
        schedule_cleanup(resource); /* Non-blocking */
    }
}

static void inefficient_manager(cx_gen *g, void *arg)
{
    (void)arg;
    char resource[] = "scratch-XXXXXX";
    if (!mkdtemp(resource))
        cx_raise_errno(errno, "mkdtemp");
    fill(resource, "cache", 300); /* Expensive setup */
    cx_try {
        cx_yield(g, resource);
    } cx_finally {
        remove_tree(resource); /* Blocking cleanup: blocks until complete */
    }
}

static double time_block(cx_gen_fn *manager)
{
    double start = now_s();
    {
        cx_using (const char *dir, cx_contextmanager(manager, NULL));
        fill(dir, "out", 300);
    }
    return now_s() - start;
}

void example_optimizing(void)
{
    double slow = time_block(inefficient_manager);
    double fast = time_block(efficient_manager);
    pthread_join(cleaner, NULL);
    printf("  inefficient_manager: the block took %.4fs\n", slow);
    printf("  efficient_manager:   the block took %.4fs (cleanup in background)\n", fast);
    printf("  scratch directory removed by the cleaner: %s\n",
           access(scheduled, F_OK) != 0 ? "yes" : "no");
}
