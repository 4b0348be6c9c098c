/* Best Practices and Patterns / 2. Handle Exceptions Properly: the guide's
 * robust_context().  The resource is a lock file, created with O_EXCL and
 * removed in the finally clause on every path.
 * Note: in a generator manager, catching the error at cx_yield suppresses it
 * whatever the handler returns (Python's @contextmanager behaves the same,
 * despite the guide's "return False to propagate"); re-raise to propagate. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "examples.h"

static CX_DEFINE_ERROR(SpecificError, cx_Exception);

static int acquire_resource(void)
{
    int fd = open("resource.lock", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        cx_raise_errno(errno, "create resource.lock");
    puts("  acquired resource.lock");
    return fd;
}

static void release_resource(int fd)
{
    close(fd);
    if (unlink("resource.lock") != 0)
        cx_raise_errno(errno, "remove resource.lock");
    puts("  released resource.lock");
}

static void log_error(const cx_error *e)
{
    printf("  log: handled %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
}

static void log_critical_error(const cx_error *e)
{
    printf("  log: CRITICAL %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
}

static void robust_context(cx_gen *g, void *arg)
{
    (void)arg;
    int resource = acquire_resource();
    cx_try {
        cx_yield(g, &resource);
    } cx_except (&SpecificError, e) {
        /* Handle specific errors (returning here suppresses them) */
        log_error(e);
    } cx_except (&cx_Exception, e) {
        /* Handle unexpected errors */
        log_critical_error(e);
        cx_reraise(); /* Always re-raise unexpected errors */
    } cx_finally {
        /* Cleanup always happens */
        release_resource(resource);
    }
}

static void body(void *error_type)
{
    cx_with (int *resource, cx_contextmanager(robust_context, NULL)) {
        printf("  working with descriptor %d\n", *resource);
        if (error_type)
            cx_raise((const cx_type *)error_type, "something failed");
    }
}

void example_handle_exceptions(void)
{
    const cx_type *cases[] = {NULL, &SpecificError, &cx_KeyError};
    for (int i = 0; i < 3; i++) {
        printf("A body that %s%s:\n", cases[i] ? "raises " : "succeeds",
               cases[i] ? cases[i]->name : "");
        cx_error *e = cx_protect(body, (void *)cases[i]);
        printf("  the caller sees: %s\n", e ? cx_error_type(e)->name : "no error");
        cx_error_unref(e);
    }
}
