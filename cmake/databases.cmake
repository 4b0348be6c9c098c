# The database modules: cx-sqlite (SQLite 3) and cx-pg (libpq), each its own
# shared library and pkg-config file, and the private PostgreSQL server the
# tests run against.

# ---- the test server: CTest fixture `pg_server` ----
# `scripts/pg-server.sh start <build>/pg` runs before the first test that
# requires the fixture and `stop` after the last; tests find the server
# through CX_PG_ENV (a file of PG*=... lines, see the script's header).
# A watchdog in the script stops the server if ctest dies first.
if(CX_TESTS)
  set(CX_PG_DIR ${CMAKE_BINARY_DIR}/pg)
  set(CX_PG_ENV_FILE ${CX_PG_DIR}/env)
  add_test(NAME pg_server.start
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/pg-server.sh start ${CX_PG_DIR})
  add_test(NAME pg_server.stop
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/pg-server.sh stop ${CX_PG_DIR})
  set_tests_properties(pg_server.start PROPERTIES
    FIXTURES_SETUP pg_server LABELS "pg_server" TIMEOUT 120)
  set_tests_properties(pg_server.stop PROPERTIES
    FIXTURES_CLEANUP pg_server LABELS "pg_server" TIMEOUT 120)
endif()
