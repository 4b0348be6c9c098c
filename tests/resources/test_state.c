/* Temporary changes to process state, undone on every path. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cx/state.h>

#include "probe.h"

/* ---- override ---- */

static struct config {
    int debug;
    double ratio;
    const char *log_level;
} config = {0, 0.5, "INFO"};

TEST(override_sets_the_value_in_the_block_and_restores_it_after)
{
    cx_with (CX_OVERRIDE(config.debug, 1))
    cx_with (CX_OVERRIDE(config.log_level, "DEBUG"))
        th_log("%d %s", config.debug, config.log_level);
    th_log("%d %s", config.debug, config.log_level);
    CHECK_STR(th_trace, "1 DEBUG 0 INFO");
}

static void override_body_raises(void *arg)
{
    (void)arg;
    cx_with (CX_OVERRIDE(config.ratio, 2.25)) {
        th_log("%.2f", config.ratio);
        cx_raise(&cx_ValueError, "inside");
    }
}

TEST(override_restores_when_the_body_raises)
{
    cx_error *e = cx_protect(override_body_raises, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    th_log("%.2f", config.ratio);
    CHECK_STR(th_trace, "2.25 0.50");
    cx_error_unref(e);
}

static int override_and_return(void)
{
    cx_with (CX_OVERRIDE(config.debug, 5))
        return config.debug;
    return -1;
}

TEST(override_restores_when_the_body_returns)
{
    CHECK_EQ(override_and_return(), 5);
    CHECK_EQ(config.debug, 0);
}

TEST(override_keeps_changes_the_body_made_only_until_exit)
{
    cx_with (CX_OVERRIDE(config.debug, 1))
        config.debug = 99;
    CHECK_EQ(config.debug, 0);
}

TEST(override_of_one_variable_nested_restores_in_order)
{
    cx_with (CX_OVERRIDE(config.debug, 1)) {
        cx_with (CX_OVERRIDE(config.debug, 2))
            th_log("%d", config.debug);
        th_log("%d", config.debug);
    }
    th_log("%d", config.debug);
    CHECK_STR(th_trace, "2 1 0");
}

TEST(override_of_a_whole_struct_binds_the_variable)
{
    struct config debug_config = {1, 9.5, "TRACE"};
    cx_with (struct config *c, cx_override(&config, &debug_config, sizeof config))
        th_log("%s %d", c->log_level, c == &config);
    CHECK_STR(config.log_level, "INFO");
    CHECK_STR(th_trace, "TRACE 1");
}

static void override_large_raises(void *arg)
{
    static unsigned char zeros[8192];
    cx_with (cx_override(arg, zeros, sizeof zeros))
        cx_raise(&cx_KeyError, "inside");
}

TEST(override_larger_than_the_inline_state_restores_every_byte)
{
    static unsigned char big[8192];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7 + 1);
    cx_error *e = cx_protect(override_large_raises, big);
    CHECK(cx_error_is(e, &cx_KeyError));
    for (size_t i = 0; i < sizeof big; i++)
        if (big[i] != (unsigned char)(i * 7 + 1))
            CHECK_EQ(i, -1);
    cx_error_unref(e);
}

TEST(override_manager_is_reusable)
{
    cx_manager m = CX_OVERRIDE(config.debug, 3);
    for (int i = 0; i < 3; i++)
        cx_with (m)
            th_log("%d", config.debug);
    CHECK_EQ(config.debug, 0);
    CHECK_STR(th_trace, "3 3 3");
}

/* ---- environment ---- */

TEST(setenv_sets_a_variable_and_restores_its_old_value)
{
    setenv("CX_TEST_VAR", "old", 1);
    cx_with (const char *v, cx_setenv("CX_TEST_VAR", "new"))
        th_log("%s %s", v, getenv("CX_TEST_VAR"));
    th_log("%s", getenv("CX_TEST_VAR"));
    CHECK_STR(th_trace, "new new old");
}

TEST(setenv_of_a_variable_that_was_unset_unsets_it_after)
{
    unsetenv("CX_TEST_VAR");
    cx_with (cx_setenv("CX_TEST_VAR", "x"))
        CHECK_STR(getenv("CX_TEST_VAR"), "x");
    CHECK(getenv("CX_TEST_VAR") == NULL);
}

