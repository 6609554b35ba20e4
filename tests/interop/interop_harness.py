"""Shared harness for the Python interop tests (python_websockets_test.py, boto3_test.py).

Starts an example binary on a free port and waits for its banner; runs the Node helper client
(ws_listen.mjs). Every wait has a timeout; nothing sleeps for a fixed time.

    with Gateway(bin_from_env("LIFT_ECHO_BIN", "example-echo")) as gw:
        with Listener(gw.ws_url) as client:
            client.expect_frame("hello")
"""

import json
import os
import queue
import re
import signal
import shutil
import subprocess
import sys
import threading
import time
from collections import deque

INTEROP_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(INTEROP_DIR))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "support"))
from lift_process import LiftProcess  # noqa: E402
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{15}=$")


def bin_from_env(env_var, name):
    """Path of an example binary: the env var CTest sets, else build/bin/<name>."""
    path = os.environ.get(env_var) or os.path.join(REPO_ROOT, "build", "bin", name)
    if not os.path.isfile(path):
        raise RuntimeError(f"{env_var}: binary not found at {path} (build it, or set {env_var})")
    return path


class _Lines:
    """Reads a pipe on a thread; lines go to a queue and a bounded history."""

    def __init__(self, stream, history, prefix=""):
        self.queue = queue.Queue()
        self._history = history
        self._prefix = prefix
        self._stream = stream
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def close(self, timeout=5):
        """After the process exited: wait for EOF on the pipe, then close it."""
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._stream.close()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self._history.append(self._prefix + line)
            self.queue.put(line)
        self.queue.put(None)  # EOF

    def expect(self, predicate, timeout, what):
        """Returns the first line for which predicate(line) is truthy; earlier lines are kept in
        `skipped`. Raises AssertionError on timeout or EOF."""
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; saw {skipped!r}")
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.queue.put(None)
                raise AssertionError(f"stream ended while waiting for {what}; saw {skipped!r}")
            if predicate(line):
                return line
            skipped.append(line)


class Gateway(LiftProcess):
    """Runs `bin --port 0 ARGS` (env: the whole environment, default this process's); .port,
    .ws_url, .http_url once started. stop() sends SIGTERM and waits for exit (the server must
    exit within 2 s; we allow 5 s, then kill and fail)."""

    def __init__(self, binary, args=(), startup_timeout=20, env=None):
        self.binary = binary
        super().__init__([binary, "--port", "0", *args], base_env=env, timeout=startup_timeout)
        if self.stage != "dev":
            self.kill()
            raise AssertionError(f"{binary} serves stage {self.stage!r}, expected dev")
        self.ws_url = self.url()
        self.http_url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        code = self.proc.poll()
        if code is not None:
            raise AssertionError(
                f"{self.binary} exited before stop() with code {code}\n--- server output ---\n{self.output()}"
            )
        try:
            super().stop(timeout=5)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.binary} did not exit within 5 s of SIGTERM") from None
        finally:
            self.close()

    def __exit__(self, exc_type, *_):
        if exc_type is None:
            self.stop()
        else:
            self.kill()
            self.close()


def require_node_client():
    """The Node helper needs `node` and tests/interop/node_modules (npm ci from the lockfile)."""
    if shutil.which("node") is None:
        raise RuntimeError("node is not on PATH; run scripts/install-deps.sh")
    if not os.path.isdir(os.path.join(INTEROP_DIR, "node_modules", "ws")):
        raise RuntimeError(
            f"{os.path.join(INTEROP_DIR, 'node_modules')} is missing the pinned npm packages; "
            "run scripts/install-deps.sh (it runs `npm ci` in tests/interop)"
        )


class Listener:
    """The Node helper client (ws_listen.mjs) connected to example-echo. .connection_id is set
    once connected (None with inspect=False); expect_frame()/expect_close() wait for what the
    socket receives; send() sends a text frame."""

    def __init__(self, ws_url, watch=False, timeout=15, inspect=True):
        require_node_client()
        self.history = deque(maxlen=200)
        self.proc = subprocess.Popen(
            ["node", os.path.join(INTEROP_DIR, "ws_listen.mjs"), ws_url, "--max-seconds", "150"]
            + (["--watch"] if watch else [])
            + ([] if inspect else ["--no-inspect"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._out = _Lines(self.proc.stdout, self.history)
        self._err = _Lines(self.proc.stderr, self.history, "[stderr] ")
        try:
            ready = ("CONNECTED ", "ERROR ") if inspect else ("OPEN", "ERROR ")
            line = self._out.expect(lambda l: l.startswith(ready), timeout, "the helper to connect")
            if line.startswith("ERROR "):
                raise AssertionError(f"helper client failed: {line}\n" + "\n".join(self.history))
        except AssertionError:
            self.stop()
            raise
        self.connection_id = line.split(" ", 1)[1] if inspect else None

    def send(self, text):
        """Sends `text` as one text frame (through the helper's stdin)."""
        self.proc.stdin.write((json.dumps(text) + "\n").encode())
        self.proc.stdin.flush()

    def next_frame(self, timeout=10):
        """Returns the text of the next frame (raises if the socket ends first)."""
        line = self._out.expect(lambda l: l.startswith(("FRAME ", "CLOSE ", "ERROR ")), timeout, "a frame")
        if not line.startswith("FRAME "):
            raise AssertionError(f"socket ended ({line}) while waiting for a frame")
        return json.loads(line[6:])

    def expect_frame(self, text, timeout=10):
        """Waits for a text frame equal to `text` (other frames are skipped)."""
        what = f"frame {text[:80]!r}"

        def match(line):
            if line.startswith(("CLOSE ", "ERROR ")):
                return True
            return line.startswith("FRAME ") and json.loads(line[6:]) == text

        line = self._out.expect(match, timeout, what)
        if not line.startswith("FRAME "):
            raise AssertionError(f"socket ended ({line}) while waiting for {what}")

    def expect_json(self, predicate, timeout=10, what="a JSON frame"):
        """Waits for a text frame holding JSON for which predicate(obj) is truthy; returns obj."""

        def match(line):
            if line.startswith(("CLOSE ", "ERROR ")):
                return True
            if not line.startswith("FRAME "):
                return False
            try:
                return predicate(json.loads(json.loads(line[6:])))
            except (ValueError, TypeError, AttributeError):
                return False

        line = self._out.expect(match, timeout, what)
        if not line.startswith("FRAME "):
            raise AssertionError(f"socket ended ({line}) while waiting for {what}")
        return json.loads(json.loads(line[6:]))

    def expect_close(self, timeout=10):
        """Returns (code, reason) of the close the client saw."""
        line = self._out.expect(lambda l: l.startswith(("CLOSE ", "ERROR ")), timeout, "the close")
        if line.startswith("ERROR "):
            raise AssertionError(f"helper client failed: {line}")
        _, code, reason = line.split(" ", 2)
        return int(code), json.loads(reason)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self._out.close()
        self._err.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()

