#!/usr/bin/env bash
# broadcast.sh — design.md §5's broadcast target: one message to 10,000 connected clients, all
# delivered, p99 under 100 ms with in-process @connections and under 1 s through the HTTP
# @connections path.
#
# Server: examples/echo (example-echo) on the local gateway; its `broadcast` route lists every
# stored connection and calls ctx.api()->post_many(ids, data). Two modes, each a fresh server:
#   direct  LIFT_MANAGEMENT_MODE=direct: post_many is the gateway's in-process API
#   http    LIFT_MANAGEMENT_MODE=http: post_many is lift::aws::management_client (SigV4-signed
#           PostToConnection requests, max_in_flight at a time) over lift::aws::http_client to
#           the gateway's own HTTP @connections endpoint
# Client: bench/broadcast_clients.cpp, one process holding every connection (raw epoll), which
# sends the broadcast from one connection K times and times each receipt from the send. Client
# and server are separate processes because each needs ~10,000 descriptors (limit 20,000).
#
# Every run is bounded (connections, rounds, seconds); every process started here is stopped by
# its pid on exit. Loopback only. See docs/benchmarks.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/broadcast.sh [--connections N] [--rounds K] [--modes "direct http"]
                          [--wait-quiet MIN] [--no-pin] [--build] [--help]

  --connections N  WebSocket clients (default 10000)
  --rounds K       broadcasts per mode (default 5); p99 is the median over the rounds
  --modes LIST     which management modes to run, in order (default "direct http")
  --wait-quiet MIN before each mode wait for 3 s in a row in which the machine is < 15% busy,
                   spending at most MIN minutes waiting over the whole run (default 0)
  --no-pin         do not pin the server to cpu 0 and the client to cpu 1
  --build          configure and build example-echo and broadcast-clients (Release) first
  --help           this text

Environment: BUILD_DIR (default <repo>/build-bench), RESULTS_DIR (default
<repo>/bench/results/broadcast-<timestamp>), JOBS (build parallelism, default 2).
Targets (design.md §5): every round delivered to every connection; p99 < 100 ms (direct) and
< 1000 ms (http). Exit status 0 only when both are met.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/broadcast-$(date +%Y%m%d-%H%M%S)}
JOBS=${JOBS:-2}

number() { [[ $2 =~ ^[0-9]+$ ]] || {
    echo "broadcast: $1 takes a whole number" >&2
    exit 2
}; }

connections=10000
rounds=5
modes="direct http"
wait_quiet=0
pin=1
build=0
while [[ $# -gt 0 ]]; do
    case $1 in
    --connections | --rounds | --wait-quiet)
        number "$1" "${2:-}"
        case $1 in
        --connections) connections=$2 ;;
        --rounds) rounds=$2 ;;
        --wait-quiet) wait_quiet=$2 ;;
        esac
        shift
        ;;
    --modes)
        modes=${2:-}
        shift
        ;;
    --no-pin) pin=0 ;;
    --build) build=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "broadcast: unknown argument '$1'" >&2
        usage >&2
        exit 2
        ;;
    esac
    shift
done
((connections >= 1)) || connections=1
((rounds >= 1)) || rounds=1
for m in $modes; do
    [[ $m == direct || $m == http ]] || {
        echo "broadcast: unknown mode '$m' (direct, http)" >&2
        exit 2
    }
done

ncpu=$(nproc)
if ((pin)) && ((ncpu >= 2)) && command -v taskset >/dev/null; then
    PIN_SERVER=(taskset -c 0)
    PIN_CLIENT=(taskset -c 1)
    pinning="server on cpu 0, client on cpu 1"
else
    PIN_SERVER=()
    PIN_CLIENT=()
    pinning="none"
fi

mkdir -p "$RESULTS_DIR"

# ---- process bookkeeping: everything started here is stopped here, by pid --------------------
# stop_pid PID (SIGTERM, bounded wait, SIGKILL) and PIDS, all stopped on exit.
# shellcheck source-path=SCRIPTDIR source=lib/procs.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/procs.sh"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# busy_pct and quiet_gate.
# shellcheck source-path=SCRIPTDIR source=lib/quiet.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/quiet.sh"

