/* cx-check known-bad: R3, break or continue captured by a cx_with, cx_scope
 * or cx_try that sits in a loop (or, for break, in a switch): it leaves only
 * the statement.  Parsed only. */
#include <stdio.h>

#include <cx/cx.h>

int work(int i);
void note(void *arg);

void break_in_a_with(const char *const *paths, int n)
{
    for (int i = 0; i < n; i++) {
        cx_with (FILE *f, cx_open(paths[i], "r")) {
            if (fgetc(f) == '#')
                break; /* expect: R3 */
        }
    }
}

void continue_in_a_scope(int n)
{
    while (n-- > 0) {
        cx_scope {
            cx_defer(note, "round");
            if (work(n))
                continue; /* expect: R3 */
            work(-n);
        }
    }
}

void break_in_a_try_body(int n)
{
    do {
        cx_try {
            if (work(n))
                break; /* expect: R3 */
        } cx_except_any (e) {
            (void)e;
        }
    } while (--n > 0);
}

void break_in_a_handler(int n)
{
    for (int i = 0; i < n; i++) {
        cx_try {
            work(i);
        } cx_except (&cx_ValueError, e) {
            (void)e;
            break; /* expect: R3 */
        }
    }
}

/* Nested withs in a loop: the break leaves only the inner one. */
void break_in_nested_withs(cx_manager a, cx_manager b, int n)
{
    for (int i = 0; i < n; i++) {
        cx_with (a) {
            cx_with (b) {
                if (work(i))
                    break; /* expect: R3 */
            }
        }
    }
}

/* A with in a switch: the break leaves the with, not the switch. */
void break_in_a_with_in_a_switch(int k, cx_manager m)
{
    switch (k) {
    case 1:
        cx_with (m) {
            work(1);
            break; /* expect: R3 */
        }
        work(2);
        break;
    default:
        break;
    }
}

/* continue in a with inside a switch inside a loop: the loop was meant. */
void continue_through_a_switch(int n, cx_manager m)
{
    for (int i = 0; i < n; i++) {
        switch (i % 2) {
        case 0:
            cx_with (m) {
                if (work(i))
                    continue; /* expect: R3 */
            }
            break;
        default:
            break;
        }
    }
}
