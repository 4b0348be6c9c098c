/* cx-tour: walks the guide (shared/seed, "Python Context Managers: The
 * Complete Guide") heading by heading, running the C counterpart of each of
 * its examples.  It only sequences: the examples live in their own files.
 *
 *   cx-tour              every section, in the guide's order
 *   cx-tour --list       the sections, numbered (4 is a section, 4.1 one of its
 *                        subsections)
 *   cx-tour 4            section 4 with its subsections; cx-tour 4.1 just one
 *   cx-tour class based  the first section whose title has all these words
 *
 * Everything runs with the working directory set to a fresh temporary
 * directory (cx_tempdir + cx_chdir), removed at the end. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "examples.h"

#if CX_TOUR_HAVE_ASYNC
#define NEEDS_ASYNC NULL
#else
#define NEEDS_ASYNC "cx-async, which this build does not have"
#endif

typedef struct section {
    int level;           /* 0: a ## heading, 1: a ### subsection */
    const char *title;   /* the guide's own heading, emoji dropped */
    const char *intro;   /* one line on what the section shows */
    void (*examples[3])(void);
    const char *needs;   /* a module this build lacks, or NULL */
    const char *mapping; /* the one-line "Python -> cx" summary */
} section;

static const section sections[] = {
    {0, "Introduction", "Setup and cleanup tied to a block, on every path out of it.",
     {example_introduction}, NULL,
     "with / __enter__ / __exit__ -> cx_with / enter / exit"},
    {0, "What Are Context Managers?",
     "An object with __enter__ and __exit__: in C, a cx_manager_type.",
     {example_protocol}, NULL,
     "__enter__/__exit__ -> cx_manager_type {name, enter, exit}"},
    {1, "Why Context Managers Matter",
     "Automatic release and exception safety, counted in open descriptors.",
     {example_why_it_matters}, NULL,
     "cleanup despite exceptions -> exit runs on raise/return/break"},
    {0, "The `with` Statement Magic", "The three steps of a with statement.",
     {example_with_statement}, NULL,
     "with cm() as res: -> cx_with (T *res, cm()) { ... }"},
    {1, "Traditional vs Context Manager Approach",
     "try/finally written by hand versus cx_using, when the body raises.",
     {example_traditional_vs_with}, NULL,
     "try/finally: f.close() -> cx_using (FILE *f, cx_open(...));"},
    {0, "Built-in Context Managers", "Files, locks and database connections.",
     {0}, NULL, "open / Lock / sqlite3 -> cx_open / cx_lock / cx_sqlite_open"},
    {1, "File Operations", "Reading, writing and binary files.",
     {example_file_operations}, NULL,
     "with open(p, m) as f: -> cx_using (FILE *f, cx_open(p, m));"},
    {1, "Threading Locks", "A mutex taken by four threads around a shared counter.",
     {example_threading_locks}, NULL, "with lock: -> cx_using (cx_lock(&mutex));"},
    {1, "Database Connections", "SQLite against a real file, example.db.",
     {example_sqlite_connection}, NULL,
     "sqlite3.connect(f) -> cx_sqlite_open + cx_sqlite_transaction"},
    {0, "Creating Custom Context Managers", "Two ways: a class, or a generator.",
     {example_custom_managers}, NULL,
     "class / @contextmanager -> cx_manager_type / cx_contextmanager"},
    {1, "Class-Based Approach",
     "DatabaseConnection: commit or roll back in exit, then close.",
     {example_class_based, example_database_connection_pg}, NULL,
     "__enter__/__exit__ -> enter(state) / exit(state, err)"},
    {1, "Generator-Based Approach", "temporary_directory() as a generator.",
     {example_temporary_directory}, NULL,
     "@contextmanager + yield -> cx_contextmanager(fn, arg) + cx_yield"},
    {1, "Exception Handling in Context Managers",
     "error_handler(): ValueError handled, anything else re-raised.",
     {example_error_handler}, NULL,
     "try: yield / except E: -> cx_try { cx_yield } cx_except (&E, e)"},
    {0, "The contextlib Module", "Python's contextlib, one subsection each.", {0}, NULL,
     "contextlib.X -> cx_X (<cx/contextlib.h>, <cx/gen.h>)"},
    {1, "`@contextmanager` Decorator", "timer(): the finally clause reports.",
     {example_timer}, NULL, "@contextmanager def timer() -> cx_contextmanager(timer_fn, arg)"},
    {1, "`contextlib.closing()`", "A page fetched over HTTP from a local server.",
     {example_closing}, NULL, "closing(page) -> cx_closing(page, page_close)"},
    {1, "`contextlib.suppress()`", "Removing a file that is not there.",
     {example_suppress}, NULL, "suppress(FileNotFoundError) -> cx_suppress(&cx_FileNotFoundError)"},
    {1, "`contextlib.redirect_stdout()` and `redirect_stderr()`",
     "Output captured in a buffer, then sent to log files.", {example_redirect}, NULL,
     "redirect_stdout(f) -> cx_redirect_stdout(f), cx_capture_stdout"},
    {1, "`contextlib.ExitStack`", "Several files, a callback and a directory, LIFO.",
     {example_exitstack}, NULL,
     "ExitStack, enter_context -> cx_exitstack_new, cx_exitstack_enter"},
    {1, "`contextlib.nullcontext()`", "A lock or nothing, under the same cx_using.",
     {example_nullcontext}, NULL,
     "nullcontext() -> cx_nullcontext(NULL), e.g. in a ?: with cx_lock"},
    {0, "Advanced Context Management", "Nesting, decorators, reuse.", {0}, NULL,
     "nesting, ContextDecorator, reuse -> stacked cx_with, CX_DECORATED"},
    {1, "Nested Context Managers", "Two managers in one statement; three deep.",
     {example_nested}, NULL, "with a as x, b as y: -> cx_with (x, a) cx_with (y, b) {...}"},
    {1, "Context Manager as Decorator", "benchmark around a block and a function.",
     {example_decorator}, NULL,
     "@benchmark() def f -> CX_DECORATED(f, benchmark(), f_body)"},
    {1, "Reusable Context Managers", "A lock twice; a generator manager twice.",
     {example_reusable}, NULL,
     "reusable Lock, single-use @contextmanager -> the same in cx"},
    {0, "Asynchronous Context Managers",
     "async with on a libuv loop: an echo server, a task per connection.",
     {example_echo_server}, NEEDS_ASYNC,
     "async with -> cx_async_with; start_server -> cx_tcp_serve"},
    {1, "`async with` Statement", "An async manager that awaits in enter and exit.",
     {example_async_with}, NEEDS_ASYNC,
     "@asynccontextmanager, run -> cx_asynccontextmanager, cx_run"},
    {1, "`contextlib.aclosing()`", "An async generator closed after an early break.",
     {example_aclosing}, NEEDS_ASYNC,
     "aclosing(agen), async for -> cx_aclosing(g), cx_anext(g, &v)"},
    {0, "Best Practices and Patterns", "Four habits, each shown.", {0}, NULL,
     "habits -> cx_using for resources, cx_exitstack for dynamic sets"},
    {1, "1. Always Use Context Managers for Resources",
     "A read by hand and with cx_open, when the read fails.", {example_always_use}, NULL,
     "open/read/close -> cx_using (FILE *f, cx_open(...)); read"},
    {1, "2. Handle Exceptions Properly", "robust_context(): handle, re-raise, release.",
     {example_handle_exceptions}, NULL,
     "except E / raise / finally -> cx_except / cx_reraise / cx_finally"},
    {1, "3. Use `ExitStack` for Dynamic Resource Management",
     "Open the files that exist, skip the missing ones.", {example_dynamic_exitstack}, NULL,
     "try: stack.enter_context() -> cx_try { cx_exitstack_enter() }"},
    {1, "4. Make Context Managers Descriptive", "timed_operation(name).",
     {example_timed_operation}, NULL,
     "timed_operation(name) -> cx_contextmanager(fn, name), cx_timed"},
    {0, "Real-World Examples", "Configuration, monitoring, rate limiting.", {0}, NULL,
     "override/monitor/limiter -> cx_override/cx_monitor/cx_rate_limited"},
    {1, "1. Configuration Manager", "config_override(debug=True, log_level='DEBUG').",
     {example_config_override}, NULL,
     "config_override(k=v) -> CX_OVERRIDE(config.k, v); env: cx_setenv"},
    {1, "2. Performance Monitor", "performance_monitor(threshold_seconds).",
     {example_performance_monitor}, NULL,
     "psutil + time -> cx_monitor(label, &report, stream)"},
    {1, "3. API Rate Limiter", "limiter.limit(key, max_requests, window_seconds).",
     {example_rate_limiter}, NULL,
     "with limiter.limit(...): -> cx_with (cx_rate_limited(rl))"},
    {0, "Common Pitfalls and Solutions", "Three mistakes and their fixes.", {0}, NULL,
     "the fixes -> chained errors, cx_rlock, exits run on early return"},
    {1, "1. Forgetting to Handle Exceptions in `__exit__`",
     "An exit whose cleanup fails for real (ENOSPC on /dev/full).",
     {example_exit_exceptions}, NULL,
     "try: cleanup() except: in __exit__ -> cx_try in exit; errors chain"},
    {1, "2. Not Making Context Managers Reentrant When Needed",
     "A manager on a reentrant lock, nested and contended.", {example_reentrant}, NULL,
     "threading.RLock -> cx_rlock + cx_lock(&rlock)"},
    {1, "3. Resource Leaks in Generators", "Early return inside a with block.",
     {example_generator_leaks}, NULL,
     "return inside with -> return after cx_using: exit still runs"},
    {0, "Performance Considerations", "What a with block costs.", {0}, NULL,
     "with -> cx_using / cx_with: a frame on the C stack, no allocation"},
    {1, "Context Manager Overhead",
     "The guide's /dev/null loop, 100,000 times, without and with cx_using.",
     {example_overhead}, NULL, "with open('/dev/null') -> cx_using (FILE *f, cx_open(...));"},
    {1, "Optimizing Custom Context Managers",
     "Cheap setup and deferred cleanup versus the opposite.", {example_optimizing}, NULL,
     "schedule_cleanup() in finally -> a thread started in cx_finally"},
    {0, "Interactive Examples and Exercises", "The two exercises, solved.", {0}, NULL,
     "the exercises -> cx_log_activity, cx_backup_on_write"},
    {1, "Exercise 1: Create a Logging Context Manager",
     "log_activity(activity_name, log_level).", {example_log_activity}, NULL,
     "log_activity(name, level) -> cx_log_activity(name, stream)"},
    {1, "Exercise 2: File Backup Context Manager", "backup_on_write(filename).",
     {example_backup_on_write}, NULL,
     "backup_on_write(name) -> cx_backup_on_write(name) + cx_open"},
    {0, "Summary and Key Takeaways", "Class-based, generator-based, contextlib.", {0},
     NULL, "class, @contextmanager, contextlib -> with.h, gen.h, contextlib.h"},
    {1, "When to Use Context Managers", "One block for each use the guide lists.",
     {example_when_to_use}, NULL,
     "open/lock/chdir/suppress/timing -> cx_open/cx_lock/cx_chdir/..."},
    {1, "Common Patterns", "The five patterns, one block each.",
     {example_common_patterns}, NULL,
     "the patterns -> cx_lock, cx_setenv, cx_tempdir, cx_log_activity"},
    {0, "Conclusion", "Managers for every cleanup; ExitStack for dynamic sets.",
     {example_conclusion}, NULL,
     "with, ExitStack, try -> cx_using/cx_with, cx_exitstack, cx_try"},
    {0, "Additional Resources", "Where to read on.", {0}, NULL,
     "contextlib docs, PEP 343 -> docs/contextlib.md, python-to-cx.md"},
};

