/* Summary and Key Takeaways / Common Patterns: the five patterns the guide
 * names, each in one block: cx_using for what is acquired and released,
 * cx_with for a logged block and for suppressing an expected error. */
#include <pthread.h>
#include <stdlib.h>

#include "examples.h"

static void pattern_error(void *unused)
{
    (void)unused;
    cx_with (cx_log_activity("risky step", stdout))
        cx_raise(&cx_ValueError, "bad input");
}

void example_common_patterns(void)
{
    static cx_rlock lock = CX_RLOCK_INIT;

    puts("1. Resource Acquisition/Release (a lock):");
    {
        cx_using (cx_lock(&lock));
        printf("  held, depth %d\n", cx_rlock_depth(&lock));
    }
    printf("  released, depth %d\n", cx_rlock_depth(&lock));

    puts("2. State Save/Restore (an environment variable):");
    {
        cx_using (cx_setenv("TZ", "UTC"));
        printf("  TZ=%s inside\n", getenv("TZ"));
    }
    printf("  TZ=%s after\n", getenv("TZ") ? getenv("TZ") : "(unset)");

    puts("3. Setup/Teardown (a temporary directory as a test fixture):");
    {
        cx_using (const char *dir, cx_tempdir());
        char path[256];
        snprintf(path, sizeof path, "%s/fixture.txt", dir);
        write_text(path, "fixture\n");
        puts("  fixture written in a fresh directory");
    }
    puts("  directory removed");

    puts("4. Enter/Exit Logging:");
    cx_with (cx_log_activity("nightly report", stdout))
        puts("  ...working...");

    puts("5. Exception Management (suppress what is expected):");
    cx_with (cx_suppress(&cx_ValueError))
        pattern_error(NULL);
    puts("  the ValueError was logged, then suppressed");
}
