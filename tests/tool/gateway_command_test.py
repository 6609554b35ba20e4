"""`lift gateway` and `lift invoke` run as a user would, with tests/support/fake_bootstrap.py
as the function (a Runtime API client that behaves on command) and Debian's python3-websockets
as the WebSocket client.

    LIFT_BIN=build/bin/lift /usr/bin/python3 tests/tool/gateway_command_test.py -v
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import websockets
import websockets.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lift_process import LiftProcess, handshake_status  # noqa: E402

LIFT = os.environ.get("LIFT_BIN", "lift")
FAKE = os.path.join(HERE, "..", "support", "fake_bootstrap.py")
ECHO = os.environ.get("LIFT_ECHO_BIN", "")
# The packaged single-file bootstrap of example-echo (static libstdc++/OpenSSL, glibc <= 2.34).
ECHO_BOOTSTRAP = os.environ.get("LIFT_ECHO_BOOTSTRAP", "")


class Gateway(LiftProcess):
    """`lift gateway ARGS` on a free port; waits (bounded) for its banner."""

    def __init__(self, *args, env=None, cwd=None):
        super().__init__([LIFT, "gateway", "--port", "0", *args], env=env, cwd=cwd)

    def url(self, query=""):
        return super().url() + query


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


class GatewayCommandTest(unittest.TestCase):
    def test_routes_from_flags_echo_failures_and_shutdown(self):
        g = Gateway("--route", f"$default={FAKE}", "--route", f"$connect={FAKE}",
                    "--two-way", "$default", "--timeout", "1")
        try:
            banner = "".join(g.banner)
            self.assertIn("$default      -> fake_bootstrap", banner)
            self.assertIn("two-way", banner)

            async def scenario():
                async with websockets.connect(g.url()) as c:
                    await c.send("hello")
                    self.assertEqual(await c.recv(), "hello")
                    await c.send(json.dumps({"cmd": "error"}))
                    frame = json.loads(await c.recv())
                    self.assertEqual(frame["message"], "Internal server error")
                    await c.send(json.dumps({"cmd": "hang"}))
                    frame = json.loads(await c.recv())
                    self.assertEqual(frame["message"], "Internal server error")
                    await c.send("still open")
                    self.assertEqual(await c.recv(), "still open")
                with self.assertRaises(websockets.exceptions.InvalidStatusCode) as e:
                    await websockets.connect(g.url("?cmd=crash"))
                self.assertEqual(e.exception.status_code, 502)

            run(scenario())
        finally:
            self.assertEqual(g.stop(), 0)
        err = g.stderr()
        g.close()
        self.assertIn("function fake_bootstrap", err)
        self.assertIn("timed out after 1.00 seconds", err)
        self.assertRegex(err, r"cold starts")

    def test_same_path_is_one_function(self):
        g = Gateway("--route", f"$default={FAKE}", "--route", f"ping={FAKE}",
                    "--two-way", "$default", "--two-way", "ping")
        try:
            async def scenario():
                async with websockets.connect(g.url()) as c:
                    await c.send(json.dumps({"cmd": "pid"}))
                    a = await c.recv()
                    await c.send(json.dumps({"action": "ping", "cmd": "pid"}))
                    b = await c.recv()
                    self.assertEqual(a, b, "both routes share the warm instance")

            run(scenario())
        finally:
            g.stop()
        err = g.stderr()
        g.close()
        self.assertEqual(err.count("cold start #"), 1, err)

    def test_bad_arguments(self):
        r = subprocess.run([LIFT, "gateway", "--port", "0"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--route", r.stderr)
        r = subprocess.run([LIFT, "gateway", "--route", "nonsense"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("ROUTE=path/to/bootstrap", r.stderr)


class InvokeCommandTest(unittest.TestCase):
    def invoke(self, event, *extra):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(event, f)
        try:
            return subprocess.run([LIFT, "invoke", "--event", f.name, *extra], capture_output=True,
                                  text=True, timeout=30)
        finally:
            os.unlink(f.name)

    def test_prints_the_response(self):
        r = self.invoke({"cmd": "status", "status": 201}, FAKE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"statusCode": 201})

    def test_function_error_exits_non_zero_with_the_error_json(self):
        r = self.invoke({"cmd": "error"}, FAKE)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["errorType"], "TestError")
        self.assertIn("failed (TestError)", r.stderr)

    def test_timeout(self):
        r = self.invoke({"cmd": "hang"}, "--timeout", "1", FAKE)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Task timed out after 1.00 seconds", json.loads(r.stdout)["errorMessage"])



def lift_event(*args):
    return json.loads(subprocess.run([LIFT, "event", *args], capture_output=True, text=True,
                                     timeout=10, check=True).stdout)


# The caller's credentials are what the functions get; the Lift app's @connections client wants
# some (a local endpoint accepts any).
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local"}

if ECHO:  # registered by CMake only when example-echo is built; never skipped
    class ExampleEchoBootstrapTest(unittest.TestCase):
        """example-echo, a C++ Lift app, as an unchanged Lambda bootstrap."""

        def test_invoke_connect_events(self):
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(lift_event("connect", "--query", "deny=1"), f)
            try:
                r = subprocess.run([LIFT, "invoke", "--event", f.name, ECHO],
                                   capture_output=True, text=True, timeout=30,
                                   env=dict(os.environ, **DUMMY_CREDENTIALS))
            finally:
                os.unlink(f.name)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(json.loads(r.stdout.strip().splitlines()[-1])["statusCode"], 401)

        def test_behind_lift_gateway(self):
            g = Gateway("--route", f"$connect={ECHO}", "--route", f"ping={ECHO}",
                        "--two-way", "ping", env=DUMMY_CREDENTIALS)
            try:
                async def scenario():
                    with self.assertRaises(websockets.exceptions.InvalidStatusCode) as e:
                        await websockets.connect(g.url("?deny=1"))
                    self.assertEqual(e.exception.status_code, 401)
                    async with websockets.connect(g.url()) as c:
                        for _ in range(3):
                            await c.send(json.dumps({"action": "ping"}))
                            self.assertEqual(json.loads(await c.recv()), {"pong": True})

                run(scenario())
            finally:
                g.stop()
            err = g.stderr()
            g.close()
            self.assertEqual(err.count("cold start #"), 1, err)

        def test_from_a_sam_template(self):
            """`lift gateway --template`: the WebSocket API of a SAM template, run locally."""
            with tempfile.TemporaryDirectory() as root:
                code = os.path.join(root, "build", "echo")
                os.makedirs(code)
                os.symlink(ECHO, os.path.join(code, "bootstrap"))
                template = os.path.join(root, "template.yaml")
                with open(template, "w") as f:
                    f.write(TEMPLATE)
                g = Gateway("--template", template, env=DUMMY_CREDENTIALS)
                try:
                    banner = "".join(g.banner)
                    self.assertIn("ping", banner)
                    self.assertIn("two-way", banner)

                    async def scenario():
                        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as e:
                            await websockets.connect(g.url("?deny=1"))
                        self.assertEqual(e.exception.status_code, 401)
                        async with websockets.connect(g.url()) as c:
                            await c.send(json.dumps({"action": "ping"}))
                            self.assertEqual(json.loads(await c.recv()), {"pong": True})
                            await c.send("hello template")  # $default echoes
                            self.assertEqual(await c.recv(), "hello template")

                    run(scenario())
                finally:
                    g.stop()
                err = g.stderr()
                g.close()
                self.assertIn("function EchoFunction", err)


AUTHORIZER = os.environ.get("LIFT_AUTHORIZER_BIN", "")

AUTHORIZER_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: authz
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  TokenAuthorizer:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: token
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFunction.Arn}/invocations
      IdentitySource:
        - route.request.querystring.token
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $connect
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuthorizer
      Target: !Sub integrations/${AppIntegration}
  DefaultRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $default
      Target: !Sub integrations/${AppIntegration}
  DefaultResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref Api
      RouteId: !Ref DefaultRoute
      RouteResponseKey: $default
  AppIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AppFunction.Arn}/invocations
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: build/app
      Handler: bootstrap
      Runtime: provided.al2023
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: build/auth
      Handler: bootstrap
      Runtime: provided.al2023
      Environment:
        Variables:
          LIFT_AUTHORIZER_TOKEN: t3mplate-secret
"""


