/* The volatile rule (docs/statements.md, "The volatile rule"), kept: every
 * local assigned inside a cx_try body, handler or else clause, or inside the
 * body of a cx_with whose manager can suppress, and read in a later clause or
 * after the statement, is volatile.  Built with gcc and clang at -O0, -O2 and
 * -O3 by check-examples-compilers.sh, which expects exactly the output at the
 * end of this file from every build. */
#include <stdio.h>

#include <cx/cx.h>

/* Out of line, so the compiler cannot see which iteration raises. */
__attribute__((noinline)) static void maybe_fail(int i, int at)
{
    if (i == at)
        cx_raise(&cx_ValueError, "step %d failed", i);
}

/* Changed in the body, read in the handler, in finally and after. */
static void body_to_handler(void)
{
    volatile int done = 0;
    volatile double total = 0;
    cx_try {
        for (int i = 1; i <= 5; i++) {
            maybe_fail(i, 4);
            done++;
            total += i * 0.5;
        }
    } cx_except (&cx_ValueError, e) {
        printf("handler: %d steps done, total %.1f (%s)\n", done, total, cx_error_message(e));
    } cx_finally {
        printf("finally: %d steps done\n", done);
    }
    printf("after:   %d steps done, total %.1f\n", done, total);
}

/* Changed in the handler and in else, read in finally and after. */
static void clauses_to_after(int fail_at)
{
    volatile int handled = 0;
    const char *volatile outcome = "none";
    cx_try {
        for (int i = 1; i <= 3; i++)
            maybe_fail(i, fail_at);
    } cx_except_any (e) {
        (void)e;
        handled = 1;
        outcome = "handled";
    } cx_else {
        outcome = "clean";
    } cx_finally {
        printf("finally: outcome %s, handled %d\n", outcome, handled);
    }
    printf("after:   outcome %s, handled %d\n", outcome, handled);
}

/* A cx_with whose manager suppresses: read after the statement. */
static void suppressed_with(void)
{
    volatile int done = 0;
    cx_with (cx_suppress(&cx_ValueError)) {
        for (int i = 1; i <= 5; i++) {
            maybe_fail(i, 3);
            done++;
        }
    }
    printf("after a suppressed with: %d steps done\n", done);
}

int main(void)
{
    body_to_handler();
    clauses_to_after(2);
    clauses_to_after(0);
    suppressed_with();
    return 0;
}

/* expected:
handler: 3 steps done, total 3.0 (step 4 failed)
finally: 3 steps done
after:   3 steps done, total 3.0
finally: outcome handled, handled 1
after:   outcome handled, handled 1
finally: outcome clean, handled 0
after:   outcome clean, handled 0
after a suppressed with: 2 steps done
*/
