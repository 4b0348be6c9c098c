/* Fuzz target `diff`: the differential interpreter (tests/diff/interp.c),
 * so every construct it drives — with over class and generator managers,
 * suppress, ExitStack with enter_context, callback and push, try / except /
 * else / finally, raise, raise from, bare raise, raise e, return, break,
 * continue, loops, cx_using (over any manager or an ExitStack) and cx_defer
 * — runs in shapes chosen by the fuzzer.
 *
 * The input steers a generator that follows difftest.py's rules (return
 * only where no try encloses it, break only in loops and never in else or
 * finally, yield only in generator managers, raise from / bare raise /
 * raise e only in an except clause), so every scenario is one CPython would
 * run too; difftest.py compares traces, this target looks for what a trace
 * cannot show.
 *
 * Properties: the scenario parses, runs and ends with an "end ..." event;
 * nothing crashes (ASan, UBSan), nothing leaks.  CX_FUZZ_DIFF_SHOW=1 prints
 * each scenario as a line cx-diff and difftest.py read. */
#include <stdbool.h>
#include <string.h>

#include "interp.h"
#include "fuzz.h"

static const char *const raise_types[] = {"ValueError", "TypeError", "KeyError",
                                          "IndexError", "RuntimeError", "OSError"};
/* What except clauses may name; suppress and ST take all but "any". */
static const char *const catch_types[] = {"ValueError", "TypeError", "KeyError",
                                          "IndexError", "RuntimeError", "OSError",
                                          "LookupError", "Exception", "any"};
#define NRAISE 6
#define NCATCH 9

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->n + n + 2 > t->cap) {
        t->cap = 2 * (t->n + n + 2);
        t->s = realloc(t->s, t->cap);
        FUZZ_CHECK(t->s != NULL, "no memory");
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n++] = ' ';
    t->s[t->n] = '\0';
}

typedef struct gen {
    fuzz_input in;
    int budget, n;
} gen;

typedef struct ctx {
    int gen;      /* yields wanted (generator body), 0 elsewhere */
    int *yields;  /* yields placed so far in this generator body */
    bool in_try, brk, inloop, stack, exc;
} ctx;

static unsigned pick(gen *g, unsigned n) { return n ? fuzz_byte(&g->in) % n : 0; }

static void fresh(gen *g, text *t, const char *prefix)
{
    char name[32];
    snprintf(name, sizeof name, "%s%d", prefix, ++g->n);
    put(t, name);
}

static void block(gen *g, ctx c, int depth, int lo, int hi, text *t);

static void exit_action(gen *g, text *t)
{
    unsigned x = pick(g, 100);
    if (x < 45) {
        put(t, "P");
    } else if (x < 65) {
        put(t, "S");
    } else if (x < 80) {
        put(t, "ST");
        put(t, catch_types[pick(g, NCATCH - 1)]);
    } else {
        put(t, "X");
        put(t, raise_types[pick(g, NRAISE)]);
        fresh(g, t, "m");
    }
}

static void gen_body(gen *g, int depth, text *t);

static void mgr(gen *g, ctx c, int depth, text *t)
{
    (void)c;
    unsigned k = pick(g, 100);
    if (k < 45) {
        put(t, "MC");
        fresh(g, t, "a");
        if (pick(g, 100) < 12) {
            put(t, "1");
            put(t, raise_types[pick(g, NRAISE)]);
            fresh(g, t, "m");
        } else {
            put(t, "0");
        }
        exit_action(g, t);
    } else if (k < 85) {
        put(t, "MG");
        fresh(g, t, "g");
        gen_body(g, depth, t);
    } else {
        unsigned n = 1 + pick(g, 3);
        char num[4];
        snprintf(num, sizeof num, "%u", n);
        put(t, "MS");
        put(t, num);
        for (unsigned i = 0; i < n; i++)
            put(t, catch_types[pick(g, NCATCH - 1)]);
    }
}

