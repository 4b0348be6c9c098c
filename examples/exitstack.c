/* The contextlib Module / `contextlib.ExitStack`: any number of files
 * opened in one with block, plus a callback and a temporary directory, all
 * released last-in first-out when the block ends (the diagram's order:
 * callback, then the files from the last opened to the first). */
#include "examples.h"

static void announce_cleanup(void *temp_dir)
{
    printf("  Cleanup: %s\n", (const char *)temp_dir);
}

static void announce_close(void *filename)
{
    printf("  Closing %s\n", (const char *)filename);
}

static void process_files(const char *const *filenames, int n)
{
    cx_with (cx_exitstack *stack, cx_exitstack_new()) {
        /* Open all files */
        FILE *files[8];
        for (int i = 0; i < n; i++) {
            files[i] = cx_exitstack_enter(stack, cx_open(filenames[i], "r"));
            /* Runs just before this file's own exit closes it. */
            cx_exitstack_callback(stack, announce_close, (void *)filenames[i]);
        }

        /* Register cleanup callbacks (the directory itself is removed too) */
        const char *temp_dir = cx_exitstack_enter(stack, cx_tempdir());
        cx_exitstack_callback(stack, announce_cleanup, (void *)temp_dir);

        /* Process all files */
        for (int i = 0; i < n; i++) {
            char content[256];
            size_t len = fread(content, 1, sizeof content, files[i]);
            printf("  File %d: %zu characters\n", i + 1, len);
        }
        printf("  %zu exits waiting on the stack\n", cx_exitstack_size(stack));
    }
    printf("  descriptors open after the block: %d\n", open_descriptors());
}

void example_exitstack(void)
{
    write_text("file1.txt", "first file\n");
    write_text("file2.txt", "the second file\n");
    write_text("file3.txt", "and the third file, longest\n");
    printf("  descriptors open before the block: %d\n", open_descriptors());
    process_files((const char *const[]){"file1.txt", "file2.txt", "file3.txt"}, 3);
}
