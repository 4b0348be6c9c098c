/* The contextlib Module / `contextlib.suppress()`: removing a file that is
 * not there raises FileNotFoundError, which the block swallows; the
 * diagram's suppress(FileNotFoundError, OSError) names several types, and
 * the body stops at the first error it swallows. */
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

    /* The diagram: several types at once.  file1.txt exists, file2.txt does
     * not: its FileNotFoundError ends the body and is swallowed. */
    write_text("file1.txt", "soon gone\n");
    cx_with (cx_suppress(&cx_FileNotFoundError, &cx_OSError)) {
        os_remove("file1.txt");
        puts("  file1.txt removed");
        os_remove("file2.txt");
        puts("  never printed: file2.txt was not there");
    }
    puts("  suppress(FileNotFoundError, OSError) swallowed the missing file2.txt");

    /* Only the named types: PermissionError is not suppressed. */
    cx_try {
        cx_with (cx_suppress(&cx_FileNotFoundError))
            cx_raise_errno(EACCES, "remove /protected.txt");
    } cx_except (&cx_OSError, e) {
        printf("  not suppressed: %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    }
}
