#!/usr/bin/env python3
"""Soak, churn and exhaustion runs against example-echo on loopback (`make soak`).

Each run starts its own gateway (`example-echo --port 0`), is bounded in count and time, stops
by itself, and prints one verdict line:  `SOAK <name>: PASS|FAIL <figures>`.

    soak.py --echo build/bin/example-echo idle        [--connections 2000 --seconds 600]
    soak.py --echo build/bin/example-echo broadcast   [--connections 500 --seconds 600]
    soak.py --echo build/bin/example-echo churn       [--rate 200 --seconds 60 --store memory]
    soak.py --echo build/bin/example-echo slowloris   [--connections 1000]
    soak.py --echo build/bin/example-echo abuse
    soak.py --echo build/bin/example-echo all         (every run above, in that order)

Runs under Debian's /usr/bin/python3 (python3-websockets); slowloris needs `slowhttptest`.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from lift_process import LiftProcess  # noqa: E402

try:
    import websockets
    import websockets.exceptions
except ImportError:
    sys.exit(f"soak.py: `import websockets` failed under {sys.executable}; use /usr/bin/python3")

class Server(LiftProcess):
    """example-echo on a free port; RSS and open file descriptors read from /proc."""

    def __init__(self, binary, *args, env=None):
        try:
            super().__init__([binary, "--port", "0", "--log-level", "warn", *args],
                             base_env=env, merge_stderr=True, timeout=30)
        except AssertionError as e:
            raise SystemExit(f"soak.py: {e}")

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    # Sockets to this peer port (the DynamoDB client's keep-alive pool) are not counted by fds().
    ignore_peer_port = None

    def fds(self):
        names = os.listdir(f"/proc/{self.proc.pid}/fd")
        if self.ignore_peer_port is None:
            return len(names)
        pool = self._inodes_of_sockets_to(self.ignore_peer_port)
        count = 0
        for name in names:
            try:
                target = os.readlink(f"/proc/{self.proc.pid}/fd/{name}")
            except OSError:
                continue
            if not (target.startswith("socket:[") and target[8:-1] in pool):
                count += 1
        return count

    def _inodes_of_sockets_to(self, port):
        inodes = set()
        for table in ("tcp", "tcp6"):
            try:
                with open(f"/proc/{self.proc.pid}/net/{table}") as f:
                    rows = f.readlines()[1:]
            except OSError:
                continue
            for row in rows:
                cols = row.split()
                if len(cols) > 9 and int(cols[2].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
        return inodes

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        try:
            super().stop(timeout=15)
        except subprocess.TimeoutExpired:
            pass  # killed by LiftProcess.stop


def verdict(name, ok, figures):
    line = f"SOAK {name}: {'PASS' if ok else 'FAIL'} {figures}"
    print(line, flush=True)
    return ok


def progress(msg):
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


async def open_many(url, n, concurrency=100, **kw):
    sem = asyncio.Semaphore(concurrency)

    async def one():
        async with sem:
            return await websockets.connect(url, open_timeout=30, ping_interval=None,
                                            max_size=None, **kw)

    return await asyncio.gather(*(one() for _ in range(n)))


async def wait_fds(server, baseline, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.fds() <= baseline:
            return server.fds(), time.monotonic() - (deadline - seconds)
        await asyncio.sleep(0.1)
    return server.fds(), None


# ---- idle ----------------------------------------------------------------------------------
async def run_idle(args):
    # The gateway's idle timeout is AWS's 10 minutes: keep it above the run's length.
    server = Server(args.echo, "--idle-timeout", str(args.seconds + 120))
    try:
        baseline = server.fds()
        rss_empty = server.rss_kib()
        t0 = time.monotonic()
        conns = await open_many(server.url(), args.connections)
        progress(f"idle: {len(conns)} connections open in {time.monotonic() - t0:.1f} s, "
                 f"RSS {server.rss_kib()} KiB")
        start = time.monotonic()
        rss_first = None
        while time.monotonic() - start < args.seconds:
            await asyncio.sleep(min(10, args.seconds))
            elapsed = time.monotonic() - start
            if rss_first is None and elapsed >= min(60, args.seconds / 2):
                rss_first = server.rss_kib()
                progress(f"idle: RSS after {elapsed:.0f} s: {rss_first} KiB")
            closed = sum(1 for c in conns if c.closed)
            if closed:
                break
            if int(elapsed) % 60 < 10:
                progress(f"idle: {elapsed:.0f}/{args.seconds} s, 0 closed, RSS {server.rss_kib()} KiB")
        rss_end = server.rss_kib()
        unexpected = sum(1 for c in conns if c.closed)
        growth = (rss_end - rss_first) / rss_first * 100 if rss_first else 0.0
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        fds_after, took = await wait_fds(server, baseline, 5)
        ok = unexpected == 0 and growth < 5 and took is not None and server.alive()
        per_conn = ((rss_end - rss_empty) * 1024 / args.connections) if args.connections else 0
        return verdict("idle", ok, f"connections={args.connections} seconds={args.seconds} "
                       f"unexpected_closes={unexpected} rss_first={rss_first}KiB rss_end={rss_end}KiB "
                       f"growth={growth:.2f}% (<5%) bytes_per_connection={per_conn:.0f} "
                       f"fds baseline={baseline} after={fds_after} back_in="
                       + (f"{took:.2f}s" if took is not None else "never(>5s)"))
    finally:
        server.stop()


# ---- broadcast -------------------------------------------------------------------------------
async def run_broadcast(args):
    server = Server(args.echo, "--idle-timeout", str(args.seconds + 120))
    try:
        conns = await open_many(server.url(), args.connections)
        sender = conns[0]
        expected = args.seconds  # one broadcast per second
        state = [{"next": 0, "lost": 0, "dup": 0, "reorder": 0, "got": 0} for _ in conns]

        async def receive(i, ws):
            st = state[i]
            try:
                while st["got"] < expected:
                    msg = await asyncio.wait_for(ws.recv(), timeout=30)
                    try:
                        seq = int(json.loads(msg)["seq"])
                    except (ValueError, KeyError, TypeError):
                        continue
                    if seq == st["next"]:
                        st["next"] += 1
                    elif seq < st["next"]:
                        st["dup"] += 1
                    else:
                        st["reorder"] += 1
                        st["next"] = seq + 1
                    st["got"] += 1
            except (asyncio.TimeoutError, websockets.exceptions.ConnectionClosed):
                pass

        receivers = [asyncio.create_task(receive(i, ws)) for i, ws in enumerate(conns)]
        start = time.monotonic()
        for seq in range(expected):
            await sender.send(json.dumps({"action": "broadcast", "data": json.dumps({"seq": seq})}))
            target = start + seq + 1
            await asyncio.sleep(max(0, target - time.monotonic()))
            if seq % 60 == 59:
                progress(f"broadcast: {seq + 1}/{expected} sent, RSS {server.rss_kib()} KiB")
        await asyncio.wait(receivers, timeout=30)
        delivered = sum(s["got"] for s in state)
        lost = sum(max(0, expected - s["got"]) for s in state)
        dup = sum(s["dup"] for s in state)
        reorder = sum(s["reorder"] for s in state)
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        ok = lost == 0 and dup == 0 and reorder == 0 and delivered == expected * len(conns)
        return verdict("broadcast", ok, f"connections={len(conns)} broadcasts={expected} "
                       f"deliveries={delivered}/{expected * len(conns)} lost={lost} duplicated={dup} "
                       f"reordered={reorder}")
    finally:
        server.stop()


# ---- churn ---------------------------------------------------------------------------------
def start_store(kind):
    """(local DynamoDB server or None, environment for example-echo) for --store."""
    if kind == "memory":
        return None, None
    import aws_servers  # tests/support; only the DynamoDB stores need it
    try:
        local = aws_servers.start_moto_server() if kind == "moto" else aws_servers.start_dynalite()
    except aws_servers.ServerError as e:
        raise SystemExit(f"soak.py: --store {kind}: {e}")
    env = aws_servers.local_env(LIFT_CONNECTION_STORE="dynamodb", LIFT_DYNAMODB_TABLE="lift-soak-churn",
                                LIFT_DYNAMODB_CREATE_TABLE="1", AWS_ENDPOINT_URL=local.endpoint)
    return local, env


async def store_records(server):
    """The number of records in the app's connection store, as example-echo's `count` route sees
    it (the asking connection included); None when it could not be asked."""
    try:
        async with websockets.connect(server.url(), open_timeout=30, ping_interval=None) as ws:
            await ws.send(json.dumps({"action": "count"}))
            return json.loads(await asyncio.wait_for(ws.recv(), 10))["connections"]
    except Exception as e:  # noqa: BLE001 — reported in the verdict
        progress(f"churn: asking the store failed: {e!r}")
        return None


async def run_churn(args):
    local, env = start_store(args.store)
    try:
        server = Server(args.echo, env=env)
        server.ignore_peer_port = local.port if local else None
    except BaseException:
        if local:
            local.stop()
        raise
    try:
        baseline = server.fds()
        total = args.rate * args.seconds
        done = failures = 0
        start = time.monotonic()
        ids = []

        async def one(k):
            nonlocal done, failures
            try:
                ws = await websockets.connect(server.url(), open_timeout=30, ping_interval=None)
                if k % 50 == 0:  # sample: remember some ids to ask @connections about later
                    await ws.send(json.dumps({"action": "inspect"}))
                    ev = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    ids.append(ev["requestContext"]["connectionId"])
                await ws.close()
                done += 1
            except Exception:  # noqa: BLE001 — counted, reported in the verdict
                failures += 1

        tasks = []
        for k in range(total):
            tasks.append(asyncio.create_task(one(k)))
            target = start + (k + 1) / args.rate
            await asyncio.sleep(max(0, target - time.monotonic()))
            if k % (args.rate * 10) == 0 and k:
                progress(f"churn: {k}/{total} started, {done} done")
        await asyncio.wait(tasks, timeout=60)
        elapsed = time.monotonic() - start
        # Every sampled connection must be gone from the gateway (410) and the fds back.
        t_end = time.monotonic()
        gone = 0
        deadline = t_end + 5
        pending = list(ids)
        while pending and time.monotonic() < deadline:
            still = []
            for cid in pending:
                status = http_status(server.port, "GET", f"/dev/@connections/{cid.replace('=', '%3D')}")
                if status != 410:
                    still.append(cid)
            gone += len(pending) - len(still)
            pending = still
            if pending:
                await asyncio.sleep(0.2)
        # The store is empty within 5 s: only the asking connection's own record is left.
        records = await store_records(server)
        while records != 1 and time.monotonic() < t_end + 5:
            await asyncio.sleep(0.2)
            records = await store_records(server)
        store_empty_in = time.monotonic() - t_end if records == 1 else None
        fds_after, took = await wait_fds(server, baseline, 5)
        ok = (failures == 0 and not pending and store_empty_in is not None and took is not None
              and server.alive())
        return verdict("churn", ok, f"connects={done}/{total} failures={failures} rate={total / elapsed:.0f}/s "
                       f"sampled_ids_gone={gone}/{len(ids)} "
                       f"store={args.store} records_left={records - 1 if records is not None else 'unknown'} "
                       + (f"empty_in={store_empty_in:.2f}s " if store_empty_in is not None else "empty_in=never(>5s) ")
                       + f"fds baseline={baseline} after={fds_after} "
                       + ("(not counting the store client's pooled connections) " if local else "")
                       + (f"back_in={took:.2f}s" if took is not None else "back_in=never(>5s)"))
    finally:
        server.stop()
        if local:
            local.stop()


def http_status(port, method, path):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        head = s.recv(4096).decode("latin-1")
    return int(head.split(" ")[1])


# ---- slowloris -----------------------------------------------------------------------------
async def run_slowloris(args):
    tool = shutil.which("slowhttptest")
    if tool is None:
        return verdict("slowloris", False, "slowhttptest is not installed (scripts/install-deps.sh)")
    server = Server(args.echo)
    try:
        # Slow headers: one extra header line every 10 s; the gateway's 30 s header timeout
        # must drop each connection while normal clients keep connecting quickly.
        out_prefix = f"/tmp/lift-slowloris-{os.getpid()}"
        cmd = [tool, "-c", str(args.connections), "-H", "-i", "10", "-r", "500", "-t", "GET",
               "-u", f"http://127.0.0.1:{server.port}/dev", "-x", "24", "-p", "5", "-l", "70",
               "-g", "-o", out_prefix]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        await asyncio.sleep(5)  # let slowhttptest open its connections
        times = []
        end = time.monotonic() + 60
        while time.monotonic() < end and proc.poll() is None:  # until slowhttptest ends
            t0 = time.monotonic()
            ws = await websockets.connect(server.url(), open_timeout=10, ping_interval=None)
            times.append((time.monotonic() - t0) * 1000)
            await ws.close()
            await asyncio.sleep(0.5)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
        out = proc.stdout.read().decode("utf-8", "replace")
        csv = out_prefix + ".csv"
        first_drop = None
        if os.path.exists(csv):
            with open(csv) as f:
                rows = [r.strip().split(",") for r in f.readlines()[1:] if r.strip()]
            # Seconds,Closed,Pending,Connected,Service Available
            for r in rows:
                if first_drop is None and int(r[1]) > 0:
                    first_drop = int(r[0])
        for ext in (".csv", ".html"):
            if os.path.exists(out_prefix + ext):
                os.remove(out_prefix + ext)
        all_closed = "No open connections left" in out
        ended = re.search(r"Test ended on (\d+)\w* second", re.sub(r"\x1b\[[0-9;]*m", "", out))
        ended_at = int(ended.group(1)) if ended else None
        times.sort()
        worst = times[-1] if times else None
        p50 = times[len(times) // 2] if times else None
        # Dropped by the 30 s header timeout: none before 29 s, all of them by 45 s.
        ok = (bool(times) and worst < 100 and all_closed and ended_at is not None and 29 <= ended_at <= 45
              and (first_drop is None or first_drop >= 29))
        return verdict("slowloris", ok, f"slow_connections={args.connections} all_dropped_by={ended_at}s "
                       f"first_drop_seen={first_drop}s "
                       f"all_dropped={all_closed} (header timeout 30 s) normal_connects={len(times)} "
                       + (f"p50={p50:.1f}ms worst={worst:.1f}ms (<100 ms)" if times else "none succeeded"))
    finally:
        server.stop()


# ---- abuse ---------------------------------------------------------------------------------
def raw_ws(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall((f"GET /dev HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    assert buf.startswith(b"HTTP/1.1 101"), buf[:40]
    return s, buf.split(b"\r\n\r\n", 1)[1]


def read_close(s, buf, timeout=10):
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while len(buf) >= 2:
            n = buf[1] & 0x7F
            off = 2
            if n == 126:
                n, off = struct.unpack(">H", buf[2:4])[0], 4
            elif n == 127:
                n, off = struct.unpack(">Q", buf[2:10])[0], 10
            if len(buf) < off + n:
                break
            op, payload, buf = buf[0] & 0x0F, buf[off:off + n], buf[off + n:]
            if op == 8:
                return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return None
        if not chunk:
            return None
        buf += chunk
    return None


def frame(op, payload, fin=True, length=None):
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + b"\0\0\0\0" + payload  # zero mask: payload bytes as they are


async def run_abuse(args):
    server = Server(args.echo)
    results = {}
    try:
        rss0 = server.rss_kib()
        # Fragment flood: endless 1 KiB continuation frames of one message.
        s, buf = raw_ws(server.port)
        try:
            s.sendall(frame(1, b"a" * 1024, fin=False))
            for _ in range(400):
                s.sendall(frame(0, b"a" * 1024, fin=False))
        except (BrokenPipeError, ConnectionResetError):
            pass
        results["fragment_flood"] = read_close(s, buf)
        s.close()
        # A declared length of 2^63 + 1.
        s, buf = raw_ws(server.port)
        s.sendall(bytes([0x81, 0x80 | 127]) + struct.pack(">Q", (1 << 63) + 1) + b"\0\0\0\0")
        results["length_2^63"] = read_close(s, buf)
        s.close()
        # A declared length of 2^62 (top bit clear, far over the limits).
        s, buf = raw_ws(server.port)
        s.sendall(bytes([0x81, 0x80 | 127]) + struct.pack(">Q", 1 << 62) + b"\0\0\0\0")
        results["length_2^62"] = read_close(s, buf)
        s.close()
        # A client that never reads while others broadcast to it: the gateway's outbound
        # queue is bounded (1 MiB per connection), its memory must stay bounded too.
        lazy = socket.create_connection(("127.0.0.1", server.port))
        lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lazy.sendall((f"GET /dev HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        time.sleep(0.2)  # handshake answer sits in the lazy client's buffer; it never reads
        ws = await websockets.connect(server.url(), ping_interval=None, max_size=None)
        big = "x" * 30000
        for i in range(400):  # 400 × 30 KB = 12 MB aimed at the lazy client
            await ws.send(json.dumps({"action": "broadcast", "data": big}))
            if i % 20 == 0:
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), 0.01)
                except asyncio.TimeoutError:
                    pass
        await asyncio.sleep(2)
        rss_lazy = server.rss_kib()
        results["never_reads_rss_growth_kib"] = rss_lazy - rss0
        await ws.close()
        lazy.close()
        ok = (results["fragment_flood"] == 1009 and results["length_2^63"] == 1002
              and results["length_2^62"] == 1009 and results["never_reads_rss_growth_kib"] < 64 * 1024
              and server.alive())
        return verdict("abuse", ok, " ".join(f"{k}={v}" for k, v in results.items())
                       + " (expect 1009, 1002, 1009, < 65536 KiB)")
    finally:
        server.stop()


RUNS = {"idle": run_idle, "broadcast": run_broadcast, "churn": run_churn, "slowloris": run_slowloris,
        "abuse": run_abuse}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", choices=[*RUNS, "all"])
    ap.add_argument("--echo", required=True, help="path of example-echo")
    ap.add_argument("--connections", type=int, help="idle 2000, broadcast 500, slowloris 1000")
    ap.add_argument("--seconds", type=int, help="idle 600, broadcast 600, churn 60")
    ap.add_argument("--rate", type=int, default=200, help="churn: connects per second (default 200)")
    ap.add_argument("--store", choices=["memory", "moto", "dynalite"], default="memory",
                    help="churn: the app's connection store: in memory (default), or DynamoDB on a "
                         "moto_server / dynalite the run starts itself")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    defaults = {"idle": (2000, 600), "broadcast": (500, 600), "churn": (None, 60), "slowloris": (1000, None),
                "abuse": (None, None)}
    names = list(RUNS) if args.run == "all" else [args.run]
    ok = True
    for name in names:
        conns, secs = defaults[name]
        run_args = argparse.Namespace(**vars(args))
        run_args.connections = args.connections or conns
        run_args.seconds = args.seconds or secs
        progress(f"{name}: starting")
        ok = asyncio.run(RUNS[name](run_args)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
