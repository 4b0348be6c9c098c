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
endif()