enum { NSECTIONS = sizeof sections / sizeof sections[0] };

/* "4" or "4.1": the section's number as --list shows it. */
static void number_of(int i, char *buf, size_t size)
{
    int top = 0, sub = 0;
    for (int k = 0; k <= i; k++) {
        if (sections[k].level == 0)
            top++, sub = 0;
        else
            sub++;
    }
    if (sections[i].level == 0)
        snprintf(buf, size, "%d", top);
    else
        snprintf(buf, size, "%d.%d", top, sub);
}

static void resources(void)
{
    puts("  docs/python-to-cx.md  every Python construct of the guide, in cx");
    puts("  docs/statements.md    cx_using, cx_with, cx_try, cx_defer (PEP 343's rules)");
    puts("  docs/contextlib.md    contextlib's names in cx");
    puts("  docs/generators.md    generators and @contextmanager");
    puts("  docs/errors.md        the error model and chaining");
    puts("  examples/README.md    which example file holds which guide example");
}

static void run_section(int i)
{
    const section *s = &sections[i];
    char num[32];
    number_of(i, num, sizeof num);
    printf("== %s ==\n[%s] %s\n", s->title, num, s->intro);
    if (s->needs)
        printf("This section needs %s.\n", s->needs);
    else
        for (int k = 0; k < 3 && s->examples[k]; k++)
            s->examples[k]();
    if (strcmp(s->title, "Additional Resources") == 0)
        resources();
    printf("Python -> cx: %s\n\n", s->mapping);
}

