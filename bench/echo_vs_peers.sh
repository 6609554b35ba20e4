#!/usr/bin/env bash
# echo_vs_peers.sh — the local gateway's echo against its peers, in one run, with one client.
#
# Servers (each on loopback, each driven by the same client, bench/ws_load.cpp):
#   lift   examples/echo's $default route on the lift local gateway (example-echo)
#   bare   bench/bare_echo_server.cpp: a Beast echo server with no framework (the floor)
#   sls    serverless-offline 13.10.1 on serverless 3.40.0 with a Node echo handler
#          (bench/serverless-offline/, installed by `npm ci` into its node_modules/)
# Load: 50 connections, 64-byte JSON text messages, (a) closed loop at saturation and (b) a fixed
# aggregate rate of 5,000 msg/s with latency measured from the intended send time (the client
# busy-polls so that its own wake-up latency stays out of the comparison). lift and bare
# alternate (A B A B) for several rounds; serverless-offline runs once (it is ~30x slower).
# Targets (design.md §5): lift >= 25x sls and >= 70% of bare in msg/s; lift p99 <= 1.5x bare p99
# at saturation and at the fixed rate. Runs disturbed by other load on this shared machine are
# marked untrusted and left out of the medians (bench/echo_report.py says exactly when).
#
# Every load run is bounded in messages and seconds; every process started here is stopped by
# its pid on exit. Loopback only. See docs/benchmarks.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/echo_vs_peers.sh [--quick] [--rounds N] [--max-rounds N] [--wait-quiet MIN]
                              [--no-build] [--skip-sls] [--help]

  --quick          short smoke run (seconds per measurement, 1 round): not for the record
  --rounds N       A B A B rounds of lift and bare (default 5)
  --max-rounds N   keep adding rounds, up to N in all, until every lift/bare row has 3 trusted
                   runs (default 12; equal to --rounds disables it)
  --wait-quiet MIN before each measurement wait for 3 s in a row in which the machine is < 15%
                   busy, spending at most MIN minutes waiting over the whole run (default 0)
  --no-build       use the binaries already in $BUILD_DIR/bin
  --skip-sls       do not run serverless-offline (its ratio is then reported as n/a)
  --help           this text

Environment: BUILD_DIR (default <repo>/build-bench), RESULTS_DIR (default
<repo>/bench/results/<timestamp>), JOBS (build parallelism, default 2), OTHER_MAX and SERVER_MIN
(trust thresholds, see bench/echo_report.py).
Needs: cmake, ninja, g++ 12, Boost 1.81, node 20 + npm (serverless-offline), python3, taskset.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}
JOBS=${JOBS:-2}
SLS_DIR=$ROOT/bench/serverless-offline
REPORT=$ROOT/bench/echo_report.py

number() { [[ $2 =~ ^[0-9]+$ ]] || {
    echo "echo_vs_peers: $1 takes a whole number" >&2
    exit 2
}; }

quick=0
rounds=5
max_rounds=12
wait_quiet=0
build=1
run_sls=1
while [[ $# -gt 0 ]]; do
    case $1 in
    --quick) quick=1 ;;
    --rounds | --max-rounds | --wait-quiet)
        number "$1" "${2:-}"
        case $1 in
        --rounds) rounds=$2 ;;
        --max-rounds) max_rounds=$2 ;;
        --wait-quiet) wait_quiet=$2 ;;
        esac
        shift
        ;;
    --no-build) build=0 ;;
    --skip-sls) run_sls=0 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "echo_vs_peers: unknown argument '$1'" >&2
        usage >&2
        exit 2
        ;;
    esac
    shift
done
((rounds >= 1)) || rounds=1
((max_rounds >= rounds)) || max_rounds=$rounds

# ---- parameters ------------------------------------------------------------------------------
CONNECTIONS=50
SIZE=64
RATE=5000
GRACE=5
if ((quick)); then
    rounds=1 max_rounds=1
    WARMUP=0.5
    SAT_MESSAGES=20000 SAT_SECONDS=3
    RATE_SECONDS=3
    SLS_MESSAGES=3000 SLS_SECONDS=3 SLS_WARMUP=2
else
    WARMUP=2
    SAT_MESSAGES=200000 SAT_SECONDS=20
    RATE_SECONDS=15
    SLS_MESSAGES=50000 SLS_SECONDS=15 SLS_WARMUP=5
fi

# Servers and the client on different cores when there are two or more.
ncpu=$(nproc)
if ((ncpu >= 2)) && command -v taskset >/dev/null; then
    PIN_SERVER=(taskset -c 0)
    PIN_CLIENT=(taskset -c 1)
    pinning="lift and bare on cpu 0, client on cpu 1; serverless-offline unpinned (its best case)"
else
    PIN_SERVER=()
    PIN_CLIENT=()
    pinning="none (fewer than 2 cores or no taskset)"
fi

mkdir -p "$RESULTS_DIR"
RESULTS=$RESULTS_DIR/results.jsonl
: >"$RESULTS"

