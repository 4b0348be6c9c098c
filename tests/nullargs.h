/* The NULL-and-range audit of the public functions (tests/<label>/
 * test_null_args.c): every exported function is called with NULL for each
 * pointer argument and with absurd values (0, SIZE_MAX, negative counts) for
 * each size or count, each call in a forked child.  A call passes when it
 * does what its header says for that value: raises cx_ValueError naming the
 * function and the argument, raises the error its contract documents, or
 * returns (a documented meaning of NULL).  A crash (a signal), a hang, or any
 * other outcome fails.
 *
 *   NA_CASE(cx_exitstack_push, "exit", VALUE_ERROR("cx_exitstack_push: exit is NULL"),
 *           cx_with (cx_exitstack *s, cx_exitstack_new()) cx_exitstack_push(s, NULL, NULL));
 *
 * The audit stays complete: NA_COVERAGE_TEST reads the dynamic symbol table
 * of the libraries the test links and fails for an exported cx_* function
 * with no case and not listed in NA_NO_POINTERS (functions whose arguments
 * are neither pointers nor sizes), and for a listed name nothing exports.
 *
 * A case that fails and is named in the file's na_known_gaps[] list (by its
 * label, "function(argument)") is printed as a known gap and does not fail
 * the run; a case on that list that passes fails it, so the list only
 * shrinks.  The list holds crashes in code another change owns. */
#ifndef CX_TEST_NULLARGS_H
#define CX_TEST_NULLARGS_H

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

enum { NA_RETURNS, NA_RAISES };

typedef struct na_expect {
    int kind;
    const cx_type *type;  /* NA_RAISES: the error must be an instance of it */
    const char *message;  /* NA_RAISES: its message must start with this (NULL: any) */
} na_expect;

/* Raises cx_ValueError whose message starts with `msg`. */
#define VALUE_ERROR(msg) ((na_expect){NA_RAISES, &cx_ValueError, (msg)})
/* Raises an instance of `t` (a documented error). */
#define RAISES(t) ((na_expect){NA_RAISES, &(t), NULL})
/* Returns normally (a documented meaning of the value). */
#define RETURNS ((na_expect){NA_RETURNS, NULL, NULL})

typedef struct na_case {
    const char *func;   /* the exported function under test */
    const char *arg;    /* the argument and value, e.g. "exit" or "size=SIZE_MAX" */
    const char *header; /* which test groups it */
    void (*call)(void);
    na_expect (*expect)(void);
    int line;
} na_case;

#define NA_MAX_CASES 512
static na_case na_cases[NA_MAX_CASES];
static int na_ncases;

static void na_register(const char *func, const char *arg, const char *header,
                        void (*call)(void), na_expect (*expect)(void), int line)
{
    if (na_ncases == NA_MAX_CASES) {
        fputs("nullargs.h: too many cases\n", stderr);
        exit(2);
    }
    na_cases[na_ncases++] = (na_case){func, arg, header, call, expect, line};
}

#define NA_CAT2(a, b) a##b
#define NA_CAT(a, b) NA_CAT2(a, b)

/* One call: `func` (named as written, macros included), the argument it
 * probes, what must happen, and the statements that make the call.  The
 * group is NA_HEADER, defined before the cases of each header. */
