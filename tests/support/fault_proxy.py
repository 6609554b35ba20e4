#!/usr/bin/env python3
"""A loopback HTTP proxy that injects AWS faults in front of a DynamoDB or @connections server.

Used by the fault tests (tests/integration/fault_test.cpp): it forwards each request to the
upstream and, at set rates drawn from a seeded generator, answers instead with

- throttling, before forwarding: for DynamoDB HTTP 400 `ProvisionedThroughputExceededException`
  or `ThrottlingException` (half each); for `@connections` 429 `LimitExceededException`;
- server errors, before forwarding: HTTP 500 (`InternalServerError`) or 503;
- `UnprocessedItems`: for `BatchWriteItem`, forwards only the first half of the requests and
  returns the rest as unprocessed (only when the batch has two or more);
- 410 Gone: for `POST /{stage}/@connections/{id}`, every request for an id whose seeded hash
  falls under `--gone-rate` is answered 410 with `x-amzn-ErrorType: GoneException` and an empty
  body, as API Gateway does; the id is never forwarded;
- `--signature-expired`: every request gets the DynamoDB "Signature expired" 400 error.

It prints `LISTENING <port>` on stdout once it accepts connections, and serves its counters
as JSON at `GET /__proxy/stats` (attempts per request key, injected faults by kind, gone ids).
It binds 127.0.0.1 only and stops on SIGTERM/SIGINT or after `--max-seconds`.
"""

import argparse
import hashlib
import http.client
import http.server
import json
import random
import signal
import sys
import threading
import urllib.parse

DDB = "com.amazonaws.dynamodb.v20120810#"


