/* cx-check known-good: statements that look like the hazards cx-check
 * reports and are not.  Parsed only; cx-check must report nothing here. */
#include <pthread.h>
#include <stdio.h>

#include <cx/cx.h>

int work(int i);
void use(int v);
void note(void *arg);

/* Volatile locals: scalars, pointers, arrays, through a typedef. */
typedef volatile int counter;
int volatile_locals(void)
{
    volatile int n = 0;
    int *volatile p = NULL;
    volatile char buf[8] = {0};
    counter c = 0;
    cx_try {
        n = work(0);
        p = NULL;
        buf[0] = 'x';
        c++;
    } cx_except_any (e) {
        printf("%d %p %c %d %s\n", n, (void *)p, buf[0], c, cx_error_message(e));
    } cx_finally {
        use(n + c);
    }
    return n + c;
}

/* Assigned in the body and read only there: no landing before the read. */
int read_only_in_the_body(void)
{
    int x = 0, y = 0;
    cx_try {
        x = work(1);
        use(x);
        int local = x + 1; /* declared inside: a fresh object each time */
        use(local);
    } cx_except_any (e) {
        (void)e;
        y = 1;  /* assigned after the landing: safe to read later */
    }
    return y;
}

/* Read after the statement, but every handler leaves the function. */
int handlers_that_never_end_normally(void)
{
    int r = 0;
    cx_try {
        r = work(2);
    } cx_except (&cx_ValueError, e) {
        fprintf(stderr, "%s\n", cx_error_message(e));
        return -1;
    } cx_except_any (e) {
        (void)e;
        cx_reraise();
    }
    return r;
}

/* No handler: a landing goes through cx_finally to the caller, never on. */
int no_handler(void)
{
    int r = 0;
    cx_try {
        r = work(3);
    } cx_finally {
        puts("finally");
    }
    return r;
}

/* cx_else runs only when the body raised nothing. */
int read_in_else(void)
{
    int r = 0;
    cx_try {
        r = work(4);
    } cx_except_any (e) {
        (void)e;
    } cx_else {
        use(r);
    }
    return 0;
}

/* sizeof reads nothing. */
size_t only_sizeof(void)
{
    long v = 0;
    cx_try {
        v = work(5);
    } cx_except_any (e) {
        (void)e;
    }
    return sizeof v;
}

/* Managers that never suppress: a raise in the body always leaves the
 * function, so the read after the statement runs only after a normal end. */
long never_suppressing_managers(const char *path, pthread_mutex_t *m)
{
    long size = 0;
    int locked = 0;
    cx_with (FILE *f, cx_open(path, "r")) {
        fseek(f, 0, SEEK_END);
        size = ftell(f);
    }
    cx_with (cx_lock(m)) {
        locked = 1;
    }
    cx_with (const char *dir, cx_tempdir()) {
        size += (long)dir[0];
    }
    return size + locked;
}

/* A cx_with whose manager can suppress, but nothing read after it. */
void suppressing_manager_nothing_read_after(void)
{
    int tries = 0;
    cx_with (cx_suppress(&cx_KeyError)) {
        tries = work(6);
        use(tries);
    }
}

/* return and goto from a cx_try without cx_finally. */
int return_without_finally(void)
{
    cx_try {
        if (work(7))
            return 1;
    } cx_except_any (e) {
        (void)e;
        goto out;
    }
    return 0;
out:
    return -1;
}

/* goto to a label inside the same cx_try body, which has a cx_finally. */
void goto_within_the_body(void)
{
    cx_try {
        int i = 0;
    again:
        if (work(i++))
            goto again;
    } cx_finally {
        puts("finally");
    }
}

/* break and continue in an inner loop or switch of a with body in a loop. */
void jumps_that_stay_inside(cx_manager m, int n)
{
    for (int i = 0; i < n; i++) {
        cx_with (m) {
            for (int j = 0; j < n; j++) {
                if (work(j))
                    break;
                if (work(-j))
                    continue;
            }
            switch (work(i)) {
            case 0:
                break;
            default:
                break;
            }
            while (work(i))
                break;
        }
    }
}

/* break in a with that is not in a loop: leaving the with is the point. */
void break_outside_any_loop(cx_manager m)
{
    cx_with (m) {
        if (work(8))
            break;
        work(9);
    }
}

/* A loop inside a try body inside a loop: the break leaves the inner loop. */
void break_in_a_loop_in_a_try(int n)
{
    while (n-- > 0) {
        cx_try {
            do {
                if (work(n))
                    break;
            } while (0);
        } cx_except_any (e) {
            (void)e;
        }
    }
}

/* cx_defer in a cx_scope, left by its end. */
void deferred(void)
{
    cx_scope {
        cx_defer(note, "done");
        work(10);
    }
}

/* A deliberate hazard, as a test of the run-time error writes it. */
int deliberate(void)
{
    cx_try {
        return 1; /* cx-check: expected */
    } cx_finally {
        puts("finally");
    }
    return 0;
}

/* A body that assigns a local before it reads it, in a loop: every round
 * writes it again before the read, whatever a landing left in it. */
void assigned_before_read_in_a_loop_body(int n)
{
    int last;
    for (int i = 0; i < n; i++) {
        cx_try {
            last = i * 10;
            use(last);
            work(i);
        } cx_except_any (e) {
            (void)e;
        }
    }
}
