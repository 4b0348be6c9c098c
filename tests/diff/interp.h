/* The scenario interpreter behind cx-diff and the reliability tests: a
 * scenario (tests/diff/difftest.py's token form) parsed into a tree and run
 * on the real cx constructs, printing an event trace. */
#ifndef CX_DIFF_INTERP_H
#define CX_DIFF_INTERP_H

#include <stdarg.h>

#include <cx/cx.h>

enum {
    N_BLOCK, N_LOG, N_RAISE, N_RAISE_FROM, N_RAISE_FROM_NONE, N_RERAISE, N_THROW,
    N_RETURN, N_BREAK, N_YIELD, N_LOOP, N_WITH, N_STACK, N_ENTER_CTX, N_CALLBACK,
    N_PUSH, N_TRY, N_MCLASS, N_MGEN, N_MSUPPRESS, N_CONTINUE, N_USING, N_USING_STACK,
    N_DEFER
};
enum { ACT_PASS, ACT_SUPPRESS, ACT_SUPPRESS_TYPE, ACT_RAISE };

#define MAX_HANDLERS 3

typedef struct node node;
struct node {
    int kind;
    const char *name, *msg;
    const cx_type *type;            /* raise, exit action */
    int act;                        /* exit / push action */
    const cx_type *enter_type;      /* class manager whose enter raises */
    const char *enter_msg;
    node *mgr, *body;               /* with, enter_context, using; defer */
    node *first, *next;             /* block: statements */
    int ntypes;                     /* suppress */
    int rounds;                     /* loop */
    int nhandlers;                  /* try */
    const cx_type *types[MAX_HANDLERS]; /* suppress types / except types (NULL: any) */
    node *handlers[MAX_HANDLERS];
    node *els, *fin;
    node *all_next;
};

/* Parses a block (modifies text in place; nodes are malloc'd and listed in
 * *all for diff_free).  Exits with status 2 on a malformed scenario. */
node *diff_parse(char *text, node **all);
void diff_free(node *all);
/* Runs a parsed scenario inside cx_protect; appends its events and its end
 * ("end completed", "end returned", "end raised <chain>") to the trace. */
void diff_run(const node *b);

void diff_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *diff_trace(void);
void diff_trace_reset(void);

#endif
