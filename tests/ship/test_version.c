/* The version a program is compiled against and the one it runs with. */
#include "harness.h"

TEST(version_macros_match_the_running_library)
{
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", CX_VERSION_MAJOR, CX_VERSION_MINOR,
             CX_VERSION_PATCH);
    CHECK_STR(cx_version(), expect);
    CHECK_STR(CX_VERSION_STRING, expect);
    CHECK_EQ(cx_version_number(), CX_VERSION_NUMBER);
}

TEST(version_number_orders_releases)
{
    CHECK_EQ(CX_VERSION_NUMBER,
             CX_VERSION_MAJOR * 10000 + CX_VERSION_MINOR * 100 + CX_VERSION_PATCH);
    CHECK(CX_VERSION_NUMBER >= 100); /* 0.1.0 was the first release */
}
