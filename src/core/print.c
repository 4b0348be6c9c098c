/* cx_error_print: Python's traceback shape, whole chain, oldest first. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHAIN_MAX 64

static void print_one(const cx_error *e, FILE *out)
{
    fputs("Traceback (most recent call last):\n", out);
    if (e->file && *e->file)
        fprintf(out, "  File \"%s\", line %d, in %s\n", e->file, e->line,
                e->func ? e->func : "?");
    if (e->msg && *e->msg)
        fprintf(out, "%s: %s\n", e->type->name, e->msg);
    else
        fprintf(out, "%s\n", e->type->name);
    /* An ExceptionGroup: each error's whole print, indented under a rule. */
    for (size_t i = 0; i < e->nitems; i++) {
        fprintf(out, "%s---------------- %zu ----------------\n", i ? "  +" : "  +-+", i + 1);
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (!mem)
            continue;
        cx_error_print(e->items[i], mem);
        fclose(mem);
        for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
            end = strchr(line, '\n');
            fprintf(out, "    | %.*s\n", end ? (int)(end - line) : (int)strlen(line), line);
        }
        free(text);
    }
    if (e->nitems)
        fputs("    +------------------------------------\n", out);
}

static bool seen_before(const cx_error **seen, int n, const cx_error *e)
{
    for (int i = 0; i < n; i++)
        if (seen[i] == e)
            return true;
    return false;
}

/* Follows the chain from e back to its first error, remembering the
 * separator each link prints, then prints oldest first as Python does. */
void cx_error_print(const cx_error *e, FILE *out)
{
    const cx_error *chain[CHAIN_MAX];
    const char *sep[CHAIN_MAX];
    int n = 0;
    while (e && n < CHAIN_MAX && !seen_before(chain, n, e)) {
        chain[n] = e;
        if (e->cause) {
            sep[n] = "The above exception was the direct cause of the following exception:";
            e = e->cause;
        } else if (e->context && !e->suppress_context) {
            sep[n] = "During handling of the above exception, another exception occurred:";
            e = e->context;
        } else {
            sep[n] = NULL;
            e = NULL;
        }
        n++;
    }
    for (int i = n - 1; i >= 0; i--) {
        print_one(chain[i], out);
        if (i > 0)
            fprintf(out, "\n%s\n\n", sep[i - 1]);
    }
    fflush(out);
}
