"""Interop: tokens minted by PyJWT (Debian's python3-jwt, an independent issuer) against
example-chat and example-echo with `LIFT_JWT_SECRET` / `LIFT_JWT_PUBLIC_KEY_FILE`, through
Debian's python3-websockets client.

Checks: a valid token connects and its `sub` is the chat display name on later messages
(identity on custom routes); missing, expired, wrongly signed, `alg: none` and HS/RS-confused
tokens are refused with 401; no token (nor its signature) ever appears in the server's output.

    cd tests/interop && LIFT_ECHO_BIN=../../build/bin/example-echo \\
        LIFT_CHAT_BIN=../../build/bin/example-chat /usr/bin/python3 jwt_examples_test.py -v
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import tempfile
import time
import unittest

try:
    import jwt
    import websockets
    import websockets.exceptions
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError as exc:  # a missing client is a broken setup, not a skip
    sys.exit(
        f"jwt_examples_test: {exc} under {sys.executable}; run it with /usr/bin/python3 and "
        "install python3-jwt python3-cryptography python3-websockets (scripts/install-deps.sh)"
    )

from interop_harness import Gateway, bin_from_env

TIMEOUT = 10


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims, alg="none"):
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}."


def claims(sub, **extra):
    now = int(time.time())
    out = {"sub": sub, "iat": now, "exp": now + 300}
    out.update(extra)
    return out


async def connect_status(url):
    """Connects; returns (status, websocket or None)."""
    try:
        ws = await websockets.connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT)
    except websockets.exceptions.InvalidStatusCode as exc:
        return exc.status_code, None
    return 101, ws


async def recv_json(ws, predicate):
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out waiting for a matching frame")
        obj = json.loads(await asyncio.wait_for(ws.recv(), left))
        if predicate(obj):
            return obj


class Secrets:
    """Keys for one test run, generated here (never committed)."""

    def __init__(self, folder):
        self.hs_secret = secrets.token_urlsafe(32)
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.rsa_public_pem = self.rsa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.ec_public_pem = self.ec.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.rsa_file = os.path.join(folder, "rsa_public.pem")
        self.ec_file = os.path.join(folder, "ec_public.pem")
        with open(self.rsa_file, "wb") as f:
            f.write(self.rsa_public_pem)
        with open(self.ec_file, "wb") as f:
            f.write(self.ec_public_pem)


class JwtExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.keys = Secrets(cls.tmp.name)
        cls.chat = bin_from_env("LIFT_CHAT_BIN", "example-chat")
        cls.echo = bin_from_env("LIFT_ECHO_BIN", "example-echo")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIFT_JWT")}
        env.update(extra)
        return env

    def assert_no_leak(self, output, tokens):
        for token in tokens:
            self.assertNotIn(token, output, "a token appears in the server output")
            signature = token.rsplit(".", 1)[-1]
            if len(signature) >= 16:
                self.assertNotIn(signature, output, "a token signature appears in the server output")
        self.assertNotIn(self.keys.hs_secret, output, "the HS256 secret appears in the server output")

    def test_chat_hs256_sub_is_the_display_name(self):
        k = self.keys
        good = jwt.encode(claims("alice"), k.hs_secret, algorithm="HS256")
        bob = jwt.encode(claims("bob"), k.hs_secret, algorithm="HS256")
        refused = {
            "wrong secret": jwt.encode(claims("alice"), "not-the-secret-" + k.hs_secret, algorithm="HS256"),
            "expired": jwt.encode(
                {"sub": "alice", "iat": int(time.time()) - 900, "exp": int(time.time()) - 600},
                k.hs_secret,
                algorithm="HS256",
            ),
            "alg none": unsigned_token(claims("alice")),
            "alg None": unsigned_token(claims("alice"), alg="None"),
            "HS512 not allowed": jwt.encode(claims("alice"), k.hs_secret, algorithm="HS512"),
            "garbage": "not.a.token",
        }
        with Gateway(self.chat, env=self.env(LIFT_JWT_SECRET=k.hs_secret)) as gw:

            async def run():
                status, _ = await connect_status(f"{gw.ws_url}?name=alice")
                self.assertEqual(status, 401, "no token must be refused with 401")
                for reason, token in refused.items():
                    status, ws = await connect_status(f"{gw.ws_url}?token={token}")
                    if ws is not None:
                        await ws.close()
                    self.assertEqual(status, 401, f"{reason}: expected 401")
                # A valid token connects; its `sub` is the name others see, whatever `name` says.
                status, a = await connect_status(f"{gw.ws_url}?token={good}&name=mallory")
                self.assertEqual(status, 101)
                status, b = await connect_status(f"{gw.ws_url}?token={bob}")
                self.assertEqual(status, 101)
                await a.send(json.dumps({"action": "send", "room": "lobby", "text": "hi from a"}))
                got = await recv_json(b, lambda o: o.get("type") == "message")
                self.assertEqual(got["name"], "alice")
                self.assertEqual(got["text"], "hi from a")
                await b.send(json.dumps({"action": "send", "room": "lobby", "text": "hi from b"}))
                got = await recv_json(a, lambda o: o.get("type") == "message" and o["text"] == "hi from b")
                self.assertEqual(got["name"], "bob")
                await a.close()
                await b.close()

            asyncio.run(run())
        self.assert_no_leak(gw.output(), [good, bob, *refused.values()])

    def test_echo_rs256_and_confusion(self):
        k = self.keys
        good = jwt.encode(claims("carol"), k.rsa, algorithm="RS256")
        # HS/RS confusion: an HS256 token whose "secret" is the RSA public key file.
        confused = unsigned_token(claims("carol"), alg="HS256")[:-1]
        mac = hmac.new(k.rsa_public_pem, confused.encode(), hashlib.sha256).digest()
        confused = f"{confused}.{b64url(mac)}"
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        wrong_key = jwt.encode(claims("carol"), other_key, algorithm="RS256")
        with Gateway(self.echo, env=self.env(LIFT_JWT_PUBLIC_KEY_FILE=k.rsa_file)) as gw:

            async def run():
                for reason, token in {"confusion": confused, "wrong key": wrong_key}.items():
                    status, ws = await connect_status(f"{gw.ws_url}?token={token}")
                    if ws is not None:
                        await ws.close()
                    self.assertEqual(status, 401, f"{reason}: expected 401")
                status, _ = await connect_status(gw.ws_url)
                self.assertEqual(status, 401)
                status, ws = await connect_status(f"{gw.ws_url}?token={good}")
                self.assertEqual(status, 101)
                await ws.send("hello rs256")
                self.assertEqual(await asyncio.wait_for(ws.recv(), TIMEOUT), "hello rs256")
                await ws.close()

            asyncio.run(run())
        self.assert_no_leak(gw.output(), [good, confused, wrong_key])

    def test_chat_es256(self):
        k = self.keys
        good = jwt.encode(claims("dave"), k.ec, algorithm="ES256")
        rs_token = jwt.encode(claims("dave"), k.rsa, algorithm="RS256")  # right shape, wrong key type
        with Gateway(self.chat, env=self.env(LIFT_JWT_PUBLIC_KEY_FILE=k.ec_file)) as gw:

            async def run():
                status, ws = await connect_status(f"{gw.ws_url}?token={rs_token}")
                self.assertEqual(status, 401)
                status, a = await connect_status(f"{gw.ws_url}?token={good}&room=es")
                self.assertEqual(status, 101)
                await a.send(json.dumps({"action": "who", "room": "es"}))
                who = await recv_json(a, lambda o: o.get("type") == "who")
                self.assertIn("dave", who.get("members", []))
                await a.close()

            asyncio.run(run())
        self.assert_no_leak(gw.output(), [good, rs_token])

    def test_without_configuration_no_token_is_needed(self):
        with Gateway(self.chat, env=self.env()) as gw:

            async def run():
                status, ws = await connect_status(f"{gw.ws_url}?name=erin")
                self.assertEqual(status, 101)
                await ws.close()

            asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
