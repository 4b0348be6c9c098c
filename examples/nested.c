/* Advanced Context Management / Nested Context Managers: two managers in
 * one statement (stacked cx_with), then three levels of nesting — the
 * guide's with statements, block for block.  (Several cx_using declarations
 * in one block do the same, exiting last-declared first.) */
#include <ctype.h>

#include "examples.h"

void example_nested(void)
{
    write_text("input.txt", "nested context managers\n");

    /* Multiple context managers in one statement */
    cx_with (FILE *infile, cx_open("input.txt", "r"))
    cx_with (FILE *outfile, cx_open("output.txt", "w")) {
        for (int c; (c = fgetc(infile)) != EOF;)
            fputc(toupper(c), outfile);
    }
    {
        cx_using (FILE *check, cx_open("output.txt", "r")); /* the tour's own check */
        char line[64] = "";
        if (fgets(line, sizeof line, check))
            printf("  output.txt: %s", line);
    }

    /* Nested with statements */
    cx_with (const char *temp_dir, cx_tempdir()) {
        char temp_file[256];
        snprintf(temp_file, sizeof temp_file, "%s/data.txt", temp_dir);
        cx_with (FILE *file, cx_open(temp_file, "w")) {
            fputs("Nested context managers!", file);
            cx_with (timer()) {
                /* Triple nesting! */
                sleep_s(0.5);
            }
        }
    }
}
