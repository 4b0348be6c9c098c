# Which optional modules this build has.  Each module needs one library the
# core does not: cx-sqlite SQLite 3, cx-pg libpq, cx-async libuv, and
# cx-async-pg both of the last two.  -DCX_SQLITE, -DCX_PG and -DCX_ASYNC take
#   AUTO  (the default) build the module where pkg-config finds its library;
#   ON    build it, and fail the configure if the library is missing;
#   OFF   never build it, even where the library is installed.
# Decided here, before tests/ and examples/ are read: everything that needs a
# module (its library, tests, examples, install rules, pkg-config file) is
# registered only where CX_HAVE_<MODULE> is ON.  The core needs none of them.

# cx_module_mode(<var> <out>): <out> is AUTO, ON or OFF from cache option <var>.
function(cx_module_mode var out)
  string(TOUPPER "${${var}}" v)
  if(v STREQUAL "AUTO")
    set(${out} AUTO PARENT_SCOPE)
  elseif(v MATCHES "^(ON|YES|TRUE|Y|1)$")
    set(${out} ON PARENT_SCOPE)
  elseif(v MATCHES "^(OFF|NO|FALSE|N|0)$")
    set(${out} OFF PARENT_SCOPE)
  else()
    message(FATAL_ERROR "cx: -D${var}=${${var}}: expected AUTO, ON or OFF")
  endif()
endfunction()

# cx_module_find(<module> <option> <pkg-config prefix> <pkg-config name>):
# sets CX_HAVE_<MODULE> and prints the one line saying why.
function(cx_module_find module var prefix pkg)
  cx_module_mode(${var} mode)
  string(TOUPPER "${module}" MODULE)
  set(have OFF)
  if(mode STREQUAL "OFF")
    set(why "-D${var}=OFF")
  elseif(CX_CORE_ONLY)
    set(why "${CMAKE_SYSTEM_NAME} builds the core only")
    if(mode STREQUAL "ON")
      message(FATAL_ERROR "cx: module ${module}: -D${var}=ON but ${why} (docs/portability.md)")
    endif()
  elseif(NOT PKG_CONFIG_FOUND)
    set(why "pkg-config not found, so ${pkg} was not looked for")
  else()
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${pkg})
    if(${prefix}_FOUND)
      set(have ON)
      set(why "${pkg} ${${prefix}_VERSION}")
    else()
      set(why "${pkg} not found by pkg-config")
    endif()
  endif()
  if(have)
    message(STATUS "cx: module ${module}: built (${why})")
  elseif(mode STREQUAL "ON")
    message(FATAL_ERROR "cx: module ${module}: -D${var}=ON but ${why}.  Install its "
            "development files (Debian: ${ARGN}) or configure with -D${var}=AUTO or OFF.")
  elseif(mode STREQUAL "OFF" OR CX_CORE_ONLY)
    message(STATUS "cx: module ${module}: skipped (${why})")
  else()
    message(STATUS "cx: module ${module}: skipped (${why}; -D${var}=ON to require it)")
  endif()
  set(CX_HAVE_${MODULE} ${have} PARENT_SCOPE)
endfunction()

set(CX_SQLITE AUTO CACHE STRING "Build cx-sqlite (SQLite 3): AUTO (where found), ON (required) or OFF")
set(CX_PG AUTO CACHE STRING "Build cx-pg (libpq): AUTO (where found), ON (required) or OFF")
set(CX_ASYNC AUTO CACHE STRING "Build cx-async (libuv): AUTO (where found), ON (required) or OFF")
set(cx_modules_wanted OFF)
foreach(var CX_SQLITE CX_PG CX_ASYNC)
  set_property(CACHE ${var} PROPERTY STRINGS AUTO ON OFF)
  cx_module_mode(${var} mode)
  if(NOT mode STREQUAL "OFF")
    set(cx_modules_wanted ON)
  endif()
endforeach()
if(cx_modules_wanted AND NOT CX_CORE_ONLY)
  find_package(PkgConfig QUIET)
endif()

cx_module_find(sqlite CX_SQLITE CX_SQLITE3 sqlite3 libsqlite3-dev)
cx_module_find(pg CX_PG CX_LIBPQ libpq libpq-dev)
cx_module_find(async CX_ASYNC CX_LIBUV libuv libuv1-dev)

# cx-async-pg has no option of its own: it is built where both halves are.
if(CX_HAVE_PG AND CX_HAVE_ASYNC)
  set(CX_HAVE_ASYNC_PG ON)
  message(STATUS "cx: module async-pg: built (modules pg and async are)")
else()
  set(CX_HAVE_ASYNC_PG OFF)
  set(missing)
  foreach(m pg async)
    string(TOUPPER ${m} M)
    if(NOT CX_HAVE_${M})
      list(APPEND missing ${m})
    endif()
  endforeach()
  string(REPLACE ";" " and " missing "${missing}")
  message(STATUS "cx: module async-pg: skipped (needs modules pg and async; ${missing} not built)")
endif()

# The public headers that belong to a module, installed with it.
set(CX_MODULE_HEADERS_SQLITE sqlite.h)
set(CX_MODULE_HEADERS_PG pg.h)
set(CX_MODULE_HEADERS_ASYNC async.h)
