#!/bin/sh
# The allocation-fault scenario sets in tests/reliability are what
# difftest.py --write-faults writes today: a change to the scenario
# generator that forgets to regenerate them fails here.
#   usage: check-fault-sets.sh <python3> <source root>
set -eu
py=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" "$src/tests/diff/difftest.py" --write-faults "$work/strict.txt" >/dev/null
"$py" "$src/tests/diff/difftest.py" --write-faults "$work/any.txt" --any >/dev/null
stale=0
for pair in strict.txt:fault_scenarios.txt any.txt:fault_scenarios_any.txt; do
    fresh=$work/${pair%%:*} kept=$src/tests/reliability/${pair#*:}
    grep -v '^#' "$kept" > "$work/kept"
    if ! grep -v '^#' "$fresh" | cmp -s - "$work/kept"; then
        echo "tests/reliability/${pair#*:} is stale: regenerate it as its first lines say" >&2
        stale=1
    fi
done
[ $stale = 0 ] && echo "both fault scenario sets match the generator"
exit $stale
