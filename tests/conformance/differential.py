#!/usr/bin/env python3
"""Differential check of the gateway's frame reader against python3-websockets' sans-I/O parser.

Builds SEQUENCES seeded, mutated client byte sequences (from the catalogue's frames and random
frames; bit flips, byte changes, insertions, deletions, truncation, duplication), feeds each to
our reader (through ws_oracle, the same ws_codec the gateway runs) and to websockets'
`Connection(SERVER)` (10.4, Debian), and compares what both made of it: the messages, pings and
pongs, and how it ended (peer close with code, failure with our close code, or incomplete).
Differences on the allowlist below are explained and counted; any other difference fails.

    differential.py --oracle build/bin/ws_oracle [--sequences 10000] [--seed 6455]

Runs under Debian's /usr/bin/python3 (python3-websockets).
"""

import argparse
import codecs
import glob
import json
import os
import random
import subprocess
import sys
import time

try:
    from websockets.connection import SERVER, Connection
    from websockets.frames import Opcode
except ImportError as exc:
    sys.exit(f"differential.py: {exc} under {sys.executable}; use /usr/bin/python3 with python3-websockets")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_catalogue import encode_frame  # noqa: E402  (same frame encoder as the catalogue driver)

PIECE = 7  # both parsers get the bytes in pieces of this size

# Explained differences: (our outcome kind, their outcome kind) -> why.
ALLOWED = {
    ("fail:1007", "incomplete"): "UTF-8 fail-fast: we reject an invalid text payload as soon as the "
    "bytes arrive (RFC 6455 8.1 lets an endpoint fail fast); websockets parses whole frames first",
    ("fail:1002", "incomplete"): "early header checks: we reject RSV bits, unknown opcodes, unmasked or "
    "fragmented control frames after the first 2 bytes; websockets waits for the whole frame",
    ("incomplete", "fail:1009"): "late size check: we check a frame's length once its whole header "
    "(with the mask) is in; websockets rejects an over-limit length before the mask arrives",
    ("fail:1002", "fail:1009"): "a frame header with a protocol fault (RSV bits, opcode, sequencing, a "
    "64-bit length with its top bit set) AND an over-limit length: we check the protocol first (1002), "
    "websockets the size (1009); allowed only when we still answer 1002 with no size limit at all",
    ("fail:1002", "fail:1007"): "a close frame with both an invalid code and an invalid UTF-8 reason: "
    "we check the code first (1002), websockets decodes the reason first (1007)",
}

VALID_CLOSE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


def complete_frames(data):
    """(opcode, unmasked payload) of each complete masked frame at the start of `data`."""
    out, pos = [], 0
    while pos + 2 <= len(data):
        b1 = data[pos + 1]
        n, hdr = b1 & 0x7F, 2
        if n == 126:
            if pos + 4 > len(data):
                break
            n, hdr = int.from_bytes(data[pos + 2 : pos + 4], "big"), 4
        elif n == 127:
            if pos + 10 > len(data):
                break
            n, hdr = int.from_bytes(data[pos + 2 : pos + 10], "big"), 10
        masked = b1 & 0x80
        start = pos + hdr + (4 if masked else 0)
        if start + n > len(data):
            break
        key = data[pos + hdr : pos + hdr + 4] if masked else b"\0\0\0\0"
        payload = bytes(b ^ key[i & 3] for i, b in enumerate(data[start : start + n]))
        out.append((data[pos] & 0x0F, payload))
        pos = start + n
    return out


def close_with_two_faults(data):
    """True when the sequence holds a close frame whose code is invalid AND whose reason is not
    UTF-8 (the only case the 1002-vs-1007 allowlist entry covers)."""
    for op, payload in complete_frames(data):
        if op == 8 and len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
            try:
                payload[2:].decode("utf-8")
                bad_reason = False
            except UnicodeDecodeError:
                bad_reason = True
            return bad_reason and code not in VALID_CLOSE and not 3000 <= code <= 4999
    return False


def websockets_outcome(data, max_bytes):
    conn = Connection(SERVER, max_size=max_bytes)
    out = []
    msg_op, msg, decoder = None, b"", None
    for i in range(0, len(data), PIECE):
        conn.receive_data(data[i : i + PIECE])
        for frame in conn.events_received():
            op = frame.opcode
            if op in (Opcode.PING, Opcode.PONG):
                out.append(("ping" if op == Opcode.PING else "pong") + ":" + frame.data.hex())
                continue
            if op == Opcode.CLOSE:
                continue  # reported through close_rcvd below
            if op in (Opcode.TEXT, Opcode.BINARY):
                msg_op, msg = op, b""
                decoder = codecs.getincrementaldecoder("utf-8")() if op == Opcode.TEXT else None
            msg += frame.data
            if decoder is not None:
                try:
                    decoder.decode(frame.data, final=frame.fin)
                except UnicodeDecodeError:
                    return out, "fail:1007"
            if frame.fin:
                out.append(("text" if msg_op == Opcode.TEXT else "binary") + ":" + msg.hex())
                msg_op, msg, decoder = None, b"", None
        if conn.close_rcvd is not None:
            c = conn.close_rcvd
            return out, f"close:{c.code}:{c.reason.encode().hex()}"
        if conn.close_sent is not None:
            return out, f"fail:{conn.close_sent.code}"
    return out, "incomplete"


def parse_ours(line):
    parts = line.split(" ")
    return parts[:-1], parts[-1]


def kind(end):
    return end if end.startswith(("fail", "incomplete")) else end.split(":", 1)[0]


