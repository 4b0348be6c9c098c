/* Fuzz target `error`: raising, chaining and printing errors
 * (src/core/error.c, raise.c, try.c, print.c).
 *
 * The input is a program: each step raises, in one of ten ways — cx_raise,
 * cx_raise_errno, cx_raise_from (a kept error or None), cx_throw of a kept
 * error (cycles included), cx_reraise (inside a handler or not), or a
 * cx_try around further steps whose handler, finally or next step raises
 * again, so chains of any shape and depth form.  Messages are input bytes
 * (through "%s"), up to 6,000 bytes.
 *
 * Properties: each raise's message is what was formatted; cx_error_print of
 * any error (to a memstream) shows the newest error's "Type: message" line;
 * nothing crashes, nothing leaks. */
#include <limits.h>
#include <string.h>

#include <cx/cx.h>

#include "fuzz.h"

CX_DEFINE_ERROR(FuzzError, cx_ValueError);

#define KEPT 16
#define DEPTH_MAX 200

typedef struct prog {
    fuzz_input in;
    cx_error *kept[KEPT];
    unsigned nkept;
    char msg[6001];
} prog;

static const cx_type *const types[] = {
    &cx_ValueError, &cx_TypeError, &cx_KeyError, &cx_OSError, &cx_FileNotFoundError,
    &cx_RuntimeError, &cx_MemoryError, &cx_Exception, &cx_BaseException, &cx_GeneratorExit,
    &FuzzError,
};

static const int errnums[] = {0, 1, 2, 4, 9, 11, 13, 17, 20, 21, 110, 9999, -1, INT_MAX};

static const cx_type *pick_type(prog *p) { return types[fuzz_byte(&p->in) % (sizeof types / sizeof *types)]; }

/* The next message into p->msg: a length byte (250..255: 1,000 to 6,000
 * bytes, the input repeated), then the bytes; a NUL ends it early. */
static const char *next_msg(prog *p)
{
    size_t len = fuzz_byte(&p->in);
    if (len >= 250)
        len = (len - 249) * 1000;
    size_t i = 0;
    const uint8_t *start = p->in.p;
    size_t avail = p->in.n;
    for (; i < len && avail; i++)
        p->msg[i] = (char)start[i % avail];
    p->msg[i] = '\0';
    size_t used = len < avail ? len : avail;
    p->in.p += used;
    p->in.n -= used;
    return p->msg;
}

static void keep(prog *p, cx_error *e)
{
    unsigned slot = p->nkept++ % KEPT;
    cx_error_unref(p->kept[slot]);
    p->kept[slot] = cx_error_ref(e);
}

static cx_error *kept(prog *p)
{
    unsigned n = p->nkept < KEPT ? p->nkept : KEPT;
    uint8_t b = fuzz_byte(&p->in);
    return n ? p->kept[b % n] : NULL;
}

static void check_printed(const cx_error *e)
{
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    FUZZ_CHECK(mem != NULL, "no memory");
    cx_error_print(e, mem);
    fclose(mem);
    const char *msg = cx_error_message(e);
    size_t need = strlen(cx_error_type(e)->name) + strlen(msg) + 4;
    char *line = malloc(need);
    FUZZ_CHECK(line != NULL, "no memory");
    snprintf(line, need, *msg ? "%s: %s\n" : "%s\n", cx_error_type(e)->name, msg);
    FUZZ_CHECK(strstr(out, line) != NULL, "the newest error's line is not printed: %s", line);
    free(line);
    free(out);
}

/* Every step raises: no path returns normally, which GCC takes for an
 * endless recursion, though each call consumes input or ends in a leaf. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#endif

static void step(prog *p, int depth);


/* A raise of our own: its message must be what was formatted. */
static void leaf(prog *p, int op)
{
    const cx_type *t = pick_type(p);
    int errnum = errnums[fuzz_byte(&p->in) % (sizeof errnums / sizeof *errnums)];
    cx_error *from = op == 2 ? kept(p) : NULL;
    const char *msg = next_msg(p);
    cx_try {
        if (op == 1)
            cx_raise_errno(errnum, "%s", msg);
        else if (op == 2)
            cx_raise_from(t, from, "%s", msg);
        else
            cx_raise(t, "%s", msg);
    } cx_except_any (e) {
        const char *got = cx_error_message(e);
        if (op == 1)
            FUZZ_CHECK(strncmp(got, msg, strlen(msg)) == 0,
                       "errno message \"%s\" for \"%s\"", got, msg);
        else
            FUZZ_CHECK(strcmp(got, msg) == 0, "message \"%s\" for \"%s\"", got, msg);
        if (op == 2)
            FUZZ_CHECK(cx_error_cause(e) == from, "cause lost");
        keep(p, e);
        cx_reraise();
    }
}

/* Raises, always. */
static void step(prog *p, int depth)
{
    volatile int op = p->in.n && depth < DEPTH_MAX ? fuzz_byte(&p->in) % 10 : 0;
    switch (op) {
    case 3: {
        cx_error *e = kept(p);
        if (e)
            cx_throw(e);
        leaf(p, 0);
        break;
    }
    case 4:
        cx_reraise();
    case 5:
        cx_try {
            step(p, depth + 1);
        } cx_except_any (e) {
            keep(p, e);
            step(p, depth + 1);
        }
        break;
    case 6: {
        bool again = fuzz_byte(&p->in) & 1;
        cx_try {
            step(p, depth + 1);
        } cx_finally {
            if (again)
                step(p, depth + 1);
        }
        break;
    }
    case 7:
        cx_try {
            step(p, depth + 1);
        } cx_except_any (e) {
            keep(p, e);
        }
        step(p, depth + 1);
        break;
    case 8:
        cx_try {
            step(p, depth + 1);
        } cx_except (&cx_OSError, e) {
            keep(p, e);
            step(p, depth + 1);
        }
        break;
    case 9:
        cx_try {
            step(p, depth + 1);
        } cx_except_any (e) {
            check_printed(e);
            cx_reraise();
        }
        break;
    default:
        leaf(p, op);
    }
    FUZZ_CHECK(0, "step %d did not raise", op);
}

static void run(void *arg) { step(arg, 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prog *p = calloc(1, sizeof *p);
    FUZZ_CHECK(p != NULL, "no memory");
    p->in = (fuzz_input){data, size};
    cx_error *e = cx_protect(run, p);
    FUZZ_CHECK(e != NULL, "the program raised nothing");
    check_printed(e);
    cx_error_unref(e);
    for (unsigned i = 0; i < KEPT; i++)
        cx_error_unref(p->kept[i]);
    free(p);
    return 0;
}
