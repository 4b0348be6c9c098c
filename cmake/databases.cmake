# The database modules: cx-sqlite (SQLite 3) and cx-pg (libpq), each its own
# shared library and pkg-config file so nobody links libpq to get a with
# block, and the private PostgreSQL server the tests run against.  The error
# types both raise (cx/dberror.h) live in the core, which links neither.
# Each is built where cmake/modules.cmake found its library (CX_HAVE_SQLITE,
# CX_HAVE_PG; the imported targets PkgConfig::CX_SQLITE3 and ::CX_LIBPQ).

# A module library: shared (public symbols only) and static (the same
# objects), both linked to the core's of the same kind, installed with its
# pkg-config file and its CMake targets (cmake/cx-<module>-targets.cmake:
# cx::<module> and cx::<module>_static, see cxConfig.cmake.in).
function(cx_db_library target output dir dep)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${dir}/*.c)
  add_library(${target}_objects OBJECT ${sources})
  set_target_properties(${target}_objects PROPERTIES POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden)
  target_compile_definitions(${target}_objects PRIVATE CX_BUILDING _GNU_SOURCE)
  target_include_directories(${target}_objects PRIVATE ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(${target}_objects PRIVATE ${dep})
  add_library(${target} SHARED $<TARGET_OBJECTS:${target}_objects>)
  add_library(${target}_static STATIC $<TARGET_OBJECTS:${target}_objects>)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${output}
    VERSION ${PROJECT_VERSION} SOVERSION 0 EXPORT_NAME ${dir})
  set_target_properties(${target}_static PROPERTIES OUTPUT_NAME ${output}
    EXPORT_NAME ${dir}_static)
  foreach(t ${target} ${target}_static)
    target_include_directories(${t} PUBLIC
      $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endforeach()
  target_link_libraries(${target} PUBLIC cx ${dep})
  target_link_libraries(${target}_static PUBLIC cx_static ${dep})
  cx_install_module(${dir} ${target} ${target}_static)
  configure_file(${CMAKE_SOURCE_DIR}/cmake/${output}.pc.in
    ${CMAKE_BINARY_DIR}/${output}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/${output}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()

if(CX_HAVE_SQLITE)
  cx_db_library(cx_sqlite cx-sqlite sqlite PkgConfig::CX_SQLITE3)
  add_library(cx::sqlite ALIAS cx_sqlite)
  add_library(cx::sqlite_static ALIAS cx_sqlite_static)
endif()
if(CX_HAVE_PG)
  cx_db_library(cx_pg cx-pg pg PkgConfig::CX_LIBPQ)
  add_library(cx::pg ALIAS cx_pg)
  add_library(cx::pg_static ALIAS cx_pg_static)
endif()

if(NOT CX_TESTS)
  return()
endif()

# ---- tests: one executable per folder, one CTest test per TEST(name) ----
function(cx_db_tests label lib)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${label}/*.c)
  set(exe test_${label})
  add_executable(${exe} ${sources} ${CMAKE_SOURCE_DIR}/tests/harness.c
    ${CMAKE_SOURCE_DIR}/tests/probe.c)
  target_include_directories(${exe} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  target_compile_definitions(${exe} PRIVATE _GNU_SOURCE
    CX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_link_libraries(${exe} PRIVATE ${lib})
  set(names)
  foreach(src ${sources})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
    file(STRINGS ${src} lines REGEX "^TEST\\([a-z0-9_]+\\)")
    foreach(line ${lines})
      string(REGEX REPLACE "^TEST\\(([a-z0-9_]+)\\).*" "\\1" name "${line}")
      add_test(NAME ${label}.${name}
        COMMAND ${CX_TEST_WRAPPER} $<TARGET_FILE:${exe}> ${name})
      set_tests_properties(${label}.${name} PROPERTIES LABELS ${label} TIMEOUT 120)
      list(APPEND names ${label}.${name})
    endforeach()
  endforeach()
  set(CX_DB_TESTS_${label} ${names} PARENT_SCOPE)
endfunction()

if(CX_HAVE_SQLITE)
  cx_db_tests(sqlite cx_sqlite)
endif()

# The installed tree: a program built with `pkg-config --libs cx-sqlite` (or
# cx-pg) alone links and runs.
foreach(module sqlite pg)
  string(TOUPPER ${module} MODULE)
  if(NOT CX_HAVE_${MODULE})
    continue()
  endif()
  set(name ${module}.installed_pkg_config_cx_${module}_builds_and_runs_a_program)
  add_test(NAME ${name}
    COMMAND ${CMAKE_SOURCE_DIR}/tests/sqlite/check-installed.sh ${CMAKE_BINARY_DIR}
            ${CMAKE_C_COMPILER} cx-${module} "${CX_SANITIZER_FLAGS}")
  set_tests_properties(${name} PROPERTIES LABELS "${module};install;no-valgrind" TIMEOUT 120)
endforeach()

if(NOT CX_HAVE_PG)
  return()
endif()

# ---- the test server: CTest fixture `pg_server` ----
# `scripts/pg-server.sh start <build>/pg` runs before the first test that
# requires the fixture and `stop` after the last; tests find the server
# through CX_PG_ENV (a file of PG*=... lines, see the script's header).
# A watchdog in the script stops the server if ctest dies first.
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

cx_db_tests(pg cx_pg)
set_tests_properties(${CX_DB_TESTS_pg} pg.installed_pkg_config_cx_pg_builds_and_runs_a_program
  PROPERTIES
  FIXTURES_REQUIRED pg_server ENVIRONMENT "CX_PG_ENV=${CX_PG_ENV_FILE}")
