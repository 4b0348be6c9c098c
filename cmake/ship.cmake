# Shipping cx like a C library people trust: the version, what each shared
# library exports, its ABI against the committed baseline, the man pages, and
# C++ and strict-warning users.  Included last, so every optional module's
# library exists by now (docs/abi.md explains the checks).

# ---- version: include/cx/version.h must say what project() says ----
file(STRINGS ${CMAKE_SOURCE_DIR}/include/cx/version.h CX_VERSION_LINES
     REGEX "^#define CX_VERSION_(MAJOR|MINOR|PATCH|STRING) ")
set(CX_HEADER_VERSION "")
foreach(part MAJOR MINOR PATCH)
  string(REGEX REPLACE ".*#define CX_VERSION_${part} ([0-9]+).*" "\\1" n "${CX_VERSION_LINES}")
  list(APPEND CX_HEADER_VERSION ${n})
endforeach()
string(REPLACE ";" "." CX_HEADER_VERSION "${CX_HEADER_VERSION}")
string(REGEX REPLACE ".*#define CX_VERSION_STRING \"([^\"]*)\".*" "\\1" CX_HEADER_VERSION_STRING
       "${CX_VERSION_LINES}")
if(NOT CX_HEADER_VERSION STREQUAL PROJECT_VERSION OR
   NOT CX_HEADER_VERSION_STRING STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "include/cx/version.h says ${CX_HEADER_VERSION} "
          "(\"${CX_HEADER_VERSION_STRING}\") but project() says ${PROJECT_VERSION}: "
          "change both together")
endif()

# ---- the shared libraries: soname libcx*.so.0, exports under a version script ----
set(CX_SHIP_LIBS)
foreach(t cx cx_sqlite cx_pg cx_async cx_async_pg)
  if(TARGET ${t})
    list(APPEND CX_SHIP_LIBS ${t})
    target_link_options(${t} PRIVATE -Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/cx.map)
    set_property(TARGET ${t} APPEND PROPERTY LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/cx.map)
  endif()
endforeach()

