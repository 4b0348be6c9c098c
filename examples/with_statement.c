/* The `with` Statement Magic: the traditional way and the with way. */
#include "examples.h"

static void risky_operation(void) { cx_raise(&cx_RuntimeError, "risky operation failed"); }

static FILE *leaked;

/* Traditional: the close is written by hand and a raise skips it. */
static void traditional(void *unused)
{
    (void)unused;
    FILE *file = leaked = fopen(tour_path("data.txt"), "w");
    fputs("Hello, World!", file);
    risky_operation();
    fclose(file); /* never reached: the FILE leaks */
}

/* With: the file is closed on every path out of the block. */
static void with_way(void *unused)
{
    (void)unused;
    cx_with (FILE *file, file_manager(tour_path("data.txt"), "w")) {
        fputs("Hello, World!", file);
        risky_operation();
    }
}

void example_with_statement(void)
{
    puts("Traditional approach (error-prone):");
    cx_error *e = cx_protect(traditional, NULL);
    printf("  raised %s: %s -- and fclose never ran\n", cx_error_type(e)->name,
           cx_error_message(e));
    cx_error_unref(e);
    fclose(leaked); /* the tour tidies up what the traditional way leaked */

    puts("Context manager approach (safe):");
    e = cx_protect(with_way, NULL);
    printf("  raised %s: %s -- and the file was closed first\n",
           cx_error_type(e)->name, cx_error_message(e));
    cx_error_unref(e);
}
