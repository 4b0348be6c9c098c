/* cx-diff: the C half of the differential tester (tests/diff/difftest.py).
 *
 * Reads scenarios, one per line ("S <id> <tokens>"), and runs each through a
 * tree-walking interpreter whose every construct is the real cx one: cx_with
 * over managers of our own type, cx_contextmanager generators, cx_exitstack,
 * cx_suppress, cx_try / cx_except / cx_else / cx_finally, and cx_using and
 * cx_defer declared in the C block that runs the scenario's block (see
 * RUN_STMTS).  Prints the same event trace the generated Python prints.
 *
 * Control flow: a statement returns how its block must go on (NEXT, RET,
 * BRK, CONT).  RET is a C `return` out of each enclosing cx_with and block
 * (never out of a cx_try: the generator never puts one there); BRK and CONT
 * are a C `break` out of each cx_with body, cx_try body or except clause up
 * to the loop, exactly where Python's break and continue would leave them,
 * and there the loop's own `break` or `continue`, through the cx_using and
 * cx_defer declarations of the loop body. */
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
    } else if (IS("CONT")) {
        n = new_node(ps, N_CONTINUE);
    } else if (IS("Y")) {
        n = new_node(ps, N_YIELD);
    } else if (IS("LOOP") || IS("LOOP2")) {
        n = new_node(ps, N_LOOP);
        n->rounds = IS("LOOP") ? 1 : 2;
        n->body = parse_block(ps);
    } else if (IS("U")) {
        n = new_node(ps, N_USING);
        n->mgr = parse_mgr(ps);
    } else if (IS("US")) {
        n = new_node(ps, N_USING_STACK);
        n->name = need(ps);
    } else if (IS("D")) {
        n = new_node(ps, N_DEFER);
        n->name = need(ps);
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

enum { NEXT, RET, BRK, CONT };

typedef struct ctx {
    cx_gen *g;            /* the generator whose body runs, for yield */
    cx_exitstack *stack;  /* the innermost ExitStack, for enter_context & co */
    cx_error *e;          /* the innermost except clause's error */
} ctx;

static int exec_block(const node *b, ctx c);
static int exec_stmt(const node *n, ctx c);
static int exec_from(const node *first, ctx c);

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

/* ---- blocks: plain statements, cx_using and cx_defer declarations */

/* The next declaration (using, using an ExitStack, defer) from `n` on. */
static const node *next_decl(const node *n)
{
    while (n && n->kind != N_USING && n->kind != N_USING_STACK && n->kind != N_DEFER)
        n = n->next;
    return n;
}

/* Runs the statements from `n` up to `stop` (none of them a declaration);
 * returns how the block must go on. */
static int run_seg(const node *n, const node *stop, ctx c)
{
    for (; n != stop; n = n->next) {
        int s = exec_stmt(n, c);
        if (s != NEXT)
            return s;
    }
    return NEXT;
}

/* A manager with no events: the cx_using of a declaration slot that is a
 * defer or empty. */
static void *quiet_enter(void *state)
{
    (void)state;
    return NULL;
}

static bool quiet_exit(void *state, cx_error *err)
{
    (void)state, (void)err;
    return false;
}

static const cx_manager_type quiet_type = {"quiet", quiet_enter, quiet_exit};

static cx_manager slot_manager(const node *d)
{
    if (d && d->kind == N_USING)
        return make_manager(d->mgr);
    if (d && d->kind == N_USING_STACK)
        return cx_exitstack_new();
    return cx_manager_make(&quiet_type, NULL, 0);
}

/* The deferred call of a declaration slot (NULL: one that is a using or
 * empty does nothing). */
static void run_defer(void *arg)
{
    const node *n = arg;
    if (!n)
        return;
    ctx c = {NULL, NULL, NULL};
    diff_event("defer %s", n->name);
    exec_block(n->body, c);
}

static void *defer_arg(const node *d)
{
    return d && d->kind == N_DEFER ? (void *)d : NULL;
}

/* One declaration slot: a cx_using and a cx_defer, in the block being run,
 * of which the declaration `d` makes one real (the other, and both when d
 * is NULL, do nothing).  An ExitStack bound by a using is the ExitStack of
 * the rest of the block. */
#define DECL_SLOT(d, v, cc)                                                    \
    cx_using (void *v, slot_manager(d));                                       \
    cx_defer (run_defer, defer_arg(d));                                        \
    if ((d) && (d)->kind == N_USING_STACK)                                     \
        (cc).stack = v

/* Runs a block's statements from `first` in the C block it is written in,
 * its first three declarations as real cx_using / cx_defer declarations of
 * that one C block (so several exit last-declared first, and a break or
 * continue written in LEAVE reaches the loop around it through them); the
 * statements after the third run in exec_from's C block.  LEAVE(s) is a
 * statement that leaves with status s (RET, BRK or CONT): return, break or
 * continue, whatever the place needs. */
#define RUN_STMTS(first, c, LEAVE)                                             \
    {                                                                          \
        const node *d0_ = next_decl(first);                                    \
        int s_ = run_seg((first), d0_, (c));                                   \
        if (s_ != NEXT)                                                        \
            LEAVE(s_);                                                         \
        if (d0_) {                                                             \
            ctx cc_ = (c);                                                     \
            DECL_SLOT(d0_, v0_, cc_);                                          \
            const node *d1_ = next_decl(d0_->next);                            \
            s_ = run_seg(d0_->next, d1_, cc_);                                 \
            if (s_ != NEXT)                                                    \
                LEAVE(s_);                                                     \
            DECL_SLOT(d1_, v1_, cc_);                                          \
            const node *d2_ = d1_ ? next_decl(d1_->next) : NULL;               \
            s_ = run_seg(d1_ ? d1_->next : NULL, d2_, cc_);                    \
            if (s_ != NEXT)                                                    \
                LEAVE(s_);                                                     \
            DECL_SLOT(d2_, v2_, cc_);                                          \
            s_ = exec_from(d2_ ? d2_->next : NULL, cc_);                       \
            if (s_ != NEXT)                                                    \
                LEAVE(s_);                                                     \
        }                                                                      \
    }

#define LEAVE_RETURN(s) return (s)

static int exec_from(const node *first, ctx c)
{
    RUN_STMTS(first, c, LEAVE_RETURN)
    return NEXT;
}

static int exec_block(const node *b, ctx c)
{
    return exec_from(b->first, c);
}

/* The status a break or continue out of a with body, try body or except
 * clause leaves its statement with.  It is written into the statement's
 * status by the cleanup of a variable declared before the block's
 * declarations, so after their exits and deferred calls have run: one of
 * them that raises abandons the break (its raise skips this cleanup), and
 * if the statement then handles or suppresses that error it ends as if
 * nothing had left it early, as in Python. */
typedef struct pending {
    int status;
    volatile int *st;
} pending;

static void commit(pending *p)
{
    if (p->status != NEXT)
        *p->st = p->status;
}

/* Return goes through; break and continue leave the statement (and go on
 * up to the loop as its status). */
#define LEAVE_PENDING(s)                                                       \
    {                                                                          \
        if ((s) == RET)                                                        \
            return RET;                                                        \
        pend_.status = (s);                                                    \
        break;                                                                 \
    }

/* RUN_STMTS in a with body, try body or except clause, whose statement's
 * status is `st`. */
#define RUN_STMTS_IN_STATEMENT(first, c, st)                                   \
    {                                                                          \
        pending pend_ __attribute__((cleanup(commit))) = {NEXT, &(st)};        \
        RUN_STMTS(first, c, LEAVE_PENDING)                                     \
    }

static int exec_with(const node *n, ctx c)
{
    volatile int st = NEXT;
    cx_with (make_manager(n->mgr)) {
        RUN_STMTS_IN_STATEMENT(n->body->first, c, st)
    }
    return st;
}

static int exec_stack(const node *n, ctx c)
{
    volatile int st = NEXT;
    cx_with (cx_exitstack *s, cx_exitstack_new()) {
        ctx inner = c;
        inner.stack = s;
        RUN_STMTS_IN_STATEMENT(n->body->first, inner, st)
    }
    return st;
}

/* In a loop body: break and continue are the loop's own. */
#define LEAVE_LOOP(s)                                                          \
    {                                                                          \
        if ((s) == RET)                                                        \
            return RET;                                                        \
        if ((s) == BRK)                                                        \
            break;                                                             \
        continue;                                                              \
    }

static int exec_loop(const node *n, ctx c)
{
    for (int round = 0; round < n->rounds; round++)
        RUN_STMTS(n->body->first, c, LEAVE_LOOP)
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
        RUN_STMTS_IN_STATEMENT(n->handlers[i]->first, h, st)                   \
    }

static int exec_try(const node *n, ctx c)
{
    volatile int st = NEXT;
    cx_try {
        RUN_STMTS_IN_STATEMENT(n->body->first, c, st)
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
    case N_CONTINUE:
        return CONT;
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
    default: /* declarations run in RUN_STMTS */
        bad("statement kind");
    }
}

/* cx_using's "asked to suppress" error names the declaration, "cx_using at
 * FILE:LINE: manager ...": a cx_using of this file is dropped from the
 * message (the generated Python cannot know the line), any other site
 * stays and diverges. */
static const char *using_site_dropped(char *msg)
{
    static const char head[] = "cx_using at ", file[] = "tests/diff/interp.c:";
    if (strncmp(msg, head, sizeof head - 1) != 0)
        return msg;
    char *site = msg + sizeof head - 1, *end = strstr(site, ": manager ");
    if (!end)
        return msg;
    char *line = end;
    while (line > site && line[-1] >= '0' && line[-1] <= '9')
        line--;
    if (line == end || (size_t)(line - site) < sizeof file - 1 ||
        strncmp(line - (sizeof file - 1), file, sizeof file - 1) != 0)
        return msg;
    memmove(msg + sizeof "cx_using" - 1, end, strlen(end) + 1);
    return msg;
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
                               items[i], colon ? using_site_dropped(colon + 2) : "");
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
