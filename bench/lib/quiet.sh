# shellcheck shell=bash
# Shared by the bench scripts (source it): how busy the machine is, and waiting for quiet.
# Callers set `wait_quiet` (minutes of waiting budget; 0 = do not wait) before sourcing.

# Busy CPU of the whole machine over one second, in % of one CPU (from /proc/stat).
busy_pct() {
    local a b
    a=$(head -1 /proc/stat)
    sleep 1
    b=$(head -1 /proc/stat)
    python3 -c 'import os, sys
a = [int(x) for x in sys.argv[1].split()[1:9]]
b = [int(x) for x in sys.argv[2].split()[1:9]]
d = [y - x for x, y in zip(a, b)]
busy = d[0] + d[1] + d[2] + d[5] + d[6] + d[7]
print(int(100 * busy * os.cpu_count() / max(1, sum(d))))' "$a" "$b"
}

# With wait_quiet > 0: wait for 3 quiet seconds (< 15% busy) in a row, within the run's total
# waiting budget of wait_quiet minutes.
QUIET_UNTIL=$((SECONDS + ${wait_quiet:-0} * 60))
quiet_gate() {
    local quiet=0
    while ((wait_quiet > 0 && quiet < 3 && SECONDS < QUIET_UNTIL)); do
        if (($(busy_pct) < 15)); then
            quiet=$((quiet + 1))
        else
            quiet=0
        fi
    done
}
