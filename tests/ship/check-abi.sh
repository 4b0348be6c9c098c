#!/bin/sh
# The ABI of a cx shared library against its committed baseline, with
# libabigail (Debian: abigail-tools).
#   check-abi.sh check <library.so> <baseline.abi> <include dir>
#       fails on an incompatible change (a symbol removed, a type or a
#       signature changed); additions are compatible and only reported.
#   check-abi.sh dump  <library.so> <baseline.abi> <include dir>
#       writes the baseline (make abi-baseline does this for every library).
# Only the types the public headers declare are compared, so the baseline
# does not depend on the compiler or the optimisation level that built it.
set -eu
mode=$1 lib=$2 baseline=$3 include=$4
for tool in abidw abidiff; do
    command -v $tool >/dev/null 2>&1 || {
        echo "$tool missing: install abigail-tools (make deps does)" >&2; exit 1; }
done
# Source paths are written relative to the tree, so a baseline names no
# directory of the machine that made it.
root=$(cd "$(dirname "$0")/../.." && pwd)
dump() {
    abidw --headers-dir "$include" --drop-private-types --no-show-locs \
          --no-corpus-path --no-comp-dir-path --type-id-style hash \
          --out-file "$2.tmp" "$1"
    sed "s|path='$root/|path='|" "$2.tmp" > "$2"
    rm -f "$2.tmp"
}
# Types come from DWARF: a build without -g (Release) would compare names only.
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
    echo "$lib has no debug information: the ABI check needs a build with -g" >&2
    echo "(CMAKE_BUILD_TYPE RelWithDebInfo, the default, or Debug)" >&2
    exit 1
fi
case $mode in
dump)
    dump "$lib" "$baseline"
    echo "wrote $baseline"
    ;;
check)
    [ -f "$baseline" ] || {
        echo "no ABI baseline $baseline: run make abi-baseline and commit it" >&2; exit 1; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    dump "$lib" "$work/current.abi"
    set +e
    abidiff --no-show-locs "$baseline" "$work/current.abi" > "$work/report"
    rc=$?
    set -e
    cat "$work/report"
    # abidiff's status bits: 1 error, 2 usage, 4 a change, 8 an incompatible change.
    if [ $((rc & 3)) -ne 0 ]; then
        echo "abidiff failed (status $rc)" >&2; exit 1
    fi
    # abidiff flags only removals as incompatible (8); a changed type or
    # signature is a plain change (4).  Both break callers: only additions pass.
    broken=$(grep -E 'changes summary: ' "$work/report" |
             grep -E '(^|[^0-9])[1-9][0-9]* (Removed|Changed)' || true)
    if [ $((rc & 8)) -ne 0 ] || [ -n "$broken" ]; then
        echo "$(basename "$lib"): incompatible ABI change against $baseline:" >&2
        echo "$broken" >&2
        echo "(an intended break needs a new soname: see docs/abi.md)" >&2
        exit 1
    fi
    if [ $((rc & 4)) -ne 0 ]; then
        echo "$(basename "$lib"): compatible additions since the baseline (make abi-baseline to record them)"
    else
        echo "$(basename "$lib"): ABI identical to $baseline"
    fi
    ;;
*) echo "usage: $0 check|dump <library.so> <baseline.abi> <include dir>" >&2; exit 2 ;;
esac