# ---- binaries --------------------------------------------------------------------------------
# shellcheck source-path=SCRIPTDIR source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"
BIN=$BUILD_DIR/bin
if ((build)); then
    log "building example-echo and broadcast-clients in $BUILD_DIR (Release)"
    bench_build example-echo broadcast-clients
fi
bench_require broadcast "build it, or pass --build" example-echo broadcast-clients

# ---- header ----------------------------------------------------------------------------------
echo "== broadcast"
echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine:     nproc=$ncpu  kernel=$(uname -r)  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "fd limit:    soft $(ulimit -Sn), hard $(ulimit -Hn) (per process)"
echo "before:      load average $(cut -d' ' -f1-3 /proc/loadavg); cc1plus processes: $(pgrep -c -x cc1plus || true)"
echo "pinning:     $pinning"
echo "load:        $connections connections, $rounds broadcast rounds per mode, 64-byte text"
echo "build:       $BUILD_DIR ($(grep -m1 '^CMAKE_BUILD_TYPE' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | cut -d= -f2))"
echo "results:     $RESULTS_DIR"
echo

# run_mode MODE: a fresh example-echo in MODE, the clients, then the server is stopped.
run_mode() {
    local mode=$1 out=$RESULTS_DIR/server-$1.log i port="" pid busy
    quiet_gate
    busy=$(busy_pct)
    echo "-- mode $mode (machine busy before: ${busy}% of one cpu; load average $(cut -d' ' -f1-3 /proc/loadavg))"
    # Idle and lifetime timers far beyond the run; the handler's post_many must finish within
    # the integration timeout (29 s, AWS's maximum).
    LIFT_MANAGEMENT_MODE=$mode "${PIN_SERVER[@]}" "$BIN/example-echo" --port 0 --log-level warn \
        --idle-timeout 3600 --max-lifetime 7200 --integration-timeout 29000 >"$out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for ((i = 0; i < 600; i++)); do
        port=$(grep -m1 -oP 'ws://127\.0\.0\.1:\K\d+(?=/dev)' "$out" || true)
        [[ -n $port ]] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            log "example-echo ($mode) exited before it was ready:"
            cat "$out" >&2
            exit 1
        fi
        sleep 0.05
    done
    if [[ -z $port ]]; then
        log "example-echo ($mode) did not print its address within 30 s"
        exit 1
    fi
    grep -m1 'Handlers send' "$out" | sed 's/^ */server:      /'
    "${PIN_CLIENT[@]}" "$BIN/broadcast-clients" --url "ws://127.0.0.1:$port/dev" \
        --connections "$connections" --rounds "$rounds" --max-seconds 240 \
        --json "$RESULTS_DIR/$mode.json" | tee "$RESULTS_DIR/client-$mode.log" || true
    echo "server rss: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status" 2>/dev/null || echo n/a)"
    stop_pid "$pid"
    if grep -q . "$out"; then
        echo "server log (warnings and errors, first 5 lines):"
        head -5 "$out" | grep -v '^ *\(WebSocket\|Page\|@connections\|Handlers\|Press\|Lift local\)' || true
    fi
    echo
    return 0
}

for m in $modes; do
    run_mode "$m"
done

# ---- verdict ---------------------------------------------------------------------------------
# shellcheck disable=SC2086 # $modes is a word list on purpose
python3 - "$RESULTS_DIR" "$connections" $modes <<'EOF'
import json, os, sys
results, connections, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
limits = {"direct": 100.0, "http": 1000.0}
ok_all = True
parts = []
for m in modes:
    path = os.path.join(results, m + ".json")
    if not os.path.exists(path):
        parts.append(f"{m}: no result")
        ok_all = False
        continue
    r = json.load(open(path))
    ok = r["all_delivered"] and r["median_p99_ms"] < limits[m]
    ok_all = ok_all and ok
    parts.append(
        f'{m}: delivered {r["delivered"]}/{r["expected"]} over {len(r["rounds"])} rounds, '
        f'p99 {r["median_p99_ms"]:.1f} ms (rounds {r["min_p99_ms"]:.1f}..{r["max_p99_ms"]:.1f}), '
        f'max {r["worst_max_ms"]:.1f} ms, target < {limits[m]:.0f} ms: {"met" if ok else "MISSED"}')
print(f"RESULT broadcast to {connections} clients: " + "; ".join(parts))
sys.exit(0 if ok_all else 1)
EOF