TEST(setenv_with_a_null_value_unsets_in_the_block_and_restores_after)
{
    setenv("CX_TEST_VAR", "keep", 1);
    cx_with (cx_setenv("CX_TEST_VAR", NULL))
        CHECK(getenv("CX_TEST_VAR") == NULL);
    CHECK_STR(getenv("CX_TEST_VAR"), "keep");
}

static void setenv_body_raises(void *arg)
{
    (void)arg;
    cx_with (cx_setenv("CX_TEST_VAR", "during"))
        cx_raise(&cx_ValueError, "inside");
}

TEST(setenv_restores_when_the_body_raises)
{
    setenv("CX_TEST_VAR", "before", 1);
    cx_error *e = cx_protect(setenv_body_raises, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(getenv("CX_TEST_VAR"), "before");
    cx_error_unref(e);
}

TEST(setenv_restores_the_old_value_even_after_the_body_rewrote_the_environment)
{
    setenv("CX_TEST_VAR", "original", 1);
    cx_with (cx_setenv("CX_TEST_VAR", "override")) {
        /* Churn the environment so getenv's old pointer is long dead. */
        char name[32];
        for (int i = 0; i < 64; i++) {
            snprintf(name, sizeof name, "CX_TEST_CHURN_%d", i);
            setenv(name, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1);
        }
        setenv("CX_TEST_VAR", "clobbered-by-body", 1);
        for (int i = 0; i < 64; i++) {
            snprintf(name, sizeof name, "CX_TEST_CHURN_%d", i);
            unsetenv(name);
        }
    }
    CHECK_STR(getenv("CX_TEST_VAR"), "original");
}

static void setenv_bad_name(void *arg)
{
    cx_with (cx_setenv(arg, "v"))
        th_log("not reached");
}

TEST(setenv_with_a_name_containing_equals_raises_value_error)
{
    cx_error *e = cx_protect(setenv_bad_name, "A=B");
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(cx_error_message(e), "cx_setenv: invalid variable name 'A=B'");
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

/* ---- umask ---- */

TEST(umask_applies_to_files_created_in_the_block)
{
    char dir[] = "/tmp/cx-umask-XXXXXX", path[64];
    struct stat st;
    CHECK(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f", dir);
    cx_with (cx_umask(077)) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        CHECK(fd >= 0);
        close(fd);
    }
    CHECK(stat(path, &st) == 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    unlink(path);
    rmdir(dir);
}

static void umask_body_raises(void *arg)
{
    (void)arg;
    cx_with (cx_umask(0777))
        cx_raise(&cx_ValueError, "inside");
}

TEST(umask_is_restored_after_the_block_even_when_the_body_raises)
{
    umask(022);
    cx_error *e = cx_protect(umask_body_raises, NULL);
    mode_t now = umask(022);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_EQ(now, 022);
    cx_error_unref(e);
}

/* ---- signals ---- */

static volatile sig_atomic_t usr1_count, usr2_count;
static void on_usr1(int sig) { (void)sig; usr1_count++; }
static void on_usr2(int sig) { (void)sig; usr2_count++; }

static void (*current_handler(int sig))(int)
{
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler;
}

TEST(signal_handler_receives_a_signal_raised_in_the_block)
{
    usr1_count = 0;
    cx_with (cx_signal(SIGUSR1, on_usr1)) {
        CHECK_EQ(raise(SIGUSR1), 0);
        CHECK_EQ(raise(SIGUSR1), 0);
    }
    CHECK_EQ(usr1_count, 2);
}

TEST(signal_restores_the_previous_handler_at_exit)
{
    signal(SIGUSR1, on_usr2);
    usr1_count = usr2_count = 0;
    cx_with (cx_signal(SIGUSR1, on_usr1))
        CHECK(current_handler(SIGUSR1) == on_usr1);
    CHECK(current_handler(SIGUSR1) == on_usr2);
    raise(SIGUSR1);
    CHECK_EQ(usr1_count, 0);
    CHECK_EQ(usr2_count, 1);
    signal(SIGUSR1, SIG_DFL);
}

static void signal_body_raises(void *arg)
{
    (void)arg;
    cx_with (cx_signal(SIGUSR1, SIG_IGN))
        cx_raise(&cx_ValueError, "inside");
}

TEST(signal_restores_the_default_action_when_the_body_raises)
{
    signal(SIGUSR1, SIG_DFL);
    cx_error *e = cx_protect(signal_body_raises, NULL);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(current_handler(SIGUSR1) == SIG_DFL);
    cx_error_unref(e);
}

static void ignore_then_raise_sigterm(void *arg)
{
    (void)arg;
    cx_with (cx_signal(SIGTERM, SIG_IGN))
        raise(SIGTERM);
    fprintf(stderr, "survived the ignored one\n");
    raise(SIGTERM);
    fprintf(stderr, "not reached\n");
}

TEST(signal_ignored_in_the_block_kills_again_after_it)
{
    char *err = NULL;
    int status = th_run_child(ignore_then_raise_sigterm, NULL, &err);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK(strstr(err, "survived the ignored one") != NULL);
    CHECK(strstr(err, "not reached") == NULL);
    free(err);
}

static void signal_number(void *arg)
{
    cx_with (cx_signal(*(int *)arg, on_usr1))
        th_log("not reached");
}

TEST(signal_number_out_of_range_raises_value_error)
{
    int sig = 100000;
    cx_error *e = cx_protect(signal_number, &sig);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

TEST(signal_handler_for_sigkill_raises_os_error)
{
    int sig = SIGKILL;
    cx_error *e = cx_protect(signal_number, &sig);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EINVAL);
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}

static bool usr1_blocked(void)
{
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, SIGUSR1) == 1;
}

TEST(sigmask_holds_a_signal_back_until_the_block_ends)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    usr1_count = 0;
    cx_with (cx_signal(SIGUSR1, on_usr1)) {
        cx_with (cx_sigmask(SIG_BLOCK, &set)) {
            raise(SIGUSR1);
            th_log("inside:%d", (int)usr1_count);
        }
        th_log("after:%d", (int)usr1_count);   /* delivered as the mask was restored */
    }
    CHECK_STR(th_trace, "inside:0 after:1");
}

static void sigmask_body_raises(void *arg)
{
    cx_with (cx_sigmask(SIG_BLOCK, arg))
        cx_raise(&cx_ValueError, "inside");
}

TEST(sigmask_restores_the_previous_mask_when_the_body_raises)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(!usr1_blocked());
    cx_error *e = cx_protect(sigmask_body_raises, &set);
    CHECK(cx_error_is(e, &cx_ValueError));
    CHECK(!usr1_blocked());
    cx_error_unref(e);
}

