/* cx-check known-bad: R1, a local that is not volatile, assigned where a
 * raise may land and read after the landing.  Each finding is reported on
 * the local's declaration, the line marked `expect: R1`.  Parsed only. */
#include <stdio.h>

#include <cx/cx.h>

int work(int i);
void use(int v);
void touch(int *p);

/* Read in cx_finally. */
int read_in_finally(void)
{
    int done = 0; /* expect: R1 */
    cx_try {
        done = work(1);
    } cx_finally {
        use(done);
    }
    return 0;
}

/* Read in a handler. */
void read_in_handler(void)
{
    int step = 0; /* expect: R1 */
    cx_try {
        step = 1;
        work(step);
        step = 2;
        work(step);
    } cx_except_any (e) {
        printf("failed at step %d: %s\n", step, cx_error_message(e));
    }
}

/* Counted inside a loop, read after the loop. */
int read_after_the_loop(int n)
{
    int failures = 0, ok = 0; /* expect: R1 */
    for (int i = 0; i < n; i++) {
        cx_try {
            ok++;
            work(i);
        } cx_except (&cx_ValueError, e) {
            (void)e;
            failures++;
        }
    }
    return failures + ok;
}

/* A parameter is a local too. */
int parameter(int budget) /* expect: R1 */
{
    cx_try {
        budget -= work(budget);
    } cx_except_any (e) {
        (void)e;
    }
    return budget;
}

/* Assigned in a handler, read in cx_finally (a raise in the handler lands
 * there). */
void handler_then_finally(void)
{
    const char *state = "start"; /* expect: R1 */
    cx_try {
        work(0);
    } cx_except_any (e) {
        (void)e;
        state = "handling";
        work(1);
    } cx_finally {
        puts(state);
    }
}

/* Nested: assigned in a cx_with inside the body, read in the handler. */
void nested_with_in_try(const char *path)
{
    long size = -1; /* expect: R1 */
    cx_try {
        cx_with (FILE *f, cx_open(path, "r")) {
            fseek(f, 0, SEEK_END);
            size = ftell(f);
            work(2);
        }
    } cx_except (&cx_OSError, e) {
        printf("%s: %s (size %ld)\n", path, cx_error_message(e), size);
    }
}

/* Nested tries: assigned in the inner body, read after the outer one. */
int nested_tries(void)
{
    struct {
        int a, b;
    } pair = {0, 0}; /* expect: R1 */
    cx_try {
        cx_try {
            pair.a = work(3);
        } cx_finally {
            puts("inner");
        }
        pair.b = 1;
    } cx_except_any (e) {
        (void)e;
    }
    return pair.a + pair.b;
}

/* Its address is taken: still a local the rule covers. */
int address_taken(void)
{
    int n = 0; /* expect: R1 */
    touch(&n);
    cx_try {
        n = work(n);
    } cx_except_any (e) {
        (void)e;
    }
    return n;
}

/* A cx_with whose manager suppresses: the statement can be left by a
 * landing, and the read after it sees the clobbered value. */
int suppressed_with(void)
{
    int parsed = 0; /* expect: R1 */
    cx_with (cx_suppress(&cx_ValueError)) {
        parsed = work(4);
        work(5);
    }
    return parsed;
}

/* A user's manager may suppress too; here in a loop, read on the next round. */
void users_manager_in_a_loop(cx_manager m, int rounds)
{
    int total = 0; /* expect: R1 */
    while (total < 100 && rounds-- > 0) {
        cx_with (m) {
            total += work(rounds);
        }
    }
}

/* An array element is part of the local. */
int array_element(void)
{
    int seen[4] = {0}; /* expect: R1 */
    cx_try {
        seen[1] = work(6);
    } cx_except_any (e) {
        (void)e;
    }
    return seen[1];
}

/* Read in the body, before the body assigns it: on the loop's next round
 * after a landing, the read sees the value from before the landing point
 * (clang -O2 prints -1 -1 10 10 for last = i * 10 with every even i
 * raising). */
void read_in_the_body_before_its_assignment(int n)
{
    int last = -1; /* expect: R1 */
    for (int i = 0; i < n; i++) {
        cx_try {
            use(last);
            last = i * 10;
            work(i);
        } cx_except_any (e) {
            (void)e;
        }
    }
}

/* The same in a cx_with that can suppress, in a while loop. */
void read_in_a_with_body_before_its_assignment(cx_manager m, int n)
{
    const char *state = "none"; /* expect: R1 */
    while (n-- > 0) {
        cx_with (m) {
            puts(state);
            state = "set";
            work(n);
        }
    }
}
