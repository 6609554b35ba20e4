"""example-echo and example-chat with LIFT_JWT_SECRET / LIFT_JWT_PUBLIC_KEY_FILE: a token from
the `token` query parameter is required, its `sub` becomes the identity (chat: the display name),
anything else is 401, and the token never appears in the process output.

Run with Debian's /usr/bin/python3 (python3-websockets, python3-jwt, python3-cryptography):
LIFT_ECHO_BIN=... LIFT_CHAT_BIN=... jwt_examples_test.py
Keys are generated here, tokens minted with PyJWT.
"""

import asyncio
import json
import os
import sys
import secrets
import subprocess
import tempfile
import time
import unittest

import jwt
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from lift_process import LiftProcess, handshake_status as status_of  # noqa: E402

ECHO = os.environ.get("LIFT_ECHO_BIN", "")
CHAT = os.environ.get("LIFT_CHAT_BIN", "")


class Server(LiftProcess):
    """An example on a free port; waits (bounded) for its banner."""

    def __init__(self, binary, env):
        super().__init__([binary, "--port", "0"], env=env)

    def url(self, query):
        return super().url(query=query)

    def stop(self):
        """Stops the server (SIGTERM) and returns everything it printed."""
        try:
            super().stop()
        finally:
            self.close()
        return self.output()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def claims(sub, lifetime=600):
    now = int(time.time())
    return {"sub": sub, "iat": now, "exp": now + lifetime, "tenant": "acme"}


class JwtExamplesTest(unittest.TestCase):
    def assert_no_leak(self, output, tokens):
        for t in tokens:
            self.assertNotIn(t, output)
            self.assertNotIn(t.split(".")[2], output)

    def test_echo_with_secret(self):
        secret = secrets.token_urlsafe(48)
        good = jwt.encode(claims("alice"), secret, algorithm="HS256")
        expired = jwt.encode(claims("alice", -120), secret, algorithm="HS256")
        other = jwt.encode(claims("alice"), secrets.token_urlsafe(48), algorithm="HS256")
        s = Server(ECHO, {"LIFT_JWT_SECRET": secret, "LIFT_LOG_LEVEL": "info"})
        try:
            async def scenario():
                async with websockets.connect(s.url("token=" + good)) as ws:
                    await ws.send(json.dumps({"action": "whoami"}))
                    me = json.loads(await ws.recv())
                    self.assertEqual(me["subject"], "alice")
                    await ws.send("plain echo")
                    self.assertEqual(await ws.recv(), "plain echo")
                self.assertEqual(await status_of(s.url("")), 401)
                self.assertEqual(await status_of(s.url("token=" + expired)), 401)
                self.assertEqual(await status_of(s.url("token=" + other)), 401)
                self.assertEqual(await status_of(s.url("token=garbage")), 401)
            run(scenario())
        finally:
            output = s.stop()
        self.assertIn("jwt auth rejected: jwt: expired", output)
        self.assertIn("jwt auth rejected: jwt: signature does not verify", output)
        self.assertIn("jwt auth rejected: jwt: no token", output)
        self.assert_no_leak(output, [good, expired, other])

    def test_echo_without_jwt_variables_needs_no_token(self):
        s = Server(ECHO, {})
        try:
            self.assertEqual(run(status_of(s.url(""))), 101)
        finally:
            s.stop()

    def test_bad_configuration_stops_start_up(self):
        proc = subprocess.run([ECHO, "--port", "0"], capture_output=True, timeout=30,
                              env={**os.environ, "LIFT_JWT_SECRET": "too-short"})
        self.assertEqual(proc.returncode, 2)
        self.assertIn("LIFT_JWT_SECRET", proc.stderr.decode())
        self.assertNotIn("too-short", proc.stderr.decode() + proc.stdout.decode())

    def test_chat_with_public_key_file_uses_sub_as_name(self):
        with tempfile.TemporaryDirectory() as d:
            for key, alg in ((ec.generate_private_key(ec.SECP256R1()), "ES256"),
                             (rsa.generate_private_key(public_exponent=65537, key_size=2048),
                              "PS256")):
                pem = os.path.join(d, alg + ".pem")
                with open(pem, "wb") as f:
                    f.write(key.public_key().public_bytes(
                        serialization.Encoding.PEM,
                        serialization.PublicFormat.SubjectPublicKeyInfo))
                alice = jwt.encode(claims("alice"), key, algorithm=alg)
                bob = jwt.encode(claims("bob"), key, algorithm=alg)
                hs = jwt.encode(claims("eve"), secrets.token_urlsafe(48), algorithm="HS256")
                no_sub = {k: v for k, v in claims("x").items() if k != "sub"}
                nameless = jwt.encode(no_sub, key, algorithm=alg)
                s = Server(CHAT, {"LIFT_JWT_PUBLIC_KEY_FILE": pem})
                try:
                    async def scenario():
                        # ?name= is ignored: the token's sub is the display name.
                        async with websockets.connect(s.url("name=mallory&token=" + alice)) as a:
                            async with websockets.connect(s.url("token=" + bob)) as b:
                                joined = json.loads(await a.recv())
                                self.assertEqual(joined["type"], "joined")
                                self.assertEqual(joined["name"], "bob")
                                await b.send(json.dumps(
                                    {"action": "send", "room": "lobby", "text": "hi"}))
                                for ws in (a, b):
                                    while True:
                                        m = json.loads(await ws.recv())
                                        if m["type"] == "message":
                                            break
                                    self.assertEqual(m["name"], "bob")
                                    self.assertEqual(m["text"], "hi")
                        self.assertEqual(await status_of(s.url("name=eve")), 401)
                        self.assertEqual(await status_of(s.url("name=eve&token=" + hs)), 401)
                        # A valid token without `sub` cannot pick a name with ?name=.
                        self.assertEqual(
                            await status_of(s.url("name=eve&token=" + nameless)), 400)
                    run(scenario())
                finally:
                    output = s.stop()
                self.assert_no_leak(output, [alice, bob, hs, nameless])


if __name__ == "__main__":
    unittest.main()
