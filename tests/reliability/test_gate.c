/* The leak gate itself: a test that leaks fails, whatever it leaks. */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Probes, run only by the tests below (no TEST( at the start of the line,
 * so CMake does not make CTest tests of them). */
 TEST(gate_probe_leaks_a_cx_block)
{
    CHECK(cx_malloc(24) != NULL);
}

 TEST(gate_probe_leaks_a_descriptor)
{
    CHECK(dup(0) >= 0);
}

static void never_run(cx_gen *g, void *arg)
{
    (void)g;
    (void)arg;
}

 TEST(gate_probe_keeps_a_generator_manager_it_never_entered)
{
    cx_manager m = cx_contextmanager(never_run, NULL); /* documented: keeps its allocation */
    (void)m;
}

static void run_probe(void *name)
{
    /* argv[0], not /proc/self/exe: under Valgrind that is the tool */
    execl(program_invocation_name, "probe", (const char *)name, (char *)NULL);
    _exit(127);
}

static void probe_fails_with(const char *name, const char *message)
{
    char *err;
    int status = th_run_child(run_probe, (void *)name, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    if (!strstr(err, message))
        fprintf(stderr, "probe said: %s\n", err);
    CHECK(strstr(err, message) != NULL);
    free(err);
}

TEST(leak_gate_fails_a_test_that_leaks_a_heap_block)
{
    probe_fails_with("gate_probe_leaks_a_cx_block", "leaked 1 heap block(s) allocated through cx");
}

TEST(leak_gate_fails_a_test_that_leaks_a_descriptor)
{
    probe_fails_with("gate_probe_leaks_a_descriptor", "leaked 1 descriptor(s)");
}

TEST(leak_gate_fails_a_test_that_keeps_an_unentered_generator_manager)
{
    probe_fails_with("gate_probe_keeps_a_generator_manager_it_never_entered",
                     "leaked 1 heap block(s) allocated through cx");
}
