/* Task handles kept after the task was released: each use raises
 * cx_ValueError instead of acting on the task that reuses the memory. */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cx/async.h>

#include "harness.h"
#include "stale.h"

static void await_twice(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    check_stale(cx_protect(await_it, t), "cx_await_task");
}

TEST(task_await_of_a_released_handle_raises_value_error)
{
    CHECK(cx_run(await_twice, NULL) == NULL);
}

static void cancel_after_release(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    int ran = 0;
    cx_task *next = cx_spawn(count, &ran); /* may take the released memory */
    check_stale(cx_protect(cancel_it, t), "cx_task_cancel");
    cx_await_task(next);
    CHECK_EQ(ran, 1); /* not cancelled through the stale handle */
}

TEST(task_cancel_of_a_released_handle_raises_value_error_and_spares_the_next_task)
{
    CHECK(cx_run(cancel_after_release, NULL) == NULL);
}

static void done_after_release(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    check_stale(cx_protect(done_it, t), "cx_task_done");
}

TEST(task_done_of_a_released_handle_raises_value_error)
{
    CHECK(cx_run(done_after_release, NULL) == NULL);
}

static void many_after_release(void *arg)
{
    (void)arg;
    cx_task *t = cx_spawn(nothing, NULL);
    cx_await_task(t);
    for (int i = 0; i < 7; i++)
        cx_await_task(cx_spawn(nothing, NULL));
    check_stale(cx_protect(cancel_it, t), "cx_task_cancel");
}

TEST(task_stale_handle_is_detected_while_7_more_tasks_are_released)
{
    CHECK(cx_run(many_after_release, NULL) == NULL);
}

static void set_task_stack(void *bytes) { cx_async_set_stack_size((size_t)(uintptr_t)bytes); }

TEST(task_stack_size_of_size_max_raises_value_error)
{
    size_t before = cx_async_stack_size();
    cx_error *e = cx_protect(set_task_stack, (void *)(uintptr_t)SIZE_MAX);
    CHECK(e && cx_error_is(e, &cx_ValueError));
    cx_error_unref(e);
    CHECK_EQ(cx_async_stack_size(), before);
}

/* ---- the kernel's mapping budget (vm.max_map_count) ---- */

enum { FILLERS_MAX = 1 << 17 };
static void **fillers;
static size_t nfillers;

/* Maps single pages, alternating their protection so that no two merge,
 * until the kernel refuses: the process's mapping budget is spent. */
static void spend_the_mapping_budget(void)
{
    long page = sysconf(_SC_PAGESIZE);
    fillers = calloc(FILLERS_MAX, sizeof *fillers); /* before: it may need a mapping */
    CHECK(fillers != NULL);
    for (nfillers = 0; nfillers < FILLERS_MAX; nfillers++) {
        void *p = mmap(NULL, (size_t)page, nfillers % 2 ? PROT_READ : PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        fillers[nfillers] = p;
    }
    CHECK(nfillers < FILLERS_MAX);
}

static void give_the_mapping_budget_back(void)
{
    long page = sysconf(_SC_PAGESIZE);
    while (nfillers)
        munmap(fillers[--nfillers], (size_t)page);
    free(fillers);
}

/* Spawns until a spawn needs a new chunk of stacks, which cannot be mapped. */
static void spawn_without_mappings(void *arg)
{
    (void)arg;
    spend_the_mapping_budget();
    cx_error *e = NULL;
    cx_task *volatile tasks[1024];
    int n = 0;
    for (; n < 1024 && !e; n++) {
        cx_try {
            tasks[n] = cx_spawn(nothing, NULL);
        } cx_except_any (err) {
            e = cx_error_ref(err);
        }
    }
    n--; /* the last one raised */
    give_the_mapping_budget_back();
    CHECK(e && cx_error_is(e, &cx_MemoryError));
    fprintf(stderr, "raised: %s\n", cx_error_message(e));
    cx_error_unref(e);
    for (int i = 0; i < n; i++)
        cx_await_task(tasks[i]);
    cx_await_task(cx_spawn(nothing, NULL)); /* room again: spawns work */
    for (int i = 0; i < 300; i++)
        cx_await_task(cx_spawn(nothing, NULL));
}

static void run_without_mappings(void *arg)
{
    exit(cx_run(spawn_without_mappings, arg) ? 3 : 0);
}

TEST(task_spawn_past_the_map_limit_raises_memory_error_naming_it_and_recovers)
{
    if (TH_HEAVY_MAPPING_SKIPPED()) {
        th_log("skipped: Valgrind and the sanitizers map memory of their own");
        return;
    }
    char *err = NULL;
    int status = th_run_child(run_without_mappings, NULL, &err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(err, "raised: cannot map a task stack: the process has ") != NULL);
    CHECK(strstr(err, " of vm.max_map_count=") != NULL);
    free(err);
}
