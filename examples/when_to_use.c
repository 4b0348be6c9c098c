/* Summary and Key Takeaways / When to Use Context Managers: one block for
 * each use the guide lists, each with the manager cx provides for it.
 * Resources are declared with cx_using; suppressing an error takes the
 * cx_with statement, and so does timing a block of work. */
#include <stdlib.h>
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>

#include "examples.h"

void example_when_to_use(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

    { /* File operations */
        cx_using (FILE *f, cx_open("notes.txt", "w"));
        fputs("always use with open()\n", f);
    }
    puts("  file operations:      cx_open wrote notes.txt and closed it");

    { /* Resource management */
        cx_using (int *fd, cx_open_fd("notes.txt", O_RDONLY, 0));
        printf("  resource management:  cx_open_fd held descriptor %d\n", *fd);
    }

    { /* Lock management */
        cx_using (cx_lock(&lock));
        puts("  lock management:      cx_lock held the mutex");
    }

    { /* Temporary changes */
        cx_using (const char *dir, cx_tempdir());
        cx_using (cx_chdir(dir));
        char cwd[256];
        printf("  temporary changes:    cx_chdir into %s\n",
               getcwd(cwd, sizeof cwd) ? cwd : "?");
    }

    cx_with (cx_suppress(&cx_KeyError)) /* Exception handling */
        cx_raise(&cx_KeyError, "'absent'");
    puts("  exception handling:   cx_suppress swallowed a KeyError");

    cx_with (cx_timed("  timing and monitoring: cx_timed", NULL, stdout))
        sleep_s(0.01);

    { /* Cleanup operations */
        cx_using (FILE *cache, cx_tempfile());
        fprintf(cache, "cache entry\n");
    }
    puts("  cleanup operations:   cx_tempfile's file is already gone");
}
