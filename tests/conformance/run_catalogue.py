#!/usr/bin/env python3
"""Runs the RFC 6455 case catalogue (cases/*.jsonl) against a WebSocket echo endpoint over real
sockets and ends with the line `N passed, M failed` (exit 0 only when M is 0).

    run_catalogue.py --profile apigw --url ws://127.0.0.1:3001/dev
    run_catalogue.py --profile protocol --start build/bin/example-echo    # starts it itself

--start runs `BIN --port 0 [profile flags]` and reads its `ws://127.0.0.1:PORT/STAGE` banner;
the protocol profile adds `--max-frame-bytes 16777216 --max-message-bytes 16777216` (16 MiB:
no AWS size limits, still bounded memory).
Only the Python standard library is used. See generate_catalogue.py for the record format and
docs/conformance.md for the deliberate differences.
"""

import argparse
import base64
import glob
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPCODES = {"cont": 0, "text": 1, "binary": 2, "close": 8, "ping": 9, "pong": 10}
PROFILE_FLAGS = {
    "apigw": [],
    "protocol": ["--max-frame-bytes", "16777216", "--max-message-bytes", "16777216"],
}
BANNER = re.compile(r"(ws://127\.0\.0\.1:\d+/[A-Za-z0-9_-]+)")


class CaseFailure(Exception):
    pass


def payload_bytes(spec):
    if spec is None:
        return b""
    if "text" in spec:
        return spec["text"].encode("utf-8")
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "repeat" in spec:
        return bytes.fromhex(spec["repeat"]) * spec["size"]
    raise ValueError(f"unknown payload {spec!r}")


