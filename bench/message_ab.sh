#!/bin/bash
# A/B alternation of two message-bench binaries (e.g. main's and a branch's), as
# /work/shared/benchmarking.md asks: same run, same machine, alternating, medians of several.
#   bench/message_ab.sh BEFORE_BIN AFTER_BIN [ROUNDS]
# Each round runs BEFORE then AFTER once, pinned to CPU 1, 3 repetitions of every variant in
# random interleaving (0.2 s each). Prints every round's medians, the median per variant over
# the rounds, and per round "with metrics" minus "without" for both binaries. Bounded: ROUNDS
# (default 8) processes per side, each a few seconds.
set -euo pipefail
before=${1:?before binary}
after=${2:?after binary}
rounds=${3:-8}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
    for side in before after; do
        bin=$before
        [ "$side" = after ] && bin=$after
        taskset -c 1 "$bin" --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true \
            --benchmark_min_time=0.2 --benchmark_report_aggregates_only=true 2>/dev/null |
            awk -v s="$side" -v r="$r" '/_median/ {sub("_median", "", $1); print r, s, $1, $2}' >>"$out"
    done
done
cat "$out"
echo "--- median over $rounds rounds (ns, wall)"
for side in before after; do
    for name in $(awk -v s="$side" '$2 == s {print $3}' "$out" | sort -u); do
        awk -v s="$side" -v n="$name" '$2 == s && $3 == n {print $4}' "$out" | sort -n |
            awk -v k="$side $name" '{a[NR] = $1}
                END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
                     printf "%-58s %6d  (min %d, max %d, n=%d)\n", k, m, a[1], a[NR], NR}'
    done
done
echo "--- with metrics minus without, per round (ns)"
awk '{v[$1 " " $2 " " $3] = $4}
     END {for (r = 1; r <= '"$rounds"'; r++)
              printf "round %d: before %d  after %d\n", r,
                  v[r " before bm_message_event_with_metrics"] - v[r " before bm_message_event_without_metrics"],
                  v[r " after bm_message_event_with_metrics"] - v[r " after bm_message_event_without_metrics"]}' "$out"
