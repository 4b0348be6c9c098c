/* Interactive Examples and Exercises / Exercise 2: File Backup Context
 * Manager — cx_backup_on_write keeps a copy of the file while the block
 * writes it, and puts the copy back if the block is left by an error. */
#include <dirent.h>
#include <string.h>

#include "examples.h"

static void show(void)
{
    {
        cx_using (FILE *f, cx_open("important_data.txt", "r"));
        char line[64] = "";
        if (fgets(line, sizeof line, f))
            printf("  important_data.txt: %s", line);
    }
    int files = 0;
    DIR *d = opendir(".");
    for (struct dirent *ent; d && (ent = readdir(d));)
        files += strstr(ent->d_name, "important_data") != NULL;
    if (d)
        closedir(d);
    printf("  files named important_data*: %d (no backup left behind)\n", files);
}

static void failing_write(void *unused)
{
    (void)unused;
    cx_using (const char *path, cx_backup_on_write("important_data.txt"));
    cx_using (FILE *file, cx_open(path, "w"));
    fputs("Half-written dat", file);
    cx_raise(&cx_OSError, "connection lost while writing");
}

void example_backup_on_write(void)
{
    write_text("important_data.txt", "Old important data\n");

    /* Test your implementation */
    {
        cx_using (const char *path, cx_backup_on_write("important_data.txt"));
        cx_using (FILE *file, cx_open(path, "w"));
        fputs("New important data!\n", file);
    } /* closed, then the backup dropped */
    show();

    puts("A write that fails halfway:");
    cx_error *e = cx_protect(failing_write, NULL);
    printf("  %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    cx_error_unref(e);
    show();
}