if AUTHORIZER:  # registered by CMake when example-authorizer is built
    class AuthorizerTest(unittest.TestCase):
        """`lift gateway` with example-authorizer on $connect (flags and template) and the Origin
        allowlist."""

        def status_of(self, url, **kwargs):
            return run(handshake_status(url, **kwargs))

        def test_authorizer_and_origin_flags(self):
            g = Gateway("--route", f"$connect={FAKE}", "--route", f"$default={FAKE}",
                        "--two-way", "$default", "--authorizer", AUTHORIZER,
                        "--identity-source", "route.request.querystring.token",
                        "--env", "LIFT_AUTHORIZER_TOKEN=s3cret-value",
                        "--allowed-origin", "https://app.example.com",
                        "--allowed-origin", "http://localhost:5173")
            try:
                banner = "".join(g.banner)
                self.assertIn("Authorizer:   example-authorizer on $connect", banner)
                self.assertIn("route.request.querystring.token", banner)
                self.assertIn("Origins:      https://app.example.com, http://localhost:5173",
                              banner)
                self.assertEqual(self.status_of(g.url()), 401)
                self.assertEqual(self.status_of(g.url("?token=wrong-guess-value")), 403)
                self.assertEqual(self.status_of(g.url("?token=s3cret-value"),
                                                origin="https://evil.example.com"), 403)
                self.assertEqual(self.status_of(g.url("?token=s3cret-value"),
                                                origin="http://localhost:5173"), 101)

                async def scenario():
                    async with websockets.connect(g.url("?token=s3cret-value&user=frank"),
                                                  origin="https://app.example.com") as c:
                        await c.send(json.dumps({"cmd": "event"}))
                        event = json.loads(await c.recv())
                        self.assertEqual(event["requestContext"]["authorizer"],
                                         {"principalId": "frank", "role": "member",
                                          "authorizedBy": "example-authorizer"})

                run(scenario())
            finally:
                g.stop()
            err = g.stderr()
            g.close()
            self.assertIn("refused (401): identity source route.request.querystring.token", err)
            self.assertIn("refused (403)", err)
            # Tokens are never logged, right or wrong.
            self.assertNotIn("s3cret-value", err)
            self.assertNotIn("wrong-guess-value", err)

        def test_local_event_on_stdin(self):
            """Without AWS_LAMBDA_RUNTIME_API, run_authorizer answers one event from stdin."""
            event = json.loads(subprocess.run(
                [LIFT, "event", "connect", "--query", "token=abc", "--query", "user=gina"],
                capture_output=True, text=True, timeout=20, check=True).stdout)
            event["type"] = "REQUEST"
            event["methodArn"] = "arn:aws:execute-api:us-east-1:123456789012:a1/dev/$connect"
            env = dict(os.environ, LIFT_AUTHORIZER_TOKEN="abc")
            env.pop("AWS_LAMBDA_RUNTIME_API", None)

            def answer(ev, **kw):
                r = subprocess.run([AUTHORIZER], input=json.dumps(ev), capture_output=True,
                                   text=True, timeout=20, env=kw.get("env", env))
                return r.returncode, json.loads(r.stdout), r.stderr

            code, out, _ = answer(event)
            self.assertEqual(code, 0)
            self.assertEqual(out, {
                "principalId": "gina",
                "policyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Action": "execute-api:Invoke", "Effect": "Allow",
                    "Resource": event["methodArn"]}]},
                "context": {"role": "member", "authorizedBy": "example-authorizer"}})
            code, out, _ = answer(event, env=dict(env, LIFT_AUTHORIZER_TOKEN="other"))
            self.assertEqual(code, 0)
            self.assertEqual(out["policyDocument"]["Statement"][0]["Effect"], "Deny")
            del event["queryStringParameters"]["token"]
            del event["multiValueQueryStringParameters"]["token"]
            code, out, err = answer(event)
            self.assertEqual(code, 1)
            self.assertEqual(out["errorMessage"], "Unauthorized")
            code, out, err = answer({"not": "an authorizer event"})
            self.assertEqual(code, 1)
            self.assertEqual(out["errorType"], "Runtime.InvalidEvent")

        def test_bad_identity_source_and_origin(self):
            r = subprocess.run([LIFT, "gateway", "--port", "0", "--route", f"$default={FAKE}",
                                "--authorizer", AUTHORIZER, "--identity-source",
                                "route.request.body.token"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("route.request.body.token", r.stderr)
            r = subprocess.run([LIFT, "gateway", "--port", "0", "--route", f"$default={FAKE}",
                                "--identity-source", "route.request.querystring.token"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, r.stderr)
            r = subprocess.run([LIFT, "gateway", "--port", "0", "--route", f"$default={FAKE}",
                                "--allowed-origin", "https://app.example.com/"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("https://app.example.com/", r.stderr)

        def test_authorizer_from_a_template(self):
            with tempfile.TemporaryDirectory() as root:
                for name, target in (("app", FAKE), ("auth", AUTHORIZER)):
                    os.makedirs(os.path.join(root, "build", name))
                    os.symlink(os.path.abspath(target),
                               os.path.join(root, "build", name, "bootstrap"))
                template = os.path.join(root, "template.yaml")
                with open(template, "w") as f:
                    f.write(AUTHORIZER_TEMPLATE)
                g = Gateway("--template", template,
                            env={"LIFT_ALLOWED_ORIGINS": "https://a.example, https://b.example"})
                try:
                    banner = "".join(g.banner)
                    self.assertIn("Authorizer:   AuthFunction on $connect", banner)
                    self.assertIn("Origins:      https://a.example, https://b.example", banner)
                    self.assertEqual(self.status_of(g.url()), 401)
                    self.assertEqual(self.status_of(g.url("?token=nope")), 403)
                    self.assertEqual(self.status_of(g.url("?token=t3mplate-secret"),
                                                    origin="https://c.example"), 403)

                    async def scenario():
                        async with websockets.connect(g.url("?token=t3mplate-secret"),
                                                      origin="https://b.example") as c:
                            await c.send(json.dumps({"cmd": "event"}))
                            event = json.loads(await c.recv())
                            self.assertEqual(
                                event["requestContext"]["authorizer"]["principalId"],
                                "lift-user")

                    run(scenario())
                finally:
                    g.stop()
                g.close()


if ECHO_BOOTSTRAP:  # registered by CMake only when the packaged bootstrap is built
    class PackagedBootstrapTest(unittest.TestCase):
        """The packaged bootstrap of example-echo behind `lift gateway`, given by a relative path
        (instances start in their own directory, so the gateway must resolve it first)."""

        def test_packaged_bootstrap_by_relative_path(self):
            root = os.path.dirname(os.path.dirname(ECHO_BOOTSTRAP))
            rel = os.path.relpath(ECHO_BOOTSTRAP, root)
            g = Gateway("--route", f"$connect={rel}", "--route", f"$default={rel}",
                        "--route", f"ping={rel}", "--two-way", "ping", env=DUMMY_CREDENTIALS,
                        cwd=root)
            try:
                async def scenario():
                    async with websockets.connect(g.url()) as c:
                        await c.send(json.dumps({"action": "ping"}))
                        self.assertEqual(json.loads(await c.recv()), {"pong": True})
                        await c.send("via @connections")  # $default echoes with ctx.send
                        self.assertEqual(await c.recv(), "via @connections")

                run(scenario())
            finally:
                g.stop()
            err = g.stderr()
            g.close()
            self.assertEqual(err.count("cold start #"), 1, err)


# A small SAM template of our own: example-echo as a provided.al2023 function behind a
# WebSocket API with $connect, $disconnect, $default and a two-way `ping` route.
TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName: {Type: String, Default: dev}
Globals:
  Function:
    Timeout: 5
Resources:
  EchoApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: echo
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: "$request.body.action"
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: build/echo/
      Handler: bootstrap
      Runtime: provided.al2023
      MemorySize: 256
  EchoIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref EchoApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${EchoFunction.Arn}/invocations
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref EchoApi, RouteKey: $connect, Target: !Sub 'integrations/${EchoIntegration}'}
  DisconnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref EchoApi, RouteKey: $disconnect, Target: !Sub 'integrations/${EchoIntegration}'}
  DefaultRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref EchoApi
      RouteKey: $default
      Target: !Join ['/', [integrations, !Ref EchoIntegration]]
  PingRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref EchoApi
      RouteKey: ping
      RouteResponseSelectionExpression: $default
      Target: !Sub 'integrations/${EchoIntegration}'
  PingRouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref EchoApi, RouteId: !Ref PingRoute, RouteResponseKey: $default}
"""


if __name__ == "__main__":
    unittest.main()
