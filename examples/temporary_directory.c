/* Creating Custom Context Managers / Generator-Based Approach: the guide's
 * temporary_directory() written as a generator with cx_contextmanager.  The
 * code before cx_yield is __enter__, the finally clause is __exit__.  The
 * directory is a resource, so the caller declares it with cx_using: it is
 * removed when the caller's block is left.
 * (The library's own cx_tempdir() does the same without following symbolic
 * links out of the tree.) */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include "examples.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* shutil.rmtree */
static void rmtree(const char *path)
{
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        cx_raise_errno(errno, "rmtree %s", path);
}

static void temporary_directory(cx_gen *g, void *arg)
{
    (void)arg;
    /* Setup phase (equivalent to __enter__) */
    char temp_dir[] = "/tmp/tmpXXXXXX";
    if (!mkdtemp(temp_dir))
        cx_raise_errno(errno, "mkdtemp");
    printf("  Created temporary directory: %s\n", temp_dir);
    cx_try {
        /* Yield the resource to the with block */
        cx_yield(g, temp_dir);
    } cx_finally {
        /* Cleanup phase (equivalent to __exit__) */
        rmtree(temp_dir);
        printf("  Removed temporary directory: %s\n", temp_dir);
    }
}

void example_temporary_directory(void)
{
    char kept[64] = "";
    {
        cx_using (const char *temp_dir, cx_contextmanager(temporary_directory, NULL));
        /* Create some files in the temporary directory */
        char temp_file[64];
        snprintf(temp_file, sizeof temp_file, "%s/example.txt", temp_dir);
        {
            cx_using (FILE *f, cx_open(temp_file, "w"));
            fputs("This is a temporary file!", f);
        }
        printf("  Working in: %s\n", temp_dir);
        snprintf(kept, sizeof kept, "%s", temp_file);
    } /* the generator resumes here: its finally clause removes the tree */
    printf("  afterwards example.txt is %s\n",
           access(kept, F_OK) == 0 ? "still there (wrong)" : "gone with its directory");
}
