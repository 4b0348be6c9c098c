/* Compiled (not run) by check-user-flags.sh with the warnings careful users
 * turn on: stacked and nested statements must not warn, -Wshadow included. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cx/cx.h>

static void nothing(void *p) { (void)p; }

static void nested_try(void)
{
    cx_try {
        cx_try {
            cx_raise(&cx_ValueError, "inner %d", 1);
        } cx_except (&cx_ValueError, e) {
            cx_try {
                cx_reraise();
            } cx_except_any (e2) {
                (void)e2;
            } cx_finally {
            }
        }
    } cx_except_any (e) {
        (void)e;
    } cx_else {
    } cx_finally {
    }
}

static void stacked_and_nested_with(void)
{
    cx_with (cx_nullcontext(NULL))
    cx_with (void *a, cx_nullcontext(NULL))
    cx_with (const char *dir, cx_tempdir()) {
        (void)a;
        cx_with (FILE *f, cx_tempfile())
        cx_with (cx_nullcontext(f)) {
            fprintf(f, "%s\n", dir);
        }
    }
}

static void nested_scopes(void)
{
    cx_scope {
        cx_defer(nothing, NULL);
        cx_defer(nothing, NULL);
        cx_scope {
            cx_defer(nothing, NULL);
            cx_with (cx_nullcontext(NULL)) {
                cx_scope {
                    cx_defer(nothing, NULL);
                }
            }
        }
    }
}

int main(void)
{
    nested_try();
    stacked_and_nested_with();
    nested_scopes();
    return 0;
}
