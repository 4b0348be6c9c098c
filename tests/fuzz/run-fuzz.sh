#!/bin/sh
# make fuzz: runs each libFuzzer target of BUILD for FUZZ_SECONDS (default
# 60) on one core, then merges the inputs that reached new code into the
# committed corpus tests/fuzz/corpus/<target>/ (commit them).  Findings are
# saved as BUILD/fuzz-crashes/<target>-crash-<sha1> (or leak-, timeout-,
# oom-) and make the run fail once every target has had its turn.
#   usage: tests/fuzz/run-fuzz.sh BUILD SOURCE [TARGET...]
set -u
build=$1 src=$2
shift 2
seconds=${FUZZ_SECONDS:-60}
targets=${*:-$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
mkdir -p "$build/fuzz-crashes"
status=0
for t in $targets; do
    exe=$build/tests/fuzz/fuzz_$t
    corpus=$src/tests/fuzz/corpus/$t
    work=$build/fuzz-work/$t
    [ -x "$exe" ] || { echo "fuzz: $exe is not built" >&2; status=1; continue; }
    mkdir -p "$work/new" "$corpus"
    before=$(ls "$corpus" | wc -l)
    # New inputs go to the first directory; the corpus seeds the run.
    if "$exe" -max_total_time="$seconds" -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/fuzz-crashes/$t-" \
        "$work/new" "$corpus" >"$work/log" 2>&1; then
        found=none
    else
        found="see $work/log and $build/fuzz-crashes/$t-*"
        status=1
    fi
    "$exe" -merge=1 -max_len=2048 "$corpus" "$work/new" >>"$work/log" 2>&1
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    secs=$(sed -n 's/^stat::[a-z_]*time[a-z_]*: *//p' "$work/log" | tail -1)
    echo "fuzz $t: ${runs:-?} executions in ${seconds} s; corpus $before -> $(ls "$corpus" | wc -l) files; findings: $found"
done
exit $status
