/* The small managers of contextlib: suppress, nullcontext, closing. */
#include <cx/contextlib.h>

/* ---- suppress ---- */

#define SUPPRESS_MAX 7

typedef struct {
    int n;
    const cx_type *types[SUPPRESS_MAX];
} suppress_state;

static void *suppress_enter(void *state) { (void)state; return NULL; }

static bool suppress_exit(void *state, cx_error *err)
{
    suppress_state *s = state;
    for (int i = 0; err && i < s->n; i++)
        if (cx_error_is(err, s->types[i]))
            return true;
    return false;
}

static const cx_manager_type suppress_type = {"suppress", suppress_enter, suppress_exit};

cx_manager cx__suppress(const cx_type *const *types)
{
    suppress_state s = {0};
    while (types[s.n]) {
        if (s.n == SUPPRESS_MAX)
            cx_raise(&cx_ValueError, "suppress: at most %d types", SUPPRESS_MAX);
        s.types[s.n] = types[s.n];
        s.n++;
    }
    return cx_manager_make(&suppress_type, &s, sizeof s);
}

/* ---- nullcontext ---- */

static void *null_enter(void *state) { return *(void **)state; }
static bool null_exit(void *state, cx_error *err) { (void)state, (void)err; return false; }
static const cx_manager_type null_type = {"nullcontext", null_enter, null_exit};

cx_manager cx_nullcontext(void *value) { return cx_manager_make(&null_type, &value, sizeof value); }

/* ---- closing ---- */

typedef struct {
    void *obj;
    void (*close)(void *);
} closing_state;

static void *closing_enter(void *state) { return ((closing_state *)state)->obj; }

static bool closing_exit(void *state, cx_error *err)
{
    closing_state *s = state;
    (void)err;
    s->close(s->obj);
    return false;
}

static const cx_manager_type closing_type = {"closing", closing_enter, closing_exit};

cx_manager cx_closing(void *obj, void (*close)(void *))
{
    if (!close)
        cx_raise(&cx_ValueError, "cx_closing: close is NULL");
    closing_state s = {obj, close};
    return cx_manager_make(&closing_type, &s, sizeof s);
}
