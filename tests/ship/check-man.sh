#!/bin/sh
# Every page in man/ (section 3: the core's, and each module's in
# man/<module>/; cx-check's in section 1) renders with
# man -l and without a single groff or man warning, names itself in NAME,
# and has a SYNOPSIS.  Aliases
# (cx_except.3 -> cx_try.3) are symbolic links, installed as copies.
#   usage: check-man.sh <man dir>
set -eu
dir=$1
command -v man >/dev/null 2>&1 || { echo "man missing: install man-db" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for page in "$dir"/*.3 "$dir"/*/*.3 "$dir"/*.1; do
    [ -e "$page" ] || continue
    name=$(basename "$page"); name=${name%.[13]}
    MANWIDTH=80 man --warnings=all -l "$page" > "$work/out" 2> "$work/err" || {
        echo "$page: man -l failed" >&2; cat "$work/err" >&2; exit 1; }
    if [ -s "$work/err" ]; then
        echo "$page: warnings:" >&2; cat "$work/err" >&2; exit 1
    fi
    grep -q "^NAME" "$work/out" || { echo "$page: no NAME section" >&2; exit 1; }
    grep -q "^SYNOPSIS" "$work/out" || { echo "$page: no SYNOPSIS section" >&2; exit 1; }
    # A page (or the page an alias links to) lists the name in its NAME line.
    sed -n '/^\.SH NAME/{n;p;}' "$page" | tr -d '\\' | grep -qw -- "$name" || {
        echo "$page: NAME does not mention $name" >&2; exit 1; }
    n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no man pages in $dir" >&2; exit 1; }
echo "$n man pages render cleanly"
