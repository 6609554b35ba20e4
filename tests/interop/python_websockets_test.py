"""Interop: Debian's python3-websockets (10.4, asyncio client) against example-echo/example-chat.

Run with Debian's interpreter (the pyenv python3 on PATH lacks websockets):
    cd tests/interop && LIFT_ECHO_BIN=../../build/bin/example-echo \\
        LIFT_CHAT_BIN=../../build/bin/example-chat /usr/bin/python3 python_websockets_test.py -v
"""

import asyncio
import json
import re
import sys
import unittest

try:
    import websockets
    import websockets.exceptions
except ImportError:  # fail loudly: a missing client is a broken setup, not a skip
    sys.exit(
        f"python_websockets_test: `import websockets` failed under {sys.executable}; "
        "run it with /usr/bin/python3 and install python3-websockets (scripts/install-deps.sh)"
    )

from interop_harness import ID_PATTERN, Gateway, bin_from_env

TIMEOUT = 10  # seconds for any single wait
KIB = 1024


def connect(url, **kwargs):
    kwargs.setdefault("open_timeout", TIMEOUT)
    kwargs.setdefault("close_timeout", TIMEOUT)
    return websockets.connect(url, **kwargs)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def recv_json(ws, predicate):
    while True:
        msg = await recv(ws)
        try:
            obj = json.loads(msg)
        except ValueError:
            continue
        if predicate(obj):
            return obj


async def expect_server_close(test, ws, code):
    """The server must close the socket with `code` (frames before the close are not expected)."""
    received = []
    try:
        while True:
            received.append(await recv(ws))
    except websockets.exceptions.ConnectionClosed as exc:
        test.assertIsNotNone(exc.rcvd, f"no close frame received ({exc})")
        test.assertEqual(exc.rcvd.code, code, str(exc))
    except asyncio.TimeoutError:
        test.fail(f"server did not close within {TIMEOUT} s (expected {code}); got {len(received)} frame(s)")
    test.assertEqual([m[:60] for m in received], [], "frames arrived instead of the close")


class EchoTest(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(bin_from_env("LIFT_ECHO_BIN", "example-echo"))

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()

    async def test_echo_round_trip(self):
        async with connect(self.gw.ws_url) as ws:
            for body in ["hello from python", '{"action":"nope"}', "ünïcødé ✓"]:
                await ws.send(body)
                self.assertEqual(await recv(ws), body)

    async def test_inspect_sees_python_user_agent(self):
        async with connect(self.gw.ws_url) as ws:
            await ws.send(json.dumps({"action": "inspect"}))
            event = await recv_json(ws, lambda o: "requestContext" in o)
            rc = event["requestContext"]
            self.assertEqual(rc["routeKey"], "inspect")
            self.assertEqual(rc["eventType"], "MESSAGE")
            self.assertRegex(rc["connectionId"], ID_PATTERN)
            self.assertNotIn("headers", event)
            self.assertEqual(rc["identity"]["sourceIp"], "127.0.0.1")
            self.assertRegex(rc["identity"]["userAgent"], r"websockets/10\.4")

    async def test_subprotocol_negotiated(self):
        async with connect(self.gw.ws_url, subprotocols=["lift.v1"]) as ws:
            self.assertEqual(ws.subprotocol, "lift.v1")
            await ws.send("with subprotocol")
            self.assertEqual(await recv(ws), "with subprotocol")

    async def test_connect_rejected_with_401(self):
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as ctx:
            async with connect(self.gw.ws_url + "?deny=1"):
                pass
        self.assertEqual(ctx.exception.status_code, 401)

    async def test_frame_over_32k_closes_1009(self):
        async with connect(self.gw.ws_url) as bystander:
            async with connect(self.gw.ws_url, compression=None) as ws:
                await ws.send("x" * (40 * KIB))  # one frame: this client does not fragment str
                await expect_server_close(self, ws, 1009)
            await bystander.send("bystander")
            self.assertEqual(await recv(bystander), "bystander")

    async def test_message_over_128k_closes_1009(self):
        async with connect(self.gw.ws_url, compression=None) as ws:
            # An iterable is sent as one fragmented message: 4 x 32 KiB + 2 KiB = 130 KiB.
            parts = ["y" * (32 * KIB)] * 4 + ["z" * (2 * KIB)]
            try:
                await ws.send(parts)
            except websockets.exceptions.ConnectionClosed:
                pass  # the server may close before the last fragment; the close code decides
            await expect_server_close(self, ws, 1009)

    async def test_binary_frame_closes_1003(self):
        async with connect(self.gw.ws_url) as bystander:
            async with connect(self.gw.ws_url) as ws:
                await ws.send(b"\x00\x01binary")
                await expect_server_close(self, ws, 1003)
            await bystander.send("bystander")
            self.assertEqual(await recv(bystander), "bystander")


class ChatTest(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(bin_from_env("LIFT_CHAT_BIN", "example-chat"))

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()

    async def test_missing_name_rejected_with_400(self):
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as ctx:
            async with connect(self.gw.ws_url + "?room=lobby"):
                pass
        self.assertEqual(ctx.exception.status_code, 400)

    async def test_unknown_action_gets_forbidden_frame(self):
        async with connect(self.gw.ws_url + "?name=pyuser&room=py-main") as ws:
            await ws.send(json.dumps({"action": "join", "room": "py-side"}))
            joined = await recv_json(ws, lambda o: o.get("type") == "joined" and o.get("room") == "py-side")
            cid = joined["connectionId"]
            self.assertRegex(cid, ID_PATTERN)

            await ws.send(json.dumps({"action": "dance"}))
            frame = await recv(ws)
            m = re.fullmatch(
                r'\{"message": "Forbidden", "connectionId":"([^"]*)", "requestId":"([^"]*)"\}', frame
            )
            self.assertIsNotNone(m, f"not the AWS Forbidden frame: {frame!r}")
            self.assertEqual(m.group(1), cid)
            self.assertRegex(m.group(2), ID_PATTERN)

            # The socket stays open and usable.
            await ws.send(json.dumps({"action": "who", "room": "py-side"}))
            who = await recv_json(ws, lambda o: o.get("type") == "who")
            self.assertEqual(who, {"type": "who", "room": "py-side", "members": ["pyuser"]})


if __name__ == "__main__":
    unittest.main()