#define NA_CASE(func, arg, expect, ...) \
    NA_CASE_(NA_CAT(na_case_, __COUNTER__), #func, arg, expect, __VA_ARGS__)
#define NA_CASE_(id, func, arg, expected, ...)                                 \
    static void id(void) { __VA_ARGS__; }                                      \
    static na_expect NA_CAT(id, _expect)(void) { return expected; }            \
    __attribute__((constructor)) static void NA_CAT(id, _register)(void)       \
    {                                                                          \
        na_register(func, arg, NA_HEADER, id, NA_CAT(id, _expect), __LINE__);  \
    }

/* Each file defines these. */
static const char *const na_known_gaps[];
static const char *const na_no_pointers[];
/* The library files (name prefixes: "libcx.so") whose exports are audited. */
static const char *const na_libraries[];
/* Runs a case's call in the child (the async suite runs it inside a task). */
static void na_invoke(void (*call)(void));

static void na_label(const na_case *c, char *out, size_t size)
{
    snprintf(out, size, "%s(%s)", c->func, c->arg);
}

static bool na_is_known_gap(const char *label)
{
    for (int i = 0; na_known_gaps[i]; i++)
        if (strcmp(na_known_gaps[i], label) == 0)
            return true;
    return false;
}

/* ---- the child: make the call, judge it, report on stderr ---- */

static const na_case *na_current;

/* What a case's call made to pass as an argument (an error, a block, a
 * connection): released by the child once the call has returned or raised,
 * so that a leak checker sees only what the library itself loses. */
typedef struct {
    void (*release)(void *);
    void *p;
} na_made;
static na_made na_made_list[16];
static int na_nmade;

static inline void *na_keep(void *p, void (*release)(void *))
{
    if (p && na_nmade < (int)(sizeof na_made_list / sizeof *na_made_list))
        na_made_list[na_nmade++] = (na_made){release, p};
    return p;
}

static void na_release_made(void)
{
    while (na_nmade > 0) {
        na_made m = na_made_list[--na_nmade];
        m.release(m.p);
    }
}

static inline void na_unref_error(void *e) { cx_error_unref(e); }
/* An error a call takes, released after the call. */
#define NA_KEEP_ERROR(e) ((cx_error *)na_keep((e), na_unref_error))

static void na_call_current(void *arg)
{
    (void)arg;
    na_invoke(na_current->call);
}

static void na_child(void *arg)
{
    const na_case *c = arg;
    na_expect want = c->expect();
    alarm(20); /* a hang is a failure too (SIGALRM ends the child) */
    na_current = c;
    cx_error *e = cx_protect(na_call_current, NULL);
    na_release_made();
    if (!e) {
        if (want.kind == NA_RETURNS)
            fprintf(stderr, "@@na pass\n");
        else
            fprintf(stderr, "@@na fail: returned, want %s\n", want.type->name);
        return;
    }
    const char *msg = cx_error_message(e);
    if (want.kind == NA_RAISES && cx_error_is(e, want.type) &&
        (!want.message || strncmp(msg, want.message, strlen(want.message)) == 0))
        fprintf(stderr, "@@na pass\n");
    else if (want.kind == NA_RAISES)
        fprintf(stderr, "@@na fail: raised %s: %s; want %s%s%s%s\n", cx_error_type(e)->name,
                msg, want.type->name, want.message ? ": \"" : "",
                want.message ? want.message : "", want.message ? "...\"" : "");
    else
        fprintf(stderr, "@@na fail: raised %s: %s; want a return\n", cx_error_type(e)->name,
                msg);
    cx_error_unref(e);
}

/* Runs one case; returns 0 when it passed, 1 when it failed, and prints
 * what happened. */
static int na_run_case(const na_case *c, bool *gap_hit)
{
    char label[256];
    na_label(c, label, sizeof label);
    char *text = NULL;
    int status = th_run_child(na_child, (void *)c, &text);
    char why[512];
    const char *verdict = strstr(text, "@@na ");
    bool passed = false;
    if (WIFSIGNALED(status)) {
        snprintf(why, sizeof why, "crashed: %s%s", strsignal(WTERMSIG(status)),
                 WTERMSIG(status) == SIGALRM ? " (hung for 20 s)" : "");
    } else if (verdict && strncmp(verdict, "@@na pass", 9) == 0 && WEXITSTATUS(status) == 0) {
        passed = true;
    } else if (verdict) {
        const char *end = strchr(verdict, '\n');
        snprintf(why, sizeof why, "%.*s", end ? (int)(end - verdict - 5) : 200, verdict + 5);
    } else {
        snprintf(why, sizeof why, "exited with status %d, no verdict", WEXITSTATUS(status));
    }
    bool gap = na_is_known_gap(label);
    int failed = 0;
    if (passed && gap) {
        fprintf(stderr, "FIXED  %s (line %d) passes: remove it from na_known_gaps\n", label,
                c->line);
        failed = 1;
    } else if (!passed && gap) {
        fprintf(stderr, "GAP    %s (line %d): %s\n", label, c->line, why);
        *gap_hit = true;
    } else if (!passed) {
        fprintf(stderr, "FAIL   %s (line %d): %s\n", label, c->line, why);
        if (!verdict && text[0])
            fprintf(stderr, "       child's stderr: %.400s\n", text);
        failed = 1;
    }
    free(text);
    return failed;
}

/* Runs every case of `header`; fails the test if one failed. */
static void na_run_header(const char *header)
{
    int failed = 0, ran = 0;
    bool gaps = false;
    for (int i = 0; i < na_ncases; i++) {
        if (strcmp(na_cases[i].header, header) != 0)
            continue;
        ran++;
        failed += na_run_case(&na_cases[i], &gaps);
    }
    fprintf(stderr, "%s: %d calls, %d failed%s\n", header, ran, failed,
            gaps ? " (known gaps listed above)" : "");
    CHECK(ran > 0);
    CHECK_EQ(failed, 0);
}

/* ---- coverage: the exported functions against the cases ---- */

typedef struct na_names {
    char **names;
    int n, cap;
} na_names;

static void na_names_add(na_names *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->names = realloc(l->names, (size_t)l->cap * sizeof *l->names);
    }
    l->names[l->n++] = strdup(name);
}

