/* cx_run_threads: a loop per thread, each running the same main. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct cx__loops {
    pthread_mutex_t lock;
    pthread_cond_t bound; /* a shared port's first listener has bound */
    cx__shared_port *ports;
};

typedef struct {
    void (*main)(void *);
    void *arg;
    bool sigint;
    cx__loops *loops;
    cx_error *result;
    pthread_t thread;
} loop_slot;

/* ---- ports the loops share ---- */

cx__shared_port *cx__shared_port_join(cx__loops *loops, const char *host, int port)
{
    pthread_mutex_lock(&loops->lock);
    cx__shared_port *p = loops->ports;
    while (p && !(p->requested == port && strcmp(p->host, host) == 0))
        p = p->next;
    if (p) {
        while (p->binding)
            pthread_cond_wait(&loops->bound, &loops->lock);
        p->users++;
    } else {
        p = malloc(sizeof *p);
        char *h = strdup(host);
        if (!p || !h) {
            free(p);
            free(h);
            pthread_mutex_unlock(&loops->lock);
            cx_raise(&cx_MemoryError, "listen %s:%d: no memory", host, port);
        }
        *p = (cx__shared_port){.loops = loops, .host = h, .requested = port, .port = port, .binding = true,
                               .users = 1, .next = loops->ports};
        loops->ports = p;
    }
    pthread_mutex_unlock(&loops->lock);
    return p;
}

void cx__shared_port_set(cx__shared_port *p, int port)
{
    cx__loops *loops = p->loops;
    pthread_mutex_lock(&loops->lock);
    if (p->binding) {
        p->port = port;
        p->binding = false;
        pthread_cond_broadcast(&loops->bound);
    }
    pthread_mutex_unlock(&loops->lock);
}

void cx__shared_port_leave(cx__shared_port *p)
{
    cx__loops *loops = p->loops;
    pthread_mutex_lock(&loops->lock);
    if (p->binding) { /* its binder failed before it bound */
        p->binding = false;
        pthread_cond_broadcast(&loops->bound);
    }
    if (--p->users == 0) {
        cx__shared_port **at = &loops->ports;
        while (*at != p)
            at = &(*at)->next;
        *at = p->next;
        free(p->host);
        free(p);
    }
    pthread_mutex_unlock(&loops->lock);
}

static void run_one(void *p)
{
    loop_slot *l = p;
    l->result = cx__run_loop(l->main, l->arg, l->sigint, l->loops);
}

/* A loop's main raising and cx_run raising (no memory for its loop) both
 * end as the loop's error. */
static void run_slot(loop_slot *l)
{
    cx_error *raised = cx_protect(run_one, l);
    if (raised)
        l->result = raised;
}

static void *thread_main(void *p)
{
    run_slot(p);
    return NULL;
}

static int loops_wanted(int n)
{
    if (n > 0)
        return n;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (int)(cpus < 1024 ? cpus : 1024) : 1;
}

/* A KeyboardInterrupt is returned alone, as asyncio's TaskGroup lets a
 * KeyboardInterrupt through ungrouped; the other loops' errors are printed. */
static cx_error *keyboard_interrupt(loop_slot *loops, int n)
{
    cx_error *ki = NULL;
    for (int i = 0; i < n; i++) {
        cx_error *e = loops[i].result;
        if (!e)
            continue;
        if (!ki && cx_error_is(e, &cx_KeyboardInterrupt)) {
            ki = e;
            continue;
        }
        if (!cx_error_is(e, &cx_KeyboardInterrupt) && !cx_error_is(e, &cx_CancelledError)) {
            fprintf(stderr, "cx: cx_run_threads: loop %d failed while interrupted\n", i);
            cx_error_print(e, stderr);
        }
        cx_error_unref(e);
    }
    return ki;
}

/* NULL, the one loop's error, or an ExceptionGroup of several in loop order. */
static cx_error *collect(loop_slot *loops, int n, bool *no_memory)
{
    size_t failed = 0;
    cx_error *last = NULL;
    for (int i = 0; i < n; i++) {
        if (loops[i].result && cx_error_is(loops[i].result, &cx_KeyboardInterrupt))
            return keyboard_interrupt(loops, n);
        if (loops[i].result) {
            failed++;
            last = loops[i].result;
        }
    }
    if (failed <= 1)
        return last;
    cx_error **items = malloc(failed * sizeof *items);
    cx_error *eg = items ? cx__async_error(&cx_ExceptionGroup,
                                           "unhandled errors in cx_run_threads (%zu sub-exceptions)",
                                           failed)
                         : NULL;
    size_t k = 0;
    for (int i = 0; items && i < n; i++)
        if (loops[i].result)
            items[k++] = loops[i].result;
    if (eg && !cx__error_set_items(eg, items, failed)) { /* on success it takes them */ 
        cx_error_unref(eg);
        eg = NULL;
    }
    if (!eg)
        for (int i = 0; i < n; i++)
            cx_error_unref(loops[i].result);
    free(items);
    *no_memory = !eg;
    return eg;
}

cx_error *cx_run_threads(int n, void (*main)(void *arg), void *arg)
{
    if (!main)
        cx_raise(&cx_ValueError, "cx_run_threads: main is NULL");
    if (cx__async_running())
        cx_raise(&cx_RuntimeError, "cx_run_threads: a loop is already running on this thread");
    n = loops_wanted(n);
    bool sigint = cx__sigint_is_default(); /* read once, before any loop watches it */
    cx__loops shared = {.lock = PTHREAD_MUTEX_INITIALIZER, .bound = PTHREAD_COND_INITIALIZER};
    loop_slot *loops = cx_malloc((size_t)n * sizeof *loops);
    for (int i = 0; i < n; i++)
        loops[i] = (loop_slot){.main = main, .arg = arg, .sigint = sigint, .loops = &shared};
    int started = 1, rc = 0;
    for (; started < n; started++) {
        rc = pthread_create(&loops[started].thread, NULL, thread_main, &loops[started]);
        if (rc != 0)
            break;
    }
    if (rc != 0) /* the loops that could start run; the rest fail alike */
        for (int i = started; i < n; i++)
            loops[i].result = cx__async_error(&cx_RuntimeError,
                                              "cx_run_threads: loop %d: no thread (%s)", i,
                                              strerror(rc));
    run_slot(&loops[0]);
    for (int i = 1; i < started; i++)
        pthread_join(loops[i].thread, NULL);
    bool no_memory = false;
    cx_error *result = collect(loops, n, &no_memory);
    cx_free(loops);
    if (no_memory)
        cx_raise(&cx_MemoryError, "cx_run_threads: no memory for the loops' errors");
    return result;
}
