/* cx-diff: the C half of the differential tester (tests/diff/difftest.py).
 *
 * Reads scenarios, one per line ("S <id> <tokens>"), and runs each through a
 * tree-walking interpreter whose every construct is the real cx one: cx_with
 * over managers of our own type, cx_contextmanager generators, cx_exitstack,
 * cx_suppress, and cx_try / cx_except / cx_else / cx_finally.  Prints the
 * same event trace the generated Python prints.
 *
 * Control flow: a statement returns how its block must go on (NEXT, RET,
 * BRK).  RET is a C `return` out of each enclosing cx_with (never out of a
 * cx_try: the generator never puts one there); BRK is a C `break` out of each
 * cx_with body, cx_try body or except clause up to the loop, exactly where
 * Python's break would leave them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cx/cx.h>

#include "interp.h"

/* ------------------------------------------------------------ the trace */

static char *trace;
static size_t trace_len, trace_cap;

void diff_event(const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        /* No buffer yet: NULL + 0 is undefined, so grow first. */
        int n = trace ? vsnprintf(trace + trace_len, trace_cap - trace_len, fmt, ap) : -1;
        va_end(ap);
        if (n >= 0 && (size_t)n + 2 < trace_cap - trace_len) {
            trace_len += (size_t)n;
            trace[trace_len++] = '\n';
            trace[trace_len] = '\0';
            return;
        }
        trace_cap = trace_cap ? trace_cap * 2 : 4096;
        trace = realloc(trace, trace_cap);
        if (!trace)
            abort();
    }
}

const char *diff_trace(void) { return trace ? trace : ""; }
void diff_trace_reset(void) { trace_len = 0; if (trace) trace[0] = '\0'; }

/* ------------------------------------------------------------ the parser */

typedef struct parser {
    char *p;
    node *all; /* every node, for freeing */
} parser;

static const char *word(parser *ps)
{
    while (*ps->p == ' ')
        ps->p++;
    if (!*ps->p || *ps->p == '\n')
        return NULL;
    char *start = ps->p;
    while (*ps->p && *ps->p != ' ' && *ps->p != '\n')
        ps->p++;
    if (*ps->p)
        *ps->p++ = '\0';
    return start;
}

static _Noreturn void bad(const char *what)
{
    fprintf(stderr, "cx-diff: bad scenario: %s\n", what);
    exit(2);
}

static const char *need(parser *ps)
{
    const char *w = word(ps);
    if (!w)
        bad("unexpected end");
    return w;
}

static const cx_type *type_named(const char *name)
{
    static const cx_type *const known[] = {
        &cx_ValueError, &cx_TypeError, &cx_KeyError, &cx_IndexError,
        &cx_RuntimeError, &cx_OSError, &cx_LookupError, &cx_Exception,
    };
    if (strcmp(name, "any") == 0)
        return NULL;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(known[i]->name, name) == 0)
            return known[i];
    bad(name);
}

static node *new_node(parser *ps, int kind)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        abort();
    n->kind = kind;
    n->all_next = ps->all;
    ps->all = n;
    return n;
}

static node *parse_block(parser *ps);

static void parse_action(parser *ps, node *n)
{
    const char *a = need(ps);
    if (strcmp(a, "P") == 0)
        n->act = ACT_PASS;
    else if (strcmp(a, "S") == 0)
        n->act = ACT_SUPPRESS;
    else if (strcmp(a, "ST") == 0) {
        n->act = ACT_SUPPRESS_TYPE;
        n->type = type_named(need(ps));
    }
    else if (strcmp(a, "X") == 0) {
        n->act = ACT_RAISE;
        n->type = type_named(need(ps));
        n->msg = need(ps);
    } else
        bad(a);
}

