# Reliability: the differential tester against CPython (tests/diff) and the
# fault, thread and leak tests (tests/reliability).  CTest label `reliability`.
if(NOT CX_TESTS)
  return()
endif()

add_library(cx_diff_interp STATIC tests/diff/interp.c)
target_link_libraries(cx_diff_interp PUBLIC cx)
target_compile_definitions(cx_diff_interp PRIVATE _GNU_SOURCE)

add_executable(cx_diff tests/diff/main.c)
set_target_properties(cx_diff PROPERTIES OUTPUT_NAME cx-diff
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/diff)
target_link_libraries(cx_diff PRIVATE cx_diff_interp)
target_compile_definitions(cx_diff PRIVATE _GNU_SOURCE)

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  set(CX_DIFF_WRAPPER "")
  if(CX_VALGRIND)
    set(CX_DIFF_WRAPPER "valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite")
  endif()
  add_test(NAME reliability.diff_2000_scenarios_match_cpython
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/diff/difftest.py
            --interp $<TARGET_FILE:cx_diff> --n 2000 --seed 1 --wrapper "${CX_DIFF_WRAPPER}")
  set_tests_properties(reliability.diff_2000_scenarios_match_cpython
    PROPERTIES LABELS "reliability" TIMEOUT 600)
  add_test(NAME reliability.fault_scenario_sets_are_what_the_generator_writes
    COMMAND ${CMAKE_SOURCE_DIR}/tests/diff/check-fault-sets.sh ${Python3_EXECUTABLE}
            ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliability.fault_scenario_sets_are_what_the_generator_writes
    PROPERTIES LABELS "reliability;no-valgrind" TIMEOUT 120)
endif()

# tests/reliability: one executable, one CTest test per TEST(name), as
# tests/CMakeLists.txt does for the other folders (names with "thread" also
# get the `threads` label that make tsan runs).
file(GLOB cx_rel_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/reliability/*.c)
add_executable(test_reliability ${cx_rel_sources} tests/harness.c tests/probe.c)
set_target_properties(test_reliability PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
target_include_directories(test_reliability PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_compile_definitions(test_reliability PRIVATE _GNU_SOURCE
  CX_FAULT_SCENARIOS="${CMAKE_SOURCE_DIR}/tests/reliability/fault_scenarios.txt"
  CX_FAULT_SCENARIOS_ANY="${CMAKE_SOURCE_DIR}/tests/reliability/fault_scenarios_any.txt")
target_link_libraries(test_reliability PRIVATE cx_diff_interp cx)
if(CX_VALGRIND)
  target_compile_definitions(test_reliability PRIVATE CX_TEST_UNDER_VALGRIND)
endif()
foreach(src ${cx_rel_sources})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  file(STRINGS ${src} lines REGEX "^TEST\\([a-z0-9_]+\\)")
  foreach(line ${lines})
    string(REGEX REPLACE "^TEST\\(([a-z0-9_]+)\\).*" "\\1" name "${line}")
    set(labels reliability)
    if(name MATCHES "thread")
      list(APPEND labels threads)
    endif()
    add_test(NAME reliability.${name}
             COMMAND ${CX_TEST_WRAPPER} $<TARGET_FILE:test_reliability> ${name})
    set_tests_properties(reliability.${name} PROPERTIES LABELS "${labels}" TIMEOUT 600)
  endforeach()
endforeach()
