/* cx-check known-bad: R2, return or goto out of a cx_try that has a
 * cx_finally (the finally clause cannot run).  Parsed only. */
#include <stdio.h>

#include <cx/cx.h>

int work(int i);

int return_from_the_body(void)
{
    cx_try {
        if (work(0))
            return 1; /* expect: R2 */
    } cx_finally {
        puts("finally");
    }
    return 0;
}

void goto_from_a_handler(void)
{
    cx_try {
        work(1);
    } cx_except (&cx_ValueError, e) {
        (void)e;
        goto out; /* expect: R2 */
    } cx_finally {
        puts("finally");
    }
out:
    puts("out");
}

int return_from_else(void)
{
    cx_try {
        work(2);
    } cx_except_any (e) {
        (void)e;
    } cx_else {
        return 2; /* expect: R2 */
    } cx_finally {
        puts("finally");
    }
    return 0;
}

/* Nested: a cx_with inside the body does not make the return safe. */
int return_through_a_with(const char *path)
{
    cx_try {
        cx_with (FILE *f, cx_open(path, "r")) {
            if (fgetc(f) == EOF)
                return -1; /* expect: R2 */
        }
    } cx_finally {
        puts("finally");
    }
    return 0;
}

/* Nested: the inner cx_try has no finally, the outer one has. */
int return_through_an_inner_try(void)
{
    cx_try {
        cx_try {
            work(3);
        } cx_except_any (e) {
            (void)e;
            return 3; /* expect: R2 */
        }
    } cx_finally {
        puts("finally");
    }
    return 0;
}

/* In a loop inside the body: still out of the statement. */
int return_from_a_loop_in_the_body(int n)
{
    cx_try {
        for (int i = 0; i < n; i++)
            if (work(i) < 0)
                return i; /* expect: R2 */
    } cx_finally {
        puts("finally");
    }
    return n;
}
