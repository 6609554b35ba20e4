"""Interop: the gateway's --verify-sigv4 against boto3 and the AWS CLI, and
LIFT_MANAGEMENT_MODE=http (handlers send with lift's own management_client over HTTP).

Needs boto3 and the AWS CLI (the pyenv python3 on PATH has both) and the Node helper client
(tests/interop/node_modules). By hand:
    cd tests/interop && LIFT_ECHO_BIN=../../build/bin/example-echo python3 management_sigv4_test.py -v
"""

import datetime
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

try:
    import boto3
    import botocore.auth
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:  # a missing client is a broken setup, not a skip
    sys.exit(f"management_sigv4_test: `import boto3` failed under {sys.executable}")

from interop_harness import Gateway, Listener, bin_from_env, require_node_client

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
WORK = tempfile.mkdtemp(prefix="lift-mgmt-sigv4.")


def isolated_env(**extra):
    """The test's environment without any AWS_*/LIFT_* settings (no ~/.aws either), plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LIFT_"))}
    env.update(
        AWS_CONFIG_FILE=os.path.join(WORK, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(WORK, "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    env.update(extra)
    return env


def creds_env(**extra):
    settings = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION}
    settings.update(extra)
    return isolated_env(**settings)


def boto3_client(url, key=KEY, secret=SECRET, region=REGION):
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 1}),
    )


def error_of(test, call):
    with test.assertRaises(ClientError) as ctx:
        call()
    err = ctx.exception.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"].get("Message", "")


def expect_output(gw, text, timeout=10):
    """Waits (bounded) for a server output line containing `text`."""
    line = gw.wait_for(lambda line: text in line, timeout)
    if line is None:
        raise AssertionError(f"no output line with {text!r} within {timeout} s:\n{gw.output()}")
    return line


def expect_only(test, client, text):
    """The next frame `client` receives is `text` (so nothing rejected earlier was delivered)."""
    test.assertEqual(client.next_frame(), text)


class VerifySigV4Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_node_client()
        cls.gw = Gateway(bin_from_env("LIFT_ECHO_BIN", "example-echo"), ["--verify-sigv4"], env=creds_env())
        cls.url = cls.gw.http_url + "/dev"
        cls.good = boto3_client(cls.url)

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()

    def test_banner_says_verified(self):
        expect_output(self.gw, f"(SigV4 verified, region {REGION})")

    def test_signed_boto3_post_get_delete(self):
        with Listener(self.gw.ws_url) as client:
            cid = client.connection_id  # ends with '=', sent as %3D and signed as %253D
            resp = self.good.post_to_connection(ConnectionId=cid, Data=b"signed hello")
            self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 200)
            expect_only(self, client, "signed hello")
            info = self.good.get_connection(ConnectionId=cid)
            self.assertEqual(info["Identity"]["SourceIp"], "127.0.0.1")
            resp = self.good.delete_connection(ConnectionId=cid)
            self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 204)
            self.assertEqual(client.expect_close()[0], 1000)

    def test_wrong_secret_is_invalid_signature(self):
        bad = boto3_client(self.url, secret="not-the-secret")
        with Listener(self.gw.ws_url) as client:
            status, code, message = error_of(
                self, lambda: bad.post_to_connection(ConnectionId=client.connection_id, Data=b"forged"))
            self.assertEqual((status, code), (403, "InvalidSignatureException"))
            self.assertEqual(message, MISMATCH)
            self.good.post_to_connection(ConnectionId=client.connection_id, Data=b"after")
            expect_only(self, client, "after")

    def test_unknown_access_key(self):
        other = boto3_client(self.url, key="AKIDSOMEONEELSE")
        status, code, message = error_of(self, lambda: other.get_connection(ConnectionId="AAAAAAAAAAAAAAA="))
        self.assertEqual((status, code), (403, "UnrecognizedClientException"))
        self.assertEqual(message, "The security token included in the request is invalid.")

    def test_other_region_scope(self):
        other = boto3_client(self.url, region="eu-west-1")
        status, code, message = error_of(self, lambda: other.get_connection(ConnectionId="AAAAAAAAAAAAAAA="))
        self.assertEqual((status, code), (403, "InvalidSignatureException"))
        self.assertIn("region", message)

    def test_unsigned_request_is_missing_token(self):
        with Listener(self.gw.ws_url) as client:
            path = "/dev/@connections/" + client.connection_id.replace("=", "%3D")
            conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
            try:
                conn.request("POST", path, body=b"unsigned")
                resp = conn.getresponse()
                body = resp.read()
            finally:
                conn.close()
            self.assertEqual(resp.status, 403)
            self.assertEqual(resp.getheader("x-amzn-ErrorType"), "MissingAuthenticationTokenException")
            self.assertEqual(json.loads(body), {"message": "Missing Authentication Token"})
            self.good.post_to_connection(ConnectionId=client.connection_id, Data=b"signed")
            expect_only(self, client, "signed")

    def test_clock_skew_is_signature_expired(self):
        old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=old):
            status, code, message = error_of(self, lambda: self.good.get_connection(ConnectionId="AAAAAAAAAAAAAAA="))
        self.assertEqual((status, code), (403, "InvalidSignatureException"))
        self.assertRegex(message, r"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
                                  r"\(\d{8}T\d{6}Z - 5 min\.\)$")

    def test_ids_with_dash_and_equals_verify(self):
        # Unknown ids: a verified request gets 410, a rejected one would get 403.
        for cid in ("-AAAAAAAAAAAAAA=", "A-b_c=d=", "plain"):
            status, code, _ = error_of(self, lambda: self.good.post_to_connection(ConnectionId=cid, Data=b"x"))
            self.assertEqual((status, code), (410, "GoneException"), cid)

    def test_aws_cli(self):
        aws = shutil.which("aws")
        self.assertIsNotNone(aws, "the AWS CLI ('aws') is not on PATH")

        def cli(*args, secret=SECRET):
            env = creds_env(AWS_SECRET_ACCESS_KEY=secret, AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
            return subprocess.run([aws, "apigatewaymanagementapi", "--endpoint-url", self.url, *args],
                                  env=env, capture_output=True, text=True, timeout=60)

        with Listener(self.gw.ws_url) as client:
            done = cli("post-to-connection", f"--connection-id={client.connection_id}", "--data", "from the cli")
            self.assertEqual(done.returncode, 0, done.stderr)
            expect_only(self, client, "from the cli")
            done = cli("post-to-connection", f"--connection-id={client.connection_id}", "--data", "forged",
                       secret="wrong")
            self.assertNotEqual(done.returncode, 0)
            self.assertIn("InvalidSignatureException", done.stderr)
        done = cli("post-to-connection", "--connection-id=-AAAAAAAAAAAAAA=", "--data", "x")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("GoneException", done.stderr)


class HttpManagementModeTest(unittest.TestCase):
    """Handlers send through the gateway's own @connections endpoint (signed and verified)."""

    @classmethod
    def setUpClass(cls):
        require_node_client()
        cls.echo = bin_from_env("LIFT_ECHO_BIN", "example-echo")
        cls.gw = Gateway(cls.echo, ["--verify-sigv4"], env=creds_env(LIFT_MANAGEMENT_MODE="http"))

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()

    def test_banner_names_the_http_path(self):
        expect_output(self.gw, f"Handlers send over HTTP to http://127.0.0.1:{self.gw.port}/dev")

    def test_broadcast_reaches_every_client(self):
        with Listener(self.gw.ws_url) as a, Listener(self.gw.ws_url) as b:
            a.send(json.dumps({"action": "broadcast", "data": "hello everyone"}))
            b.expect_frame("hello everyone")
            a.expect_frame("hello everyone")

    def test_post_to_a_closed_connection_is_gone(self):
        with Listener(self.gw.ws_url) as a:
            b = Listener(self.gw.ws_url)
            closed_id = b.connection_id
            b.stop()
            a.send(json.dumps({"action": "send_to", "connectionId": closed_id, "data": "too late"}))
            reply = a.expect_json(lambda o: o.get("sendTo") == closed_id, what="the send_to reply")
            self.assertEqual(reply["result"], "gone")
            a.send(json.dumps({"action": "send_to", "connectionId": a.connection_id, "data": "to myself"}))
            a.expect_frame("to myself")
            reply = a.expect_json(lambda o: o.get("sendTo") == a.connection_id, what="the send_to reply")
            self.assertEqual(reply["result"], "ok")

    def test_endpoint_override_sends_to_another_gateway(self):
        """AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI points the handlers' client at gateway A, so a
        handler on gateway B reaches a connection that only A holds: proof the HTTP path is used.
        (B's handler then cannot answer its own client, whose id A does not know: that reply
        fails with gone and B sends API Gateway's "Internal server error" frame.)"""
        with Gateway(self.echo, ["--verify-sigv4"], env=creds_env()) as a_gw:
            env = creds_env(LIFT_MANAGEMENT_MODE="http",
                            AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI=a_gw.http_url + "/dev")
            with Gateway(self.echo, env=env) as b_gw, Listener(a_gw.ws_url) as on_a, \
                    Listener(b_gw.ws_url, inspect=False) as on_b:
                expect_output(b_gw, f"over HTTP to {a_gw.http_url}/dev")
                on_b.send(json.dumps({"action": "send_to", "connectionId": on_a.connection_id,
                                      "data": "across gateways"}))
                on_a.expect_frame("across gateways")
                error = json.loads(on_b.next_frame())
                self.assertEqual(error["message"], "Internal server error")


