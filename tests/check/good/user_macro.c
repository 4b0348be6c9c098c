/* cx-check known-good: statements written inside the user's own macros,
 * with code passed as arguments that keeps the volatile rule.  Parsed only;
 * cx-check must report nothing here. */
#include <stdio.h>

#include <cx/cx.h>

int work(int i);
void use(int v);

/* tests/harness.h's CHECK_RAISES_HERE, in short: the error is assigned
 * before the statement and in its handler, both through an argument. */
#define RAISES(err, stmt)                                                      \
    do {                                                                       \
        (err) = NULL;                                                          \
        cx_try { stmt; } cx_except_any (x_) { (err) = cx_error_ref(x_); }      \
    } while (0)

#define TRY_CATCH(body, handler)                                               \
    do {                                                                       \
        cx_try { body; } cx_except_any (x_) { (void)x_; handler; }             \
    } while (0)

#define QUIETLY(stmt) cx_with (cx_suppress(&cx_ValueError)) { stmt; }

/* Assigned in the handler only: a landing has happened before it runs. */
int assigned_in_the_handler_only(void)
{
    cx_error *e;
    RAISES(e, work(0));
    int failed = e != NULL;
    cx_error_unref(e);
    return failed;
}

/* Assigned in the body argument, the local volatile. */
void *volatile_local(void)
{
    cx_error *e;
    void *volatile q = NULL;
    RAISES(e, q = cx_malloc(8));
    if (e)
        cx_error_unref(e);
    return q;
}

/* Assigned in the body argument, never read where a landing goes on. */
void assigned_not_read_after(void)
{
    int step = 0;
    TRY_CATCH(step = work(1); use(step), puts("failed"));
}

/* The handler argument assigns, the read after it sees that value. */
int handler_argument_assigns(void)
{
    int failed = 0;
    TRY_CATCH(work(2), failed = 1);
    return failed;
}

/* A suppressing cx_with through a macro, its local volatile. */
int suppressed_volatile(void)
{
    volatile int parsed = 0;
    QUIETLY(parsed = work(3));
    return parsed;
}

/* A cx_with written inside the argument, whose manager never suppresses:
 * its body's locals are read only inside it. */
void with_inside_the_argument(const char *path)
{
    cx_error *e;
    RAISES(e, cx_with (FILE *f, cx_open(path, "r")) {
        long size = ftell(f);
        use((int)size);
    });
    if (e)
        cx_error_unref(e);
}