static pthread_barrier_t masked, reported;

static void *report_usr1_blocked(void *arg)
{
    pthread_barrier_wait(&masked);
    *(int *)arg = usr1_blocked();
    pthread_barrier_wait(&reported);
    return NULL;
}

TEST(sigmask_changes_only_the_calling_threads_mask)
{
    sigset_t set;
    int in_other = -1;
    volatile int in_self = -1;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_barrier_init(&masked, NULL, 2);
    pthread_barrier_init(&reported, NULL, 2);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, report_usr1_blocked, &in_other), 0);
    cx_with (cx_sigmask(SIG_BLOCK, &set)) {
        in_self = usr1_blocked();
        pthread_barrier_wait(&masked);     /* the other thread looks now */
        pthread_barrier_wait(&reported);
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(in_self, 1);
    CHECK_EQ(in_other, 0);
    CHECK(!usr1_blocked());
    pthread_barrier_destroy(&masked);
    pthread_barrier_destroy(&reported);
}

static void sigmask_bad_how(void *arg)
{
    cx_with (cx_sigmask(12345, arg))
        th_log("not reached");
}

TEST(sigmask_with_an_invalid_how_raises_os_error)
{
    sigset_t set;
    sigemptyset(&set);
    cx_error *e = cx_protect(sigmask_bad_how, &set);
    CHECK(cx_error_is(e, &cx_OSError));
    CHECK_EQ(cx_error_errno(e), EINVAL);
    CHECK_STR(th_trace, "");
    cx_error_unref(e);
}