def catalogue_frames():
    seqs = []
    for path in sorted(glob.glob(os.path.join(HERE, "cases", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                case = json.loads(line)
                frames = [fr for fr in case["frames"] if fr.get("payload", {}).get("size", 0) <= 4096]
                if frames and "length" not in json.dumps(frames):
                    seqs.append(frames)
    return seqs


def random_frame(rng):
    op = rng.choice(["text", "text", "text", "binary", "cont", "ping", "pong", "close", 3, 11])
    fr = {"op": op, "fin": rng.random() < 0.8}
    size = rng.choice([0, 1, 5, 125, 126, 200, 1000])
    if op == "text" or (op == "cont" and rng.random() < 0.5):
        alphabet = ["a", "é", "€", "😀", "\u0000"]
        s = "".join(rng.choice(alphabet) for _ in range(size // 2))
        fr["payload"] = {"text": s}
    else:
        fr["payload"] = {"hex": bytes(rng.getrandbits(8) for _ in range(min(size, 125) if op in ("ping", "pong", "close") else size)).hex()}
    if op == "close" and rng.random() < 0.7:
        fr["code"] = rng.choice([1000, 1001, 1005, 1012, 999, 3000, 4999, 5000])
        fr["payload"] = {"text": rng.choice(["", "bye", "é"])}
    return fr


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not data:
            break
        m = rng.randrange(7)
        pos = rng.randrange(len(data))
        if m == 0:
            data[pos] ^= 1 << rng.randrange(8)
        elif m == 1:
            data[pos] = rng.getrandbits(8)
        elif m == 2:
            data.insert(pos, rng.getrandbits(8))
        elif m == 3:
            del data[pos]
        elif m == 4:
            del data[pos:]
        elif m == 5:
            end = min(len(data), pos + rng.randint(1, 16))
            data[pos:pos] = data[pos:end]
        else:
            data[0] ^= rng.choice([0x10, 0x20, 0x40, 0x80, 0x0F])  # header bits of the first frame
    return bytes(data)


def build(rng, corpus, count):
    out = []
    for _ in range(count):
        frames = []
        for _ in range(rng.randint(1, 3)):
            frames += rng.choice(corpus) if rng.random() < 0.6 else [random_frame(rng)]
        data = b"".join(encode_frame(f, bytes(rng.getrandbits(8) for _ in range(4))) for f in frames)
        if rng.random() < 0.85:
            data = mutate(rng, data)
        max_bytes = rng.choice([1 << 20, 1 << 20, 1000, 130])
        out.append((max_bytes, data))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--oracle", required=True, help="path of the ws_oracle binary")
    ap.add_argument("--sequences", type=int, default=10000, help="how many sequences (default 10000)")
    ap.add_argument("--seed", type=int, default=6455, help="random seed (default 6455)")
    ap.add_argument("--show", type=int, default=5, help="print at most this many unexplained differences")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    started = time.monotonic()
    seqs = build(rng, catalogue_frames(), args.sequences)
    lines = "".join(f"{m} {d.hex()}\n" for m, d in seqs)
    res = subprocess.run([args.oracle], input=lines, capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        sys.exit(f"differential.py: ws_oracle failed ({res.returncode}): {res.stderr.strip()}")
    ours_all = res.stdout.splitlines()
    if len(ours_all) != len(seqs):
        sys.exit(f"differential.py: ws_oracle answered {len(ours_all)} lines for {len(seqs)} sequences")

    recheck = []
    agree = 0
    explained = {}
    unexplained = []
    outcomes = {}
    for (max_bytes, data), line in zip(seqs, ours_all):
        ours_events, ours_end = parse_ours(line)
        theirs_events, theirs_end = websockets_outcome(data, max_bytes)
        outcomes[kind(ours_end)] = outcomes.get(kind(ours_end), 0) + 1
        if ours_events == theirs_events and ours_end == theirs_end:
            agree += 1
            continue
        key = (kind(ours_end), kind(theirs_end))
        prefix_ok = theirs_events[: len(ours_events)] == ours_events if key[1] == "incomplete" else ours_events == theirs_events
        if key == ("fail:1002", "fail:1007") and not close_with_two_faults(data):
            prefix_ok = False
        if key == ("fail:1002", "fail:1009") and prefix_ok:
            recheck.append((max_bytes, data, line, theirs_events, theirs_end))
            continue
        if key in ALLOWED and prefix_ok:
            explained[key] = explained.get(key, 0) + 1
            continue
        unexplained.append((max_bytes, data, line, theirs_events, theirs_end))

    if recheck:
        # Same bytes with the size limit lifted: still 1002 means a protocol fault besides size.
        lines = "".join(f"{1 << 62} {d.hex()}\n" for _, d, *_ in recheck)
        res = subprocess.run([args.oracle], input=lines, capture_output=True, text=True, timeout=300)
        for item, line in zip(recheck, res.stdout.splitlines()):
            if parse_ours(line)[1] == "fail:1002":
                explained[("fail:1002", "fail:1009")] = explained.get(("fail:1002", "fail:1009"), 0) + 1
            else:
                unexplained.append(item)

    print(f"{len(seqs)} sequences (seed {args.seed}) in {time.monotonic() - started:.1f} s; "
          f"our outcomes: {dict(sorted(outcomes.items()))}")
    print(f"agree: {agree}")
    for key, n in sorted(explained.items()):
        print(f"explained difference {key[0]} vs {key[1]}: {n} ({ALLOWED[key]})")
    for max_bytes, data, line, te, tend in unexplained[: args.show]:
        print(f"UNEXPLAINED max={max_bytes} bytes={data.hex()[:160]}\n  ours:   {line[:200]}\n"
              f"  theirs: {' '.join(te)[:200]} {tend}")
    print(f"{agree + sum(explained.values())} passed, {len(unexplained)} failed")
    return 0 if not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
