/* cx/cx.h — the whole core: errors, try, with, scopes.
 * Python's `with` statement and exception model for C. */
#ifndef CX_CX_H
#define CX_CX_H

#include "version.h"
#include "error.h"
#include "frame.h"
#include "try.h"
#include "with.h"
#include "contextlib.h"
/* The rest needs POSIX: Windows builds the core alone (docs/portability.md). */
#ifndef CX__WINDOWS
#include "io.h"
#include "fs.h"
#include "gen.h"
#include "sync.h"
#include "state.h"
#include "monitor.h"
#endif

#endif