/* Appends one statement; true when it ends its block (raise, return, ...). */
static bool stmt(gen *g, ctx *c, int depth, text *t)
{
    enum { LOG, RAISE, WITH, TRY, STACK, LOOP, RETURN, BREAK, FROM, FROM_NONE, RERAISE,
           THROW, ENTER_CTX, CALLBACK, PUSH, YIELD, CONTINUE, USING, USING_STACK, DEFER,
           NKINDS };
    int weight[NKINDS] = {0};
    g->budget--;
    weight[LOG] = 2;
    weight[RAISE] = depth ? 2 : 1;
    if (depth < 4) {
        weight[WITH] = 6, weight[TRY] = 4, weight[STACK] = 3;
        if (!c->brk && !c->inloop)
            weight[LOOP] = 1;
    }
    if (!c->in_try)
        weight[RETURN] = 1;
    if (c->brk)
        weight[BREAK] = 2, weight[CONTINUE] = 1;
    weight[USING] = 4, weight[DEFER] = 1;
    if (depth < 4)
        weight[USING_STACK] = 1;
    if (c->exc)
        weight[FROM] = 1, weight[FROM_NONE] = 1, weight[RERAISE] = 2, weight[THROW] = 1;
    if (c->stack)
        weight[ENTER_CTX] = 3, weight[CALLBACK] = 2, weight[PUSH] = 2;
    if (c->gen && *c->yields < c->gen)
        weight[YIELD] = 5;
    int total = 0;
    for (int k = 0; k < NKINDS; k++)
        total += weight[k];
    int x = (int)pick(g, (unsigned)total), kind = 0;
    while (x >= weight[kind])
        x -= weight[kind++];

    switch (kind) {
    case LOG:
        put(t, "L");
        fresh(g, t, "l");
        return false;
    case RAISE:
    case FROM:
    case FROM_NONE:
        put(t, kind == RAISE ? "R" : kind == FROM ? "F" : "N");
        put(t, raise_types[pick(g, NRAISE)]);
        fresh(g, t, "m");
        return true;
    case RERAISE: put(t, "RR"); return true;
    case THROW: put(t, "TH"); return true;
    case RETURN: put(t, "RET"); return true;
    case BREAK: put(t, "BRK"); return true;
    case CONTINUE: put(t, "CONT"); return true;
    case USING:
        put(t, "U");
        mgr(g, *c, depth, t);
        return false;
    case USING_STACK: /* the rest of the block may use the ExitStack */
        c->stack = true;
        put(t, "US");
        fresh(g, t, "st");
        return false;
    case DEFER: {
        int none = 0;
        ctx d = {0, &none, false, false, false, false, false};
        put(t, "D");
        fresh(g, t, "d");
        block(g, d, depth + 2, 0, 2, t);
        return false;
    }
    case YIELD:
        ++*c->yields;
        put(t, "Y");
        return false;
    case LOOP: {
        ctx l = *c;
        l.brk = l.inloop = true;
        put(t, pick(g, 2) ? "LOOP2" : "LOOP");
        block(g, l, depth + 1, 1, 3, t);
        return false;
    }
    case WITH:
        put(t, "W");
        mgr(g, *c, depth, t);
        block(g, *c, depth + 1, 0, 3, t);
        return false;
    case STACK: {
        ctx s = *c;
        s.stack = true;
        put(t, "ES");
        fresh(g, t, "st");
        block(g, s, depth + 1, 1, 4, t);
        return false;
    }
    case ENTER_CTX:
        put(t, "EC");
        mgr(g, *c, depth, t);
        return false;
    case CALLBACK: {
        int none = 0;
        ctx cb = {0, &none, false, false, false, false, false};
        put(t, "CB");
        fresh(g, t, "c");
        block(g, cb, depth + 2, 0, 2, t);
        return false;
    }
    case PUSH:
        put(t, "PU");
        fresh(g, t, "p");
        exit_action(g, t);
        return false;
    default: { /* TRY */
        ctx tc = *c;
        tc.in_try = true;
        put(t, "TRY");
        block(g, tc, depth + 1, 0, 3, t);
        static const unsigned hweights[] = {2, 6, 3, 1};
        unsigned y = pick(g, 12), nh = 0;
        while (y >= hweights[nh])
            y -= hweights[nh++];
        char num[4];
        snprintf(num, sizeof num, "%u", nh);
        put(t, num);
        for (unsigned i = 0; i < nh; i++) {
            ctx h = tc;
            h.exc = true;
            put(t, catch_types[pick(g, NCATCH)]);
            block(g, h, depth + 1, 0, 2, t);
        }
        ctx nc = tc;
        nc.brk = false;
        if (nh && pick(g, 10) < 3) {
            put(t, "1");
            block(g, nc, depth + 1, 0, 2, t);
        } else {
            put(t, "0");
        }
        if (!nh || pick(g, 10) < 4) {
            put(t, "1");
            block(g, nc, depth + 1, 0, 2, t);
        } else {
            put(t, "0");
        }
        return false;
    }
    }
}

static void block(gen *g, ctx c, int depth, int lo, int hi, text *t)
{
    int n = lo + (int)pick(g, (unsigned)(hi - lo + 1));
    put(t, "{");
    for (int i = 0; i < n && g->budget > 0; i++)
        if (stmt(g, &c, depth, t))
            break;
    put(t, "}");
}

/* A generator manager's body: mostly one yield, sometimes none or two,
 * placed where the fuzzer says when the statements did not place them. */
static void gen_body(gen *g, int depth, text *t)
{
    unsigned w = pick(g, 12);
    int want = w == 0 ? 0 : w == 11 ? 2 : 1, placed = 0;
    ctx gc = {want, &placed, false, false, false, false, false};
    text stmts[4] = {{0}};
    int n = (int)pick(g, 4), k = 0;
    for (; k < n && g->budget > 0; k++)
        if (stmt(g, &gc, depth + 1, &stmts[k]) && ++k)
            break;
    put(t, "{");
    put(t, "L");
    fresh(g, t, "gs");
    int missing = want - placed, at = missing > 0 ? (int)pick(g, (unsigned)k + 1) : -1;
    for (int i = 0; i <= k; i++) {
        if (i == at)
            for (; missing > 0; missing--)
                put(t, "Y");
        if (i < k && stmts[i].s) {
            stmts[i].s[stmts[i].n - 1] = '\0'; /* put adds the space back */
            put(t, stmts[i].s);
        }
    }
    for (int i = 0; i < 4; i++)
        free(stmts[i].s);
    put(t, "}");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gen g = {{data, size}, 0, 0};
    g.budget = 6 + (int)pick(&g, 40);
    int none = 0;
    ctx top = {0, &none, false, false, false, false, false};
    text t = {0};
    block(&g, top, 0, 2, 4, &t);
    if (getenv("CX_FUZZ_DIFF_SHOW")) /* the scenario, for a finding's report */
        fprintf(stderr, "S 0 %s\n", t.s);
    node *all;
    node *b = diff_parse(t.s, &all);
    diff_trace_reset();
    diff_run(b);
    const char *trace = diff_trace();
    const char *last = strstr(trace, "end ");
    FUZZ_CHECK(last != NULL, "no end event in the trace:\n%s", trace);
    diff_free(all);
    diff_trace_reset();
    free(t.s);
    return 0;
}
