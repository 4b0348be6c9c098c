#!/bin/sh
# Runs a Windows program under Wine for a build's tests (the emulator that
# cmake/toolchains/mingw-x86_64.cmake names):
#   wine-run.sh BUILD_DIR DLL_DIRS PROGRAM [ARG ...]
# The Wine prefix is BUILD_DIR/wineprefix, never one in $HOME; it is made
# (wineboot, several seconds) by the first run that finds it missing, under a
# lock, so parallel tests wait for one boot instead of racing to make it.
# Each run makes sure a Wine server is up that outlives its last program by
# 30 s: the one Wine starts by itself ends with its last program, and
# starting it again (loading the prefix) costs seconds per test.
# DLL_DIRS (colon-separated) are where the DLLs the programs load lie: the
# build's own and the toolchain's runtime (libgcc_s_seh-1.dll,
# libwinpthread-1.dll).  Wine says nothing (WINEDEBUG=-all) and installs no
# Mono or Gecko (a dialog, or a download, on first boot).
set -eu
build=$1 dlls=$2
shift 2
# Debian's wine64 package puts its loader and server off PATH; elsewhere
# they are wine64 (or wine) and wineserver on PATH.
for w in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
    [ -n "$w" ] && [ -x "$w" ] && break
    w=
done
[ -n "$w" ] || { echo "wine-run.sh: no wine64 or wine found (Debian: wine64)" >&2; exit 127; }
server=${WINESERVER:-$(dirname "$w")/wineserver}
[ -x "$server" ] || server=$(command -v wineserver || echo wineserver)
WINEPREFIX=$build/wineprefix
WINEDEBUG=-all
WINEDLLOVERRIDES="mscoree,mshtml="
WINEPATH=$(printf '%s' "$dlls" | tr ':' ';')
export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES WINEPATH
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$build"
    (
        flock 9
        if [ ! -f "$WINEPREFIX/system.reg" ]; then
            "$w" wineboot --init > "$build/wineboot.log" 2>&1 ||
                { echo "wine-run.sh: wineboot failed: $build/wineboot.log" >&2; exit 1; }
        fi
    ) 9> "$build/wineprefix.lock"
fi
# Exits 2 at once when one is running.  No descriptor of ours goes with it:
# a server holding a test's output open would hold CTest until it ended.
"$server" -p30 < /dev/null > /dev/null 2>&1 || true
exec "$w" "$@"
