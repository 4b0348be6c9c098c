/* cx-diff FILE: runs every scenario line ("S <id> <tokens>") of FILE and
 * prints "### <id>" and its trace for each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: cx-diff SCENARIO-FILE\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
        int id, skip = 0;
        if (sscanf(line, "S %d %n", &id, &skip) != 1 || !skip)
            continue;
        node *all;
        node *b = diff_parse(line + skip, &all);
        diff_trace_reset();
        diff_run(b);
        printf("### %d\n%s", id, diff_trace());
        fflush(stdout);
        diff_free(all);
    }
    free(line);
    fclose(in);
    return 0;
}
