/* cx-tour: walks the guide (shared/seed) section by section, running the C
 * counterpart of each example.  It only sequences: the examples live in
 * their own files.
 *
 *   cx-tour              every section
 *   cx-tour --list       the sections, numbered
 *   cx-tour 6            one section by number
 *   cx-tour class based  one section by words of its title */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "examples.h"

typedef struct section {
    const char *title;   /* the guide's own heading */
    const char *intro;   /* one line of what the section is about */
    void (*examples[4])(void);
    const char *needs;   /* a module not built yet, or NULL */
    const char *mapping; /* the one-line "Python -> cx" summary */
} section;

static const section sections[] = {
    {"Introduction",
     "Resources released on every path out of a block, in C.", {0}, NULL,
     "Python context managers -> cx managers, cx_with, cx_try, cx_scope"},
    {"What Are Context Managers?",
     "An object with __enter__ and __exit__: in C, a cx_manager_type.",
     {example_protocol}, NULL,
     "__enter__/__exit__ -> cx_manager_type {name, enter, exit}"},
    {"The `with` Statement Magic",
     "try/finally written by hand versus a with block.",
     {example_with_statement}, NULL,
     "with cm as x: -> cx_with (T *x, cm) { ... }"},
    {"Built-in Context Managers",
     "Files, locks and database connections.", {0},
     "cx_open, cx_lock (resources module) and cx_sqlite_open (cx-sqlite)",
     "open / Lock / sqlite3.connect -> cx_open / cx_lock / cx_sqlite_*"},
    {"Creating Custom Context Managers",
     "Two ways: a class, or a generator.", {0}, NULL,
     "class or @contextmanager -> cx_manager_type or cx_contextmanager"},
    {"Class-Based Approach",
     "DatabaseConnection (commit or rollback in exit); a suppressing exit.",
     {example_class_based, example_error_handler}, NULL,
     "__enter__/__exit__ -> enter(state) / exit(state, err)"},
    {"Generator-Based Approach",
     "temporary_directory(), then error_handler(): suppress ValueError only.",
     {example_temporary_directory, example_error_handler_generator}, NULL,
     "@contextmanager def f(): ... yield x -> cx_contextmanager(f, arg)"},
    {"The contextlib Module",
     "contextmanager, closing, suppress, redirect_stdout, ExitStack, nullcontext.",
     {example_timer, example_contextlib}, NULL,
     "contextlib.X -> cx_X: cx_suppress, cx_closing, cx_exitstack_new"},
    {"Advanced Context Management",
     "Nesting, a manager as a decorator, reusable versus single-use.",
     {example_nested, example_decorator, example_reusable}, NULL,
     "with a, b: -> cx_with (a) cx_with (b) { ... }"},
    {"Asynchronous Context Managers",
     "async with and aclosing on an event loop.", {0}, "cx-async",
     "async with -> cx_async_with"},
    {"Best Practices and Patterns",
     "Managers for every resource, ExitStack for dynamic ones.", {0},
     "the resources and contextlib modules",
     "ExitStack -> cx_exitstack"},
    {"Real-World Examples",
     "Configuration override, performance monitor, rate limiter.", {0},
     "the resources module (cx_override, cx_monitor, cx_rate_limited)",
     "config_override / performance_monitor / RateLimiter ->\n"
     "  cx_override / cx_monitor / cx_rate_limited"},
    {"Common Pitfalls and Solutions",
     "Exceptions in __exit__, reentrancy, generators left open.", {0},
     "the generators and resources modules",
     "RLock / closing(gen) -> cx_rlock / cx_closing"},
    {"Performance Considerations",
     "The guide's /dev/null loop, 100,000 times, with and without a with.",
     {example_performance}, NULL,
     "with open(...) -> cx_with (FILE *f, cm): a frame on the C stack"},
    {"Conclusion",
     "Setup and cleanup tied to a block, on every path out of it.", {0}, NULL,
     "with -> cx_with; try/except/finally -> cx_try/cx_except/cx_finally"},
};

enum { NSECTIONS = sizeof sections / sizeof sections[0] };

static void run_section(int i)
{
    const section *s = &sections[i];
    printf("== %s ==\n%s\n", s->title, s->intro);
    fflush(stdout);
    for (int k = 0; k < 4 && s->examples[k]; k++)
        s->examples[k]();
    if (s->needs)
        printf("(Not built yet: the rest of this section needs\n %s.)\n", s->needs);
    printf("Python -> cx: %s\n\n", s->mapping);
}

/* Every word given must appear in the title, ignoring case and punctuation. */
static bool title_matches(const char *title, int argc, char **argv)
{
    for (int a = 1; a < argc; a++) {
        char word[64];
        size_t n = 0;
        for (const char *p = argv[a]; *p && n < sizeof word - 1; p++)
            if (isalnum((unsigned char)*p))
                word[n++] = (char)tolower((unsigned char)*p);
        word[n] = '\0';
        char flat[128];
        size_t m = 0;
        for (const char *p = title; *p && m < sizeof flat - 1; p++)
            if (isalnum((unsigned char)*p) || *p == ' ')
                flat[m++] = (char)tolower((unsigned char)*p);
        flat[m] = '\0';
        if (!strstr(flat, word))
            return false;
    }
    return true;
}

static int choose(int argc, char **argv)
{
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (argc == 2 && *end == '\0')
        return n >= 1 && n <= NSECTIONS ? (int)n - 1 : -1;
    for (int i = 0; i < NSECTIONS; i++)
        if (title_matches(sections[i].title, argc, argv))
            return i;
    return -1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < NSECTIONS; i++)
            printf("%2d. %s\n", i + 1, sections[i].title);
        return 0;
    }
    if (argc > 1) {
        int i = choose(argc, argv);
        if (i < 0) {
            fprintf(stderr, "cx-tour: no section matches; see cx-tour --list\n");
            return 2;
        }
        run_section(i);
        return 0;
    }
    for (int i = 0; i < NSECTIONS; i++)
        run_section(i);
    return 0;
}
