/* Creating Custom Context Managers: the two primary ways, side by side — the
 * same manager written as a class (a cx_manager_type: enter and exit) and as
 * a generator (cx_contextmanager: the code before and after cx_yield). */
#include "examples.h"

/* Class-based: enter and exit functions over the manager's inline state. */
static void *tag_enter(void *state)
{
    printf("  <%s>\n", *(const char **)state);
    return NULL;
}

static bool tag_exit(void *state, cx_error *err)
{
    (void)err;
    printf("  </%s>\n", *(const char **)state);
    return false;
}

static const cx_manager_type tag_type = {"tag", tag_enter, tag_exit};

static cx_manager tag_class(const char *name)
{
    return cx_manager_make(&tag_type, &name, sizeof name);
}

/* Generator-based: setup, yield, cleanup. */
static void tag_body(cx_gen *g, void *name)
{
    printf("  <%s>\n", (const char *)name);
    cx_try {
        cx_yield(g, NULL);
    } cx_finally {
        printf("  </%s>\n", (const char *)name);
    }
}

static cx_manager tag_generator(const char *name)
{
    return cx_contextmanager(tag_body, (void *)name);
}

void example_custom_managers(void)
{
    cx_with (tag_class("class"))
        puts("    body");
    cx_with (tag_generator("generator"))
        puts("    body");
}