class Proxy:
    def __init__(self, args):
        self.args = args
        upstream = urllib.parse.urlsplit(args.upstream)
        self.up_host = upstream.hostname
        self.up_port = upstream.port or 80
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.stats = {
            "requests": 0,
            "forwarded": 0,
            "injected": {"throughput": 0, "throttling": 0, "500": 0, "503": 0,
                         "unprocessed": 0, "gone": 0, "expired": 0},
            "attempts": {},  # request key -> attempts seen
            "gone_ids": {},  # connection id -> requests answered 410
        }
        self.local = threading.local()

    def draw(self):
        with self.lock:
            return self.rng.random()

    def is_gone_id(self, connection_id):
        if self.args.gone_rate <= 0:
            return False
        digest = hashlib.sha256(f"{self.args.seed}:{connection_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.args.gone_rate

    def upstream(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.up_host, self.up_port, timeout=30)
            self.local.conn = conn
        return conn

    def forward(self, method, path, headers, body):
        for attempt in range(2):
            conn = self.upstream()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                with self.lock:
                    self.stats["forwarded"] += 1
                return resp.status, resp.getheaders(), data
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def make_handler(proxy):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle and the
        # client's delayed ACK add ~40 ms to every response.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status, headers, body):
            self.send_response(status)
            sent = set()
            for name, value in headers:
                lname = name.lower()
                if lname in ("content-length", "connection", "transfer-encoding", "date",
                             "server", "keep-alive"):
                    continue
                self.send_header(name, value)
                sent.add(lname)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def ddb_error(self, status, code, message, kind):
            with proxy.lock:
                proxy.stats["injected"][kind] += 1
            body = json.dumps({"__type": DDB + code if "#" not in code else code,
                               "message": message}).encode()
            self.reply(status, [("Content-Type", "application/x-amz-json-1.0"),
                                ("x-amzn-RequestId", "fault-proxy")], body)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.command == "GET" and self.path == "/__proxy/stats":
                with proxy.lock:
                    data = json.dumps(proxy.stats).encode()
                self.reply(200, [("Content-Type", "application/json")], data)
                return
            target = self.headers.get("X-Amz-Target", "")
            op = target.split(".")[-1] if target else ""
            key = hashlib.sha256(self.command.encode() + self.path.encode() + body).hexdigest()
            with proxy.lock:
                proxy.stats["requests"] += 1
                proxy.stats["attempts"][key] = proxy.stats["attempts"].get(key, 0) + 1

            if proxy.args.signature_expired:
                self.ddb_error(400, "com.amazon.coral.service#InvalidSignatureException",
                               "Signature expired: 20200101T000000Z is now earlier than "
                               "20260101T000000Z (20260101T000000Z - 15 min.)", "expired")
                return

            parts = self.path.split("/")
            if self.command == "POST" and "@connections" in parts:
                connection_id = urllib.parse.unquote(parts[-1])
                if proxy.is_gone_id(connection_id):
                    with proxy.lock:
                        proxy.stats["injected"]["gone"] += 1
                        proxy.stats["gone_ids"][connection_id] = (
                            proxy.stats["gone_ids"].get(connection_id, 0) + 1)
                    self.reply(410, [("x-amzn-ErrorType", "GoneException"),
                                     ("Content-Type", "application/json")], b"")
                    return

            r = proxy.draw()
            a = proxy.args
            if "@connections" in parts and r < a.throttle_rate + a.error_rate:
                # The management API's own shapes: 429 LimitExceededException, 500 / 503.
                if r < a.throttle_rate:
                    kind, status, code = "throttling", 429, "LimitExceededException"
                    body = b'{"message":"Rate exceeded"}'
                elif proxy.draw() < 0.5:
                    kind, status, code = "500", 500, "InternalServerErrorException"
                    body = b'{"message":"Internal server error"}'
                else:
                    kind, status, code = "503", 503, "ServiceUnavailableException"
                    body = b'{"message":"Service Unavailable"}'
                with proxy.lock:
                    proxy.stats["injected"][kind] += 1
                self.reply(status, [("x-amzn-ErrorType", code),
                                    ("Content-Type", "application/json")], body)
                return
            if r < a.throttle_rate:
                if proxy.draw() < 0.5:
                    self.ddb_error(400, "ProvisionedThroughputExceededException",
                                   "The level of configured provisioned throughput for the "
                                   "table was exceeded.", "throughput")
                else:
                    self.ddb_error(400, "ThrottlingException", "Rate of requests exceeds the "
                                   "allowed throughput.", "throttling")
                return
            r -= a.throttle_rate
            if r < a.error_rate:
                if proxy.draw() < 0.5:
                    self.ddb_error(500, "InternalServerError", "Internal server error", "500")
                else:
                    with proxy.lock:
                        proxy.stats["injected"]["503"] += 1
                    self.reply(503, [("Content-Type", "text/plain")], b"Service Unavailable")
                return
            r -= a.error_rate

            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "keep-alive", "content-length")}
            headers["Content-Length"] = str(len(body))
            if op == "BatchWriteItem" and r < a.unprocessed_rate:
                request = json.loads(body)
                kept, held = {}, {}
                for table, items in request.get("RequestItems", {}).items():
                    half = len(items) // 2
                    if half > 0:
                        kept[table], held[table] = items[:half], items[half:]
                    else:
                        kept[table] = items
                if held:
                    new_body = json.dumps({**request, "RequestItems": kept}).encode()
                    headers["Content-Length"] = str(len(new_body))
                    status, up_headers, data = proxy.forward(self.command, self.path, headers,
                                                             new_body)
                    if status == 200:
                        response = json.loads(data or b"{}")
                        unprocessed = response.get("UnprocessedItems") or {}
                        for table, items in held.items():
                            unprocessed.setdefault(table, []).extend(items)
                        response["UnprocessedItems"] = unprocessed
                        data = json.dumps(response).encode()
                        with proxy.lock:
                            proxy.stats["injected"]["unprocessed"] += 1
                    self.reply(status, up_headers, data)
                    return
            status, up_headers, data = proxy.forward(self.command, self.path, headers, body)
            self.reply(status, up_headers, data)

        do_GET = do_POST = do_PUT = do_DELETE = handle_any

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT of the real server")
    p.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    p.add_argument("--seed", type=int, default=1, help="seed of the fault generator")
    p.add_argument("--throttle-rate", type=float, default=0.0)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--unprocessed-rate", type=float, default=0.0)
    p.add_argument("--gone-rate", type=float, default=0.0)
    p.add_argument("--signature-expired", action="store_true")
    p.add_argument("--max-seconds", type=float, default=600.0,
                   help="stop by itself after this long")
    args = p.parse_args()

    proxy = Proxy(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(proxy))
    server.daemon_threads = True

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer = threading.Timer(args.max_seconds, stop)
    timer.daemon = True
    timer.start()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
