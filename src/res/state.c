/* Temporary changes to process state: bytes of a variable, the environment,
 * the umask, the signal mask and signal handlers. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cx/state.h>

#include "../port/port.h"

/* ---- override ---- */

#define OVERRIDE_INLINE 32

typedef struct {
    void *var;
    const void *value;
    size_t size;
    unsigned char *heap;                  /* the saved bytes when they do not fit */
    unsigned char saved[OVERRIDE_INLINE];
} override_state;

_Static_assert(sizeof(override_state) <= CX_MANAGER_STATE_SIZE, "override state fits inline");

static unsigned char *saved_bytes(override_state *s) { return s->heap ? s->heap : s->saved; }

static void *override_enter(void *state)
{
    override_state *s = state;
    s->heap = s->size > OVERRIDE_INLINE ? cx_malloc(s->size) : NULL;
    memcpy(saved_bytes(s), s->var, s->size);
    memcpy(s->var, s->value, s->size);
    return s->var;
}

static bool override_exit(void *state, cx_error *err)
{
    override_state *s = state;
    (void)err;
    memcpy(s->var, saved_bytes(s), s->size);
    cx_free(s->heap);
    s->heap = NULL;
    return false;
}

static const cx_manager_type override_type = {"override", override_enter, override_exit};

cx_manager cx_override(void *var, const void *value, size_t size)
{
    if (!var)
        cx_raise(&cx_ValueError, "cx_override: var is NULL");
    if (!value)
        cx_raise(&cx_ValueError, "cx_override: value is NULL");
    if (size == 0)
        cx_raise(&cx_ValueError, "cx_override: size is 0");
    if (size > PTRDIFF_MAX) /* no object is that big: a negative size cast */
        cx_raise(&cx_ValueError, "cx_override: size %zu is larger than any object", size);
    override_state s = {var, value, size, NULL, {0}};
    return cx_manager_make(&override_type, &s, sizeof s);
}

/* ---- environment ---- */

typedef struct {
    const char *name, *value;
    char *old;   /* a copy: getenv's pointer dies with the next setenv */
    bool had;
} env_state;

static void *env_enter(void *state)
{
    env_state *s = state;
    if (!*s->name || strchr(s->name, '='))
        cx_raise(&cx_ValueError, "cx_setenv: invalid variable name '%s'", s->name);
    const char *old = getenv(s->name);
    s->had = old != NULL;
    s->old = NULL;
    if (old) {
        size_t n = strlen(old) + 1;
        s->old = memcpy(cx_malloc(n), old, n);
    }
    int rc = s->value ? setenv(s->name, s->value, 1) : unsetenv(s->name);
    if (rc != 0) {
        int why = errno;
        cx_free(s->old);
        cx_raise_errno(why, "setenv %s", s->name);
    }
    return (void *)s->value;
}

static bool env_exit(void *state, cx_error *err)
{
    env_state *s = state;
    (void)err;
    int rc = s->had ? setenv(s->name, s->old, 1) : unsetenv(s->name);
    int why = errno;
    cx_free(s->old);
    s->old = NULL;
    if (rc != 0)
        cx_raise_errno(why, "setenv %s: restore", s->name);
    return false;
}

static const cx_manager_type env_type = {"setenv", env_enter, env_exit};

cx_manager cx_setenv(const char *name, const char *value)
{
    if (!name)
        cx_raise(&cx_ValueError, "cx_setenv: name is NULL");
    env_state s = {name, value, NULL, false};
    return cx_manager_make(&env_type, &s, sizeof s);
}

/* ---- umask ---- */

typedef struct {
    mode_t mask, old;
} umask_state;

static void *umask_enter(void *state)
{
    umask_state *s = state;
    s->old = umask(s->mask & 0777);
    return NULL;
}

static bool umask_exit(void *state, cx_error *err)
{
    (void)err;
    umask(((umask_state *)state)->old);
    return false;
}

static const cx_manager_type umask_type = {"umask", umask_enter, umask_exit};

cx_manager cx_umask(mode_t mask)
{
    umask_state s = {mask, 0};
    return cx_manager_make(&umask_type, &s, sizeof s);
}

/* ---- signal mask ----
 * sigset_t (128 bytes in glibc) and struct sigaction do not fit a manager's
 * inline state, so what is saved is allocated at entry. */

typedef struct {
    int how;
    const sigset_t *set;
    sigset_t *old;
} sigmask_state;

static void *sigmask_enter(void *state)
{
    sigmask_state *s = state;
    s->old = cx_malloc(sizeof *s->old);
    int rc = cx__port_sigmask(s->how, s->set, s->old);
    if (rc != 0) {
        cx_free(s->old);
        s->old = NULL;
        cx_raise_errno(rc, "sigmask");
    }
    return NULL;
}

static bool sigmask_exit(void *state, cx_error *err)
{
    sigmask_state *s = state;
    (void)err;
    int rc = cx__port_sigmask(SIG_SETMASK, s->old, NULL);
    cx_free(s->old);
    s->old = NULL;
    if (rc != 0)
        cx_raise_errno(rc, "sigmask: restore");
    return false;
}

static const cx_manager_type sigmask_type = {"sigmask", sigmask_enter, sigmask_exit};

cx_manager cx_sigmask(int how, const sigset_t *set)
{
    sigmask_state s = {how, set, NULL};
    return cx_manager_make(&sigmask_type, &s, sizeof s);
}

/* ---- signal handler ---- */

typedef struct {
    int signum;
    void (*handler)(int);
    struct sigaction *old;
} signal_state;

static void *signal_enter(void *state)
{
    signal_state *s = state;
    if (s->signum <= 0 || s->signum >= NSIG)
        cx_raise(&cx_ValueError, "cx_signal: signum %d out of range", s->signum);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s->handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    s->old = cx_malloc(sizeof *s->old);
    if (sigaction(s->signum, &sa, s->old) != 0) {
        int why = errno;
        cx_free(s->old);
        s->old = NULL;
        cx_raise_errno(why, "signal %d", s->signum);
    }
    return NULL;
}

static bool signal_exit(void *state, cx_error *err)
{
    signal_state *s = state;
    (void)err;
    int rc = sigaction(s->signum, s->old, NULL);
    int why = errno;
    cx_free(s->old);
    s->old = NULL;
    if (rc != 0)
        cx_raise_errno(why, "signal %d: restore", s->signum);
    return false;
}

static const cx_manager_type signal_type = {"signal", signal_enter, signal_exit};

cx_manager cx_signal(int signum, void (*handler)(int))
{
    signal_state s = {signum, handler, NULL};
    return cx_manager_make(&signal_type, &s, sizeof s);
}
