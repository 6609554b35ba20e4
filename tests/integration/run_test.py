"""lift::run as a process: banner, options from flags and LIFT_* variables, --help, errors,
graceful SIGTERM/SIGINT shutdown, and the Lambda loop taking over when AWS_LAMBDA_RUNTIME_API is
set.

Run with Debian's /usr/bin/python3 (python3-websockets): run_test.py PATH/TO/example-echo
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from lift_process import LiftProcess, handshake_status  # noqa: E402

ECHO = os.environ.get("LIFT_ECHO_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "")


class Server(LiftProcess):
    """example-echo with these arguments; waits (bounded) for its banner."""

    def __init__(self, *args, env=None):
        super().__init__([ECHO, *args], env=env)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


class RunTest(unittest.TestCase):
    def test_banner_prints_the_urls(self):
        s = Server("--port", "0")
        try:
            text = "".join(s.banner)
            self.assertIn(f"  WebSocket:    ws://127.0.0.1:{s.port}/dev", text)
            self.assertIn(f"  Page:         http://127.0.0.1:{s.port}/", text)
            self.assertEqual(s.stage, "dev")
        finally:
            s.stop()

    def _shutdown_with(self, sig):
        s = Server("--port", "0")

        async def scenario():
            clients = [await websockets.connect(s.url()) for _ in range(3)]
            for i, c in enumerate(clients):
                await c.send(f"hi {i}")
                self.assertEqual(await c.recv(), f"hi {i}")
            t0 = time.monotonic()
            s.proc.send_signal(sig)
            for c in clients:
                await asyncio.wait_for(c.wait_closed(), 5)
                self.assertEqual(c.close_code, 1001)
                self.assertEqual(c.close_reason, "Going away")
            code = await asyncio.get_running_loop().run_in_executor(None, s.proc.wait, 5)
            return code, time.monotonic() - t0

        code, took = run(scenario())
        self.assertEqual(code, 0)
        self.assertLess(took, 2.0)

    def test_sigterm_closes_everyone_with_1001_and_exits_within_2s(self):
        self._shutdown_with(signal.SIGTERM)

    def test_sigint_does_the_same(self):
        self._shutdown_with(signal.SIGINT)

    def test_environment_variables_and_flags(self):
        s = Server(env={"LIFT_PORT": "0", "LIFT_STAGE": "prod"})
        try:
            self.assertEqual(s.stage, "prod")

            async def echo():
                async with websockets.connect(s.url()) as c:
                    await c.send("x")
                    return await c.recv()

            self.assertEqual(run(echo()), "x")
        finally:
            s.stop()
        # The flag wins over the variable.
        s = Server("--stage", "beta", env={"LIFT_PORT": "0", "LIFT_STAGE": "prod"})
        try:
            self.assertEqual(s.stage, "beta")
        finally:
            s.stop()

    def test_count_route_reports_the_records_in_the_store(self):
        s = Server("--port", "0")

        async def count(c):
            await c.send('{"action":"count"}')
            return json.loads(await c.recv())["connections"]

        async def scenario():
            clients = [await websockets.connect(s.url()) for _ in range(3)]
            first = await count(clients[0])
            for c in clients[1:]:
                await c.close()
            # $disconnect runs after the close handshake: poll (bounded) until the records go.
            deadline = time.monotonic() + 5
            while (now := await count(clients[0])) != 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await clients[0].close()
            return first, now

        try:
            self.assertEqual(run(scenario()), (3, 1))
        finally:
            s.stop()

    def test_idle_timeout_from_the_environment(self):
        s = Server("--port", "0", env={"LIFT_IDLE_TIMEOUT": "1"})
        try:
            async def idle():
                async with websockets.connect(s.url()) as c:
                    await asyncio.wait_for(c.wait_closed(), 5)
                    return c.close_code

            self.assertEqual(run(idle()), 1001)
        finally:
            s.stop()

    def test_help_documents_every_option(self):
        out = subprocess.run([ECHO, "--help"], capture_output=True, timeout=10, text=True)
        self.assertEqual(out.returncode, 0)
        for flag, var in [("--host", "LIFT_HOST"), ("--port", "LIFT_PORT"),
                          ("--stage", "LIFT_STAGE"), ("--idle-timeout", "LIFT_IDLE_TIMEOUT"),
                          ("--max-lifetime", "LIFT_MAX_LIFETIME"),
                          ("--integration-timeout", "LIFT_INTEGRATION_TIMEOUT"),
                          ("--workers", "LIFT_WORKERS"),
                          ("--route-selection-expression", "LIFT_ROUTE_SELECTION_EXPRESSION"),
                          ("--static", "LIFT_STATIC"), ("--log-level", "LIFT_LOG_LEVEL"),
                          ("--verify-sigv4", "LIFT_VERIFY_SIGV4"),
                          ("--management-mode", "LIFT_MANAGEMENT_MODE"),
                          ("--connection-store", "LIFT_CONNECTION_STORE"),
                          ("--dynamodb-table", "LIFT_DYNAMODB_TABLE"),
                          ("--create-table", "LIFT_DYNAMODB_CREATE_TABLE"),
                          ("--allowed-origin", "LIFT_ALLOWED_ORIGINS"),
                          ("--require-origin", "LIFT_REQUIRE_ORIGIN")]:
            self.assertIn(flag, out.stdout)
            self.assertIn(var, out.stdout)

    def test_bad_input_is_refused_with_a_clear_message(self):
        def closed_port():
            with socket.socket() as sock:  # bound, never listening: connects are refused
                sock.bind(("127.0.0.1", 0))
                return sock.getsockname()[1]

        cases = [
            ([], {"LIFT_PORT": "abc"}, "LIFT_PORT"),
            (["--port", "0", "--log-level", "loud"], {}, "log level"),
            (["--port", "0", "--integration-timeout", "10"], {}, "integration-timeout"),
            (["--port", "0", "--route-selection-expression", "$request.header.x"], {}, "route"),
            (["--port", "0", "--no-such-flag"], {}, "no-such-flag"),
            (["--port", "0", "--host", "not an address"], {}, "host"),
            (["--port", "0", "--connection-store", "nosql"], {}, "unknown connection store"),
            (["--port", "0"], {"LIFT_CONNECTION_STORE": "dynamodb"}, "LIFT_DYNAMODB_TABLE"),
            (["--port", "0", "--connection-store", "dynamodb", "--dynamodb-table", "t"],
             {"AWS_ENDPOINT_URL_DYNAMODB": "ftp://127.0.0.1:1"}, "endpoint"),
            # A DynamoDB endpoint where nothing listens: the store check fails, exit 1.
            (["--port", "0", "--connection-store", "dynamodb", "--dynamodb-table", "t"],
             {"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{closed_port()}"}, "connect"),
        ]
        for args, env, needle in cases:
            full_env = dict(os.environ, **env)
            full_env.pop("AWS_LAMBDA_RUNTIME_API", None)
            out = subprocess.run([ECHO, *args], capture_output=True, timeout=10, text=True,
                                 env=full_env)
            self.assertNotEqual(out.returncode, 0, (args, env))
            self.assertIn(needle.lower(), (out.stderr + out.stdout).lower(), (args, env))

    def test_port_in_use_is_reported(self):
        s = Server("--port", "0")
        try:
            out = subprocess.run([ECHO, "--port", str(s.port)], capture_output=True,
                                 timeout=10, text=True)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(str(s.port), out.stderr)
        finally:
            s.stop()

    def _status(self, url, **kwargs):
        return run(handshake_status(url, **kwargs))

    def test_origin_allowlist_from_the_environment_and_flags(self):
        s = Server("--port", "0",
                   env={"LIFT_ALLOWED_ORIGINS": " https://app.example.com ,http://localhost:5173"})
        try:
            self.assertEqual(self._status(s.url(), origin="https://app.example.com"), 101)
            self.assertEqual(self._status(s.url(), origin="http://localhost:5173"), 101)
            self.assertEqual(self._status(s.url(), origin="https://evil.example.com"), 403)
            self.assertEqual(self._status(s.url()), 101)  # no Origin: allowed by default
        finally:
            s.stop()
        # The flag replaces the variable; --require-origin refuses a missing Origin.
        s = Server("--port", "0", "--allowed-origin", "https://other.example",
                   "--require-origin", env={"LIFT_ALLOWED_ORIGINS": "https://app.example.com"})
        try:
            self.assertEqual(self._status(s.url(), origin="https://other.example"), 101)
            self.assertEqual(self._status(s.url(), origin="https://app.example.com"), 403)
            self.assertEqual(self._status(s.url()), 403)
        finally:
            s.stop()
        bad = subprocess.run([ECHO, "--port", "0", "--allowed-origin", "app.example.com"],
                             capture_output=True, timeout=10, text=True)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("app.example.com", bad.stderr)

    def test_static_directory_is_served(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "index.html"), "w") as f:
                f.write("<p>static ok</p>")
            s = Server("--port", "0", "--static", d)
            try:
                import urllib.request
                with urllib.request.urlopen(f"http://127.0.0.1:{s.port}/", timeout=5) as r:
                    self.assertEqual(r.read().decode(), "<p>static ok</p>")
            finally:
                s.stop()

    def test_lambda_environment_runs_the_runtime_loop(self):
        # AWS_LAMBDA_RUNTIME_API set: no gateway, the Lambda loop polls the Runtime API. Here it
        # points at a port nobody listens on, so the loop retries /next a bounded number of
        # times, says why, and exits with status 1 (the full loop is tested in
        # lambda_runtime_test.cpp against a fake Runtime API).
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}",
                   AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
                   AWS_REGION="us-east-1")
        env.pop("AWS_ENDPOINT_URL", None)
        out = subprocess.run([ECHO, "--port", "0"], capture_output=True, timeout=30, text=True,
                             env=env)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("Runtime API unavailable after 3 attempts", out.stdout)
        self.assertNotIn("ws://", out.stdout)

if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
