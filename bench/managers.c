/* The trivial manager cx's with_trivial case enters: defined here, apart
 * from the loop that uses it, as a library's manager would be, so the
 * compiler cannot inline enter and exit into the with statement (the C peer
 * calls through function pointers it cannot see either). */
#include "managers.h"

static void *nop_enter(void *state) { return state; }

static bool nop_exit(void *state, cx_error *err)
{
    (void)state, (void)err;
    return false;
}

const cx_manager_type bench_nop_type = {"nop", nop_enter, nop_exit};