static node *parse_mgr(parser *ps)
{
    const char *k = need(ps);
    node *m;
    if (strcmp(k, "MC") == 0) {
        m = new_node(ps, N_MCLASS);
        m->name = need(ps);
        if (strcmp(need(ps), "1") == 0) {
            m->enter_type = type_named(need(ps));
            m->enter_msg = need(ps);
        }
        parse_action(ps, m);
    } else if (strcmp(k, "MG") == 0) {
        m = new_node(ps, N_MGEN);
        m->name = need(ps);
        m->body = parse_block(ps);
    } else if (strcmp(k, "MS") == 0) {
        m = new_node(ps, N_MSUPPRESS);
        m->ntypes = atoi(need(ps));
        if (m->ntypes < 1 || m->ntypes > 3)
            bad("suppress arity");
        for (int i = 0; i < m->ntypes; i++)
            m->types[i] = type_named(need(ps));
    } else
        bad(k);
    return m;
}

static node *parse_stmt(parser *ps, const char *k)
{
    node *n;
#define IS(s) (strcmp(k, s) == 0)
    if (IS("L")) {
        n = new_node(ps, N_LOG);
        n->name = need(ps);
    } else if (IS("R") || IS("F") || IS("N")) {
        n = new_node(ps, IS("R") ? N_RAISE : IS("F") ? N_RAISE_FROM : N_RAISE_FROM_NONE);
        n->type = type_named(need(ps));
        n->msg = need(ps);
    } else if (IS("RR")) {
        n = new_node(ps, N_RERAISE);
    } else if (IS("TH")) {
        n = new_node(ps, N_THROW);
    } else if (IS("RET")) {
        n = new_node(ps, N_RETURN);
    } else if (IS("BRK")) {
        n = new_node(ps, N_BREAK);
    } else if (IS("Y")) {
        n = new_node(ps, N_YIELD);
    } else if (IS("LOOP")) {
        n = new_node(ps, N_LOOP);
        n->body = parse_block(ps);
    } else if (IS("W")) {
        n = new_node(ps, N_WITH);
        n->mgr = parse_mgr(ps);
        n->body = parse_block(ps);
    } else if (IS("ES")) {
        n = new_node(ps, N_STACK);
        n->name = need(ps);
        n->body = parse_block(ps);
    } else if (IS("EC")) {
        n = new_node(ps, N_ENTER_CTX);
        n->mgr = parse_mgr(ps);
    } else if (IS("CB")) {
        n = new_node(ps, N_CALLBACK);
        n->name = need(ps);
        n->body = parse_block(ps);
    } else if (IS("PU")) {
        n = new_node(ps, N_PUSH);
        n->name = need(ps);
        parse_action(ps, n);
    } else if (IS("TRY")) {
        n = new_node(ps, N_TRY);
        n->body = parse_block(ps);
        n->nhandlers = atoi(need(ps));
        if (n->nhandlers < 0 || n->nhandlers > MAX_HANDLERS)
            bad("handler count");
        for (int i = 0; i < n->nhandlers; i++) {
            n->types[i] = type_named(need(ps));
            n->handlers[i] = parse_block(ps);
        }
        if (strcmp(need(ps), "1") == 0)
            n->els = parse_block(ps);
        if (strcmp(need(ps), "1") == 0)
            n->fin = parse_block(ps);
    } else
        bad(k);
#undef IS
    return n;
}

static node *parse_block(parser *ps)
{
    if (strcmp(need(ps), "{") != 0)
        bad("block");
    node *b = new_node(ps, N_BLOCK), **tail = &b->first;
    for (;;) {
        const char *k = need(ps);
        if (strcmp(k, "}") == 0)
            return b;
        *tail = parse_stmt(ps, k);
        tail = &(*tail)->next;
    }
}

node *diff_parse(char *text, node **all)
{
    parser ps = {text, NULL};
    node *b = parse_block(&ps);
    *all = ps.all;
    return b;
}

void diff_free(node *all)
{
    while (all) {
        node *next = all->all_next;
        free(all);
        all = next;
    }
}

/* ------------------------------------------------------------ execution */

enum { NEXT, RET, BRK };

