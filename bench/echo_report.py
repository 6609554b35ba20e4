#!/usr/bin/env python3
"""Reads the ws-load results of bench/echo_vs_peers.sh (one tagged JSON object per line).

  echo_report.py line TAG JSON          one-line summary of one ws-load --json result
  echo_report.py trusted RESULTS TAG    number of trusted runs with that tag
  echo_report.py summary RESULTS RATE   the table, the ratios and PASS/FAIL per target

A run is trusted when it had no errors, the rest of the machine stayed quiet during its measured
window (CPU used by all other processes plus CPU stolen by the hypervisor <= OTHER_MAX % of one
core, default 15)
and, for the saturation runs of lift and bare, the server used >= SERVER_MIN % of its core
(default 90): it, not the client or a neighbour, was the bottleneck. Medians are taken over the
trusted runs; a row without any falls back to all its runs and the result is INCONCLUSIVE.
"""

import json
import os
import statistics
import sys

OTHER_MAX = float(os.environ.get("OTHER_MAX", "15"))
SERVER_MIN = float(os.environ.get("SERVER_MIN", "90"))
SATURATION_TAGS = ("lift-sat", "bare-sat")
TABLE_TAGS = ("lift-sat", "bare-sat", "sls-sat", "lift-rate", "bare-rate", "sls-rate")


def other_cpu(r):
    """CPU taken from this benchmark by everything else: other processes plus steal (the
    hypervisor running other machines), in % of one CPU over the measured window."""
    parts = [r.get(k) for k in ("others_cpu_pct", "steal_pct")]
    return None if None in parts else parts[0] + parts[1]


def is_trusted(r):
    other = other_cpu(r)
    if other is None or other > OTHER_MAX or r["errors"]:
        return False
    if r["tag"] in SATURATION_TAGS:
        return r["server_cpu_pct"] is not None and r["server_cpu_pct"] >= SERVER_MIN
    return True


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def cmd_line(tag, text):
    r = json.loads(text)
    r["tag"] = tag
    other = other_cpu(r)
    other_text = f"{other:.0f}%" if other is not None else "n/a"
    mark = "" if is_trusted(r) else "  (untrusted)"
    error = f"  ({r['first_error']})" if r["first_error"] else ""
    print(f"  {tag:<11} {r['msgs_per_s']:>8.0f} msg/s  p50 {r['p50_us'] / 1000:7.3f} ms  "
          f"p99 {r['p99_us'] / 1000:7.3f} ms  max {r['max_us'] / 1000:8.3f} ms  "
          f"errors {r['errors']}  cpu: server {r['server_cpu_pct']}% "
          f"client {r['client_cpu_pct']}% other {other_text}{mark}{error}", flush=True)


def cmd_trusted(path, tag):
    print(sum(1 for r in load(path) if r["tag"] == tag and is_trusted(r)))


