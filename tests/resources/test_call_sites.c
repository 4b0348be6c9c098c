/* Errors raised by the resource managers name the user's call: its file,
 * line and function, never a file of cx's own (docs/errors.md). */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cx/fs.h>
#include <cx/io.h>
#include <cx/state.h>
#include <cx/sync.h>

#include "harness.h"

TEST(failed_atomic_write_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_with (FILE *f, cx_atomic_write("/nonexistent/cx/out.txt", "w")) fputs("x", f));
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    cx_error_unref(e);
}

TEST(atomic_write_made_with_a_null_path_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, (void)cx_atomic_write(NULL, "w"));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

/* The rename at exit fails (the target is a non-empty directory): exit's
 * error names the with statement. */
TEST(atomic_write_failing_at_exit_names_the_with_line)
{
    char dir[] = "/tmp/cx-sites-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char target[64], inner[80];
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(inner, sizeof inner, "%s/inside", target);
    CHECK(mkdir(target, 0700) == 0);
    FILE *keep = fopen(inner, "w");
    CHECK(keep != NULL);
    fclose(keep);
    cx_error *e;
    CHECK_RAISES_HERE(e, cx_with (FILE *f, cx_atomic_write(target, "w")) fputs("new", f));
    CHECK(cx_error_is(e, &cx_OSError));
    cx_error_unref(e);
    th_remove_tree(dir);
}

TEST(flock_on_a_bad_descriptor_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_with (cx_flock(-1, LOCK_EX)) th_log("body"));
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EBADF);
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

TEST(flock_under_cx_using_names_the_declarations_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, { cx_using (cx_flock(-1, LOCK_SH | LOCK_NB)); th_log("body"); });
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

TEST(tempdir_in_a_missing_directory_names_the_callers_line)
{
    cx_error *volatile e;
    cx_with (cx_setenv("TMPDIR", "/nonexistent/cx/tmp")) {
        CHECK_RAISES_HERE(e, cx_with (const char *d, cx_tempdir()) (void)d);
    }
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    cx_error_unref(e);
}

TEST(open_fd_of_a_missing_file_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, cx_with (int *fd, cx_open_fd("/nonexistent/cx/f", O_RDONLY, 0)) (void)fd);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    cx_error_unref(e);
}

TEST(rlock_depth_of_null_names_the_callers_line)
{
    cx_error *volatile e;
    CHECK_RAISES_HERE(e, (void)cx_rlock_depth(NULL));
    CHECK(cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
}

/* A call through a function pointer records no site: its error names the
 * last call site cx recorded on the thread (docs/errors.md). */
TEST(a_call_through_a_pointer_names_the_last_recorded_call)
{
    void (*init)(cx_rlock *) = cx_rlock_init;
    cx_rlock l = CX_RLOCK_INIT;
    int recorded = __LINE__; CHECK_EQ(cx_rlock_depth(&l), 0);
    cx_error *e = NULL;
    cx_try {
        init(NULL);
    } cx_except (&cx_ValueError, err) {
        e = cx_error_ref(err);
    }
    CHECK_SITE(e, __FILE__, recorded, __func__);
    cx_error_unref(e);
}