typedef struct ctx {
    cx_gen *g;            /* the generator whose body runs, for yield */
    cx_exitstack *stack;  /* the innermost ExitStack, for enter_context & co */
    cx_error *e;          /* the innermost except clause's error */
} ctx;

static int exec_block(const node *b, ctx c);

static const char *type_name(const cx_error *err)
{
    return err ? cx_error_type(err)->name : "None";
}

/* A class manager: Python's M in the generated prelude. */
static void *class_enter(void *state)
{
    const node *m = *(const node **)state;
    diff_event("enter %s", m->name);
    if (m->enter_type)
        cx_raise(m->enter_type, "%s", m->enter_msg);
    return NULL;
}

static bool act(const node *n, cx_error *err)
{
    if (n->act == ACT_SUPPRESS)
        return true;
    if (n->act == ACT_SUPPRESS_TYPE)
        return cx_error_is(err, n->type);
    if (n->act == ACT_RAISE)
        cx_raise(n->type, "%s", n->msg);
    return false;
}

static bool class_exit(void *state, cx_error *err)
{
    const node *m = *(const node **)state;
    diff_event("exit %s %s", m->name, type_name(err));
    return act(m, err);
}

static const cx_manager_type class_type = {"diff", class_enter, class_exit};

static void gen_body(cx_gen *g, void *arg)
{
    const node *m = arg;
    ctx c = {g, NULL, NULL};
    exec_block(m->body, c);
}

static cx_manager make_manager(const node *m)
{
    switch (m->kind) {
    case N_MCLASS:
        return cx_manager_make(&class_type, &m, sizeof m);
    case N_MGEN:
        return cx_contextmanager(gen_body, (void *)m);
    default:
        if (m->ntypes == 1)
            return cx_suppress(m->types[0]);
        if (m->ntypes == 2)
            return cx_suppress(m->types[0], m->types[1]);
        return cx_suppress(m->types[0], m->types[1], m->types[2]);
    }
}

static void callback(void *arg)
{
    const node *n = arg;
    ctx c = {NULL, NULL, NULL};
    diff_event("cb %s", n->name);
    exec_block(n->body, c);
}

static bool push_exit(void *arg, cx_error *err)
{
    const node *n = arg;
    diff_event("pexit %s %s", n->name, type_name(err));
    return act(n, err);
}

static int exec_with(const node *n, ctx c)
{
    volatile int st = NEXT;
    cx_with (make_manager(n->mgr)) {
        int s = exec_block(n->body, c);
        if (s == RET)
            return RET;
        if (s == BRK) {
            st = BRK;
            break;
        }
    }
    return st;
}

static int exec_stack(const node *n, ctx c)
{
    volatile int st = NEXT;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        ctx inner = c;
        inner.stack = s;
        int r = exec_block(n->body, inner);
        if (r == RET)
            return RET;
        if (r == BRK) {
            st = BRK;
            break;
        }
    }
    return st;
}

static int exec_loop(const node *n, ctx c)
{
    for (int once = 0; once < 1; once++) {
        int s = exec_block(n->body, c);
        if (s == RET)
            return RET;
        if (s == BRK)
            break;
    }
    return NEXT;
}

/* An except clause's type; an unused clause never matches. */
static const cx_type never = {"never", NULL};

static const cx_type *clause(const node *n, int i)
{
    return i < n->nhandlers ? n->types[i] : &never;
}

#define HANDLER(i)                                                             \
    cx_except (clause(n, i), e) {                                              \
        ctx h = c;                                                             \
        h.e = e;                                                               \
        if (exec_block(n->handlers[i], h) == BRK) {                            \
            st = BRK;                                                          \
            break;                                                             \
        }                                                                      \
    }

static int exec_try(const node *n, ctx c)
{
    volatile int st = NEXT;
    cx_try {
        if (exec_block(n->body, c) == BRK) {
            st = BRK;
            break;
        }
    }
    HANDLER(0)
    HANDLER(1)
    HANDLER(2)
    cx_else {
        if (n->els)
            exec_block(n->els, c);
    } cx_finally {
        if (n->fin)
            exec_block(n->fin, c);
    }
    return st;
}