# ---- process bookkeeping: everything started here is stopped here, by pid --------------------
# stop_pid PID (SIGTERM, bounded wait, SIGKILL) and PIDS, all stopped on exit.
# shellcheck source-path=SCRIPTDIR source=lib/procs.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/procs.sh"
stop_server() {
    local keep=() pid
    stop_pid "$1"
    for pid in "${PIDS[@]}"; do
        [[ $pid == "$1" ]] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# start_server NAME REGEX CMD...: starts CMD in the background and waits (30 s at most) for a line
# of its output matching REGEX (grep -P; the part after \K is the port). Sets SERVER_PID/PORT.
start_server() {
    local name=$1 regex=$2
    shift 2
    local out=$RESULTS_DIR/$name.log i port
    "$@" >"$out" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for ((i = 0; i < 600; i++)); do
        port=$(grep -m1 -oP "$regex" "$out" || true)
        if [[ -n $port ]]; then
            SERVER_PORT=$port
            log "$name: pid $SERVER_PID, port $SERVER_PORT"
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "$name exited before it was ready:"
            cat "$out" >&2
            exit 1
        fi
        sleep 0.05
    done
    log "$name did not print its address within 30 s:"
    cat "$out" >&2
    exit 1
}

# ready NAME URL: polls with one connection and one message until the server echoes (30 s).
ready() {
    local i
    for ((i = 0; i < 60; i++)); do
        if "$WS_LOAD" --url "$2" --connections 1 --messages 1 --duration 1 --warmup 0 \
            --connect-timeout 2 --grace 2 --json 2>/dev/null | grep -q '"errors":0'; then
            return 0
        fi
        sleep 0.5
    done
    echo "echo_vs_peers: $1 does not echo at $2" >&2
    exit 1
}

# busy_pct and quiet_gate.
# shellcheck source-path=SCRIPTDIR source=lib/quiet.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/quiet.sh"

# load TAG SERVER_PID URL [ws-load options...]: one bounded ws-load run; appends its tagged JSON
# result to $RESULTS and prints a one-line summary.
load() {
    local tag=$1 pid=$2 url=$3 line
    shift 3
    [[ $tag == warmup-* ]] || quiet_gate
    line=$("${PIN_CLIENT[@]}" "$WS_LOAD" --url "$url" --connections "$CONNECTIONS" --size "$SIZE" \
        --server-pid "$pid" --grace "$GRACE" --json "$@") || true
    if [[ $line != "{"* ]]; then
        echo "echo_vs_peers: ws-load failed for $tag" >&2
        exit 1
    fi
    printf '{"tag":"%s",%s\n' "$tag" "${line#\{}" >>"$RESULTS"
    python3 "$REPORT" line "$tag" "$line"
}

trusted() { python3 "$REPORT" trusted "$RESULTS" "$1"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- build -----------------------------------------------------------------------------------
# shellcheck source-path=SCRIPTDIR source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"
BIN=$BUILD_DIR/bin
WS_LOAD=$BIN/ws-load
if ((build)); then
    log "building example-echo, bare-echo-server, ws-load in $BUILD_DIR (Release)"
    bench_build example-echo bare-echo-server ws-load
fi
bench_require echo_vs_peers "build it, or drop --no-build" example-echo bare-echo-server ws-load

# ---- header ----------------------------------------------------------------------------------
title="echo_vs_peers"
if ((quick)); then
    title="echo_vs_peers (quick smoke run: not for the record)"
fi
echo "== $title"
echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine:     nproc=$ncpu  kernel=$(uname -r)  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "before:      load average $(cut -d' ' -f1-3 /proc/loadavg); cc1plus processes: $(pgrep -c -x cc1plus || true)"
echo "pinning:     $pinning"
echo "load:        $CONNECTIONS connections, $SIZE-byte JSON text, ${WARMUP}s warm-up per run"
echo "saturation:  closed loop, at most $SAT_MESSAGES messages or ${SAT_SECONDS}s"
echo "fixed rate:  $RATE msg/s in aggregate for ${RATE_SECONDS}s, latency from the intended send time;"
echo "             the client busy-polls its own core (its wake-up latency is not the server's)"
echo "rounds:      $rounds (up to $max_rounds for 3 trusted runs per row), lift then bare; serverless-offline once"
echo "results:     $RESULTS"
echo

# ---- lift and bare, alternating --------------------------------------------------------------
start_server lift 'ws://127\.0\.0\.1:\K\d+(?=/dev)' \
    "${PIN_SERVER[@]}" "$BIN/example-echo" --port 0 --log-level warn
LIFT_PID=$SERVER_PID
LIFT_URL=ws://127.0.0.1:$SERVER_PORT/dev
start_server bare 'listening ws://127\.0\.0\.1:\K\d+' \
    "${PIN_SERVER[@]}" "$BIN/bare-echo-server" --port 0
BARE_PID=$SERVER_PID
BARE_URL=ws://127.0.0.1:$SERVER_PORT/dev
ready lift "$LIFT_URL"
ready bare "$BARE_URL"

echo "-- warm-up (discarded)"
load warmup-lift "$LIFT_PID" "$LIFT_URL" --messages 20000 --duration 3 --warmup 0 >/dev/null
load warmup-bare "$BARE_PID" "$BARE_URL" --messages 20000 --duration 3 --warmup 0 >/dev/null

rate_messages=$((RATE * (RATE_SECONDS + 1)))
round=0
while :; do
    round=$((round + 1))
    echo "-- round $round: saturation (closed loop), then fixed rate $RATE msg/s"
    load lift-sat "$LIFT_PID" "$LIFT_URL" --messages "$SAT_MESSAGES" --duration "$SAT_SECONDS" \
        --warmup "$WARMUP"
    load bare-sat "$BARE_PID" "$BARE_URL" --messages "$SAT_MESSAGES" --duration "$SAT_SECONDS" \
        --warmup "$WARMUP"
    load lift-rate "$LIFT_PID" "$LIFT_URL" --rate "$RATE" --duration "$RATE_SECONDS" \
        --messages "$rate_messages" --warmup "$WARMUP" --busy-poll
    load bare-rate "$BARE_PID" "$BARE_URL" --rate "$RATE" --duration "$RATE_SECONDS" \
        --messages "$rate_messages" --warmup "$WARMUP" --busy-poll
    ((round >= rounds)) || continue
    ((round < max_rounds)) || break
    short=0
    for tag in lift-sat bare-sat lift-rate bare-rate; do
        (($(trusted "$tag") >= 3)) || short=1
    done
    ((short)) || break
    log "fewer than 3 trusted runs in some row: one more round"
done
stop_server "$LIFT_PID"
stop_server "$BARE_PID"

# ---- serverless-offline ----------------------------------------------------------------------
if ((run_sls)); then
    echo "-- serverless-offline 13.10.1 (serverless 3.40.0, Node $(node --version))"
    # shellcheck disable=SC2015 # "|| true" on purpose: no install reads as an empty version
    installed=$(cd "$SLS_DIR/node_modules" 2>/dev/null && node -p 'const v = (p) =>
        JSON.parse(require("fs").readFileSync(p + "/package.json", "utf8")).version;
        v("serverless") + " " + v("serverless-offline")' 2>/dev/null || true)
    if [[ $installed != "3.40.0 13.10.1" ]]; then
        log "npm ci in $SLS_DIR"
        if ! (cd "$SLS_DIR" && npm ci --no-audit --no-fund >"$RESULTS_DIR/npm-ci.log" 2>&1); then
            tail -30 "$RESULTS_DIR/npm-ci.log" >&2
            exit 1
        fi
    fi
    export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
    LIFT_BENCH_SLS_WS_PORT=$(free_port)
    LIFT_BENCH_SLS_HTTP_PORT=$(free_port)
    LIFT_BENCH_SLS_LAMBDA_PORT=$(free_port)
    export LIFT_BENCH_SLS_WS_PORT LIFT_BENCH_SLS_HTTP_PORT LIFT_BENCH_SLS_LAMBDA_PORT
    # `npx serverless` resolves to this script; running it with exec keeps the pid the server's.
    start_server sls 'Offline \[websocket\] listening on ws://127\.0\.0\.1:\K\d+' \
        bash -c "cd '$SLS_DIR' && exec node node_modules/serverless/bin/serverless.js offline start --host 127.0.0.1"
    SLS_PID=$SERVER_PID
    SLS_URL=ws://127.0.0.1:$SERVER_PORT/
    ready serverless-offline "$SLS_URL"
    # serverless-offline starts a worker thread per concurrent invocation on demand (a cold start
    # of a few hundred ms each): let it build its pool before measuring.
    load warmup-sls "$SLS_PID" "$SLS_URL" --messages 20000 --duration "$SLS_WARMUP" --warmup 0 \
        >/dev/null
    for attempt in 1 2 3; do
        load sls-sat "$SLS_PID" "$SLS_URL" --messages "$SLS_MESSAGES" --duration "$SLS_SECONDS" \
            --warmup "$WARMUP"
        if (($(trusted sls-sat) >= 1)); then
            break
        fi
        if ((attempt < 3)); then
            log "serverless-offline run disturbed: once more"
        fi
    done
    sls_rate=$(python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(int(max(r["msgs_per_s"] for r in rows if r["tag"] == "sls-sat")))' "$RESULTS")
    if ((sls_rate >= RATE * 95 / 100)); then
        load sls-rate "$SLS_PID" "$SLS_URL" --rate "$RATE" --duration "$SLS_SECONDS" \
            --messages $((RATE * (SLS_SECONDS + 1))) --warmup "$WARMUP"
    else
        echo "  sls-rate    not run: serverless-offline saturates at $sls_rate msg/s < $RATE msg/s"
    fi
    stop_server "$SLS_PID"
fi

# ---- summary ---------------------------------------------------------------------------------
echo
python3 "$REPORT" summary "$RESULTS" "$RATE"
