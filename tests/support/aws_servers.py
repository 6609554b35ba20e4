"""moto_server and dynalite as child processes on free loopback ports, for Python tests.

The Python twin of tests/support/aws_servers.hpp: a missing server raises ServerError with a
hint (tests turn that into a failure, never a skip). Overrides: LIFT_MOTO_SERVER,
LIFT_DYNALITE_CLI, LIFT_NODE.

    with start_moto_server() as moto:
        run(["lift", "table", "create", "--name", "t", "--endpoint", moto.endpoint])
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Dummy credentials and region for local servers; no real AWS configuration leaks in.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_PAGER": "",
}


class ServerError(RuntimeError):
    pass


def local_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(LOCAL_AWS_ENV)
    env.update(extra)
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A child server; stop() (or leaving the with-block) sends SIGTERM, then SIGKILL."""

    def __init__(self, name, argv, ready_timeout=20.0):
        self.name = name
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self._log = tempfile.NamedTemporaryFile(prefix=f"lift-{name}-", suffix=".log", delete=False)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT)
        except OSError as e:
            self._cleanup_log()
            raise ServerError(f"{name}: cannot start {argv[0]}: {e}") from e
        deadline = time.monotonic() + ready_timeout
        while True:
            if self.proc.poll() is not None:
                log = self.log_tail()
                self.stop()
                raise ServerError(f"{name} exited with {self.proc.returncode} before accepting "
                                  f"on port {self.port}; log:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                pass
            if time.monotonic() >= deadline:
                log = self.log_tail()
                self.stop()
                raise ServerError(f"{name} did not accept on 127.0.0.1:{self.port} within "
                                  f"{ready_timeout} s; log:\n{log}")
            time.sleep(0.05)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, limit=2000):
        try:
            with open(self._log.name, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._cleanup_log()

    def _cleanup_log(self):
        self._log.close()
        try:
            os.unlink(self._log.name)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_moto_server():
    exe = os.environ.get("LIFT_MOTO_SERVER") or shutil.which("moto_server")
    if not exe:
        raise ServerError("moto_server not found on PATH (use the pyenv python3 that has "
                          "`moto[server]`, or set LIFT_MOTO_SERVER)")
    return ServerProcess("moto_server", [exe, "-H", "127.0.0.1", "-p", "{port}"])


def start_dynalite(create_table_ms=500):
    node = os.environ.get("LIFT_NODE") or shutil.which("node")
    if not node:
        raise ServerError("node not found on PATH (scripts/install-deps.sh installs nodejs)")
    cli = os.environ.get("LIFT_DYNALITE_CLI") or os.path.join(
        ROOT, "tests", "interop", "node_modules", "dynalite", "cli.js")
    if not os.path.isfile(cli):
        raise ServerError(f"dynalite not found at {cli} (run scripts/install-deps.sh, which runs "
                          "`npm ci` in tests/interop, or set LIFT_DYNALITE_CLI)")
    return ServerProcess("dynalite", [node, cli, "--host", "127.0.0.1", "--port", "{port}",
                                      "--createTableMs", str(create_table_ms)])