class CombinationRulesTest(unittest.TestCase):
    def test_verify_without_credentials_refuses_to_start(self):
        binary = bin_from_env("LIFT_ECHO_BIN", "example-echo")
        done = subprocess.run([binary, "--port", "0", "--verify-sigv4"], env=isolated_env(),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertIn("--verify-sigv4 needs AWS credentials", done.stderr)
        self.assertNotIn(SECRET, done.stderr)

    def test_env_variable_turns_verification_on(self):
        binary = bin_from_env("LIFT_ECHO_BIN", "example-echo")
        done = subprocess.run([binary, "--port", "0"], env=isolated_env(LIFT_VERIFY_SIGV4="true"),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertIn("--verify-sigv4 needs AWS credentials", done.stderr)
        done = subprocess.run([binary, "--port", "0"], env=isolated_env(LIFT_VERIFY_SIGV4="maybe"),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn("LIFT_VERIFY_SIGV4", done.stderr)

    def test_bad_management_mode(self):
        binary = bin_from_env("LIFT_ECHO_BIN", "example-echo")
        done = subprocess.run([binary, "--port", "0", "--management-mode", "carrier-pigeon"],
                              env=isolated_env(), capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn("unknown management mode", done.stderr)

    def test_http_mode_without_credentials_uses_dummy_ones(self):
        """No credentials: the client signs with dummy keys, which only works unverified."""
        require_node_client()
        gw = Gateway(bin_from_env("LIFT_ECHO_BIN", "example-echo"), ["--management-mode", "http"],
                     env=isolated_env())
        try:
            line = expect_output(gw, "@connections:")
            self.assertNotIn("SigV4 verified", line)
            expect_output(gw, "Handlers send over HTTP")
            with Listener(gw.ws_url) as a, Listener(gw.ws_url) as b:
                a.send(json.dumps({"action": "broadcast", "data": "unsigned world"}))
                b.expect_frame("unsigned world")
        finally:
            gw.stop()


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
