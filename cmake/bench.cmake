# The benchmark: cx-bench, with its C and C++ peers compiled in the same build
# (`make bench` runs it; a smoke run with tiny counts is part of `make check`).
#
# The peers and the cx cases are built at -O2 whatever the build type, so the
# comparison is between release builds.  C++ rows need a C++ compiler: where
# there is none they print as missing.

include(CheckLanguage)
check_language(CXX)
set(CX_BENCH_SOURCES
  bench/main.c bench/work.c bench/managers.c bench/cases_c.c bench/cases_cx.c)
set(CX_BENCH_DEFS CX_BENCH_PEERS="${CMAKE_CURRENT_SOURCE_DIR}/bench/peers.py")
set(CX_BENCH_CXX OFF)
if(CMAKE_CXX_COMPILER)
  enable_language(CXX)
  set(CX_BENCH_CXX ON)
  list(APPEND CX_BENCH_SOURCES bench/cases_cpp.cpp)
  list(APPEND CX_BENCH_DEFS CX_BENCH_HAVE_CXX=1)
endif()
# The async rows need cx-async with the API they use.
set(CX_BENCH_ASYNC OFF)
if(TARGET cx_async AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include/cx/async.h)
  file(READ ${CMAKE_CURRENT_SOURCE_DIR}/include/cx/async.h CX_BENCH_ASYNC_H)
  if(CX_BENCH_ASYNC_H MATCHES "cx_run" AND CX_BENCH_ASYNC_H MATCHES "cx_spawn"
     AND CX_BENCH_ASYNC_H MATCHES "cx_await_task" AND CX_BENCH_ASYNC_H MATCHES "cx_sleep"
     AND CX_BENCH_ASYNC_H MATCHES "cx_asynccontextmanager")
    set(CX_BENCH_ASYNC ON)
  endif()
endif()
if(CX_BENCH_ASYNC AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/bench/cases_async.c)
  list(APPEND CX_BENCH_SOURCES bench/cases_async.c bench/cases_libuv.c)
  list(APPEND CX_BENCH_DEFS CX_BENCH_HAVE_ASYNC=1)
else()
  set(CX_BENCH_ASYNC OFF)
endif()

add_executable(cx-bench ${CX_BENCH_SOURCES})
target_compile_definitions(cx-bench PRIVATE ${CX_BENCH_DEFS})
target_compile_options(cx-bench PRIVATE -O2)
# cx is linked statically, as the peers are compiled into the program: the
# figures are the code's cost, not the PLT's or __tls_get_addr's.
# -DCX_BENCH_SHARED=ON links libcx.so (and libcx-async.so) instead, for the
# figures a program linked with `pkg-config --libs cx` gets.  For the static
# build cx-async is compiled again from cx_async's own sources, so that the
# program holds one cx.
option(CX_BENCH_SHARED "Link cx-bench with the shared libraries" OFF)
if(CX_BENCH_SHARED)
  target_link_libraries(cx-bench PRIVATE cx m)
  if(CX_BENCH_ASYNC)
    target_link_libraries(cx-bench PRIVATE cx_async)
  endif()
else()
  target_link_libraries(cx-bench PRIVATE cx_static m)
  if(CX_BENCH_ASYNC)
    get_target_property(cx_bench_async_sources cx_async SOURCES)
    get_target_property(cx_bench_async_defs cx_async COMPILE_DEFINITIONS)
    get_target_property(cx_bench_async_libs cx_async LINK_LIBRARIES)
    list(TRANSFORM cx_bench_async_libs REPLACE "^cx$" "cx_static")
    add_library(cx_bench_async STATIC EXCLUDE_FROM_ALL ${cx_bench_async_sources})
    target_compile_definitions(cx_bench_async PRIVATE ${cx_bench_async_defs})
    target_include_directories(cx_bench_async PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(cx_bench_async PUBLIC ${cx_bench_async_libs})
    target_link_libraries(cx-bench PRIVATE cx_bench_async)
  endif()
endif()
if(CX_BENCH_ASYNC) # bench/cases_libuv.c: the hand-written libuv peer
  target_link_libraries(cx-bench PRIVATE PkgConfig::CX_LIBUV Threads::Threads)
endif()
set_target_properties(cx-bench PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)

# The smoke run writes the JSON once; the checks read it.  Never a timed
# assertion: these machines are shared and noisy.
if(CX_TESTS)
  find_program(CX_BENCH_PYTHON python3)
  if(CX_BENCH_PYTHON)
    set(smoke_json ${CMAKE_BINARY_DIR}/bench/smoke.json)
    add_test(NAME bench.smoke_run_writes_results_json
      COMMAND cx-bench --smoke --json ${smoke_json} --python ${CX_BENCH_PYTHON})
    set_tests_properties(bench.smoke_run_writes_results_json PROPERTIES
      LABELS "bench;no-valgrind" TIMEOUT 300 FIXTURES_SETUP bench_smoke)
    set(check ${CX_BENCH_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/bench/check_results.py
      ${smoke_json} --cxx ${CX_BENCH_CXX} --async ${CX_BENCH_ASYNC})
    foreach(what every_row_of_the_issue_table_is_present rows_have_the_documented_shape
                 every_figure_is_a_positive_time)
      add_test(NAME bench.${what} COMMAND ${check} ${what})
      set_tests_properties(bench.${what} PROPERTIES
        LABELS "bench;no-valgrind" TIMEOUT 60 FIXTURES_REQUIRED bench_smoke)
    endforeach()
  endif()
endif()
