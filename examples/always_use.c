/* Best Practices and Patterns / 1. Always Use Context Managers for
 * Resources: the same read, by hand and with cx_open — and what each does
 * when the read fails. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "examples.h"

typedef struct {
    char data[64];
    FILE *opened; /* what by_hand opened, so the tour can tidy up a leak */
} read_job;

static void read_into(read_job *job, FILE *file)
{
    size_t n = fread(job->data, 1, sizeof job->data - 1, file);
    job->data[n] = '\0';
    if (ferror(file))
        cx_raise(&cx_OSError, "read data.txt failed");
}

/* DON'T do this: fclose might be forgotten or not reached. */
static void by_hand(void *arg)
{
    read_job *job = arg;
    FILE *file = job->opened = fopen("data.txt", "r");
    if (!file)
        cx_raise_errno(errno, "open data.txt");
    read_into(job, file);
    fclose(file);
    job->opened = NULL;
}

/* DO this: the file is closed automatically, on every way out. */
static void with_cx_open(void *arg)
{
    cx_using (FILE *file, cx_open("data.txt", "r"));
    read_into(arg, file);
}

void example_always_use(void)
{
    write_text("data.txt", "Hello, World!");
    read_job job = {"", NULL};
    by_hand(&job);
    printf("  by hand: '%s'\n", job.data);
    with_cx_open(&job);
    printf("  with cx_open: '%s'\n", job.data);

    /* A read that fails: a directory opens with fopen but cannot be read. */
    if (rename("data.txt", "data.bak") != 0 || mkdir("data.txt", 0700) != 0)
        cx_raise_errno(errno, "make data.txt a directory");
    int before = open_descriptors();
    cx_error *e = cx_protect(by_hand, &job);
    printf("  by hand, the read fails (%s): descriptors %d -> %d\n",
           cx_error_type(e)->name, before, open_descriptors());
    cx_error_unref(e);
    if (job.opened)
        fclose(job.opened); /* the tour tidies up the leak */
    before = open_descriptors();
    e = cx_protect(with_cx_open, &job);
    printf("  cx_open, the read fails (%s): descriptors %d -> %d\n",
           cx_error_type(e)->name, before, open_descriptors());
    cx_error_unref(e);
    if (rmdir("data.txt") != 0 || rename("data.bak", "data.txt") != 0)
        cx_raise_errno(errno, "restore data.txt");
}
