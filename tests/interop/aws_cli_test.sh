#!/usr/bin/env bash
# Interop: AWS CLI v1 (`aws apigatewaymanagementapi`) against the gateway's @connections API.
#
#   tests/interop/aws_cli_test.sh [path/to/example-echo]      (default: $LIFT_ECHO_BIN, then
#                                                             build/bin/example-echo)
# Starts example-echo on a free port, connects two Node helper clients (ws_listen.mjs: one
# target, one `watch`er that sees $disconnect notices), then drives post-to-connection,
# get-connection and delete-connection. Every wait is bounded; no fixed ports or sleeps.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${LIFT_ECHO_BIN:-$repo/build/bin/example-echo}}

work=''
server_pid='' drain_pid='' client_pid='' watcher_pid='' client_id='' # set by start_listener

log() { printf '[aws_cli_test] %s\n' "$*"; }

dump_logs() {
    local f
    [ -n "$work" ] || return 0
    for f in server.log server.err client.log client.err watcher.log watcher.err; do
        [ -s "$work/$f" ] && { echo "--- $f (last 40 lines) ---"; tail -n 40 "$work/$f"; }
    done
    return 0
}

fail() {
    echo "FAIL: $*" >&2
    dump_logs >&2
    exit 1
}

stop_pid() { # stop_pid PID SECONDS: SIGTERM, bounded wait, then SIGKILL; returns 1 if it had to kill
    local pid=$1 secs=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! timeout "$secs" tail --pid="$pid" -s 0.1 -f /dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        return 1
    fi
    return 0
}

