/* Common Pitfalls and Solutions / 1. Forgetting to Handle Exceptions in
 * `__exit__`: an exit whose cleanup raises replaces the body's error.  As
 * in Python, the body's error is not lost: it becomes the new error's
 * context and prints with it — but a caller's handler for it no longer
 * matches.  The cleanup here really fails: flushing to /dev/full gives
 * ENOSPC. */
#include <errno.h>

#include "examples.h"

static void risky_cleanup(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        cx_raise_errno(errno, "open /dev/full");
    fputs("cleanup log entry", f);
    if (fclose(f) != 0)
        cx_raise_errno(errno, "flush the cleanup log");
}

/* WRONG: the cleanup's error replaces the original one. */
static bool bad_exit(void *state, cx_error *err)
{
    (void)state, (void)err;
    risky_cleanup();
    return false;
}

/* CORRECT: protect cleanup operations. */
static bool good_exit(void *state, cx_error *err)
{
    (void)state;
    cx_try {
        risky_cleanup();
    } cx_except (&cx_Exception, cleanup_error) {
        if (!err)
            cx_reraise(); /* No original exception: the cleanup error is the news */
        /* Original exception takes precedence */
        printf("  Cleanup error ignored: %s\n", cx_error_message(cleanup_error));
    }
    return false; /* Don't suppress the original exception */
}

static void *no_enter(void *state) { return state; }

static const cx_manager_type bad_type = {"BadContextManager", no_enter, bad_exit};
static const cx_manager_type good_type = {"GoodContextManager", no_enter, good_exit};

static void use(void *type)
{
    cx_with (cx_manager_make(type, NULL, 0))
        cx_raise(&cx_ValueError, "the body's own error");
}

static void use_without_error(void *type)
{
    cx_with (cx_manager_make(type, NULL, 0))
        ;
}

static void run(const char *title, void (*fn)(void *), const cx_manager_type *type)
{
    puts(title);
    cx_error *e = cx_protect(fn, (void *)type);
    if (!e) {
        puts("  no error");
        return;
    }
    if (cx_error_is(e, &cx_ValueError))
        puts("  except ValueError: caught the body's error");
    else
        printf("  except ValueError: no match, the caller got %s\n", cx_error_type(e)->name);
    show_error(e);
    cx_error_unref(e);
}

void example_exit_exceptions(void)
{
    run("BadContextManager, body raises ValueError:", use, &bad_type);
    run("GoodContextManager, body raises ValueError:", use, &good_type);
    run("GoodContextManager, body succeeds:", use_without_error, &good_type);
}
