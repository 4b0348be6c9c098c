#!/bin/sh
# Every public function the installed headers declare has a man page in the
# installed tree: the build is installed into a scratch prefix, the functions
# are read from <prefix>/include/cx/*.h (tests/ship/public-functions.py: the
# CX_API declarations), and `man -M <prefix>/share/man -w 3 NAME` must find
# a page for each, one that names it in its NAME line.  A module's pages are
# installed with the module, so what this build installs is what is checked.
#   usage: check-man-coverage.sh <build dir> <source dir>
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
command -v man >/dev/null 2>&1 || { echo "man missing: install man-db" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mandir=$work/prefix/share/man
python3 "$src/tests/ship/public-functions.py" "$work"/prefix/include/cx/*.h > "$work/functions"
n=$(wc -l < "$work/functions")
[ "$n" -ge 50 ] || { echo "only $n public functions read from the installed headers" >&2; exit 1; }
missing=0
while read -r name; do
    if ! page=$(man -M "$mandir" -w 3 "$name" 2>/dev/null); then
        echo "no man page for $name" >&2; missing=$((missing + 1)); continue
    fi
    case $page in
        "$mandir"/*) ;;
        *) echo "$name: man found $page, outside the installed tree" >&2; missing=$((missing + 1)); continue ;;
    esac
    sed -n '/^\.SH NAME/{n;p;}' "$page" | tr -d '\\' | grep -qw -- "$name" ||
        { echo "$page: its NAME line does not mention $name" >&2; missing=$((missing + 1)); }
done < "$work/functions"
[ $missing -eq 0 ] || { echo "$missing of $n public functions have no man page" >&2; exit 1; }
echo "$n public functions in $(ls "$work"/prefix/include/cx/*.h | wc -l) installed headers, each with a man page"
