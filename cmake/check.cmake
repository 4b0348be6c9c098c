# cx-check (tools/cx-check, man/cx-check.1): the checker for the rules C
# cannot enforce around cx's statements, installed beside the headers.
# make check runs it over the known-bad and known-good files in tests/check
# and over the examples and the tests, through this build's
# compile_commands.json (zero findings wanted).  It needs libclang's Python
# bindings (make check installs them: the Makefile's CHECK_DEPS).
install(PROGRAMS ${CMAKE_SOURCE_DIR}/tools/cx-check DESTINATION ${CMAKE_INSTALL_BINDIR})

if(NOT CX_TESTS)
  return()
endif()

set(CX_CHECK ${CMAKE_SOURCE_DIR}/tools/cx-check)
set(CX_CHECK_VERIFY ${CMAKE_SOURCE_DIR}/tests/check/verify.py)
file(GLOB CX_CHECK_BAD CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/check/bad/*.c)
file(GLOB CX_CHECK_GOOD CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/check/good/*.c)

function(cx_check_test name)
  add_test(NAME check.${name} COMMAND ${CX_CHECK_VERIFY} ${ARGN})
  set_tests_properties(check.${name} PROPERTIES LABELS "check;no-valgrind" TIMEOUT 300)
endfunction()

cx_check_test(known_bad_files_each_finding_found_with_its_rule_and_line
  bad ${CX_CHECK} ${CX_CHECK_BAD})
cx_check_test(known_good_files_have_no_findings
  good ${CX_CHECK} ${CX_CHECK_GOOD})
cx_check_test(examples_and_tests_have_no_findings
  db ${CX_CHECK} ${CMAKE_BINARY_DIR}/compile_commands.json
  ${CMAKE_SOURCE_DIR}/examples ${CMAKE_SOURCE_DIR}/tests)
cx_check_test(usage_and_parse_errors_exit_2
  errors ${CX_CHECK})
