/* cx_error_print: Python's traceback shape, whole chain, oldest first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../port/port.h"

/* Errors printed from the ends of a chain when no memory can be had to hold
 * the whole of it. */
#define WINDOW 32

/* Python prints at most this many members of an ExceptionGroup. */
#define GROUP_SHOWN 15

static void print_site(FILE *out, const cx__site *at, const char *what)
{
    if (!at->file || !*at->file)
        return;
    fprintf(out, "  File \"%s\", line %d, in %s\n", at->file, at->line,
            at->func ? at->func : "?");
    if (what)
        fprintf(out, "    %s\n", what);
}

/* Most recent call last: the outermost statement the error left, inward to
 * its raise site. */
static void print_trail(const cx_error *e, FILE *out)
{
    unsigned kept = e->ntrail < CX__TRAIL ? e->ntrail : CX__TRAIL;
    if (e->ntrail > kept)
        fprintf(out, "  ... %u more statements ...\n", e->ntrail - kept);
    for (unsigned i = kept; i-- > 0;)
        print_site(out, &e->trail[i].site, e->trail[i].what);
    cx__site raised = {e->file, e->func, e->line};
    print_site(out, &raised, NULL);
}

static void print_member(const cx_error *m, FILE *out)
{
    cx__port_text mem;
    if (!cx__port_text_open(&mem))
        return;
    cx_error_print(m, mem.out);
    char *text = cx__port_text_close(&mem);
    for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        fprintf(out, "    | %.*s\n", end ? (int)(end - line) : (int)strlen(line), line);
    }
    free(text);
}

static void print_one(const cx_error *e, FILE *out)
{
    fputs("Traceback (most recent call last):\n", out);
    print_trail(e, out);
    const char *name = e->type && e->type->name ? e->type->name : "?";
    if (e->msg && *e->msg)
        fprintf(out, "%s: %s\n", name, e->msg);
    else
        fprintf(out, "%s\n", name);
    /* An ExceptionGroup: each member's whole print, indented under a rule;
     * past GROUP_SHOWN, a count (as Python's traceback module). */
    size_t shown = e->nitems < GROUP_SHOWN ? e->nitems : GROUP_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        fprintf(out, "%s---------------- %zu ----------------\n", i ? "    +" : "  +-+", i + 1);
        print_member(e->items[i], out);
    }
    if (e->nitems > shown)
        fprintf(out, "    +---------------- ... ----------------\n"
                     "    | and %zu more exceptions\n", e->nitems - shown);
    if (e->nitems)
        fputs("    +------------------------------------\n", out);
}

/* The error printed before e (its cause, else its context unless hidden). */
static const cx_error *older(const cx_error *e)
{
    cx__error_observe(e);
    if (e->cause)
        return e->cause;
    return e->context && !e->suppress_context ? e->context : NULL;
}

static const char *sentence(const cx_error *newer)
{
    return newer->cause
               ? "The above exception was the direct cause of the following exception:"
               : "During handling of the above exception, another exception occurred:";
}

/* Whether c is, as Python sees it, one of the first n errors of the chain
 * from e: where CPython's chain would come round to an error it showed, and
 * its print stops. */
static bool shown_before(const cx_error *e, size_t n, const cx_error *c)
{
    for (size_t i = 0; i < n; i++, e = older(e))
        if (cx__error_original(e) == cx__error_original(c))
            return true;
    return false;
}

/* The copies whose return a print watches for: a chain holds one or two
 * (a long chain of copies prints its repeats past the first few, in time
 * linear in its length). */
#define COPIES_TRACKED 8

/* How many distinct errors the chain from e holds: it ends at NULL or, were
 * a link ever to close a loop, where the first error comes round again
 * (Brent's cycle finding: no memory, a few passes), or, past a copy, where
 * an error it showed comes round again. */
static size_t chain_length(const cx_error *e)
{
    const cx_error *slow = e, *fast = older(e);
    size_t power = 1, lam = 1;
    while (fast && fast != slow) {
        if (power == lam) {
            slow = fast;
            power *= 2;
            lam = 0;
        }
        fast = older(fast);
        lam++;
    }
    if (!fast) { /* no loop: count to the end, or to where a copy comes back */
        const cx_error *originals[COPIES_TRACKED];
        size_t n = 0, ncopies = 0;
        for (const cx_error *c = e; c; c = older(c), n++) {
            for (size_t i = 0; i < ncopies; i++)
                if (cx__error_original(c) == originals[i])
                    return n;
            if (c->copy_of && ncopies < COPIES_TRACKED) {
                if (shown_before(e, n, c))
                    return n;
                originals[ncopies++] = c->copy_of;
            }
        }
        return n;
    }
    /* A loop of lam errors: mu errors lead into it. */
    const cx_error *a = e, *b = e;
    for (size_t i = 0; i < lam; i++)
        b = older(b);
    size_t mu = 0;
    while (a != b) {
        a = older(a);
        b = older(b);
        mu++;
    }
    return mu + lam;
}

/* chain[0..n-1], newest first, printed oldest first with the sentence that
 * joins each to the next. */
static void print_run(const cx_error **chain, size_t n, FILE *out)
{
    for (size_t i = n; i-- > 0;) {
        print_one(chain[i], out);
        if (i > 0)
            fprintf(out, "\n%s\n\n", sentence(chain[i - 1]));
    }
}

/* Without memory for the whole chain: its oldest and newest WINDOW errors,
 * and a line saying how many lie between (n > 2 * WINDOW). */
static void print_ends(const cx_error *e, size_t n, FILE *out)
{
    const cx_error *newest[WINDOW], *oldest[WINDOW];
    const cx_error *c = e;
    for (size_t i = 0; i < WINDOW; i++, c = older(c))
        newest[i] = c;
    for (size_t i = WINDOW; i < n - WINDOW; i++)
        c = older(c);
    for (size_t i = 0; i < WINDOW; i++, c = older(c))
        oldest[i] = c;
    print_run(oldest, WINDOW, out);
    fprintf(out, "\n... %zu more chained exceptions ...\n\n", n - 2 * WINDOW);
    print_run(newest, WINDOW, out);
}

/* Follows the chain from e back to its first error, then prints oldest first
 * as Python does: every error, on no stack deeper than one. */
void cx_error_print(const cx_error *e, FILE *out)
{
    if (!out)
        out = stderr; /* as Python's print_exception(file=None) */
    if (!e)
        return;
    size_t n = chain_length(e);
    const cx_error *inline_[64], **chain = inline_;
    if (n > sizeof inline_ / sizeof *inline_) {
        chain = n <= SIZE_MAX / sizeof *chain ? cx__alloc(n * sizeof *chain) : NULL;
        if (!chain) {
            print_ends(e, n, out);
            fflush(out);
            return;
        }
    }
    const cx_error *c = e;
    for (size_t i = 0; i < n; i++, c = older(c))
        chain[i] = c;
    print_run(chain, n, out);
    if (chain != inline_)
        cx__dealloc((void *)chain);
    fflush(out);
}
