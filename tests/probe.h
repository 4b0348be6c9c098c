/* A manager for tests: logs "enter:<name>" and "exit:<name>:<type or ok>",
 * and can be told to raise in enter or exit, or to suppress. */
#ifndef CX_TEST_PROBE_H
#define CX_TEST_PROBE_H

#include "harness.h"

typedef struct probe {
    const char *name;
    int enter_raises;  /* raise ValueError from enter */
    int exit_raises;   /* raise TypeError from exit */
    int suppress;      /* return true from exit */
    int *exits;        /* incremented on every exit, when not NULL */
} probe;

cx_manager probe_manager(probe p);
#define PROBE(...) probe_manager((probe){__VA_ARGS__})

#endif
