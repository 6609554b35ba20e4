"""Interop: boto3's apigatewaymanagementapi client against the gateway's @connections API.

Needs boto3 (the pyenv python3 on PATH has it; Debian's /usr/bin/python3 does not) and the Node
helper client (tests/interop/node_modules from scripts/install-deps.sh). By hand:
    cd tests/interop && LIFT_ECHO_BIN=../../build/bin/example-echo python3 boto3_test.py -v
"""

import datetime
import http.client
import os
import sys
import unittest
import urllib.parse

try:
    import boto3
    from botocore.config import Config
except ImportError:  # fail loudly: a missing client is a broken setup, not a skip
    sys.exit(f"boto3_test: `import boto3` failed under {sys.executable}; run it with a python3 that has boto3")

from interop_harness import Gateway, Listener, bin_from_env, require_node_client

MAX_POST = 131072  # @connections Data limit (aws-reference §5.1)
UNKNOWN_ID = "AAAAAAAAAAAAAAA="


def management_client(endpoint_url):
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(
            connect_timeout=5,
            read_timeout=15,
            retries={"mode": "standard", "max_attempts": 1},  # no hidden retries
        ),
    )


def status_of(response):
    return response["ResponseMetadata"]["HTTPStatusCode"]


class ManagementApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_node_client()
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        cls.gw = Gateway(bin_from_env("LIFT_ECHO_BIN", "example-echo"))
        cls.staged = management_client(cls.gw.http_url + "/dev")
        cls.unstaged = management_client(cls.gw.http_url)

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()

    def test_post_get_delete_lifecycle(self):
        with Listener(self.gw.ws_url, watch=True) as watcher, Listener(self.gw.ws_url) as client:
            cid = client.connection_id
            started = datetime.datetime.now(datetime.timezone.utc)

            resp = self.staged.post_to_connection(ConnectionId=cid, Data=b"hello from boto3")
            self.assertEqual(status_of(resp), 200)
            client.expect_frame("hello from boto3")

            info = self.staged.get_connection(ConnectionId=cid)
            self.assertEqual(status_of(info), 200)
            connected_at, last_active = info["ConnectedAt"], info["LastActiveAt"]
            self.assertIsInstance(connected_at, datetime.datetime)
            self.assertIsInstance(last_active, datetime.datetime)
            self.assertLess(abs((connected_at - started).total_seconds()), 60)
            self.assertGreaterEqual(last_active, connected_at)
            self.assertEqual(info["Identity"]["SourceIp"], "127.0.0.1")
            self.assertEqual(info["Identity"]["UserAgent"], "lift-interop-listener/1.0")

            resp = self.staged.delete_connection(ConnectionId=cid)
            self.assertEqual(status_of(resp), 204)
            self.assertEqual(client.expect_close()[0], 1000)
            notice = watcher.expect_json(
                lambda o: o.get("event") == "disconnected" and o.get("connectionId") == cid,
                what=f"the $disconnect notice for {cid}",
            )
            self.assertEqual(notice["disconnectStatusCode"], 1000)
            self.assertEqual(notice["disconnectReason"], "Connection Closed Normally")

            for call in (
                lambda: self.staged.post_to_connection(ConnectionId=cid, Data=b"too late"),
                lambda: self.staged.get_connection(ConnectionId=cid),
                lambda: self.staged.delete_connection(ConnectionId=cid),
            ):
                with self.assertRaises(self.staged.exceptions.GoneException) as ctx:
                    call()
                self.assertEqual(status_of(ctx.exception.response), 410)

    def test_unknown_id_raises_gone(self):
        with self.assertRaises(self.staged.exceptions.GoneException) as ctx:
            self.staged.post_to_connection(ConnectionId=UNKNOWN_ID, Data=b"x")
        self.assertEqual(status_of(ctx.exception.response), 410)
        self.assertEqual(ctx.exception.response["Error"]["Code"], "GoneException")
        with self.assertRaises(self.unstaged.exceptions.GoneException):
            self.unstaged.get_connection(ConnectionId=UNKNOWN_ID)

    def test_payload_limit(self):
        with Listener(self.gw.ws_url) as client:
            cid = client.connection_id
            with self.assertRaises(self.staged.exceptions.PayloadTooLargeException) as ctx:
                self.staged.post_to_connection(ConnectionId=cid, Data=b"a" * (MAX_POST + 1))
            self.assertEqual(status_of(ctx.exception.response), 413)

            # Exactly the limit is accepted and arrives as one message (split into ≤ 32 KiB frames).
            exact = "b" * MAX_POST
            self.assertEqual(status_of(self.staged.post_to_connection(ConnectionId=cid, Data=exact.encode())), 200)
            client.expect_frame(exact, timeout=20)

    def test_endpoint_without_stage(self):
        with Listener(self.gw.ws_url) as client:
            cid = client.connection_id
            self.assertEqual(status_of(self.unstaged.post_to_connection(ConnectionId=cid, Data=b"no stage")), 200)
            client.expect_frame("no stage")
            info = self.unstaged.get_connection(ConnectionId=cid)
            self.assertEqual(info["Identity"]["SourceIp"], "127.0.0.1")
            self.assertEqual(status_of(self.unstaged.delete_connection(ConnectionId=cid)), 204)
            self.assertEqual(client.expect_close()[0], 1000)

    def test_raw_paths_accept_percent_encoded_at_and_equals(self):
        """awscurl-style paths: '@' as %40 and '=' as %3D (aws-reference §5.3)."""
        with Listener(self.gw.ws_url) as client:
            quoted = urllib.parse.quote(client.connection_id, safe="")
            for path in (f"/dev/%40connections/{quoted}", f"/%40connections/{quoted}", f"/dev/@connections/{quoted}"):
                conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
                try:
                    conn.request("POST", path, body=path.encode(), headers={"Content-Type": "application/octet-stream"})
                    resp = conn.getresponse()
                    resp.read()
                    self.assertEqual(resp.status, 200, path)
                finally:
                    conn.close()
                client.expect_frame(path)


if __name__ == "__main__":
    unittest.main()
