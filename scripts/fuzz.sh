#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (configured with -DLIFT_FUZZ=ON, clang).
#
#   scripts/fuzz.sh BUILD_DIR SECONDS     each target for SECONDS (make test: 6; make fuzz: 300)
#
# First replays tests/fuzz/regressions/<target>/* (inputs that once crashed: they must pass
# now), then fuzzes from the committed seeds (tests/fuzz/corpus/<target>, plus tests/data/events
# for fuzz_event_json) into BUILD_DIR/fuzz-corpus/<target>. A crash leaves its input in
# BUILD_DIR/fuzz-artifacts/ and fails the run: fix the bug, then add the input to
# tests/fuzz/regressions/<target>/ so it is replayed from then on.
set -euo pipefail
if [ $# -ne 2 ] || [ "${1:-}" = --help ]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    [ "${1:-}" = --help ] && exit 0
    exit 2
fi
build=$1
seconds=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shopt -s nullglob
fuzzers=("$build"/bin/fuzz_*)
if [ ${#fuzzers[@]} -eq 0 ]; then
    echo "fuzz.sh: no fuzz_* binaries in $build/bin (configure with -DLIFT_FUZZ=ON and build lift_fuzzers)" >&2
    exit 2
fi
mkdir -p "$build/fuzz-artifacts"
failed=0
for bin in "${fuzzers[@]}"; do
    name=$(basename "$bin")
    regressions=("$root/tests/fuzz/regressions/$name"/*)
    if [ ${#regressions[@]} -gt 0 ]; then
        if ! "$bin" "${regressions[@]}" >"$build/fuzz-artifacts/$name.replay.log" 2>&1; then
            echo "FAIL $name: a regression input crashes again (see $build/fuzz-artifacts/$name.replay.log)"
            failed=1
            continue
        fi
    fi
    work="$build/fuzz-corpus/$name"
    mkdir -p "$work"
    seeds=("$root/tests/fuzz/corpus/$name")
    [ "$name" = fuzz_event_json ] && seeds+=("$root/tests/data/events")
    log="$build/fuzz-artifacts/$name.log"
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$build/fuzz-artifacts/$name-" -print_final_stats=1 \
        "$work" "${seeds[@]}" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "ok   $name: $runs runs in ${seconds} s, ${#regressions[@]} regression input(s) replayed"
    else
        echo "FAIL $name: crash or leak, input saved under $build/fuzz-artifacts/ (log: $log)"
        grep -m3 -E 'ERROR|SUMMARY' "$log" || true
        failed=1
    fi
done
[ $failed -eq 0 ] && echo "fuzz: ${#fuzzers[@]} targets ok" || echo "fuzz: failures above"
exit $failed
