#include "file_manager.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *path, *mode;
    FILE *f;
} file_state;

static void *file_enter(void *state)
{
    file_state *s = state;
    s->f = fopen(s->path, s->mode);
    if (!s->f)
        cx_raise_errno(errno, "open %s", s->path);
    return s->f;
}

static bool file_exit(void *state, cx_error *err)
{
    file_state *s = state;
    (void)err;
    printf("  [file_manager] closing %s\n", strrchr(s->path, '/') + 1);
    if (fclose(s->f) != 0)
        cx_raise_errno(errno, "close %s", s->path);
    return false; /* never suppress */
}

static const cx_manager_type file_type = {"file_manager", file_enter, file_exit};

cx_manager file_manager(const char *path, const char *mode)
{
    file_state s = {path, mode, NULL};
    return cx_manager_make(&file_type, &s, sizeof s);
}

static char dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void remove_tree(const char *path)
{
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "cx-tour: could not remove %s\n", path);
}

static void remove_dir(void) { remove_tree(dir); }

const char *tour_dir(void)
{
    if (!dir[0]) {
        strcpy(dir, "/tmp/cx-tour-XXXXXX");
        if (!mkdtemp(dir))
            cx_raise_errno(errno, "mkdtemp %s", dir);
        atexit(remove_dir);
    }
    return dir;
}

/* A few buffers in turn, so stacked managers each keep their own path. */
const char *tour_path(const char *name)
{
    static char paths[4][256];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", tour_dir(), name);
    return path;
}

static void *devnull_enter(void *state)
{
    FILE **f = state;
    *f = fopen("/dev/null", "w");
    if (!*f)
        cx_raise_errno(errno, "open /dev/null");
    return *f;
}

static bool devnull_exit(void *state, cx_error *err)
{
    (void)err;
    if (fclose(*(FILE **)state) != 0)
        cx_raise_errno(errno, "close /dev/null");
    return false;
}

static const cx_manager_type devnull_type = {"devnull", devnull_enter, devnull_exit};

cx_manager devnull_manager(void) { return cx_manager_make(&devnull_type, NULL, sizeof(FILE *)); }

static void *mutex_enter(void *state)
{
    int rc = pthread_mutex_lock(*(pthread_mutex_t **)state);
    if (rc != 0)
        cx_raise_errno(rc, "lock");
    return NULL;
}

static bool mutex_exit(void *state, cx_error *err)
{
    (void)err;
    pthread_mutex_unlock(*(pthread_mutex_t **)state);
    return false;
}

static const cx_manager_type mutex_type = {"mutex", mutex_enter, mutex_exit};

cx_manager mutex_manager(pthread_mutex_t *m) { return cx_manager_make(&mutex_type, &m, sizeof m); }
