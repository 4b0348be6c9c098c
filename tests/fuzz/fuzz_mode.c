/* Fuzz target `mode`: the mode strings of cx_open and cx_atomic_write
 * (src/res/file.c, atomic.c), against real files in a private temporary
 * directory.
 *
 * The input chooses the function, what the path is (missing, a file, a
 * directory, a symlink to a file, a dangling symlink, a file with no
 * permissions, a path under a missing directory), what the body does
 * (write, read, seek, raise, nothing) and the mode string (its remaining
 * bytes, up to 32).
 *
 * Properties: the with statement completes or raises ValueError or an
 * OSError (or the body's own error); nothing crashes; no descriptor and no
 * memory leaks; an atomic write that succeeds leaves exactly what the body
 * wrote (the data-loss class of issue 21: a write that failed must not
 * commit). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/cx.h>

#include "fuzz.h"

CX_DEFINE_ERROR(BodyError, cx_Exception);

static char dir[64];

/* Empties directory `path` (one level: nothing here makes deeper trees). */
static void clear(const char *path)
{
    DIR *d = opendir(path);
    FUZZ_CHECK(d != NULL, "the temporary directory %s is gone", path);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char entry[512];
        snprintf(entry, sizeof entry, "%s/%s", path, de->d_name);
        if (unlink(entry) != 0)
            rmdir(entry);
    }
    closedir(d);
}

static void clear_dir(void) { clear(dir); }

static void rm_dir(void)
{
    clear_dir();
    rmdir(dir);
}

/* libFuzzer ends a timed run with _exit and a finding with abort, so
 * atexit does not always remove the directory: each run removes those of
 * runs that are gone. */
static void remove_stale_dirs(void)
{
    DIR *d = opendir("/tmp");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        int pid;
        if (sscanf(de->d_name, "cx-fuzz-mode-%d-", &pid) == 1 && pid > 0 &&
            kill(pid, 0) != 0 && errno == ESRCH) {
            char path[300];
            snprintf(path, sizeof path, "/tmp/%s", de->d_name);
            clear(path);
            rmdir(path);
        }
    }
    closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    remove_stale_dirs();
    snprintf(dir, sizeof dir, "/tmp/cx-fuzz-mode-%d-XXXXXX", (int)getpid());
    FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    atexit(rm_dir);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FUZZ_CHECK(fd >= 0, "create %s", path);
    FUZZ_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
    close(fd);
}

typedef struct trial {
    int func, state, body;
    char mode[33];
    char path[512];
    bool wrote; /* the body wrote the payload (or tried to) */
} trial;

static const char payload[] = "new content\n";

static void body(trial *t, FILE *f)
{
    char buf[16];
    switch (t->body % 5) {
    case 0:
        fputs(payload, f);
        t->wrote = true;
        break;
    case 1:
        (void)!fread(buf, 1, sizeof buf, f);
        break;
    case 2:
        fseek(f, 0, SEEK_END);
        fputs(payload, f);
        t->wrote = true;
        break;
    case 3:
        fputs(payload, f);
        cx_raise(&BodyError, "the body fails");
    default:
        break;
    }
}

static void attempt(void *arg)
{
    trial *t = arg;
    if (t->func == 0) {
        cx_with (FILE *f, cx_open(t->path, t->mode))
            body(t, f);
    } else {
        cx_with (FILE *f, cx_atomic_write(t->path, t->mode))
            body(t, f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    trial t = {0};
    t.func = fuzz_byte(&in) & 1;
    t.state = fuzz_byte(&in) % 7;
    t.body = fuzz_byte(&in);
    size_t n = in.n < 32 ? in.n : 32;
    memcpy(t.mode, in.p, n);
    t.mode[n] = '\0';

    char other[512];
    snprintf(t.path, sizeof t.path, "%s/f", dir);
    snprintf(other, sizeof other, "%s/t", dir);
    switch (t.state) {
    case 1: write_file(t.path, "old\n", 0644); break;
    case 2: FUZZ_CHECK(mkdir(t.path, 0755) == 0, "mkdir"); break;
    case 3: write_file(other, "old\n", 0644); FUZZ_CHECK(symlink(other, t.path) == 0, "symlink"); break;
    case 4: FUZZ_CHECK(symlink(other, t.path) == 0, "symlink"); break;
    case 5: write_file(t.path, "old\n", 0); break;
    case 6: snprintf(t.path, sizeof t.path, "%s/missing/f", dir); break;
    }

    int fds = fuzz_count_fds();
    cx_error *e = cx_protect(attempt, &t);
    if (e) {
        FUZZ_CHECK(cx_error_is(e, &cx_ValueError) || cx_error_is(e, &cx_OSError) ||
                       cx_error_is(e, &BodyError),
                   "%s \"%s\": %s: %s", t.func ? "cx_atomic_write" : "cx_open", t.mode,
                   cx_error_type(e)->name, cx_error_message(e));
        cx_error_unref(e);
    } else if (t.func == 1) {
        char got[64] = "";
        FILE *f = fopen(t.path, "r");
        if (f) {
            size_t k = fread(got, 1, sizeof got - 1, f);
            got[k] = '\0';
            fclose(f);
        }
        const char *want = t.wrote ? payload : "";
        FUZZ_CHECK(strcmp(got, want) == 0, "cx_atomic_write \"%s\" succeeded, left \"%s\"",
                   t.mode, got);
    }
    FUZZ_CHECK(fuzz_count_fds() == fds, "%s \"%s\" left %d descriptors open",
               t.func ? "cx_atomic_write" : "cx_open", t.mode, fuzz_count_fds() - fds);
    clear_dir();
    return 0;
}
