#!/bin/sh
# find_package(cx REQUIRED COMPONENTS ...) against installed trees.
#  1. This build, installed into a scratch prefix: a CMake project asking for
#     COMPONENTS sqlite async builds tests/install/modules-hello.c twice, with
#     cx::sqlite + cx::async (shared) and with cx::sqlite_static +
#     cx::async_static, and both run; the static one needs no libcx*.so.
#     The same program linked with `pkg-config --static --libs` and the .a
#     files runs too.
#     With pg's targets file removed from that tree, COMPONENTS pg fails
#     saying the module is not installed (and which package has it).
#  2. A core-only configure (every module OFF), its package file in a tree
#     without module targets: asking it for COMPONENTS pg fails the
#     configure with a message naming the component and saying cx was built
#     without it; OPTIONAL_COMPONENTS pg configures, with cx_pg_FOUND false.
#   usage: check-components.sh <build dir> <source dir> <cc> [<flags>]
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) cc=$3 flags=${4:-}
here=$src/tests/install
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "components: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n1)
libdir=${libdir%/pkgconfig}
for m in sqlite async; do
    [ -e "$libdir/cmake/cx/cx-$m-targets.cmake" ] || fail "module $m is not in this build"
    [ -e "$libdir/libcx-$m.a" ] || fail "libcx-$m.a is not installed"
done

# 1. COMPONENTS sqlite async, shared and static.
mkdir "$work/proj"
cp "$here/modules-hello.c" "$work/proj/"
cat > "$work/proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(modules C)
find_package(cx 0.1 REQUIRED COMPONENTS sqlite async)
foreach(t cx::cx cx::sqlite cx::async cx::cx_static cx::sqlite_static cx::async_static)
  if(NOT TARGET ${t})
    message(FATAL_ERROR "find_package(cx COMPONENTS sqlite async) defined no ${t}")
  endif()
endforeach()
if(NOT cx_sqlite_FOUND OR NOT cx_async_FOUND)
  message(FATAL_ERROR "cx_sqlite_FOUND or cx_async_FOUND is not set")
endif()
add_executable(modules modules-hello.c)
target_link_libraries(modules PRIVATE cx::sqlite cx::async)
add_executable(modules_static modules-hello.c)
target_link_libraries(modules_static PRIVATE cx::sqlite_static cx::async_static)
CMAKE
cmake -S "$work/proj" -B "$work/proj/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
      > "$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; fail "configure failed"; }
cmake --build "$work/proj/build" > "$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; fail "build failed"; }
out=$(LD_LIBRARY_PATH="$libdir" "$work/proj/build/modules")
[ "$out" = "rows 2" ] || fail "cx::sqlite + cx::async program printed: $out"
out=$("$work/proj/build/modules_static")
[ "$out" = "rows 2" ] || fail "cx::sqlite_static + cx::async_static program printed: $out"
if readelf -d "$work/proj/build/modules_static" | grep -E 'NEEDED.*libcx'; then
    fail "the cx::*_static program links a shared libcx"
fi

# pkg-config --static: the archives named by file, every other flag from
# pkg-config (what the archives need beyond themselves is its to list).
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $flags $(pkg-config --cflags cx-sqlite cx-async) \
    "$here/modules-hello.c" -o "$work/modules-pc-static" \
    "$libdir/libcx-sqlite.a" "$libdir/libcx-async.a" "$libdir/libcx.a" \
    $(pkg-config --static --libs cx-sqlite cx-async | sed 's/-lcx\(-sqlite\|-async\)\? //g') ||
    fail "linking the static libraries with pkg-config --static failed"
out=$("$work/modules-pc-static")
[ "$out" = "rows 2" ] || fail "pkg-config --static program printed: $out"
readelf -d "$work/modules-pc-static" | grep -qE 'NEEDED.*libcx' &&
    fail "the pkg-config --static program links a shared libcx"

# A module built but not installed (a Debian -dev package left out): its
# targets file is missing, and the error says so, not "built without".
if [ -e "$libdir/cmake/cx/cx-pg-targets.cmake" ]; then
    rm -f "$libdir"/cmake/cx/cx-pg-targets*.cmake
    mkdir "$work/nopg"
    printf 'cmake_minimum_required(VERSION 3.16)\nproject(nopg C)\nfind_package(cx REQUIRED COMPONENTS pg)\n' \
        > "$work/nopg/CMakeLists.txt"
    if cmake -S "$work/nopg" -B "$work/nopg/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
             > "$work/nopg.log" 2>&1; then
        cat "$work/nopg.log" >&2; fail "COMPONENTS pg configured without cx-pg-targets.cmake"
    fi
    msg=$(tr -s ' \n' '  ' < "$work/nopg.log")
    for want in "component pg: module pg is not installed" "libcx-pg-dev"; do
        case $msg in
            *"$want"*) ;;
            *) cat "$work/nopg.log" >&2; fail "the error does not say '$want'" ;;
        esac
    done
fi

# 2. A core-only cx, asked for a module.  Only configured, not built: the
# package file it generates (which records the modules it has) goes in a copy
# of the tree above without any module's targets file, so no second
# library build is needed.
cmake -S "$src" -B "$work/core" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" \
      -DCX_SQLITE=OFF -DCX_PG=OFF -DCX_ASYNC=OFF -DCX_TESTS=OFF > "$work/core.log" 2>&1 ||
    { cat "$work/core.log" >&2; fail "the core-only configure failed"; }
cp -R "$work/prefix" "$work/core-prefix"
corecmake=$(ls -d "$work"/core-prefix/lib*/cmake/cx | head -n1)
rm -f "$corecmake"/cx-*-targets*.cmake
cp "$work/core/cxConfig.cmake" "$work/core/cxConfigVersion.cmake" "$corecmake/"
mkdir "$work/ask"
cat > "$work/ask/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(ask C)
find_package(cx REQUIRED COMPONENTS pg)
CMAKE
if cmake -S "$work/ask" -B "$work/ask/build" -DCMAKE_PREFIX_PATH="$work/core-prefix" \
         > "$work/ask.log" 2>&1; then
    cat "$work/ask.log" >&2; fail "REQUIRED COMPONENTS pg configured against a core-only cx"
fi
# CMake wraps the message; read it as one line.
msg=$(tr -s ' \n' '  ' < "$work/ask.log")
version=$(sed -n 's/^#define CX_VERSION_STRING "\(.*\)"/\1/p' "$src/include/cx/version.h")
for want in "component pg: cx $version was built without module pg" "-DCX_PG=ON"; do
    case $msg in
        *"$want"*) ;;
        *) cat "$work/ask.log" >&2; fail "the error does not say '$want'" ;;
    esac
done
cat > "$work/ask/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(ask C)
find_package(cx REQUIRED OPTIONAL_COMPONENTS pg)
if(cx_pg_FOUND OR TARGET cx::pg OR NOT TARGET cx::cx)
  message(FATAL_ERROR "OPTIONAL_COMPONENTS pg: cx_pg_FOUND=${cx_pg_FOUND}")
endif()
CMAKE
rm -rf "$work/ask/build"
cmake -S "$work/ask" -B "$work/ask/build" -DCMAKE_PREFIX_PATH="$work/core-prefix" \
      > "$work/ask.log" 2>&1 || { cat "$work/ask.log" >&2; fail "OPTIONAL_COMPONENTS pg did not configure"; }
echo "COMPONENTS sqlite async: shared and static targets built and ran; pkg-config --static ran;" \
     "pg not installed and a core-only cx both refuse COMPONENTS pg by name; OPTIONAL_COMPONENTS allowed"
