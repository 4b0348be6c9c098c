/* Non-blocking PostgreSQL: written next. */
#include "internal.h"
