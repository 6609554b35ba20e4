#!/usr/bin/env python3
"""Validates the EMF documents printed by emf_sample against aws-reference section 8.

Rules checked: one JSON object per line; _aws.Timestamp an integer (epoch ms); CloudWatchMetrics
a non-empty array of directives with Namespace (1-255 chars), Dimensions (>= 1 set of <= 30 names,
each naming a root member holding a non-blank ASCII string, not starting with ':'), Metrics
(<= 100 per document in total, Name 1-255, Unit from CloudWatch's list, StorageResolution only 1);
each metric's root member a finite number or an array of 1-100 finite numbers; no metric name
twice in one document; and, across all documents, the expected values survive splitting.
"""
import json
import math
import subprocess
import sys

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def finite_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check(doc, line_no):
    if not isinstance(doc, dict):
        fail(f"line {line_no}: not an object")
    aws = doc.get("_aws")
    if not isinstance(aws, dict):
        fail(f"line {line_no}: _aws missing")
    ts = aws.get("Timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool) or ts < 10**12:
        fail(f"line {line_no}: Timestamp {ts!r} is not epoch milliseconds")
    directives = aws.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        fail(f"line {line_no}: CloudWatchMetrics empty")
    names = set()
    count = 0
    for d in directives:
        ns = d.get("Namespace")
        if not isinstance(ns, str) or not 1 <= len(ns) <= 255:
            fail(f"line {line_no}: Namespace {ns!r}")
        dims = d.get("Dimensions")
        if not isinstance(dims, list) or len(dims) < 1:
            fail(f"line {line_no}: Dimensions {dims!r}")
        for dset in dims:
            if not isinstance(dset, list) or len(dset) > 30:
                fail(f"line {line_no}: dimension set {dset!r}")
            for name in dset:
                value = doc.get(name)
                if not isinstance(value, str) or not value.strip() or not value.isascii():
                    fail(f"line {line_no}: dimension {name!r} targets {value!r}")
                if name.startswith(":"):
                    fail(f"line {line_no}: dimension name {name!r}")
        for m in d.get("Metrics", []):
            count += 1
            name = m.get("Name")
            if not isinstance(name, str) or not 1 <= len(name) <= 255:
                fail(f"line {line_no}: metric name {name!r}")
            if name in names:
                fail(f"line {line_no}: metric {name} twice in one document")
            names.add(name)
            if "Unit" in m and m["Unit"] not in UNITS:
                fail(f"line {line_no}: unit {m['Unit']!r}")
            if "StorageResolution" in m and m["StorageResolution"] != 1:
                fail(f"line {line_no}: StorageResolution {m['StorageResolution']!r} written")
            v = doc.get(name)
            if isinstance(v, list):
                if not 1 <= len(v) <= 100 or not all(finite_number(x) for x in v):
                    fail(f"line {line_no}: values of {name}: {len(v)} / {v[:3]}")
            elif not finite_number(v):
                fail(f"line {line_no}: value of {name} is {v!r}")
    if count > 100:
        fail(f"line {line_no}: {count} metrics in one document")
    return names


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    if not lines:
        fail("no output")
    docs = []
    for i, line in enumerate(lines, 1):
        if "NaN" in line or "Infinity" in line:
            fail(f"line {i}: non-finite literal")
        docs.append(json.loads(line))
        check(docs[-1], i)
    # Values survive splitting: metricK has 150 values when K % 3 == 0, else 1.
    totals = {}
    for d in docs:
        for k, v in d.items():
            if k.startswith("metric"):
                totals.setdefault(k, []).extend(v if isinstance(v, list) else [v])
    if len(totals) != 230:
        fail(f"{len(totals)} of 230 metrics found")
    for k, vals in totals.items():
        n = int(k[len("metric"):])
        want = [i * 0.5 for i in range(150)] if n % 3 == 0 else [0]
        if vals != want:
            fail(f"{k}: values {vals[:5]}... ({len(vals)}) differ")
    first = docs[0]
    if first.get("service") != "emf-sample" or first.get("stage") != "dev":
        fail("default dimensions missing")
    if "Bad" in json.dumps(docs):
        fail("a NaN metric was written")
    std = [d for d in docs if "Errors" in d]
    if not std or std[0].get("errorType") != "Exception":
        fail("standard Errors metric missing")
    if not any("Messages" in d and d.get("route") == "chat" for d in docs):
        fail("standard Messages metric missing")
    print(f"OK: {len(docs)} EMF documents valid")


if __name__ == "__main__":
    main()
