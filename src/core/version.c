/* The library's own version, for programs that check what they run with. */
#include <cx/version.h>

const char *cx_version(void) { return CX_VERSION_STRING; }

int cx_version_number(void) { return CX_VERSION_NUMBER; }
