"""Observability of a real process (example-echo under lift::run) seen by a real WebSocket
client: a handler exception never reaches the client, the log line carries the details, no
token or secret sent by the client appears in anything the process writes (at debug level, so
Lift's own event logging is exercised), and GET /_lift/metrics shows the standard metrics.

Run with Debian's /usr/bin/python3 (python3-websockets): observability_test.py PATH/TO/example-echo
"""

import asyncio
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

import websockets

ECHO = os.environ.get("LIFT_ECHO_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "")
BANNER = re.compile(r"ws://127\.0\.0\.1:(\d+)/(\w+)")
SECRETS = ["SECRETquery1", "SECRETauth2", "SECRETcookie3", "SECRETproto4", "SECRETamz5"]
JWT = ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVRqd3Q2In0."
       "SECRETjwtSignature6xxxxxxxxxxxxxxxxxxxxxxxxx")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


class ObservabilityTest(unittest.TestCase):
    def start(self, env):
        full_env = dict(os.environ)
        full_env.pop("AWS_LAMBDA_RUNTIME_API", None)
        full_env.update(env)
        proc = subprocess.Popen([ECHO, "--port", "0"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=full_env)
        banner = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline().decode()
            if not line:
                break
            banner.append(line)
            m = BANNER.search(line)
            if m:
                return proc, int(m.group(1)), m.group(2), banner
        proc.kill()
        raise AssertionError("no banner: " + "".join(banner))

    def metrics(self, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/_lift/metrics")
        r = conn.getresponse()
        body = r.read().decode()
        conn.close()
        self.assertEqual(r.status, 200, body)
        return json.loads(body)

    def test_failures_secrets_and_metrics(self):
        proc, port, stage, banner = self.start({"LIFT_LOG_LEVEL": "debug",
                                                "LIFT_METRICS_SERVICE": "echo-test"})
        try:
            url = f"ws://127.0.0.1:{port}/{stage}?room=lobby&token={SECRETS[0]}&id_token={JWT}"
            headers = {"Authorization": f"Bearer {SECRETS[1]}", "Cookie": f"s={SECRETS[2]}",
                       "X-Amz-Security-Token": SECRETS[4]}

            async def scenario():
                async with websockets.connect(url, extra_headers=headers,
                                              subprotocols=[SECRETS[3]]) as c:
                    await c.send('{"action":"fail"}')
                    frame = await c.recv()
                    await c.send("hello")
                    echoed = await c.recv()
                    return frame, echoed

            frame, echoed = run(scenario())
            self.assertTrue(frame.startswith('{"message": "Internal server error", '
                                             '"connectionId":'), frame)
            self.assertNotIn("always throws", frame)
            self.assertEqual(echoed, "hello")

            totals = None
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                totals = self.metrics(port)["metrics"]
                if "ConnectionsClosed" in totals:
                    break
                time.sleep(0.05)
            self.assertEqual(totals["ConnectionsOpened"]["sum"], 1, totals)
            self.assertEqual(totals["ConnectionsClosed"]["sum"], 1, totals)
            self.assertEqual(totals["Messages"]["sum"], 2, totals)
            self.assertEqual(totals["Errors"]["sum"], 1, totals)
            self.assertEqual(totals["HandlerLatency"]["unit"], "Milliseconds")
            self.assertGreaterEqual(totals["ColdStart"]["sum"], 1)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        out = "".join(banner) + out.decode()
        err = err.decode()
        everything = out + err
        for secret in SECRETS + ["SECRETjwtSignature6", "eyJzdWIiOiJTRUNSRVRqd3Q2In0"]:
            self.assertNotIn(secret, everything)

        lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        failure = [l for l in lines if l.get("errorMessage") == "the fail route always throws"]
        self.assertEqual(len(failure), 1, out)
        self.assertEqual(failure[0]["level"], "ERROR")
        self.assertEqual(failure[0]["routeKey"], "fail")
        self.assertEqual(failure[0]["exceptionType"], "std::runtime_error")
        self.assertIn("requestId", failure[0])
        events = [l for l in lines if l.get("message") == "event"
                  and l["event"]["eventType"] == "CONNECT"]
        self.assertEqual(len(events), 1, out)
        self.assertEqual(events[0]["event"]["headers"]["Authorization"], "[REDACTED]")
        self.assertEqual(events[0]["event"]["query"]["token"], "[REDACTED]")
        self.assertEqual(events[0]["event"]["query"]["room"], "lobby")
        emf = [json.loads(l) for l in err.splitlines() if l.startswith('{"_aws"')]
        self.assertTrue(emf, err)
        self.assertTrue(all(d.get("service") == "echo-test" for d in emf))
        self.assertTrue(any(d.get("Errors") == 1 and d.get("errorType") == "Exception"
                            for d in emf), err)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
