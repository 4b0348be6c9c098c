/* Advanced Context Management / Nested Context Managers. */
#include <ctype.h>
#include <time.h>

#include "examples.h"

typedef struct { struct timespec start; } timer_state;

static void *timer_enter(void *state)
{
    clock_gettime(CLOCK_MONOTONIC, &((timer_state *)state)->start);
    return NULL;
}

static bool timer_exit(void *state, cx_error *err)
{
    struct timespec end, *start = &((timer_state *)state)->start;
    (void)err;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double s = (double)(end.tv_sec - start->tv_sec) + (double)(end.tv_nsec - start->tv_nsec) / 1e9;
    printf("  Elapsed: %.2f seconds\n", s);
    return false;
}

static const cx_manager_type timer_type = {"timer", timer_enter, timer_exit};
static cx_manager timer(void) { return cx_manager_make(&timer_type, NULL, 0); }

void example_nested(void)
{
    cx_with (FILE *out, file_manager(tour_path("input.txt"), "w"))
        fputs("nested context managers", out);

    puts("Two managers in one statement (stacked cx_with):");
    cx_with (FILE *infile, file_manager(tour_path("input.txt"), "r"))
    cx_with (FILE *outfile, file_manager(tour_path("output.txt"), "w")) {
        int c;
        while ((c = fgetc(infile)) != EOF)
            fputc(toupper(c), outfile);
    }
    cx_with (FILE *check, file_manager(tour_path("output.txt"), "r")) {
        char line[64] = "";
        if (fgets(line, sizeof line, check))
            printf("  output.txt now holds: %s\n", line);
    }

    puts("Nested with statements, three deep:");
    cx_with (FILE *file, file_manager(tour_path("data.txt"), "w")) {
        fputs("Nested context managers!", file);
        cx_with (timer()) {
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
}
