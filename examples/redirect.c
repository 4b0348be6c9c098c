/* The contextlib Module / `contextlib.redirect_stdout()` and
 * `redirect_stderr()`: capturing output into a buffer, and sending it to a
 * log file.  The redirection is of descriptor 1 itself, so printf and
 * write(1, ...) both land.  Each redirection is declared with cx_using and
 * undone when its block is left. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "examples.h"

/* repr() of a string: quotes, and \n for newlines. */
static void print_repr(const char *s)
{
    putchar('\'');
    for (; *s; s++)
        if (*s == '\n')
            fputs("\\n", stdout);
        else
            putchar(*s);
    putchar('\'');
}

static void show_file(const char *path)
{
    cx_using (FILE *f, cx_open(path, "r"));
    char line[128];
    while (fgets(line, sizeof line, f))
        printf("  %s: %s", path, line);
}

/* help(len) */
static void help_strlen(void)
{
    puts("Help on function strlen:");
    puts("strlen(s): the number of bytes in s before its terminating NUL.");
}

void example_redirect(void)
{
    /* Capture stdout */
    char *captured_output = NULL;
    {
        cx_using (cx_capture_stdout(&captured_output));
        puts("This goes to the buffer!");
        puts("So does this!");
    } /* stdout is back, and captured_output holds what was printed */
    printf("  Captured: ");
    print_repr(captured_output);
    putchar('\n');
    free(captured_output);

    /* Redirect to file */
    {
        cx_using (FILE *log_file, cx_open("output.log", "w"));
        cx_using (cx_redirect_stdout(log_file));
        puts("This goes to the log file!");
        help_strlen(); /* Help text goes to file */
    } /* stdout restored, then output.log closed: last declared, first undone */
    show_file("output.log");

    /* redirect_stderr, and write(2, ...) below stdio */
    {
        cx_using (FILE *err_file, cx_open("errors.log", "w"));
        cx_using (cx_redirect_stderr(err_file));
        fputs("a warning on stderr\n", stderr);
        if (write(2, "and one from write(2, ...)\n", 27) != 27)
            cx_raise_errno(errno, "write");
    }
    show_file("errors.log");
}
