/* The contextlib Module / `contextlib.suppress()`: removing a file that is
 * not there raises FileNotFoundError, which the block swallows. */
#include <errno.h>
#include <unistd.h>

#include "examples.h"

/* os.remove: raises the OSError subclass for errno. */
static void os_remove(const char *path)
{
    if (unlink(path) != 0)
        cx_raise_errno(errno, "remove %s", path);
}

void example_suppress(void)
{
    /* Suppress FileNotFoundError when removing files */
    cx_with (cx_suppress(&cx_FileNotFoundError)) {
        os_remove("nonexistent_file.txt");
        puts("  File removed (if it existed)");
    }
    puts("  Program continues regardless!");

    /* Only the named types: PermissionError is not suppressed. */
    cx_try {
        cx_with (cx_suppress(&cx_FileNotFoundError))
            cx_raise_errno(EACCES, "remove /protected.txt");
    } cx_except (&cx_OSError, e) {
        printf("  not suppressed: %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    }
}
