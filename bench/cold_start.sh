#!/usr/bin/env bash
# cold_start.sh — Lambda cold start, measured locally: exec-to-first-`next`-poll time and peak
# RSS of the packaged Lift bootstrap against a loopback Runtime API stub (bench/cold_start.cpp),
# next to a Node.js handler run through aws-lambda-ric (npm), in the same run, the same way.
#
#   lift   dist/example-echo.zip's bootstrap (built with lift_add_lambda, zipped by lift package,
#          unzipped here as Lambda does)
#   node   bench/cold-start/index.mjs under aws-lambda-ric (bench/cold-start/, `npm ci` into
#          its node_modules/ on first use)
# Runs alternate lift/node so that machine noise hits both. Targets (design.md §5): lift
# exec-to-next <= 5 ms, peak RSS <= 10 MB, zip <= 5 MB. Not a timed test: see docs/benchmarks.md.
# Loopback only; every runtime started is killed by its pid after its first poll.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: bench/cold_start.sh [--runs N] [--rounds N] [--wait-quiet MIN] [--no-build] [--skip-node]
                          [--help]

  --runs N     measured runs per round and runtime (default 20)
  --rounds N   lift/node alternations (default 3)
  --wait-quiet MIN  before each measurement wait for 3 s in a row in which the machine is < 15%
               busy, spending at most MIN minutes waiting over the whole run (default 0)
  --no-build   use the binaries already in $BUILD_DIR
  --skip-node  do not run the aws-lambda-ric peer
Environment: BUILD_DIR (default <repo>/build-bench, Release), RESULTS_DIR (default
<repo>/bench/results/cold-start-<timestamp>), JOBS (default 2).
USAGE
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/cold-start-$(date +%Y%m%d-%H%M%S)}
JOBS=${JOBS:-2}
NODE_DIR=$ROOT/bench/cold-start
runs=20
rounds=3
build=1
run_node=1
wait_quiet=0
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs=${2:?--runs takes a number}; shift 2 ;;
    --rounds) rounds=${2:?--rounds takes a number}; shift 2 ;;
    --wait-quiet) wait_quiet=${2:?--wait-quiet takes minutes}; shift 2 ;;
    --no-build) build=0; shift ;;
    --skip-node) run_node=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "cold_start: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done
[[ $runs =~ ^[0-9]+$ && $rounds =~ ^[0-9]+$ && $wait_quiet =~ ^[0-9]+$ ]] ||
    { echo "cold_start: --runs/--rounds/--wait-quiet take whole numbers" >&2; exit 2; }
# shellcheck source=bench/lib/quiet.sh
. "$ROOT/bench/lib/quiet.sh"

mkdir -p "$RESULTS_DIR"
log() { echo "cold_start: $*" | tee -a "$RESULTS_DIR/summary.txt"; }
# shellcheck source-path=SCRIPTDIR source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"

if [ "$build" = 1 ]; then
    log "building example-echo-bootstrap, example-chat-bootstrap, lift, cold-start in $BUILD_DIR (Release)"
    bench_build example-echo-bootstrap example-chat-bootstrap lift cold-start
fi

dist=$RESULTS_DIR/dist
for app in example-echo example-chat; do
    "$BUILD_DIR/bin/lift" package --binary "$BUILD_DIR/lambda/$app/bootstrap" --name "$app" \
        --out "$dist" | tee -a "$RESULTS_DIR/summary.txt"
done
task=$RESULTS_DIR/task-echo
mkdir -p "$task"
unzip -o -q "$dist/example-echo.zip" -d "$task"
log "zip sizes (bytes): $(stat -c '%n=%s' "$dist"/*.zip | xargs -n1 basename | tr '\n' ' ')"

if [ "$run_node" = 1 ]; then
    if [ ! -x "$NODE_DIR/node_modules/.bin/aws-lambda-ric" ]; then
        log "installing aws-lambda-ric (npm ci in $NODE_DIR; builds its native addon once)"
        (cd "$NODE_DIR" && npm ci --no-audit --no-fund) >"$RESULTS_DIR/npm-ci.log" 2>&1 ||
            { tail -30 "$RESULTS_DIR/npm-ci.log" >&2; log "aws-lambda-ric could not be installed; rerun with --skip-node"; exit 1; }
    fi
    log "node $(node --version), aws-lambda-ric $(node -p "require('$NODE_DIR/node_modules/aws-lambda-ric/package.json').version")"
fi

cs=$BUILD_DIR/bin/cold-start
for round in $(seq 1 "$rounds"); do
    quiet_gate
    log "round $round/$rounds (machine busy: $(busy_pct)% of one CPU)"
    "$cs" --runs "$runs" --label lift --cwd "$task" -- "$task/bootstrap" \
        | tee -a "$RESULTS_DIR/raw.txt" | grep -E '^lift:' | tee -a "$RESULTS_DIR/summary.txt"
    if [ "$run_node" = 1 ]; then
        quiet_gate
        "$cs" --runs "$runs" --label node --cwd "$NODE_DIR" --handler index.handler -- \
            "$NODE_DIR/node_modules/.bin/aws-lambda-ric" index.handler \
            | tee -a "$RESULTS_DIR/raw.txt" | grep -E '^node:' | tee -a "$RESULTS_DIR/summary.txt"
    fi
done

# Medians over all runs of all rounds.
python3 - "$RESULTS_DIR/raw.txt" <<'PY' | tee -a "$RESULTS_DIR/summary.txt"
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\w+) run \d+: ([\d.]+) ms, peak RSS ([\d.]+) MB", line)
    if m:
        runs.setdefault(m.group(1), []).append((float(m.group(2)), float(m.group(3))))
def q(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]
for label, rs in runs.items():
    t = [r[0] for r in rs]; m = [r[1] for r in rs]
    print(f"all rounds {label}: n={len(rs)} exec_to_next_ms median={statistics.median(t):.3f} "
          f"p90={q(t, 0.9):.3f} peak_rss_mb median={statistics.median(m):.1f} p90={q(m, 0.9):.1f}")
if "lift" in runs and "node" in runs:
    lt = statistics.median(r[0] for r in runs["lift"]); nt = statistics.median(r[0] for r in runs["node"])
    print(f"node/lift exec_to_next median ratio: {nt / lt:.1f}x")
PY
log "raw output: $RESULTS_DIR/raw.txt"
