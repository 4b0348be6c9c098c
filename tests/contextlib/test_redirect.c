/* redirect_stdout / redirect_stderr / capture, at the descriptor level. */
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

static char *read_all(FILE *f)
{
    fflush(f);
    rewind(f);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

TEST(redirect_stdout_catches_printf_and_write)
{
    FILE *to = tmpfile();
    cx_with (cx_redirect_stdout(to)) {
        printf("from printf\n");
        fflush(stdout); /* stdio buffers inside the block as anywhere */
        CHECK_EQ(write(1, "from write\n", 11), 11);
    }
    CHECK_STR(read_all(to), "from printf\nfrom write\n");
    fclose(to);
}

TEST(redirect_stdout_catches_puts)
{
    FILE *to = tmpfile();
    cx_with (cx_redirect_stdout(to))
        puts("from puts");
    CHECK_STR(read_all(to), "from puts\n");
    fclose(to);
}

TEST(redirect_stdout_flushes_pending_output_at_entry)
{
    char *text = NULL;
    FILE *to = tmpfile();
    cx_with (cx_capture_stdout(&text)) {
        printf("before ");  /* buffered in stdout, not yet written */
        cx_with (cx_redirect_stdout(to))
            printf("inside");
    }
    CHECK_STR(text, "before ");
    CHECK_STR(read_all(to), "inside");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
    fclose(to);
}

TEST(redirect_stdout_restores_the_original_descriptor)
{
    char *text = NULL;
    FILE *to = tmpfile();
    cx_with (cx_capture_stdout(&text)) {
        cx_with (cx_redirect_stdout(to))
            printf("redirected");
        printf("back");
    }
    CHECK_STR(text, "back");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
    fclose(to);
}

static void redirect_raises(void *to)
{
    cx_with (cx_redirect_stdout(to)) {
        printf("partial");
        cx_raise(&cx_ValueError, "mid-output");
    }
}

TEST(redirect_stdout_restores_when_the_body_raises)
{
    char *text = NULL;
    FILE *to = tmpfile();
    cx_with (cx_capture_stdout(&text)) {
        cx_error *e = cx_protect(redirect_raises, to);
        CHECK(cx_error_is(e, &cx_ValueError));
        cx_error_unref(e);
        printf("restored");
    }
    CHECK_STR(text, "restored");
    CHECK_STR(read_all(to), "partial");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
    fclose(to);
}

TEST(redirect_stdout_nests_and_unwinds_in_order)
{
    FILE *a = tmpfile(), *b = tmpfile();
    cx_with (cx_redirect_stdout(a)) {
        printf("a1 ");
        cx_with (cx_redirect_stdout(b))
            printf("b ");
        printf("a2");
    }
    CHECK_STR(read_all(a), "a1 a2");
    CHECK_STR(read_all(b), "b ");
    fclose(a);
    fclose(b);
}

/* CPython's test_cm_is_reentrant: each with has its own copy of the manager,
 * and each level restores the descriptor it found. */
TEST(redirect_stdout_manager_is_reentrant)
{
    char *text = NULL;
    FILE *to = tmpfile();
    cx_with (cx_capture_stdout(&text)) {
        cx_manager to_file = cx_redirect_stdout(to);
        cx_with (to_file) {
            printf("Hello ");
            cx_with (to_file)
                printf("World!\n");
            printf("again");
        }
        printf("back");
    }
    CHECK_STR(read_all(to), "Hello World!\nagain");
    CHECK_STR(text, "back");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
    fclose(to);
}

/* CPython's test_cm_is_reusable. */
TEST(redirect_stdout_manager_is_reusable)
{
    FILE *to = tmpfile();
    cx_manager to_file = cx_redirect_stdout(to);
    cx_with (to_file)
        printf("one ");
    cx_with (to_file)
        printf("two");
    CHECK_STR(read_all(to), "one two");
    fclose(to);
}

TEST(redirect_stderr_catches_fprintf_stderr)
{
    FILE *to = tmpfile();
    cx_with (cx_redirect_stderr(to))
        fprintf(stderr, "to stderr");
    CHECK_STR(read_all(to), "to stderr");
    fclose(to);
}

TEST(redirect_stderr_catches_write_to_descriptor_2)
{
    FILE *to = tmpfile();
    cx_with (cx_redirect_stderr(to))
        CHECK_EQ(write(2, "from write\n", 11), 11);
    CHECK_STR(read_all(to), "from write\n");
    fclose(to);
}

TEST(redirect_stdout_fd_sends_output_to_a_descriptor)
{
    int p[2];
    CHECK(pipe(p) == 0);
    cx_with (cx_redirect_stdout_fd(p[1]))
        printf("piped");
    close(p[1]);
    char buf[32] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf - 1), 5);
    CHECK_STR(buf, "piped");
    close(p[0]);
}

