/* Managers shared by the cx cases, defined in managers.c. */
#ifndef CX_BENCH_MANAGERS_H
#define CX_BENCH_MANAGERS_H

#include <cx/with.h>

/* enter returns its state pointer, exit does nothing. */
extern const cx_manager_type bench_nop_type;

#endif
