/* chdir for a block, returning by descriptor. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

static char base[64];

static void make_base(void)
{
    strcpy(base, "/tmp/cx-chdir-XXXXXX");
    CHECK(mkdtemp(base) != NULL);
}

static void remove_base(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    CHECK(system(cmd) == 0);
}

TEST(chdir_changes_directory_for_the_block_and_returns)
{
    char before[4096], inside[4096], after[4096];
    make_base();
    CHECK(getcwd(before, sizeof before));
    cx_with (cx_chdir(base))
        CHECK(getcwd(inside, sizeof inside));
    CHECK(getcwd(after, sizeof after));
    CHECK(strstr(inside, "cx-chdir-") != NULL);
    CHECK_STR(after, before);
    remove_base();
}

static void chdir_raises(void *arg)
{
    cx_with (cx_chdir(arg))
        cx_raise(&cx_ValueError, "inside");
}

TEST(chdir_returns_when_the_body_raises)
{
    char before[4096], after[4096];
    make_base();
    CHECK(getcwd(before, sizeof before));
    cx_error *e = cx_protect(chdir_raises, base);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(getcwd(after, sizeof after));
    CHECK_STR(after, before);
    cx_error_unref(e);
    remove_base();
}

static void chdir_missing(void *arg)
{
    (void)arg;
    cx_with (cx_chdir("/nonexistent/cx/dir"))
        th_log("not reached");
}

TEST(chdir_to_a_missing_directory_raises_file_not_found)
{
    cx_error *e = cx_protect(chdir_missing, NULL);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    CHECK(strstr(cx_error_message(e), "chdir /nonexistent/cx/dir") != NULL);
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

TEST(chdir_returns_to_the_previous_directory_even_if_renamed)
{
    char old_path[128], new_path[128], after[4096];
    make_base();
    snprintf(old_path, sizeof old_path, "%s/a", base);
    snprintf(new_path, sizeof new_path, "%s/b", base);
    CHECK(mkdir(old_path, 0700) == 0);
    CHECK(mkdir(new_path + 0, 0700) == 0 || errno == EEXIST);
    rmdir(new_path);
    cx_with (cx_chdir(old_path)) {
        cx_with (cx_chdir(base))
            CHECK(rename("a", "b") == 0);
        CHECK(getcwd(after, sizeof after));
    }
    CHECK(strstr(after, "/b") != NULL);
    remove_base();
}

TEST(chdir_nests)
{
    char a[128], b[128], seen[4096];
    make_base();
    snprintf(a, sizeof a, "%s/a", base);
    snprintf(b, sizeof b, "%s/a/b", base);
    CHECK(mkdir(a, 0700) == 0 && mkdir(b, 0700) == 0);
    cx_with (cx_chdir(a)) {
        cx_with (cx_chdir("b")) {}
        CHECK(getcwd(seen, sizeof seen));
    }
    CHECK(strcmp(seen + strlen(seen) - 2, "/a") == 0);
    remove_base();
}

/* CPython's test_reentrant: each with has its own copy of the manager, so
 * the same manager nests and each level returns to where it found itself. */
TEST(chdir_manager_is_reentrant)
{
    char a[128], b[128], before[4096], seen[4][4096];
    make_base();
    snprintf(a, sizeof a, "%s/a", base);
    snprintf(b, sizeof b, "%s/b", base);
    CHECK(mkdir(a, 0700) == 0 && mkdir(b, 0700) == 0);
    CHECK(getcwd(before, sizeof before));
    cx_manager to_a = cx_chdir(a), to_b = cx_chdir(b);
    cx_with (to_a) {
        cx_with (to_b) {
            cx_with (to_a)
                CHECK(getcwd(seen[0], sizeof seen[0]));
            CHECK(getcwd(seen[1], sizeof seen[1]));
        }
        CHECK(getcwd(seen[2], sizeof seen[2]));
    }
    CHECK(getcwd(seen[3], sizeof seen[3]));
    CHECK(strcmp(seen[0] + strlen(seen[0]) - 2, "/a") == 0);
    CHECK(strcmp(seen[1] + strlen(seen[1]) - 2, "/b") == 0);
    CHECK(strcmp(seen[2] + strlen(seen[2]) - 2, "/a") == 0);
    CHECK_STR(seen[3], before);
    remove_base();
}

TEST(chdir_binds_the_path_it_was_given)
{
    const char *volatile bound = NULL;
    make_base();
    cx_with (const char *p, cx_chdir(base))
        bound = p;
    CHECK(bound == base);
    remove_base();
}

static void previous_removed(void *arg)
{
    (void)arg;
    char inner[128];
    snprintf(inner, sizeof inner, "%s/gone", base);
    CHECK(mkdir(inner, 0700) == 0);
    cx_with (cx_chdir(inner)) {
        cx_with (cx_chdir(base))
            CHECK(rmdir("gone") == 0);
    }
}

TEST(chdir_back_into_a_removed_directory_raises_file_not_found)
{
    char before[4096];
    CHECK(getcwd(before, sizeof before));
    make_base();
    cx_error *e = cx_protect(previous_removed, NULL);
    CHECK(cx_error_is(e, &cx_FileNotFoundError));
    CHECK(strstr(cx_error_message(e), "previous directory was removed") != NULL);
    cx_error_unref(e);
    CHECK(chdir(before) == 0);
    remove_base();
}
