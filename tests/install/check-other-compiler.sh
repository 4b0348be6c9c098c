#!/bin/sh
# Installs the build tree into a scratch prefix, then builds programs with the
# *other* compiler (clang for a gcc build, gcc for a clang build) against it:
# tests/install/hello.c against the shared and the static core library, and a
# program using cx, cx-sqlite and cx-async through pkg-config.  The statement
# macros expand differently per compiler; what one expands to, a library built
# by the other must export.
#   usage: check-other-compiler.sh <build dir> <compiler the build used>
set -eu
build=$1
cc=$2
case $(basename "$cc") in
    *clang*) other=gcc ;;
    *) other=clang ;;
esac
command -v "$other" >/dev/null || { echo "$other is not installed (make check installs it)" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n1)
libdir=${libdir%/pkgconfig}
export PKG_CONFIG_PATH="$libdir/pkgconfig"
warn="-std=c11 -Wall -Wextra -Werror"
expect="caught ValueError: from the installed tree; exit ran"

# shellcheck disable=SC2046,SC2086
"$other" $warn "$here/hello.c" -o "$work/hello-shared" $(pkg-config --cflags --libs cx)
out=$(LD_LIBRARY_PATH="$libdir" "$work/hello-shared")
[ "$out" = "$expect" ] || { echo "$other, shared libcx: printed '$out'" >&2; exit 1; }

# shellcheck disable=SC2046,SC2086
"$other" $warn "$here/hello.c" -o "$work/hello-static" $(pkg-config --cflags cx) \
    "$libdir/libcx.a" $(pkg-config --static --libs-only-l cx | sed 's/-lcx //')
out=$("$work/hello-static")
[ "$out" = "$expect" ] || { echo "$other, static libcx: printed '$out'" >&2; exit 1; }

# Where this build has both modules.
if [ -e "$libdir/pkgconfig/cx-sqlite.pc" ] && [ -e "$libdir/pkgconfig/cx-async.pc" ]; then
    # shellcheck disable=SC2046,SC2086
    "$other" $warn "$here/modules-hello.c" -o "$work/modules" \
        $(pkg-config --cflags --libs cx cx-sqlite cx-async)
    out=$(LD_LIBRARY_PATH="$libdir" "$work/modules")
    [ "$out" = "rows 2" ] || { echo "$other, cx + cx-sqlite + cx-async: printed '$out'" >&2; exit 1; }
    ran="shared, static and modules ran"
else
    ran="shared and static ran (cx-sqlite and cx-async not both built)"
fi
echo "$other builds against the $(basename "$cc")-built installed tree: $ran"
