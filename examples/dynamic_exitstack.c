/* Best Practices and Patterns / 3. Use `ExitStack` for Dynamic Resource
 * Management: open whichever of the files exist, skip the missing ones, and
 * close every opened one at the end of the block. */
#include "examples.h"

static void process_file(FILE *file)
{
    int lines = 0;
    for (int c; (c = fgetc(file)) != EOF;)
        lines += c == '\n';
    printf("  processed a file of %d lines\n", lines);
}

static void process_variable_files(const char *const *filenames, int n)
{
    cx_with (cx_exitstack *stack, cx_exitstack_new()) {
        FILE *volatile files[8];
        volatile int opened = 0; /* changed in cx_try, read after a raise */
        for (volatile int i = 0; i < n; i++) {
            cx_try {
                files[opened] = cx_exitstack_enter(stack, cx_open(filenames[i], "r"));
                opened++;
            } cx_except (&cx_FileNotFoundError, e) {
                printf("  Skipping missing file: %s\n", filenames[i]);
            }
        }

        /* Process all successfully opened files */
        for (int i = 0; i < opened; i++)
            process_file(files[i]);
        printf("  %zu files to close at the end of the block\n", cx_exitstack_size(stack));
    }
}

void example_dynamic_exitstack(void)
{
    write_text("a.txt", "one\ntwo\n");
    write_text("c.txt", "one\ntwo\nthree\n");
    process_variable_files((const char *const[]){"a.txt", "b.txt", "c.txt"}, 3);
}
