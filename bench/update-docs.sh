#!/bin/sh
# Copies the latest `make bench` results into the docs: the table and targets
# (results.md) between the markers of docs/benchmarks.md, and the chart.
#   usage: bench/update-docs.sh [BUILD_DIR]   (default: build)
set -eu
dir=${1:-build}/bench
root=$(cd "$(dirname "$0")/.." && pwd)
doc=$root/docs/benchmarks.md
for f in results.md benchmarks.svg; do
    [ -f "$dir/$f" ] || { echo "update-docs: no $dir/$f (run make bench first)" >&2; exit 1; }
done
{
    sed '/<!-- results:begin -->/q' "$doc"
    printf '\nMeasured %s on %s, %s.  ' \
        "$(date -u +%Y-%m-%d)" "$(uname -m)" "$(. /etc/os-release && echo "$PRETTY_NAME")"
    cat "$dir/results.md"
    echo
    sed -n '/<!-- results:end -->/,$p' "$doc"
} > "$doc.new"
mv "$doc.new" "$doc"
cp "$dir/benchmarks.svg" "$root/docs/benchmarks.svg"
echo "update-docs: $doc and docs/benchmarks.svg updated from $dir"
