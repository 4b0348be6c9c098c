/* The `with` Statement Magic / Traditional vs Context Manager Approach:
 * the same write, with the close written by hand and with cx_open under
 * cx_using, which closes the file however its block is left. */
#include <errno.h>

#include "examples.h"

static void risky_operation(void)
{
    cx_raise(&cx_RuntimeError, "risky operation failed");
}

/* The error-prone way: a raise jumps over fclose and the FILE leaks. */
static void traditional(void *leaked)
{
    FILE *file = fopen("data.txt", "w");
    if (!file)
        cx_raise_errno(errno, "open data.txt");
    *(FILE **)leaked = file;
    fputs("Hello, World!", file);
    risky_operation();
    fclose(file); /* might not be reached! */
}

/* The safe way: the file is closed on every path out of the block. */
static void with_way(void *unused)
{
    (void)unused;
    cx_using (FILE *file, cx_open("data.txt", "w"));
    fputs("Hello, World!", file);
    risky_operation();
}

void example_traditional_vs_with(void)
{
    int before = open_descriptors();
    FILE *leaked = NULL;
    cx_error *e = cx_protect(traditional, &leaked);
    printf("Traditional: raised %s; open descriptors %d -> %d (a leak)\n",
           cx_error_type(e)->name, before, open_descriptors());
    cx_error_unref(e);
    fclose(leaked); /* the tour tidies up what the traditional way leaked */

    before = open_descriptors();
    e = cx_protect(with_way, NULL);
    printf("With cx_open: raised %s; open descriptors %d -> %d (closed)\n",
           cx_error_type(e)->name, before, open_descriptors());
    cx_error_unref(e);
}
