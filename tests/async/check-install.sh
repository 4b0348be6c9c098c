#!/bin/sh
# Installs the build tree into a scratch prefix, then builds and runs a small
# task program against it with `pkg-config cx-async`.
#   usage: check-install.sh <build dir> <cc> [<sanitizer flags> [<cx-async-pg built: ON|OFF>]]
set -eu
build=$1
cc=$2
extra=${3:-}   # the sanitizer flags the libraries were built with, if any
async_pg=${4:-ON}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n1)
libdir=${libdir%/pkgconfig}
export PKG_CONFIG_PATH="$libdir/pkgconfig"
pkg-config --exists cx-async
if [ "$async_pg" = ON ]; then
    pkg-config --exists cx-async-pg
elif [ -e "$libdir/pkgconfig/cx-async-pg.pc" ]; then
    echo "cx-async-pg.pc is installed, but cx-async-pg was not built" >&2; exit 1
fi

cat > "$work/hello.c" <<'C'
#include <stdio.h>
#include <cx/async.h>

static void worker(void *arg)
{
    cx_async_with (cx_timeout(1.0))
        cx_sleep(0.01);
    *(int *)arg += 1;
}

static void main_task(void *arg)
{
    cx_async_with (cx_taskgroup *tg, cx_taskgroup_new()) {
        cx_taskgroup_spawn(tg, worker, arg);
        cx_taskgroup_spawn(tg, worker, arg);
    }
}

int main(void)
{
    int n = 0;
    cx_error *e = cx_run(main_task, &n);
    printf("%d tasks ran, error: %s\n", n, e ? cx_error_message(e) : "none");
    return e != NULL;
}
C
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra "$work/hello.c" -o "$work/hello" \
    $(pkg-config --cflags --libs cx-async)
out=$(LD_LIBRARY_PATH="$libdir" "$work/hello")
[ "$out" = "2 tasks ran, error: none" ] || { echo "program printed: $out" >&2; exit 1; }
echo "pkg-config cx-async: built and ran against the installed tree"
