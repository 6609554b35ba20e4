# shellcheck shell=bash
# Shared by the bench scripts (source it): stop a process this script started, by its pid.

# SIGTERM, up to 5 s for it to exit, then SIGKILL; reaps it. Only for our own children.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || {
            wait "$pid" 2>/dev/null || true
            return 0
        }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Every pid a script starts goes into PIDS; all of them are stopped when the script exits.
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
