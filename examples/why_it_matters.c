/* What Are Context Managers? / Why Context Managers Matter: automatic
 * resource management and exception safety, measured — a thousand blocks
 * that each open a file (cx_using) and raise leave no descriptor behind. */
#include "examples.h"

static void open_and_fail(void *unused)
{
    (void)unused;
    cx_using (FILE *f, cx_open("why.txt", "w"));
    fputs("partial", f);
    cx_raise(&cx_ValueError, "interrupted");
}

void example_why_it_matters(void)
{
    int before = open_descriptors();
    int raised = 0;
    for (int i = 0; i < 1000; i++) {
        cx_error *e = cx_protect(open_and_fail, NULL);
        raised += e != NULL;
        cx_error_unref(e);
    }
    printf("  1000 blocks raised %d times; open descriptors: %d before, %d after\n",
           raised, before, open_descriptors());
}