/* Every word given must appear in the title, ignoring case and punctuation. */
static bool title_matches(const char *title, int argc, char **argv)
{
    char flat[128];
    size_t m = 0;
    for (const char *p = title; *p && m < sizeof flat - 1; p++)
        if (isalnum((unsigned char)*p) || *p == ' ')
            flat[m++] = (char)tolower((unsigned char)*p);
    flat[m] = '\0';
    for (int a = 1; a < argc; a++) {
        char word[64];
        size_t n = 0;
        for (const char *p = argv[a]; *p && n < sizeof word - 1; p++)
            if (isalnum((unsigned char)*p))
                word[n++] = (char)tolower((unsigned char)*p);
        word[n] = '\0';
        if (!strstr(flat, word))
            return false;
    }
    return true;
}

static int choose(int argc, char **argv)
{
    if (argc == 2)
        for (int i = 0; i < NSECTIONS; i++) {
            char num[32];
            number_of(i, num, sizeof num);
            if (strcmp(num, argv[1]) == 0)
                return i;
        }
    for (int i = 0; i < NSECTIONS; i++)
        if (title_matches(sections[i].title, argc, argv))
            return i;
    return -1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < NSECTIONS; i++) {
            char num[32];
            number_of(i, num, sizeof num);
            printf("%-5s %s%s\n", num, sections[i].level ? "  " : "", sections[i].title);
        }
        return 0;
    }
    int first = 0, last = NSECTIONS - 1;
    if (argc > 1) {
        first = choose(argc, argv);
        if (first < 0) {
            fprintf(stderr, "cx-tour: no section matches; see cx-tour --list\n");
            return 2;
        }
        last = first;
        if (sections[first].level == 0) /* a section brings its subsections */
            while (last + 1 < NSECTIONS && sections[last + 1].level > 0)
                last++;
    } else {
        puts("Python Context Managers: The Complete Guide -- the examples in C, with cx");
        puts("");
    }
    cx_using (const char *dir, cx_tempdir());
    cx_using (cx_chdir(dir));
    for (int i = first; i <= last; i++)
        run_section(i);
    return 0; /* back to the first directory, then the temporary one removed */
}
