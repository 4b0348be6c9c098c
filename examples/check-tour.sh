#!/bin/sh
# The tour prints a header for every guide section (kept in
# docs/guide-sections.txt), in order, and every section runs by itself.
set -eu
tour=$1
sections=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$tour" > "$out"
grep '^== .* ==$' "$out" | sed 's/^== \(.*\) ==$/\1/' | diff -u "$sections" - 
n=$(wc -l < "$sections")
i=1
while [ "$i" -le "$n" ]; do
    "$tour" "$i" | grep -q '^Python -> cx: ' || { echo "section $i printed no mapping" >&2; exit 1; }
    i=$((i + 1))
done
awk 'length > 80 { print "line over 80 columns: " $0; bad = 1 } END { exit bad }' "$out"
echo "$n sections, all ran"