def cmd_summary(path, rate):
    rows = load(path)

    def runs(tag):
        all_runs = [r for r in rows if r["tag"] == tag]
        good = [r for r in all_runs if is_trusted(r)]
        return (good if good else all_runs), len(good), len(all_runs)

    def med(tag, key):
        values = [r[key] for r in runs(tag)[0] if r.get(key) is not None]
        return statistics.median(values) if values else None

    def spread(tag, key, scale, fmt):
        values = [r[key] / scale for r in runs(tag)[0] if r.get(key) is not None]
        if len(values) < 2:
            return ""
        return f" [{fmt.format(min(values))}..{fmt.format(max(values))}]"

    def ms(v):
        return f"{v / 1000:.3f}" if v is not None else "n/a"

    def pct(v):
        return f"{v:.0f}" if v is not None else "n/a"

    print(f"== summary: medians over trusted runs [min..max]; trusted = no errors, other cpu <= "
          f"{OTHER_MAX:.0f}% and, at saturation, server cpu >= {SERVER_MIN:.0f}%")
    print(f"{'server/mode':<11} {'trusted':>7} {'msg/s':>22} {'p50 ms':>7} {'p99 ms':>22}"
          f" {'max ms':>8} {'errors':>6} {'server%':>7} {'client%':>7} {'other%':>6}")
    untrusted = []
    for tag in TABLE_TAGS:
        chosen, good, total = runs(tag)
        if not total:
            continue
        if not good:
            untrusted.append(tag)
        tput = f"{med(tag, 'msgs_per_s'):.0f}{spread(tag, 'msgs_per_s', 1, '{:.0f}')}"
        p99 = f"{ms(med(tag, 'p99_us'))}{spread(tag, 'p99_us', 1000, '{:.3f}')}"
        errors = sum(r["errors"] for r in rows if r["tag"] == tag)
        others = [other_cpu(r) for r in chosen if other_cpu(r) is not None]
        print(f"{tag:<11} {f'{good}/{total}':>7} {tput:>22} {ms(med(tag, 'p50_us')):>7}"
              f" {p99:>22} {ms(med(tag, 'max_us')):>8} {errors:>6}"
              f" {pct(med(tag, 'server_cpu_pct')):>7} {pct(med(tag, 'client_cpu_pct')):>7}"
              f" {pct(statistics.median(others) if others else None):>6}")

    print()
    print("== targets (design.md §5)")
    failed = False

    def check(name, value, op, limit, fmt):
        nonlocal failed
        if value is None:
            print(f"  {name:<44} {'n/a':>8}   target {op} {fmt.format(limit)}   n/a")
            return
        ok = value >= limit if op == ">=" else value <= limit
        failed |= not ok
        print(f"  {name:<44} {fmt.format(value):>8}   target {op} {fmt.format(limit)}   "
              f"{'PASS' if ok else 'FAIL'}")

    lift_sat, bare_sat, sls_sat = (med(t, "msgs_per_s") for t in ("lift-sat", "bare-sat",
                                                                  "sls-sat"))
    check("msg/s lift / serverless-offline (saturation)",
          lift_sat / sls_sat if lift_sat and sls_sat else None, ">=", 25.0, "{:.1f}x")
    check("msg/s lift / bare (saturation)",
          lift_sat / bare_sat if lift_sat and bare_sat else None, ">=", 0.70, "{:.2f}")
    lp, bp = med("lift-sat", "p99_us"), med("bare-sat", "p99_us")
    check("p99 lift / bare (saturation)", lp / bp if lp and bp else None, "<=", 1.5, "{:.2f}")
    lp, bp = med("lift-rate", "p99_us"), med("bare-rate", "p99_us")
    check(f"p99 lift / bare (fixed {rate:.0f} msg/s)", lp / bp if lp and bp else None, "<=",
          1.5, "{:.2f}")

    notes = []
    for tag in untrusted:
        notes.append(f"{tag}: no trusted run (busy machine or server not saturated); "
                     "medians of all its runs")
    for tag in ("lift-rate", "bare-rate", "sls-rate"):
        for r in (r for r in rows if r["tag"] == tag):
            if r["msgs_per_s"] < 0.97 * rate:
                notes.append(f"{tag} delivered {r['msgs_per_s']:.0f} msg/s, below the "
                             f"{rate:.0f} asked")
    if any(r["errors"] for r in rows if not r["tag"].startswith("warmup")):
        notes.append("some runs reported errors (see results.jsonl)")
    if not any(r["tag"] == "sls-rate" for r in rows) and any(r["tag"] == "sls-sat"
                                                              for r in rows):
        notes.append(f"sls-rate not run: serverless-offline cannot sustain {rate:.0f} msg/s")
    for note in notes:
        print(f"  note: {note}")
    print()
    verdict = "FAIL" if failed else "PASS"
    if untrusted:
        print(f"RESULT: INCONCLUSIVE (would be {verdict}; rows without a trusted run: "
              f"{', '.join(untrusted)}; rerun on a quiet machine, e.g. with --wait-quiet 15)")
    else:
        print("RESULT:", verdict)


def main(argv):
    if len(argv) == 4 and argv[1] == "line":
        cmd_line(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "trusted":
        cmd_trusted(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "summary":
        cmd_summary(argv[2], float(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