# ---- man pages: section 3 installed with the headers, section 1 (cx-check) with the program ----
# man/*.3 is the core's manual, man/<module>/*.3 a module's, installed with
# the module.  An alias (cx_except.3 -> cx_try.3) is a symbolic link in the
# tree and an installed copy.
file(GLOB CX_MAN3 CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.3)
foreach(m sqlite pg async async_pg)
  string(TOUPPER ${m} M)
  if(CX_HAVE_${M})
    file(GLOB pages CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/${m}/*.3)
    list(APPEND CX_MAN3 ${pages})
  endif()
endforeach()
install(FILES ${CX_MAN3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
file(GLOB CX_MAN1 CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.1)
install(FILES ${CX_MAN1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# make abi-baseline: rewrite abi/<lib>.abi for every library built here.
set(CX_ABI_DUMPS)
foreach(t ${CX_SHIP_LIBS})
  list(APPEND CX_ABI_DUMPS COMMAND ${CMAKE_SOURCE_DIR}/tests/ship/check-abi.sh dump
       $<TARGET_FILE:${t}> ${CMAKE_SOURCE_DIR}/abi/$<TARGET_FILE_BASE_NAME:${t}>.abi
       ${CMAKE_SOURCE_DIR}/include)
endforeach()
add_custom_target(abi-baseline ${CX_ABI_DUMPS} DEPENDS ${CX_SHIP_LIBS} VERBATIM)

if(NOT CX_TESTS)
  return()
endif()

set(CX_SHIP_DIR ${CMAKE_SOURCE_DIR}/tests/ship)
function(cx_ship_test name)
  cmake_parse_arguments(T "" "" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ship.${name} COMMAND ${T_COMMAND})
  set_tests_properties(ship.${name} PROPERTIES LABELS "ship;no-valgrind;${T_LABELS}" TIMEOUT 300)
endfunction()

# C tests with the common harness: one CTest test per TEST(name).
file(GLOB CX_SHIP_C_TESTS CONFIGURE_DEPENDS ${CX_SHIP_DIR}/test_*.c)
add_executable(test_ship ${CX_SHIP_C_TESTS} tests/harness.c tests/probe.c)
target_include_directories(test_ship PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_compile_definitions(test_ship PRIVATE _GNU_SOURCE)
target_link_libraries(test_ship PRIVATE cx)
foreach(src ${CX_SHIP_C_TESTS})
  file(STRINGS ${src} lines REGEX "^TEST\\([a-z0-9_]+\\)")
  foreach(line ${lines})
    string(REGEX REPLACE "^TEST\\(([a-z0-9_]+)\\).*" "\\1" name "${line}")
    add_test(NAME ship.${name} COMMAND ${CX_TEST_WRAPPER} $<TARGET_FILE:test_ship> ${name})
    set_tests_properties(ship.${name} PROPERTIES LABELS "ship" TIMEOUT 120)
  endforeach()
endforeach()

# Exported symbols: cx names only, soname .so.0, symbol version CX_0.
foreach(t ${CX_SHIP_LIBS})
  cx_ship_test(${t}_exports_only_cx_names_under_soname_0
    COMMAND ${CX_SHIP_DIR}/check-symbols.sh $<TARGET_FILE:${t}> $<TARGET_SONAME_FILE_NAME:${t}>
            ${CMAKE_SOURCE_DIR}/abi/internal-symbols.txt
    LABELS abi)
endforeach()

# ABI against the committed baseline (abi/<lib>.abi).  Only in the plain
# build: sanitizers change the code, not the interface, and abidw has nothing
# to add there; and only with debug information, where the types come from.
# A library with no baseline yet fails: make abi-baseline.
if(CMAKE_BUILD_TYPE MATCHES "^(RelWithDebInfo|Debug)$" OR CMAKE_C_FLAGS MATCHES "(^| )-g")
  set(CX_HAVE_DEBUG_INFO ON)
else()
  set(CX_HAVE_DEBUG_INFO OFF)
  message(STATUS "cx: no debug information in this build type: the ABI check is not registered")
endif()
if(CX_HAVE_DEBUG_INFO AND NOT CX_SANITIZE AND NOT CX_TSAN AND NOT CX_VALGRIND)
  foreach(t ${CX_SHIP_LIBS})
    cx_ship_test(${t}_abi_is_compatible_with_the_baseline
      COMMAND ${CX_SHIP_DIR}/check-abi.sh check $<TARGET_FILE:${t}>
              ${CMAKE_SOURCE_DIR}/abi/$<TARGET_FILE_BASE_NAME:${t}>.abi ${CMAKE_SOURCE_DIR}/include
      LABELS abi)
  endforeach()
endif()

# Users' strict warnings: the examples and nested statements, -Wshadow included.
cx_ship_test(examples_compile_cleanly_with_strict_user_warnings
  COMMAND ${CX_SHIP_DIR}/check-user-flags.sh ${CMAKE_C_COMPILER} ${CMAKE_SOURCE_DIR}
          "${CX_SANITIZER_FLAGS}")

# The installed headers, alone and together, and the statements' expansions,
# under -Wall -Wextra -Wpedantic -Wshadow -Wcast-qual -Wconversion -Werror
# with gcc and with clang (make check installs both).
cx_ship_test(installed_headers_are_clean_under_strict_warnings_with_gcc_and_clang
  COMMAND ${CX_SHIP_DIR}/check-strict-headers.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} gcc clang)

# C++: every header this build installs alone, and a C++ program using the
# statements.
file(GLOB CX_PUBLIC_HEADERS RELATIVE ${CMAKE_SOURCE_DIR}/include/cx
     CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/cx/*.h)
foreach(m SQLITE PG ASYNC)
  if(NOT CX_HAVE_${m})
    list(REMOVE_ITEM CX_PUBLIC_HEADERS ${CX_MODULE_HEADERS_${m}})
  endif()
endforeach()
include(CheckLanguage)
check_language(CXX)
if(CMAKE_CXX_COMPILER)
  enable_language(CXX)
  cx_ship_test(every_public_header_compiles_alone_as_c_and_cxx
    COMMAND ${CX_SHIP_DIR}/check-headers.sh ${CMAKE_C_COMPILER} ${CMAKE_CXX_COMPILER}
            ${CMAKE_SOURCE_DIR}/include ${CX_PUBLIC_HEADERS}
    LABELS cxx)
  add_executable(test_cxx ${CX_SHIP_DIR}/test_cxx.cpp)
  set_target_properties(test_cxx PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
                        CXX_EXTENSIONS OFF)
  target_compile_options(test_cxx PRIVATE -Wpedantic -Wshadow)
  target_link_libraries(test_cxx PRIVATE cx)
  file(STRINGS ${CX_SHIP_DIR}/test_cxx.cpp lines REGEX "^    {\"[a-z0-9_]+\",")
  foreach(line ${lines})
    string(REGEX REPLACE "^    {\"([a-z0-9_]+)\",.*" "\\1" name "${line}")
    add_test(NAME cxx.${name} COMMAND ${CX_TEST_WRAPPER} $<TARGET_FILE:test_cxx> ${name})
    set_tests_properties(cxx.${name} PROPERTIES LABELS "ship;cxx" TIMEOUT 120)
  endforeach()
else()
  message(WARNING "no C++ compiler: the C++ tests are not built (install g++)")
endif()

# The Debian packages (make deb builds them) claim every installed file once.
# They carry every module, so the check needs a build that has them all.
if(CX_HAVE_SQLITE AND CX_HAVE_PG AND CX_HAVE_ASYNC AND CX_HAVE_ASYNC_PG)
  cx_ship_test(debian_packages_claim_every_installed_file_once
    COMMAND ${CX_SHIP_DIR}/check-debian-install.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
    LABELS deb)
else()
  message(STATUS "cx: not every module is built: the Debian install check is not registered")
endif()

# The core alone: a scratch build of this tree with every module OFF builds,
# passes its core tests and installs no module file (tests/ship/check-core-alone.sh).
# The scratch build registers no such test of its own.  Only in the plain
# build: the scratch build is a plain one whatever this build's sanitizers.
option(CX_CORE_ALONE_TEST "Register the test that builds the core alone in a scratch build" ON)
if(CX_CORE_ALONE_TEST AND NOT CX_SANITIZE AND NOT CX_TSAN AND NOT CX_VALGRIND)
  cx_ship_test(core_alone_builds_tests_and_installs_without_any_module
    COMMAND ${CX_SHIP_DIR}/check-core-alone.sh ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER}
    LABELS modules-off)
endif()

# The core with musl and as a 32-bit program (docs/portability.md): each
# skipped, saying why, where its compiler or a way to run it is missing.
option(CX_PLATFORM_TESTS "Register the tests that build and run the core with musl and -m32" ON)
if(CX_PLATFORM_TESTS AND NOT CX_SANITIZE AND NOT CX_TSAN AND NOT CX_VALGRIND
   AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_SIZEOF_VOID_P EQUAL 8)
  cx_ship_test(musl_core_builds_and_passes_its_core_and_gen_suites
    COMMAND ${CX_SHIP_DIR}/check-platform-core.sh musl ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER}
    LABELS platforms)
  cx_ship_test(m32_core_builds_and_passes_its_core_and_gen_suites
    COMMAND ${CX_SHIP_DIR}/check-platform-core.sh m32 ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER}
    LABELS platforms)
  set_tests_properties(ship.musl_core_builds_and_passes_its_core_and_gen_suites
    ship.m32_core_builds_and_passes_its_core_and_gen_suites PROPERTIES SKIP_RETURN_CODE 77
    TIMEOUT 900)
endif()

# make docs keeps working: Doxygen, warnings as errors.  make check installs
# doxygen (CHECK_DEPS), so a header declaration without its comment fails here.
cx_ship_test(api_reference_builds_without_a_doxygen_warning
  COMMAND ${CX_SHIP_DIR}/build-docs.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/docs
  LABELS docs)

# Man pages render without a groff warning.
if(CX_MAN3)
  cx_ship_test(man_pages_render_cleanly_with_man_l
    COMMAND ${CX_SHIP_DIR}/check-man.sh ${CMAKE_SOURCE_DIR}/man)
endif()

# Every public function of every installed header resolves to a man page in
# the installed tree (man -M <prefix>/share/man -w 3 NAME).
cx_ship_test(every_public_function_has_an_installed_man_page
  COMMAND ${CX_SHIP_DIR}/check-man-coverage.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
  LABELS man)
