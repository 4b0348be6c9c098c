#include "probe.h"

static void *probe_enter(void *state)
{
    probe *p = state;
    th_log("enter:%s", p->name);
    if (p->enter_raises)
        cx_raise(&cx_ValueError, "enter %s", p->name);
    return (void *)p->name;
}

static bool probe_exit(void *state, cx_error *err)
{
    probe *p = state;
    th_log("exit:%s:%s", p->name, err ? cx_error_type(err)->name : "ok");
    if (p->exits)
        ++*p->exits;
    if (p->exit_raises)
        cx_raise(&cx_TypeError, "exit %s", p->name);
    return p->suppress;
}

static const cx_manager_type probe_type = {"probe", probe_enter, probe_exit};

cx_manager probe_manager(probe p) { return cx_manager_make(&probe_type, &p, sizeof p); }
