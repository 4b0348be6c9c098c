/* cx/version.h — which cx a program was compiled against, and which one it
 * runs with.
 *
 * The header's numbers are fixed when the program is compiled; cx_version()
 * and cx_version_number() come from the shared library loaded at run time.
 * Within one major version the library is backward compatible (same soname,
 * libcx.so.0), so a program may run with a newer minor or patch release than
 * the one it was built with. */
#ifndef CX_VERSION_H
#define CX_VERSION_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The major version: changes only with an incompatible ABI (the soname's number). */
#define CX_VERSION_MAJOR 0
/* The minor version: compatible additions. */
#define CX_VERSION_MINOR 1
/* The patch version: fixes, no interface change. */
#define CX_VERSION_PATCH 0
/* The version as a string, "MAJOR.MINOR.PATCH". */
#define CX_VERSION_STRING "0.1.0"
/* The version as one comparable number: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define CX_VERSION_NUMBER \
    (CX_VERSION_MAJOR * 10000 + CX_VERSION_MINOR * 100 + CX_VERSION_PATCH)

/* The running library's version, "MAJOR.MINOR.PATCH" (a static string). */
CX_API const char *cx_version(void);

/* The running library's version as CX_VERSION_NUMBER computes it. */
CX_API int cx_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
