/* The contextlib Module: closing, suppress, redirect_stdout, ExitStack,
 * nullcontext.  (@contextmanager's timer needs the generators module.) */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "examples.h"

/* closing(): the guide downloads a page; here a "page" is a local file read
 * through an object with a close function, which closing() calls. */
typedef struct page {
    FILE *f;
} page;

static void page_close(void *p)
{
    fclose(((page *)p)->f);
    puts("  page closed");
}

static void example_closing(void)
{
    cx_with (FILE *out, file_manager(tour_path("page.json"), "w"))
        fputs("{\"slideshow\": {\"title\": \"Sample Slide Show\"}}", out);
    page pg = {fopen(tour_path("page.json"), "r")};
    if (!pg.f)
        cx_raise_errno(errno, "open page.json");
    cx_with (page *p, cx_closing(&pg, page_close)) {
        char content[256];
        size_t n = fread(content, 1, sizeof content, p->f);
        printf("  Downloaded %zu bytes\n", n);
    }
}

static void example_suppress(void)
{
    cx_with (cx_suppress(&cx_FileNotFoundError)) {
        if (unlink(tour_path("nonexistent_file.txt")) != 0)
            cx_raise_errno(errno, "remove nonexistent_file.txt");
        puts("  File removed (if it existed)");
    }
    puts("  Program continues regardless!");
}

static void example_redirect(void)
{
    char *captured = NULL;
    cx_with (cx_capture_stdout(&captured)) {
        puts("This goes to the buffer!");
        puts("So does this!");
    }
    printf("  Captured: \"");
    for (const char *c = captured; *c; c++)
        fputs(*c == '\n' ? "\\n" : (char[]){*c, 0}, stdout);
    puts("\"");
    free(captured);

    cx_with (FILE *log, file_manager(tour_path("output.log"), "w"))
    cx_with (cx_redirect_stdout(log)) {
        puts("This goes to the log file!");
        fflush(stdout);
        if (write(1, "so does write(1, ...)\n", 22) != 22)
            cx_raise_errno(errno, "write");
    }
    cx_with (FILE *log, file_manager(tour_path("output.log"), "r")) {
        char line[64];
        while (fgets(line, sizeof line, log))
            printf("  output.log: %s", line);
    }
}

static void announce_cleanup(void *dir) { printf("  Cleanup: %s\n", (const char *)dir); }

static void process_files(const char *const *names, int n)
{
    cx_with (cx_exitstack *stack, cx_exitstack_new()) {
        FILE *files[8];
        for (int i = 0; i < n; i++)
            files[i] = cx_exitstack_enter(stack, file_manager(tour_path(names[i]), "r"));
        cx_exitstack_callback(stack, announce_cleanup, (void *)tour_dir());
        for (int i = 0; i < n; i++) {
            char buf[256];
            size_t len = fread(buf, 1, sizeof buf, files[i]);
            printf("  File %d: %zu characters\n", i + 1, len);
        }
    }
}

static void example_exitstack(void)
{
    const char *names[] = {"file1.txt", "file2.txt", "file3.txt"};
    for (int i = 0; i < 3; i++)
        cx_with (FILE *f, file_manager(tour_path(names[i]), "w"))
            fprintf(f, "%.*s", 10 * (i + 1), "abcdefghijabcdefghijabcdefghij");
    process_files(names, 3);
}

/* A lock, or nothing: both are managers, so one with serves both. */
static void process_data(const char *const *data, int n, pthread_mutex_t *lock)
{
    cx_with (lock ? mutex_manager(lock) : cx_nullcontext(NULL)) {
        printf("  Processing %d items %s: ", n, lock ? "under the lock" : "without a lock");
        for (int i = 0; i < n; i++)
            printf("%c", data[i][0] - 'a' + 'A');
        puts("");
    }
}

static void example_nullcontext(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    process_data((const char *const[]){"a", "b", "c"}, 3, &lock);
    process_data((const char *const[]){"x", "y", "z"}, 3, NULL);
}

void example_contextlib(void)
{
    puts("contextlib.closing():");
    example_closing();
    puts("contextlib.suppress():");
    example_suppress();
    puts("contextlib.redirect_stdout():");
    example_redirect();
    puts("contextlib.ExitStack:");
    example_exitstack();
    puts("contextlib.nullcontext():");
    example_nullcontext();
}