/* The defined, global function symbols named cx_* (not cx__*) in the
 * dynamic symbol table of the ELF file at `path`. */
static void na_read_exports(const char *path, na_names *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        th_fail(__FILE__, __LINE__, "cannot open a linked cx library");
    struct stat st;
    fstat(fd, &st);
    const unsigned char *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED)
        th_fail(__FILE__, __LINE__, "cannot map a linked cx library");
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(base + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM)
            continue;
        const ElfW(Sym) *sym = (const ElfW(Sym) *)(base + sh[i].sh_offset);
        const char *strtab = (const char *)(base + sh[sh[i].sh_link].sh_offset);
        size_t count = sh[i].sh_size / sizeof *sym;
        for (size_t k = 0; k < count; k++) {
            int type = ELF64_ST_TYPE(sym[k].st_info), bind = ELF64_ST_BIND(sym[k].st_info);
            const char *name = strtab + sym[k].st_name;
            if (type == STT_FUNC && (bind == STB_GLOBAL || bind == STB_WEAK) &&
                sym[k].st_shndx != SHN_UNDEF && strncmp(name, "cx_", 3) == 0 &&
                strncmp(name, "cx__", 4) != 0)
                na_names_add(out, name);
        }
    }
    munmap((void *)base, (size_t)st.st_size);
}

typedef struct na_found {
    na_names exports;
    int libraries;
} na_found;

static int na_each_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    na_found *f = data;
    const char *slash = strrchr(info->dlpi_name, '/');
    const char *base = slash ? slash + 1 : info->dlpi_name;
    for (int i = 0; na_libraries[i]; i++) {
        if (strncmp(base, na_libraries[i], strlen(na_libraries[i])) == 0) {
            na_read_exports(info->dlpi_name, &f->exports);
            f->libraries++;
        }
    }
    return 0;
}

static bool na_has_case(const char *func)
{
    for (int i = 0; i < na_ncases; i++)
        if (strcmp(na_cases[i].func, func) == 0)
            return true;
    return false;
}

static bool na_listed(const char *func)
{
    for (int i = 0; na_no_pointers[i]; i++)
        if (strcmp(na_no_pointers[i], func) == 0)
            return true;
    return false;
}

static bool na_exported(const na_names *l, const char *func)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->names[i], func) == 0)
            return true;
    return false;
}

/* Every exported cx_* function has a case or is listed as taking no pointer
 * or size; every name the file uses is exported. */
static void na_check_coverage(void)
{
    na_found f = {{NULL, 0, 0}, 0};
    dl_iterate_phdr(na_each_object, &f);
    int expected = 0;
    while (na_libraries[expected])
        expected++;
    if (f.libraries != expected)
        th_fail(__FILE__, __LINE__, "a cx library to audit is not loaded (or loaded twice)");
    int problems = 0, with_cases = 0, without = 0;
    for (int i = 0; i < f.exports.n; i++) {
        const char *name = f.exports.names[i];
        bool has = na_has_case(name), listed = na_listed(name);
        with_cases += has && !listed;
        without += listed && !has;
        if (!has && !listed) {
            fprintf(stderr, "%s is exported but has no NULL/range case: add cases (or list it "
                            "in na_no_pointers if it takes no pointer or size)\n", name);
            problems++;
        } else if (has && listed) {
            fprintf(stderr, "%s has cases and is in na_no_pointers: pick one\n", name);
            problems++;
        }
    }
    for (int i = 0; i < na_ncases; i++)
        if (!na_exported(&f.exports, na_cases[i].func)) {
            fprintf(stderr, "%s (line %d) is not an exported function of the audited "
                            "libraries\n", na_cases[i].func, na_cases[i].line);
            problems++;
        }
    for (int i = 0; na_no_pointers[i]; i++)
        if (!na_exported(&f.exports, na_no_pointers[i])) {
            fprintf(stderr, "%s in na_no_pointers is not exported\n", na_no_pointers[i]);
            problems++;
        }
    int gaps = 0;
    for (int i = 0; na_known_gaps[i]; i++)
        gaps++;
    fprintf(stderr, "%d exported functions: %d with cases (%d calls), %d without pointer or "
                    "size arguments; %d known gaps\n", f.exports.n, with_cases, na_ncases, without,
            gaps);
    for (int i = 0; i < f.exports.n; i++)
        free(f.exports.names[i]);
    free(f.exports.names);
    CHECK(f.exports.n > 0);
    CHECK_EQ(problems, 0);
}

#endif