static int exec_stmt(const node *n, ctx c)
{
    switch (n->kind) {
    case N_LOG:
        diff_event("log %s", n->name);
        return NEXT;
    case N_RAISE:
        cx_raise(n->type, "%s", n->msg);
    case N_RAISE_FROM:
        cx_raise_from(n->type, c.e, "%s", n->msg);
    case N_RAISE_FROM_NONE:
        cx_raise_from(n->type, NULL, "%s", n->msg);
    case N_RERAISE:
        cx_reraise();
    case N_THROW:
        cx_throw(c.e);
    case N_RETURN:
        return RET;
    case N_BREAK:
        return BRK;
    case N_YIELD:
        cx_yield(c.g, NULL);
        return NEXT;
    case N_LOOP:
        return exec_loop(n, c);
    case N_WITH:
        return exec_with(n, c);
    case N_STACK:
        return exec_stack(n, c);
    case N_ENTER_CTX:
        cx_exitstack_enter(c.stack, make_manager(n->mgr));
        return NEXT;
    case N_CALLBACK:
        cx_exitstack_callback(c.stack, callback, (void *)n);
        return NEXT;
    case N_PUSH:
        cx_exitstack_push(c.stack, push_exit, (void *)n);
        return NEXT;
    case N_TRY:
        return exec_try(n, c);
    default:
        bad("statement kind");
    }
}

static int exec_block(const node *b, ctx c)
{
    for (const node *n = b->first; n; n = n->next) {
        int s = exec_stmt(n, c);
        if (s != NEXT)
            return s;
    }
    return NEXT;
}

/* The printed chain, as Python's traceback shows it: the cause if there is
 * one, else the context unless suppressed ("from None").  Read back from
 * cx_error_print, the only public view of the suppression. */
static void print_chain(const cx_error *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    cx_error_print(e, out);
    fclose(out);
    /* Oldest first in the print; Python's order here is newest first. */
    char *items[256];
    int links[256], n = 0, link = 0;
    for (char *line = strtok(text, "\n"); line && n < 256; line = strtok(NULL, "\n")) {
        /* The traceback's site lines: a raise site or a statement passed
         * ("  File ..." and the statement's name under it), or a count. */
        if (strncmp(line, "Traceback", 9) == 0 || strncmp(line, "  File", 6) == 0 ||
            strncmp(line, "    cx_", 7) == 0 || strncmp(line, "  ... ", 6) == 0)
            continue;
        if (strncmp(line, "During handling", 15) == 0) {
            link = 1;
            continue;
        }
        if (strncmp(line, "The above exception", 19) == 0) {
            link = 2;
            continue;
        }
        links[n] = link; /* how this one links to the one before it */
        items[n++] = line;
        link = 0;
    }
    char buf[8192];
    size_t at = 0;
    for (int i = n - 1; i >= 0; i--) {
        char *colon = strstr(items[i], ": ");
        if (colon)
            *colon = '\0';
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s(%s)", i == n - 1 ? "" : " ",
                               items[i], colon ? colon + 2 : "");
        if (i > 0 && at < sizeof buf)
            at += (size_t)snprintf(buf + at, sizeof buf - at, " %s",
                                   links[i] == 2 ? "<cause" : "<context");
        if (at >= sizeof buf)
            break;
    }
    diff_event("end raised %s", buf);
    free(text);
}

typedef struct run_arg {
    const node *b;
    int status;
} run_arg;

static void run_top(void *p)
{
    run_arg *a = p;
    ctx c = {NULL, NULL, NULL};
    a->status = exec_block(a->b, c);
}

void diff_run(const node *b)
{
    run_arg a = {b, NEXT};
    cx_error *e = cx_protect(run_top, &a);
    if (e) {
        print_chain(e);
        cx_error_unref(e);
    } else {
        diff_event(a.status == RET ? "end returned" : "end completed");
    }
}
