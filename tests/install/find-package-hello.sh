#!/bin/sh
# Builds tests/install/hello.c with CMake's find_package(cx) against an
# installed tree, runs it with that tree's libraries, and checks what it
# prints.  Shared by the install test and the Debian package check.
#   usage: find-package-hello.sh <prefix> <libdir> <work dir> [<cc> [<flags>]]
set -eu
prefix=$1 libdir=$2 work=$3 cc=${4:-cc} flags=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/proj"
cp "$here/hello.c" "$work/proj/"
cat > "$work/proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(hello C)
find_package(cx 0.1 REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE cx::cx)
CMAKE
cmake -S "$work/proj" -B "$work/proj/build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/proj/build" >/dev/null
out=$(LD_LIBRARY_PATH="$libdir" "$work/proj/build/hello")
[ "$out" = "caught ValueError: from the installed tree; exit ran" ] || {
    echo "find_package(cx) program against $prefix printed: $out" >&2; exit 1; }
