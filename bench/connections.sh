#!/usr/bin/env bash
# connections.sh — design.md §5's connection target: 15,000 concurrent connections held on one
# 2-core machine, at most 10 KB of server memory per idle connection.
#
# Server: examples/echo (example-echo) on the local gateway with its embedded in-memory
# connection store (the `make run` configuration: each connection is also a store record).
# Client: bench/broadcast_clients.cpp, one process holding every connection (raw epoll), with
# --hold: the connections stay open and idle while this script reads the server's VmRSS from
# /proc; then one broadcast round checks that every connection is still open and reachable.
#
# Memory per connection = (RSS while holding N idle connections - RSS of the started server
# before any connection) / N. Every run is bounded (connections, seconds); every process started
# here is stopped by its pid on exit. Loopback only. See docs/benchmarks.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/connections.sh [--connections N] [--hold S] [--build] [--help]

  --connections N  idle WebSocket clients to hold (default 15000; the fd limit is per process,
                   client and server each need N descriptors)
  --hold S         seconds the connections stay idle while the server's memory is read (default
                   20; read at S/2 and at the end, the larger counts)
  --build          configure and build example-echo and broadcast-clients (Release) first
  --help           this text

Environment: BUILD_DIR (default <repo>/build-bench), RESULTS_DIR (default
<repo>/bench/results/connections-<timestamp>), JOBS (build parallelism, default 2).
Target (design.md §5): all N open and still reachable after the hold, and at most 10,000 bytes
of server RSS per idle connection. Exit status 0 only when both are met.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/connections-$(date +%Y%m%d-%H%M%S)}
JOBS=${JOBS:-2}
LIMIT_BYTES=10000

number() { [[ $2 =~ ^[0-9]+$ ]] || {
    echo "connections: $1 takes a whole number" >&2
    exit 2
}; }

connections=15000
hold=20
build=0
while [[ $# -gt 0 ]]; do
    case $1 in
    --connections | --hold)
        number "$1" "${2:-}"
        case $1 in
        --connections) connections=$2 ;;
        --hold) hold=$2 ;;
        esac
        shift
        ;;
    --build) build=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "connections: unknown argument '$1'" >&2
        usage >&2
        exit 2
        ;;
    esac
    shift
done
((connections >= 1)) || connections=1
((hold >= 2)) || hold=2

mkdir -p "$RESULTS_DIR"
# shellcheck source-path=SCRIPTDIR source=lib/procs.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/procs.sh"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# shellcheck source-path=SCRIPTDIR source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"
BIN=$BUILD_DIR/bin
if ((build)); then
    log "building example-echo and broadcast-clients in $BUILD_DIR (Release)"
    bench_build example-echo broadcast-clients
fi
bench_require connections "build it, or pass --build" example-echo broadcast-clients
# The server needs a descriptor per connection plus a few; raise the soft limit for it.
ulimit -Sn "$(ulimit -Hn)"
if (($(ulimit -Sn) < connections + 64)); then
    echo "connections: the descriptor limit $(ulimit -Sn) is below $connections + 64" >&2
    exit 2
fi

echo "== connections"
echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine:     nproc=$(nproc)  kernel=$(uname -r)  memory=$(awk '/MemTotal/ {print $2, $3}' /proc/meminfo)"
echo "fd limit:    soft $(ulimit -Sn), hard $(ulimit -Hn) (per process)"
echo "load:        $connections idle connections held $hold s, then one 64-byte broadcast"
echo "build:       $BUILD_DIR ($(grep -m1 '^CMAKE_BUILD_TYPE' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | cut -d= -f2))"
echo "results:     $RESULTS_DIR"
echo

out=$RESULTS_DIR/server.log
"$BIN/example-echo" --port 0 --log-level warn --idle-timeout 3600 --max-lifetime 7200 >"$out" 2>&1 &
server=$!
PIDS+=("$server")
port=""
for ((i = 0; i < 600; i++)); do
    port=$(grep -m1 -oP 'ws://127\.0\.0\.1:\K\d+(?=/dev)' "$out" || true)
    [[ -n $port ]] && break
    kill -0 "$server" 2>/dev/null || {
        log "example-echo exited before it was ready:"
        cat "$out" >&2
        exit 1
    }
    sleep 0.05
done
[[ -n $port ]] || {
    log "example-echo did not print its address within 30 s"
    exit 1
}
sleep 1
rss_empty=$(rss_kib "$server")
echo "server:      pid $server, port $port, RSS before any connection: $rss_empty KiB"

client_out=$RESULTS_DIR/client.log
"$BIN/broadcast-clients" --url "ws://127.0.0.1:$port/dev" --connections "$connections" \
    --hold "$hold" --rounds 1 --max-seconds $((hold + 120)) --quiet \
    --json "$RESULTS_DIR/client.json" >"$client_out" 2>&1 &
client=$!
PIDS+=("$client")
# Wait (bounded) for the hold to start, then read the server's memory twice during it.
for ((i = 0; i < 1200; i++)); do
    grep -q '^hold: ' "$client_out" && break
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q '^hold: ' "$client_out"; then
    log "the clients did not reach the hold phase:"
    cat "$client_out" >&2
    exit 1
fi
sleep $((hold / 2))
rss_mid=$(rss_kib "$server")
sleep $((hold / 2 - 1))
rss_end=$(rss_kib "$server")
fds=$(find "/proc/$server/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
client_rc=0
wait "$client" || client_rc=$?
cat "$client_out"
echo "server:      RSS at hold/2 $rss_mid KiB, at the end of the hold $rss_end KiB, open fds $fds"
alive=yes
kill -0 "$server" 2>/dev/null || alive=no
stop_pid "$server"

python3 - "$RESULTS_DIR/client.json" "$connections" "$rss_empty" "$rss_mid" "$rss_end" \
    "$client_rc" "$alive" "$LIMIT_BYTES" <<'EOF'
import json, sys
path, n, empty, mid, end, rc, alive, limit = sys.argv[1:]
n, empty, mid, end, rc, limit = int(n), int(empty), int(mid), int(end), int(rc), int(limit)
try:
    r = json.load(open(path))
except (OSError, ValueError):
    r = {}
held = r.get("opened", 0)
delivered = r.get("all_delivered", False)
per_conn = (max(mid, end) - empty) * 1024 / max(1, n)
ok = held == n and delivered and rc == 0 and alive == "yes" and per_conn <= limit
print(f"RESULT {held}/{n} connections held, broadcast after the hold "
      f"{'delivered to all' if delivered else 'NOT delivered to all'}; server RSS "
      f"{empty} KiB empty, {max(mid, end)} KiB holding: {per_conn:.0f} bytes per idle connection, "
      f"target <= {limit}: {'met' if ok else 'MISSED'}")
sys.exit(0 if ok else 1)
EOF
