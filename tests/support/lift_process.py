"""A Lift executable (an example app, `lift gateway`) as a child process, for Python tests.

Starts the process with `--port 0` among its arguments (the caller passes them), waits (bounded)
for the banner line `ws://127.0.0.1:PORT/STAGE`, and keeps reading its output on a thread so a
chatty process never blocks on a full pipe. stdout lines are kept (bounded); stderr goes to a
temporary file. AWS_LAMBDA_RUNTIME_API is removed from the environment, so an app never takes
the Lambda path by accident.

    with LiftProcess([ECHO, "--port", "0"]) as p:
        url = p.url()          # ws://127.0.0.1:PORT/STAGE
        ...
        code = p.stop()        # SIGTERM, bounded wait; the exit status
        text = p.output()      # everything printed on stdout and stderr
"""

import os
import re
import signal
import subprocess
import tempfile
import threading
import time

BANNER = re.compile(r"ws://127\.0\.0\.1:(\d+)/(\w+)")
BANNER_END = "Ctrl+C"  # the banner's last line: "Press Ctrl+C to stop."
MAX_LINES = 5000


class LiftProcess:
    def __init__(self, argv, env=None, cwd=None, merge_stderr=False, timeout=20.0,
                 base_env=None):
        """env is added to base_env (default: this process's environment)."""
        full_env = dict(os.environ if base_env is None else base_env)
        full_env.pop("AWS_LAMBDA_RUNTIME_API", None)
        full_env.update(env or {})
        self._err = None if merge_stderr else tempfile.TemporaryFile()
        self._err_text = ""
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT if merge_stderr else self._err,
                                     env=full_env, cwd=cwd)
        self.port = None
        self.stage = None
        self.lines = []  # stdout (and stderr with merge_stderr), without line ends
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._eof = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if self.wait_for(lambda line: BANNER_END in line, timeout) is None or self.port is None:
            self.kill()
            raise AssertionError(f"{os.path.basename(argv[0])} printed no banner within "
                                 f"{timeout} s:\n{self.output()}")

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._lock:
                if self.port is None:
                    m = BANNER.search(line)
                    if m:
                        self.port, self.stage = int(m.group(1)), m.group(2)
                if len(self.lines) < MAX_LINES:
                    self.lines.append(line)
                self._changed.notify_all()
        with self._lock:
            self._eof = True
            self._changed.notify_all()

    @property
    def banner(self):
        """The banner: the lines up to and including `Press Ctrl+C to stop.`"""
        with self._lock:
            for i, line in enumerate(self.lines):
                if BANNER_END in line:
                    return [f"{x}\n" for x in self.lines[:i + 1]]
            return [f"{x}\n" for x in self.lines]

    def wait_for(self, predicate, timeout):
        """The first stdout line (since the start) that satisfies predicate, or None when none
        did within timeout seconds or the output ended."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._lock:
            while True:
                while seen < len(self.lines):
                    if predicate(self.lines[seen]):
                        return self.lines[seen]
                    seen += 1
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    return None
                self._changed.wait(left)

    def url(self, path=None, query=""):
        """ws://127.0.0.1:PORT/STAGE (or /path), with ?query when given."""
        base = f"ws://127.0.0.1:{self.port}/{self.stage if path is None else path}"
        return f"{base}?{query}" if query else base

    def stderr(self):
        if self._err is None or self._err.closed:
            return self._err_text
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def output(self):
        """Everything printed so far: stdout lines, then stderr."""
        with self._lock:
            out = "".join(f"{x}\n" for x in self.lines)
        return out + self.stderr()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends sig (once, while the process runs) and returns the exit status; kills the
        process and raises subprocess.TimeoutExpired when it does not exit within timeout."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        finally:
            self._reader.join(5)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)

    def close(self):
        """Closes the stderr file (and stdout once read to its end); stderr() and output() still
        return what they held."""
        if not self._reader.is_alive() and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if self._err is not None and not self._err.closed:
            self._err_text = self.stderr()
            self._err.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self.proc.poll() is None:
                self.stop()
        finally:
            self.close()


async def handshake_status(url, **connect_kwargs):
    """101 when a WebSocket handshake with url succeeds (the connection is then closed), else the
    HTTP status the server refused it with. Needs python3-websockets."""
    import websockets
    import websockets.exceptions

    try:
        ws = await websockets.connect(url, **connect_kwargs)
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    await ws.close()
    return 101
