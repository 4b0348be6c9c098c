/* The platform layer on Windows (port.h, its first part: what the core
 * needs), built with mingw-w64.  The core's other needs are met by the C
 * runtime and winpthreads as they are: pthread keys and once (thread.c),
 * pthread_exit (frame.c), sched_yield (error.c); thread-locals are GCC's
 * (emulated, through winpthreads' keys). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "port.h"

/* ---- errno text ----
 * The C runtime's strerror_s fills `buf`.  Its table stops at the C
 * standard's and Microsoft's own codes; for the rest (ETIMEDOUT,
 * ECONNRESET ... 100 and up) it says "Unknown error", given here with the
 * number as glibc gives it. */
const char *cx__port_strerror(int errnum, char *buf, size_t size)
{
    if (size == 0)
        return "";
    buf[0] = 0;
    if (strerror_s(buf, size, errnum) != 0 || !buf[0] || strcmp(buf, "Unknown error") == 0)
        snprintf(buf, size, "Unknown error %d", errnum);
    return buf;
}

/* ---- formatting ----
 * The C runtime has no stream over memory: a message printf cannot format
 * is marked truncated without the part it could have written. */
FILE *cx__port_fmemopen(char *buf, size_t size)
{
    (void)buf;
    (void)size;
    errno = ENOSYS;
    return NULL;
}

/* The text goes through an unnamed temporary file (the C runtime has no
 * stream over memory): one in the user's temporary directory, removed when
 * closed ("D"), read back whole at the end. */
bool cx__port_text_open(cx__port_text *t)
{
    char dir[MAX_PATH + 1], path[MAX_PATH + 1];
    t->text = NULL;
    t->len = 0;
    t->out = NULL;
    DWORD n = GetTempPathA(sizeof dir, dir);
    if (n == 0 || n > sizeof dir || GetTempFileNameA(dir, "cx", 0, path) == 0)
        return false;
    t->out = fopen(path, "w+bD");
    if (!t->out)
        DeleteFileA(path);
    return t->out != NULL;
}

char *cx__port_text_close(cx__port_text *t)
{
    FILE *f = t->out;
    long n = fflush(f) == 0 ? ftell(f) : -1;
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text) {
        rewind(f);
        t->len = fread(text, 1, (size_t)n, f);
        text[t->len] = 0;
    }
    fclose(f);
    t->text = text;
    return text;
}

/* ---- threads ----
 * The initial thread is the one that ran the constructors: cx loaded at
 * start-up (linked, or its DLL imported), or loaded before the program
 * makes threads. */
static DWORD main_thread;

__attribute__((constructor)) static void main_thread_record(void)
{
    main_thread = GetCurrentThreadId();
}

bool cx__port_on_main_thread(void) { return GetCurrentThreadId() == main_thread; }
