#!/bin/sh
# The tour's test: cx-tour prints one `== <title> ==` header for every
# section and subsection of the guide, in the guide's order (the list is
# docs/guide-sections.txt, made from the guide with
#   grep '^###\? ' guide.md | grep -v 'Table of Contents' | sed 's/^#\{2,3\} //'
# and emoji dropped), exits 0, and stays within 80 columns; then every
# section number of `cx-tour --list` runs by itself, exits 0 and ends with
# its "Python -> cx:" line; and title words select a section.
#
#   check-tour.sh CX_TOUR GUIDE_SECTIONS
set -eu
tour=$1
sections=$2
out=$(mktemp)
list=$(mktemp)
trap 'rm -f "$out" "$list"' EXIT

"$tour" > "$out" || { echo "cx-tour exited $?" >&2; exit 1; }
grep '^== .* ==$' "$out" | sed 's/^== \(.*\) ==$/\1/' | diff -u "$sections" - ||
    { echo "the tour's headers differ from $sections" >&2; exit 1; }
awk 'length > 80 { print "line over 80 columns: " $0; bad = 1 } END { exit bad }' "$out"
n=$(grep -c '^Python -> cx: ' "$out")
[ "$n" -eq "$(wc -l < "$sections")" ] || { echo "$n mapping lines" >&2; exit 1; }

"$tour" --list > "$list"
[ "$(wc -l < "$list")" -eq "$(wc -l < "$sections")" ] || { echo "--list is short" >&2; exit 1; }
while read -r number title; do
    "$tour" "$number" > "$out" || { echo "section $number exited $?" >&2; exit 1; }
    head -n 1 "$out" | grep -qxF "== $title ==" ||
        { echo "section $number did not start with its header" >&2; exit 1; }
    grep -q '^Python -> cx: ' "$out" || { echo "section $number: no mapping" >&2; exit 1; }
done < "$list"

"$tour" class based | head -n 1 | grep -qxF '== Class-Based Approach ==' ||
    { echo "title words did not select 'Class-Based Approach'" >&2; exit 1; }
if "$tour" no such section > /dev/null 2>&1; then
    echo "an unknown section was accepted" >&2; exit 1
fi
echo "$(wc -l < "$sections") sections, all ran"
