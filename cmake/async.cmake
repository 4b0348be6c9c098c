# cx-async: tasks, async with, task groups, timeouts and async I/O on libuv,
# its own shared library and pkg-config file (the core links neither libuv
# nor libpq).  The PostgreSQL part is a second small library, cx-async-pg,
# so that only its users link libpq.  Built as cmake/modules.cmake decided:
# cx-async where libuv is (CX_HAVE_ASYNC), cx-async-pg where cx-pg is too
# (CX_HAVE_ASYNC_PG).
if(NOT CX_HAVE_ASYNC)
  return()
endif()

file(GLOB CX_ASYNC_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/async/*.c)
list(REMOVE_ITEM CX_ASYNC_SOURCES ${CMAKE_SOURCE_DIR}/src/async/pg.c)

# A library of the module: shared (public symbols only) and static (the same
# objects), the static one named <target>_static; installed with the CMake
# targets cx::<module> and cx::<module>_static (cxConfig.cmake.in).
function(cx_async_library target output module)
  add_library(${target}_objects OBJECT ${ARGN})
  set_target_properties(${target}_objects PROPERTIES POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden)
  target_compile_definitions(${target}_objects PRIVATE CX_BUILDING _GNU_SOURCE)
  target_include_directories(${target}_objects PRIVATE ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(${target}_objects PRIVATE PkgConfig::CX_LIBUV)
  add_library(${target} SHARED $<TARGET_OBJECTS:${target}_objects>)
  add_library(${target}_static STATIC $<TARGET_OBJECTS:${target}_objects>)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${output}
    VERSION ${PROJECT_VERSION} SOVERSION 0 EXPORT_NAME ${module})
  set_target_properties(${target}_static PROPERTIES OUTPUT_NAME ${output}
    EXPORT_NAME ${module}_static)
  foreach(t ${target} ${target}_static)
    target_include_directories(${t} PUBLIC
      $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endforeach()
endfunction()

cx_async_library(cx_async cx-async async ${CX_ASYNC_SOURCES})
target_link_libraries(cx_async PUBLIC cx PRIVATE PkgConfig::CX_LIBUV m)
target_link_libraries(cx_async_static PUBLIC cx_static PRIVATE PkgConfig::CX_LIBUV m)
# Bound at load: lazy binding resolves a symbol on the calling task's stack
# and needs kilobytes of it, more than the stack check's margin.
target_link_options(cx_async PRIVATE -Wl,-z,now)
add_library(cx::async ALIAS cx_async)
add_library(cx::async_static ALIAS cx_async_static)
cx_install_module(async cx_async cx_async_static)

set(CX_ASYNC_PCS cx-async)
if(CX_HAVE_ASYNC_PG)
  # conninfo.c is cx-pg's too, compiled in hidden: the two connects parse and
  # hide passwords alike without exporting a helper.
  cx_async_library(cx_async_pg cx-async-pg async_pg ${CMAKE_SOURCE_DIR}/src/async/pg.c
    ${CMAKE_SOURCE_DIR}/src/pg/conninfo.c)
  target_link_libraries(cx_async_pg_objects PRIVATE PkgConfig::CX_LIBPQ)
  target_link_libraries(cx_async_pg PUBLIC cx_async cx cx_pg
    PRIVATE PkgConfig::CX_LIBUV PkgConfig::CX_LIBPQ)
  target_link_libraries(cx_async_pg_static PUBLIC cx_async_static cx_static cx_pg_static
    PRIVATE PkgConfig::CX_LIBUV PkgConfig::CX_LIBPQ)
  add_library(cx::async_pg ALIAS cx_async_pg)
  add_library(cx::async_pg_static ALIAS cx_async_pg_static)
  cx_install_module(async_pg cx_async_pg cx_async_pg_static)
  list(APPEND CX_ASYNC_PCS cx-async-pg)
endif()

foreach(pc ${CX_ASYNC_PCS})
  configure_file(${CMAKE_SOURCE_DIR}/cmake/${pc}.pc.in ${CMAKE_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

if(NOT CX_TESTS)
  return()
endif()

# ---- tests: tests/async, one CTest test per TEST(name), label `async` ----
# Tests named pg_* need the private PostgreSQL server (fixture pg_server);
# scale_* tests are too slow for Valgrind (label no-valgrind); names with
# `thread` also carry the `threads` label (make tsan).  Without
# cx-async-pg, test_pg.c is left out and test_null_args.c audits cx-async
# alone (CX_TEST_NO_ASYNC_PG).
file(GLOB CX_ASYNC_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/async/*.c)
set(CX_ASYNC_TEST_HELPERS ${CMAKE_SOURCE_DIR}/tests/harness.c ${CMAKE_SOURCE_DIR}/tests/probe.c)
if(CX_HAVE_ASYNC_PG)
  # tests/pg/server.c: the pg tests' helpers (the fixture's environment, a
  # silent listener, password checks), shared by the async pg tests.
  list(APPEND CX_ASYNC_TEST_HELPERS ${CMAKE_SOURCE_DIR}/tests/pg/server.c)
else()
  list(REMOVE_ITEM CX_ASYNC_TEST_SOURCES ${CMAKE_SOURCE_DIR}/tests/async/test_pg.c)
endif()
add_executable(test_async ${CX_ASYNC_TEST_SOURCES} ${CX_ASYNC_TEST_HELPERS})
target_include_directories(test_async PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_compile_definitions(test_async PRIVATE _GNU_SOURCE CX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_link_libraries(test_async PRIVATE cx_async cx)
if(CX_HAVE_ASYNC_PG)
  target_link_libraries(test_async PRIVATE cx_async_pg PkgConfig::CX_LIBPQ)
else()
  target_compile_definitions(test_async PRIVATE CX_TEST_NO_ASYNC_PG=1)
endif()
foreach(src ${CX_ASYNC_TEST_SOURCES})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  file(STRINGS ${src} lines REGEX "^TEST\\([a-z0-9_]+\\)")
  foreach(line ${lines})
    string(REGEX REPLACE "^TEST\\(([a-z0-9_]+)\\).*" "\\1" name "${line}")
    set(labels async)
    if(name MATCHES "thread")
      list(APPEND labels threads)
    endif()
    set(wrapper ${CX_TEST_WRAPPER})
    if(name MATCHES "^scale_")
      list(APPEND labels no-valgrind)
      set(wrapper)
    endif()
    add_test(NAME async.${name} COMMAND ${wrapper} $<TARGET_FILE:test_async> ${name})
    set_tests_properties(async.${name} PROPERTIES LABELS "${labels}" TIMEOUT 300
      SKIP_RETURN_CODE 77)
    if(name MATCHES "^scale_")
      # Up to 1.6 GB resident under ASan: never beside the other tests.
      set_tests_properties(async.${name} PROPERTIES RUN_SERIAL TRUE)
    endif()
    if(name MATCHES "^pg_")
      set_tests_properties(async.${name} PROPERTIES FIXTURES_REQUIRED pg_server
        ENVIRONMENT "CX_PG_ENV=${CMAKE_BINARY_DIR}/pg/env")
    endif()
  endforeach()
endforeach()

# The installed tree works for users: pkg-config cx-async.
add_test(NAME async.pkg_config_builds_a_task_program_against_the_installed_tree
  COMMAND ${CMAKE_SOURCE_DIR}/tests/async/check-install.sh
          ${CMAKE_BINARY_DIR} ${CMAKE_C_COMPILER} "${CX_SANITIZER_FLAGS}" ${CX_HAVE_ASYNC_PG})
set_tests_properties(async.pkg_config_builds_a_task_program_against_the_installed_tree
  PROPERTIES LABELS "async;install;no-valgrind" TIMEOUT 120)