cleanup() {
    local rc=$?
    stop_pid "$client_pid" 5 || true
    stop_pid "$watcher_pid" 5 || true
    stop_pid "$server_pid" 5 || true
    if [ -n "$drain_pid" ]; then kill "$drain_pid" 2>/dev/null || true; fi
    exec 3<&- 4<&- 5<&- 2>/dev/null || true
    [ -n "$work" ] || return 0
    if [ $rc -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
}
trap cleanup EXIT

# ---- prerequisites: missing tools fail the test with a hint, they never skip it ----
command -v aws >/dev/null || fail "the AWS CLI ('aws') is not on PATH"
command -v node >/dev/null || fail "node is not on PATH; run scripts/install-deps.sh"
[ -d "$here/node_modules/ws" ] ||
    fail "$here/node_modules is missing the pinned npm packages; run scripts/install-deps.sh"
[ -x "$bin" ] || fail "example-echo not found at $bin (build it, or pass its path / set LIFT_ECHO_BIN)"

work=$(mktemp -d "${TMPDIR:-/tmp}/lift-aws-cli.XXXXXX")

# Isolated, dummy AWS configuration: nothing from ~/.aws leaks in, timestamps print as sent.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=''
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL 2>/dev/null || true
printf '[default]\ncli_timestamp_format = none\nretry_mode = standard\nmax_attempts = 1\n' >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

# expect FD LOGFILE REGEX SECONDS WHAT: read lines from FD (appending them to LOGFILE) until one
# matches REGEX; the line is left in $line, the match groups in BASH_REMATCH.
expect() {
    local fd=$1 logfile=$2 re=$3 secs=$4 what=$5 deadline=$((SECONDS + $4)) left
    while :; do
        left=$((deadline - SECONDS))
        [ $left -gt 0 ] || fail "timed out after ${secs} s waiting for $what"
        if IFS= read -r -t "$left" -u "$fd" line; then
            printf '%s\n' "$line" >>"$logfile"
            [[ $line =~ $re ]] && return 0
        else
            [ $? -gt 128 ] && fail "timed out after ${secs} s waiting for $what"
            fail "stream ended while waiting for $what"
        fi
    done
}

# start_listener NAME FD [--watch]: runs ws_listen.mjs with its stdout on FD; sets ${NAME}_pid
# and ${NAME}_id.
start_listener() {
    local name=$1 fd=$2
    shift 2
    mkfifo "$work/$name.fifo"
    node "$here/ws_listen.mjs" "ws://127.0.0.1:$port/dev" --max-seconds 150 "$@" \
        >"$work/$name.fifo" 2>"$work/$name.err" &
    printf -v "${name}_pid" '%s' $!
    eval "exec $fd<\"\$work/\$name.fifo\""
    expect "$fd" "$work/$name.log" '^(CONNECTED|ERROR) (.*)$' 15 "$name to connect"
    [ "${BASH_REMATCH[1]}" = CONNECTED ] || fail "$name: $line"
    printf -v "${name}_id" '%s' "${BASH_REMATCH[2]}"
}

# Always pass ids as --connection-id=ID: an id may start with '-' ("-lIhUA0QIbhB5-Q="), which
# the CLI's argument parser would otherwise take for an option.
mgmt() { # mgmt ENDPOINT OPERATION ARGS...: one bounded AWS CLI call
    local endpoint=$1
    shift
    timeout 60 aws --endpoint-url "$endpoint" --cli-connect-timeout 5 --cli-read-timeout 20 \
        --output json apigatewaymanagementapi "$@"
}

# ---- start the gateway and wait for its banner ----
mkfifo "$work/server.fifo"
"$bin" --port 0 >"$work/server.fifo" 2>"$work/server.err" &
server_pid=$!
exec 3<"$work/server.fifo"
expect 3 "$work/server.log" 'ws://127\.0\.0\.1:([0-9]+)/dev' 20 "the gateway banner"
port=${BASH_REMATCH[1]}
cat <&3 >>"$work/server.log" & # keep draining: the server logs to stdout
drain_pid=$!
endpoint="http://127.0.0.1:$port/dev"
log "gateway pid $server_pid on port $port"

start_listener watcher 5 --watch
start_listener client 4
id=$client_id
log "client connectionId $id"

# ---- post-to-connection: AWS CLI v1 sends a blob argument's text as the raw body ----
out=$(mgmt "$endpoint" post-to-connection --connection-id="$id" --data 'hello') ||
    fail "post-to-connection failed: $out"
expect 4 "$work/client.log" '^(FRAME "hello"|CLOSE .*|ERROR .*)$' 10 'the posted frame "hello"'
[ "$line" = 'FRAME "hello"' ] || fail "client got '$line' instead of the posted frame"
log "post-to-connection: client received \"hello\""

# Also through the endpoint form without a stage, with a payload from a file.
printf '{"from":"file"}' >"$work/payload.json"
out=$(mgmt "http://127.0.0.1:$port" post-to-connection --connection-id="$id" \
    --data "file://$work/payload.json") || fail "post-to-connection (no stage, file://) failed: $out"
expect 4 "$work/client.log" '^(FRAME .*|CLOSE .*|ERROR .*)$' 10 'the frame posted from a file'
[ "$line" = 'FRAME "{\"from\":\"file\"}"' ] || fail "client got '$line' instead of {\"from\":\"file\"}"
log "post-to-connection (endpoint without stage, file://): ok"

# ---- get-connection ----
out=$(mgmt "$endpoint" get-connection --connection-id="$id" \
    --query '[ConnectedAt, Identity.SourceIp, Identity.UserAgent, LastActiveAt]' --output text) ||
    fail "get-connection failed: $out"
IFS=$'\t' read -r connected_at source_ip user_agent last_active <<<"$out"
iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
[[ $connected_at =~ $iso ]] || fail "ConnectedAt '$connected_at' is not ISO 8601 with ms and Z"
[[ $last_active =~ $iso ]] || fail "LastActiveAt '$last_active' is not ISO 8601 with ms and Z"
[ "$source_ip" = 127.0.0.1 ] || fail "Identity.SourceIp is '$source_ip', expected 127.0.0.1"
[ "$user_agent" = lift-interop-listener/1.0 ] || fail "Identity.UserAgent is '$user_agent'"
skew=$(($(date -u +%s) - $(date -u -d "$connected_at" +%s)))
[ ${skew#-} -lt 120 ] || fail "ConnectedAt $connected_at is ${skew}s away from now"
[[ ! $last_active < $connected_at ]] || fail "LastActiveAt $last_active precedes ConnectedAt $connected_at"
log "get-connection: ConnectedAt=$connected_at SourceIp=$source_ip LastActiveAt=$last_active"

# ---- delete-connection: the client sees close 1000, $disconnect reports 1000 ----
out=$(mgmt "$endpoint" delete-connection --connection-id="$id") || fail "delete-connection failed: $out"
expect 4 "$work/client.log" '^(CLOSE ([0-9]+) .*|ERROR .*)$' 10 'the close after delete-connection'
[ "${BASH_REMATCH[2]:-}" = 1000 ] || fail "client saw '$line' after delete-connection, expected CLOSE 1000"
expect 5 "$work/watcher.log" "^FRAME .*disconnected.*$id" 10 "the \$disconnect notice for $id"
# shellcheck disable=SC2016 # JavaScript template literal, not shell
notice=$(node -e 'const o = JSON.parse(JSON.parse(process.argv[1].slice(6)));
    process.stdout.write(`${o.disconnectStatusCode}|${o.disconnectReason}`)' "$line")
[ "$notice" = '1000|Connection Closed Normally' ] ||
    fail "\$disconnect saw '$notice', expected 1000 / Connection Closed Normally"
log "delete-connection: client closed with 1000; \$disconnect got 1000 'Connection Closed Normally'"

# ---- the id is gone now ----
set +e
out=$(mgmt "$endpoint" post-to-connection --connection-id="$id" --data 'again' 2>&1)
rc=$?
set -e
[ $rc -ne 0 ] || fail "post-to-connection to a deleted connection succeeded"
[ $rc -ne 124 ] || fail "post-to-connection to a deleted connection timed out"
grep -q GoneException <<<"$out" || fail "expected GoneException, got (rc $rc): $out"
log "post-to-connection after delete: rc $rc, $(grep -o 'GoneException' <<<"$out" | head -1)"

# ---- shutdown: SIGTERM, the gateway exits within a few seconds ----
stop_pid "$watcher_pid" 5 || fail "the watcher client did not exit"
stop_pid "$server_pid" 5 || fail "example-echo did not exit within 5 s of SIGTERM"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=''
log "example-echo exited with status $server_rc after SIGTERM"
echo "PASS: aws_cli_test"
