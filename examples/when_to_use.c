/* Summary and Key Takeaways / When to Use Context Managers: one block for
 * each use the guide lists, each with the manager cx provides for it. */
#include <stdlib.h>
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>

#include "examples.h"

void example_when_to_use(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

    cx_with (FILE *f, cx_open("notes.txt", "w")) /* File operations */
        fputs("always use with open()\n", f);
    puts("  file operations:      cx_open wrote notes.txt and closed it");

    cx_with (int *fd, cx_open_fd("notes.txt", O_RDONLY, 0)) /* Resource management */
        printf("  resource management:  cx_open_fd held descriptor %d\n", *fd);

    cx_with (cx_lock(&lock)) /* Lock management */
        puts("  lock management:      cx_lock held the mutex");

    cx_with (const char *dir, cx_tempdir())
    cx_with (cx_chdir(dir)) { /* Temporary changes */
        char cwd[256];
        printf("  temporary changes:    cx_chdir into %s\n",
               getcwd(cwd, sizeof cwd) ? cwd : "?");
    }

    cx_with (cx_suppress(&cx_KeyError)) /* Exception handling */
        cx_raise(&cx_KeyError, "'absent'");
    puts("  exception handling:   cx_suppress swallowed a KeyError");

    cx_with (cx_timed("  timing and monitoring: cx_timed", NULL, stdout))
        sleep_s(0.01);

    cx_with (FILE *cache, cx_tempfile()) /* Cleanup operations */
        fprintf(cache, "cache entry\n");
    puts("  cleanup operations:   cx_tempfile's file is already gone");
}
