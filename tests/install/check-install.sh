#!/bin/sh
# Installs the build tree into a scratch prefix, then builds and runs a small
# program against it twice: with pkg-config, and with CMake's find_package(cx).
set -eu
build=$1
cc=$2
extra=${3:-}   # the sanitizer flags the library was built with, if any
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n1)
libdir=${libdir%/pkgconfig}

# pkg-config, against the shared library
PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --exists cx
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs cx)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra "$here/hello.c" -o "$work/hello-pc" $flags
out=$(LD_LIBRARY_PATH="$libdir" "$work/hello-pc")
[ "$out" = "caught ValueError: from the installed tree; exit ran" ] || {
    echo "pkg-config program printed: $out" >&2; exit 1; }

# find_package(cx)
"$here/find-package-hello.sh" "$work/prefix" "$libdir" "$work/fp" "$cc" "$extra"
echo "pkg-config and find_package(cx) builds both ran"