TEST(redirect_stderr_fd_sends_output_to_a_descriptor)
{
    int p[2];
    CHECK(pipe(p) == 0);
    cx_with (cx_redirect_stderr_fd(p[1]))
        fputs("err", stderr);
    close(p[1]);
    char buf[32] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf - 1), 3);
    CHECK_STR(buf, "err");
    close(p[0]);
}

TEST(redirect_stderr_fd_catches_write_to_descriptor_2)
{
    int p[2];
    CHECK(pipe(p) == 0);
    cx_with (cx_redirect_stderr_fd(p[1]))
        CHECK_EQ(write(2, "written", 7), 7);
    close(p[1]);
    char buf[32] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf - 1), 7);
    CHECK_STR(buf, "written");
    close(p[0]);
}

TEST(capture_stdout_returns_everything_written)
{
    char *text = NULL;
    cx_with (cx_capture_stdout(&text)) {
        for (int i = 0; i < 1000; i++)
            printf("line %d\n", i);
    }
    CHECK(text != NULL);
    CHECK(strncmp(text, "line 0\nline 1\n", 14) == 0);
    CHECK(strstr(text, "line 999\n") != NULL);
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
}

TEST(capture_stderr_returns_what_went_to_stderr)
{
    char *text = NULL;
    cx_with (cx_capture_stderr(&text))
        fputs("warning: x\n", stderr);
    CHECK_STR(text, "warning: x\n");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
}

TEST(capture_stdout_manager_is_reusable_and_each_block_gets_its_own_text)
{
    char *text = NULL, *first = NULL;
    cx_manager capture = cx_capture_stdout(&text);
    cx_with (capture)
        printf("first");
    first = text;
    cx_with (capture)
        printf("second");
    CHECK_STR(first, "first");
    CHECK_STR(text, "second");
    cx_free(first); /* cx_malloc'd: the test harness counts cx's blocks */
    cx_free(text);
}

TEST(capture_of_nothing_is_an_empty_string)
{
    char *text = NULL;
    cx_with (cx_capture_stdout(&text)) {}
    CHECK_STR(text, "");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
}

static void capture_raises(void *out)
{
    cx_with (cx_capture_stdout(out)) {
        printf("kept");
        cx_raise(&cx_KeyError, "k");
    }
}

TEST(capture_keeps_output_written_before_a_raise)
{
    char *text = NULL;
    cx_error *e = cx_protect(capture_raises, &text);
    CHECK(cx_error_is(e, &cx_KeyError));
    CHECK_STR(text, "kept");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
    cx_error_unref(e);
}

static void redirect_to_closed(void *arg)
{
    (void)arg;
    cx_with (cx_redirect_stdout_fd(1000))
        printf("never");
}

TEST(redirect_to_an_invalid_descriptor_raises_oserror_and_leaves_stdout)
{
    cx_error *e = cx_protect(redirect_to_closed, NULL);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), 9 /* EBADF */);
    cx_error_unref(e);
    char *text = NULL;
    cx_with (cx_capture_stdout(&text))
        printf("still works");
    CHECK_STR(text, "still works");
    cx_free(text); /* cx_malloc'd: the test harness counts cx's blocks */
}