def encode_frame(f, key=None):
    """The wire bytes of frame record `f`; `key` is the 4-byte mask (random when None)."""
    op = f["op"]
    opcode = OPCODES[op] if isinstance(op, str) else int(op)
    body = payload_bytes(f.get("payload"))
    if "code" in f:
        body = int(f["code"]).to_bytes(2, "big") + body
    fin = f.get("fin", True)
    rsv = f.get("rsv", 0)
    masked = f.get("mask", True)
    out = bytearray([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mask_bit = 0x80 if masked else 0
    n = f.get("length", len(body))
    if "length" in f or n > 0xFFFF:
        out.append(mask_bit | 127)
        out += int(n).to_bytes(8, "big")
    elif n >= 126:
        out.append(mask_bit | 126)
        out += n.to_bytes(2, "big")
    else:
        out.append(mask_bit | n)
    if masked:
        key = os.urandom(4) if key is None else key
        out += key
        body = bytes(b ^ key[i & 3] for i, b in enumerate(body)) if len(body) < 4096 else _mask_fast(body, key)
    return bytes(out) + body


def _mask_fast(body, key):
    n = len(body)
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(body, "big") ^ k).to_bytes(n, "big")


class Connection:
    def __init__(self, url, timeout):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)?$", url)
        if not m:
            raise SystemExit(f"run_catalogue: --url must look like ws://127.0.0.1:PORT/STAGE, got {url!r}")
        host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16))
        req = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise CaseFailure("connection closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise CaseFailure(f"handshake answered {lines[0]!r}")
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        if headers.get("sec-websocket-accept") != accept:
            raise CaseFailure("wrong Sec-WebSocket-Accept")
        self.msg_op = None
        self.msg = b""

    def send(self, data, chop):
        try:
            if not chop:
                self.sock.sendall(data)
            else:
                for i in range(0, len(data), chop):
                    self.sock.sendall(data[i : i + chop])
        except (BrokenPipeError, ConnectionResetError):
            return False  # the server closed first; what it sent is still read
        return True

    def _read(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                raise TimeoutError from None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def next_event(self, deadline):
        """("text"|"binary", bytes) | ("pong"|"ping", bytes) | ("close", code, reason) | ("eof",)
        | ("timeout",). Server frames are checked (unmasked, no RSV, valid sequencing)."""
        while True:
            try:
                b0, b1 = self._read(2, deadline)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(self._read(2, deadline), "big")
                elif n == 127:
                    n = int.from_bytes(self._read(8, deadline), "big")
                if b1 & 0x80:
                    raise CaseFailure("server frame is masked")
                if b0 & 0x70:
                    raise CaseFailure("server frame has RSV bits")
                data = self._read(n, deadline)
            except TimeoutError:
                return ("timeout",)
            except EOFError:
                return ("eof",)
            fin, op = bool(b0 & 0x80), b0 & 0x0F
            if op == 8:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
                return ("close", code, data[2:])
            if op in (9, 10):
                return ("ping" if op == 9 else "pong", data)
            if op in (1, 2):
                if self.msg_op is not None:
                    raise CaseFailure("server started a message inside another")
                self.msg_op, self.msg = op, data
            elif op == 0:
                if self.msg_op is None:
                    raise CaseFailure("server sent a continuation without a message")
                self.msg += data
            else:
                raise CaseFailure(f"server sent opcode {op}")
            if fin:
                kind = "text" if self.msg_op == 1 else "binary"
                msg, self.msg_op, self.msg = self.msg, None, b""
                return (kind, msg)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def short(b):
    return repr(b if len(b) <= 40 else b[:40] + b"...") + f" ({len(b)} bytes)"


def run_case(url, case, profile, timeout):
    exp = case["expect"].get(profile, case["expect"].get("any"))
    if exp is None:
        raise CaseFailure(f"no expectation for profile {profile}")
    echoes = [(k, payload_bytes(v)) for e in exp.get("echo", []) for k, v in e.items()]
    pongs = [payload_bytes(p) for p in exp.get("pongs", [])]
    close_codes = exp.get("close")
    optional = exp.get("echo_optional", False)
    strict = exp.get("strict", True)
    client_closed = any(f["op"] == "close" for f in case["frames"])

    conn = Connection(url, timeout)
    try:
        wire = [encode_frame(f) for f in case["frames"]]
        chop = case.get("chop")
        if chop:
            conn.send(b"".join(wire), chop)
        else:
            for w in wire:
                if not conn.send(w, None):
                    break
        got_msgs, got_pongs = [], []
        deadline = time.monotonic() + timeout

        def check_prefix():
            if got_msgs != echoes[: len(got_msgs)]:
                i = next(i for i, (a, b) in enumerate(zip(got_msgs, echoes + [None] * len(got_msgs))) if a != b)
                want = echoes[i] if i < len(echoes) else None
                raise CaseFailure(f"message {i}: got {got_msgs[i][0]} {short(got_msgs[i][1])}, expected "
                                  + (f"{want[0]} {short(want[1])}" if want else "nothing"))
            if got_pongs != pongs[: len(got_pongs)]:
                raise CaseFailure(f"pongs {got_pongs!r} do not match {pongs!r}")

        if close_codes is None:
            while len(got_msgs) < len(echoes) or len(got_pongs) < len(pongs):
                ev = conn.next_event(deadline)
                if ev[0] in ("text", "binary"):
                    got_msgs.append(ev)
                elif ev[0] == "pong":
                    got_pongs.append(ev[1])
                elif ev[0] == "close":
                    raise CaseFailure(f"server closed with {ev[1]} {ev[2]!r}; expected it to stay open")
                elif ev[0] == "eof":
                    raise CaseFailure("connection dropped; expected it to stay open")
                elif ev[0] == "timeout":
                    raise CaseFailure(f"timed out: got {len(got_msgs)}/{len(echoes)} messages, "
                                      f"{len(got_pongs)}/{len(pongs)} pongs")
                check_prefix()
            conn.send(encode_frame({"op": "close", "code": 1000}), None)
            while True:
                ev = conn.next_event(deadline)
                if ev[0] == "close":
                    if ev[1] != 1000:
                        raise CaseFailure(f"closing handshake answered {ev[1]}, expected 1000")
                    break
                if ev[0] in ("text", "binary", "pong"):
                    raise CaseFailure(f"unexpected {ev[0]} frame {short(ev[1])} after the expected ones")
                raise CaseFailure(f"closing handshake: {ev[0]} instead of a close frame")
        else:
            while True:
                ev = conn.next_event(deadline)
                if ev[0] in ("text", "binary"):
                    got_msgs.append(ev)
                    check_prefix()
                elif ev[0] == "pong":
                    got_pongs.append(ev[1])
                    check_prefix()
                elif ev[0] == "close":
                    if ev[1] not in close_codes:
                        raise CaseFailure(f"server closed with {ev[1]} {ev[2]!r}; expected one of {close_codes}")
                    if not client_closed:
                        conn.send(encode_frame({"op": "close", "code": 1000}), None)
                    break
                elif ev[0] == "eof":
                    if strict:
                        raise CaseFailure(f"connection dropped without a close frame; expected {close_codes}")
                    break
                elif ev[0] == "timeout":
                    raise CaseFailure(f"timed out waiting for the server's close ({close_codes})")
            if not optional and (len(got_msgs) < len(echoes) or len(got_pongs) < len(pongs)):
                raise CaseFailure(f"got {len(got_msgs)}/{len(echoes)} messages and "
                                  f"{len(got_pongs)}/{len(pongs)} pongs before the close")
        # After the closing handshake the server closes the TCP connection (RFC 6455 7.1.1).
        while True:
            ev = conn.next_event(deadline)
            if ev[0] == "eof":
                break
            if ev[0] == "timeout":
                raise CaseFailure("server did not close the TCP connection after the closing handshake")
            if ev[0] != "close":
                raise CaseFailure(f"{ev[0]} frame after the close")
    finally:
        conn.close()


def run_handshake(url, case, timeout):
    m = re.match(r"ws://([^:/]+):(\d+)(/.*)?$", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
    key = base64.b64encode(os.urandom(16)).decode()

    def fill(v):
        return v.replace("{path}", path).replace("{host}", f"{host}:{port}").replace("{key}", key)

    r = case["request"]
    lines = [f"{r['method']} {fill(r['target'])} {r['version']}"]
    for name, value in r["headers"]:
        lines.append(name if value is None else f"{name}: {fill(value)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.sendall(raw)
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buf:
            if time.monotonic() > deadline:
                raise CaseFailure("no complete response head within the timeout")
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, ConnectionResetError) as exc:
                raise CaseFailure(f"no response ({exc.__class__.__name__})") from None
            if not chunk:
                raise CaseFailure(f"connection closed without a response (got {buf[:80]!r})")
            buf += chunk
    finally:
        sock.close()
    head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = head[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise CaseFailure(f"bad status line {head[0]!r}")
    status = int(parts[1])
    headers = {}
    for line in head[1:]:
        if ":" in line:
            n, v = line.split(":", 1)
            headers[n.strip().lower()] = v.strip()
    want = case["expect"]["status"]
    if status != want:
        raise CaseFailure(f"answered {status}, expected {want}")
    for name, value in case["expect"].get("headers", {}).items():
        if headers.get(name.lower()) != value:
            raise CaseFailure(f"header {name}: got {headers.get(name.lower())!r}, expected {value!r}")
    if status == 101:
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise CaseFailure("101 without the right Sec-WebSocket-Accept")


def load_handshakes(pattern):
    out = []
    with open(os.path.join(HERE, "cases", "handshake", "handshake.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                case = json.loads(line)
                if pattern is None or re.match(pattern, case["id"]):
                    out.append(case)
    return out


def load_cases(pattern):
    out = []
    for path in sorted(glob.glob(os.path.join(HERE, "cases", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    case = json.loads(line)
                    if pattern is None or re.match(pattern, case["id"]):
                        out.append(case)
    return out


def start_server(binary, profile, extra):
    proc = subprocess.Popen([binary, "--port", "0", *PROFILE_FLAGS[profile], *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    found = {}

    def read():
        for raw in iter(proc.stdout.readline, b""):
            m = BANNER.search(raw.decode("utf-8", "replace"))
            if m and "url" not in found:
                found["url"] = m.group(1)
                ready.set()
        ready.set()

    ready = threading.Event()
    threading.Thread(target=read, daemon=True).start()
    ready.wait(30)
    if "url" not in found:
        proc.kill()
        proc.wait()
        raise SystemExit(f"run_catalogue: {binary} did not print a ws:// URL within 30 s "
                         f"(exit code {proc.poll()})")
    return proc, found["url"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=sorted(PROFILE_FLAGS), required=True,
                    help="apigw: API Gateway limits (32 KiB frames, 128 KiB messages, no binary); "
                         "protocol: RFC 6455 only")
    target = ap.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="ws:// URL of a running echo endpoint")
    target.add_argument("--start", metavar="BIN", help="start BIN --port 0 (example-echo) and test it")
    ap.add_argument("--server-arg", action="append", default=[], help="extra argument for --start (repeatable)")
    ap.add_argument("--cases", metavar="REGEX", help="only case ids matching REGEX (e.g. '^6\\.')")
    ap.add_argument("--only", choices=["frames", "handshake"], help="run only the frame or the handshake cases")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per case (default 10)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case, not only failures")
    args = ap.parse_args()

    cases = [] if args.only == "handshake" else load_cases(args.cases)
    if args.only != "frames":
        cases += load_handshakes(args.cases)
    if not cases:
        raise SystemExit("run_catalogue: no cases selected")
    proc = None
    url = args.url
    if args.start:
        proc, url = start_server(args.start, args.profile, args.server_arg)
    passed = failed = 0
    started = time.monotonic()
    try:
        for i, case in enumerate(cases, 1):
            try:
                if case["category"] == "handshake":
                    run_handshake(url, case, args.timeout)
                else:
                    run_case(url, case, args.profile, args.timeout)
                passed += 1
                if args.verbose:
                    print(f"PASS {case['id']:8} {case['title']}")
            except (CaseFailure, OSError) as exc:
                failed += 1
                rfc = case["rfc"]
                ref = f"RFC 6455 {rfc}" if rfc[:1].isdigit() else rfc
                print(f"FAIL {case['id']:8} {case['title']} [{ref}]: {exc}")
            if not args.verbose and i % 50 == 0:
                print(f"[{args.profile}] {i}/{len(cases)} cases run", file=sys.stderr)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(f"[{args.profile}] {len(cases)} cases in {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
