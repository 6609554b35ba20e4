#!/usr/bin/python3
"""A Lambda custom-runtime `bootstrap` for tests: a small Runtime API client (not a real
runtime) that behaves on command, so that function_host / `lift gateway` can be tested against
every good and bad behaviour.

Start-up behaviour, from the environment variable FAKE_STARTUP:
  (unset)     poll /next forever
  exit        exit 3 at once
  never-poll  sleep without ever polling
  init-error  POST /runtime/init/error, then exit 1

Per invocation, the command is `cmd` from (in order) the top-level event, the JSON message
body, or the $connect query string; default `echo` (messages) / `ok` (connect, disconnect):
  echo       {"statusCode":200,"body":<message body>}
  event      {"statusCode":200,"body":<the whole event as JSON>}
  ok         {"statusCode":200}
  status     {"statusCode":<status>}
  pid        body = this process id
  sleep      sleep `ms` milliseconds, then like pid
  hang       never answer
  crash      exit 1 mid-invocation
  error      POST /error (errorType TestError)
  garbage    POST /response with a body that is not JSON
  wrongid    POST /response for another request id (400), then exit 2 as aws-lambda-cpp does
             when a post fails
  big        POST a 6291557-byte response (413 expected), then go on polling
  probe      check the Runtime API (headers, 403/400 cases, environment) and answer the
             findings as JSON
"""
import http.client
import json
import os
import socket
import sys
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
HOST, PORT = API.rsplit(":", 1)
BASE = "/2018-06-01/runtime"
conn = http.client.HTTPConnection(HOST, int(PORT))


def request(method, path, body=None, headers=None, c=None):
    c = c or conn
    c.request(method, BASE + path, body=body, headers=headers or {})
    r = c.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def command(event):
    if isinstance(event, dict):
        if "cmd" in event:
            return event["cmd"], event
        body = event.get("body")
        if isinstance(body, str):
            try:
                msg = json.loads(body)
                if isinstance(msg, dict) and "cmd" in msg:
                    return msg["cmd"], msg
            except ValueError:
                pass
            return "echo", {}
        query = event.get("queryStringParameters") or {}
        if "cmd" in query:
            return query["cmd"], query
    return "ok", {}


def probe(request_id, headers, previous_id):
    out = {"headers": {k.lower(): v for k, v in headers.items()}, "cwd": os.getcwd()}
    out["env"] = {k: v for k, v in os.environ.items()
                  if k.startswith(("AWS_", "LAMBDA_", "_", "FAKE_", "TZ", "LANG", "PATH"))}
    # /next while this invocation has no answer yet: a state error.
    c = http.client.HTTPConnection(HOST, int(PORT), timeout=5)
    try:
        st, _, body = request("GET", "/invocation/next", c=c)
        out["next_while_busy"] = [st, json.loads(body or b"{}")]
    except (OSError, ValueError) as e:
        out["next_while_busy"] = [0, str(e)]
    c.close()
    st, _, body = request("POST", "/invocation/not-a-request-id/response", b"{}")
    out["wrong_id"] = [st, json.loads(body or b"{}")]
    if previous_id:
        st, _, body = request("POST", "/invocation/%s/response" % previous_id, b"{}")
        out["previous_id"] = [st, json.loads(body or b"{}")]
    st, _, body = request("GET", "/no/such/thing")
    out["unknown_path"] = st
    s = socket.create_connection((HOST, int(PORT)), timeout=5)
    s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
    try:
        out["garbage_http"] = s.recv(64).decode("latin-1")
    except OSError as e:
        out["garbage_http"] = str(e)
    s.close()
    return out


def main():
    startup = os.environ.get("FAKE_STARTUP", "")
    if startup == "exit":
        sys.exit(3)
    if startup == "never-poll":
        time.sleep(3600)
    if startup == "init-error":
        request("POST", "/init/error",
                json.dumps({"errorMessage": "cannot load config", "errorType": "Runtime.ConfigInvalid"}),
                {"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigInvalid"})
        sys.exit(1)
    previous_id = None
    for _ in range(100000):
        status, headers, body = request("GET", "/invocation/next")
        if status != 200:
            sys.exit(4)
        rid = headers.get("Lambda-Runtime-Aws-Request-Id")
        event = json.loads(body)
        cmd, args = command(event)
        path = "/invocation/%s/response" % rid
        if cmd in ("echo",):
            reply = {"statusCode": 200, "body": event.get("body", "")}
        elif cmd == "event":
            reply = {"statusCode": 200, "body": json.dumps(event)}
        elif cmd == "ok":
            reply = {"statusCode": 200}
        elif cmd == "status":
            reply = {"statusCode": int(args.get("status", 200))}
        elif cmd in ("pid", "sleep"):
            if cmd == "sleep":
                time.sleep(int(args.get("ms", 100)) / 1000.0)
            reply = {"statusCode": 200, "body": str(os.getpid())}
        elif cmd == "hang":
            time.sleep(3600)
        elif cmd == "crash":
            os._exit(1)
        elif cmd == "error":
            request("POST", "/invocation/%s/error" % rid,
                    json.dumps({"errorMessage": "boom", "errorType": "TestError", "stackTrace": []}),
                    {"Lambda-Runtime-Function-Error-Type": "TestError"})
            previous_id = rid
            continue
        elif cmd == "garbage":
            request("POST", path, b"this is not json {")
            previous_id = rid
            continue
        elif cmd == "wrongid":
            st, _, _ = request("POST", "/invocation/%s-x/response" % rid, b"{}")
            sys.exit(2 if st == 400 else 5)
        elif cmd == "big":
            st, _, _ = request("POST", path, b"x" * (6 * 1024 * 1024 + 101))
            previous_id = rid
            if st != 413:
                sys.exit(6)
            continue
        elif cmd == "probe":
            reply = probe(rid, headers, previous_id)
        else:
            reply = {"statusCode": 200, "body": "unknown cmd " + str(cmd)}
        request("POST", path, json.dumps(reply), {"Content-Type": "application/json"})
        previous_id = rid


if __name__ == "__main__":
    main()
