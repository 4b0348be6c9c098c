/* cx-check known-bad: statements written inside the user's own macros, the
 * hazard in code passed as a macro argument.  The macro's body is statement
 * machinery; its arguments are the user's code, checked as if written in
 * place.  Parsed only. */
#include <stdio.h>

#include <cx/cx.h>

int work(int i);
void use(int v);
void cleanup(void);

/* The statement and its handler in the macro; the body from an argument. */
#define TRY_IT(err, stmt)                                                      \
    do {                                                                       \
        cx_try { stmt; } cx_except_any (x_) { (void)x_; err = 1; }             \
    } while (0)

/* Both the body and the handler from arguments. */
#define TRY_CATCH(body, handler)                                               \
    do {                                                                       \
        cx_try { body; } cx_except_any (x_) { (void)x_; handler; }             \
    } while (0)

/* A cx_finally in the macro, its code from an argument. */
#define TRY_FINALLY(body, last) cx_try { body; } cx_finally { last; }

/* A suppressing cx_with in the macro. */
#define QUIETLY(stmt) cx_with (cx_suppress(&cx_ValueError)) { stmt; }

/* A macro over another: the statement two macros down. */
#define TRY_TWICE(err, stmt) do { TRY_IT(err, stmt); TRY_IT(err, stmt); } while (0)

/* Assigned in the argument that is the body, read after the statement. */
void *body_argument_read_after(void)
{
    int e = 0;
    void *q = NULL; /* expect: R1 */
    TRY_IT(e, q = cx_malloc(8));
    printf("%p %d\n", q, e);
    return q;
}

/* Assigned in the body argument, read in the handler argument. */
void read_in_the_handler_argument(void)
{
    int step = 0; /* expect: R1 */
    TRY_CATCH(step = 1; work(step); step = 2; work(step),
              printf("failed at step %d\n", step));
}

/* Assigned in the body argument, read in the cx_finally argument. */
void read_in_the_finally_argument(void)
{
    int done = 0; /* expect: R1 */
    TRY_FINALLY(done = work(1), use(done));
}

/* A suppressing cx_with through a macro: read after it. */
int suppressed_through_a_macro(void)
{
    int parsed = 0; /* expect: R1 */
    QUIETLY(parsed = work(2));
    return parsed;
}

/* A cx_with written inside the argument: its body is the user's too. */
long with_inside_the_argument(const char *path)
{
    int e = 0;
    long size = -1; /* expect: R1 */
    TRY_IT(e, cx_with (FILE *f, cx_open(path, "r")) {
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        work(3);
    });
    return e ? -1 : size;
}

/* Two macros down, the argument still the user's. */
int through_two_macros(void)
{
    int e = 0, n = 0; /* expect: R1 */
    TRY_TWICE(e, n += work(4));
    return n + e;
}

/* A user macro inside a loop: read on the loop's next round. */
void in_a_loop(int rounds)
{
    int e = 0;
    int total = 0; /* expect: R1 */
    while (total < 100 && rounds-- > 0)
        TRY_IT(e, total += work(rounds));
    (void)e;
}

/* A break in an argument leaves the macro's cx_try, not the loop. */
void break_in_the_argument(int n)
{
    int e = 0;
    for (int i = 0; i < n; i++)
        TRY_IT(e, if (work(i)) break); /* expect: R3 */
    (void)e;
}

/* A return in an argument leaves the macro's cx_try, which has a cx_finally. */
int return_in_the_argument(void)
{
    TRY_FINALLY(if (work(5)) return 1, /* expect: R2 */
                cleanup());
    return 0;
}
