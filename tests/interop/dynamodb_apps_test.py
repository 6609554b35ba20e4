"""example-echo and example-chat, unchanged, on the DynamoDB connection store.

For each of two DynamoDB implementations we did not write (moto_server and dynalite, started
here on free loopback ports), `lift table create` makes the table, the example runs with
LIFT_CONNECTION_STORE=dynamodb, Node `ws` clients talk to it, and boto3 reads the table to see
the records appear, change and disappear.
"""

import json
import os
import subprocess
import sys
import time
import unittest

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

from aws_servers import ServerError, local_env, start_dynalite, start_moto_server  # noqa: E402
from interop_harness import Gateway, Listener, bin_from_env  # noqa: E402

LIFT = os.environ.get("LIFT_BIN")
ECHO = bin_from_env("LIFT_ECHO_BIN", "example-echo")
CHAT = bin_from_env("LIFT_CHAT_BIN", "example-chat")


def eventually(predicate, timeout=10.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class AppsOnDynamoDB:
    """Mixed into one TestCase per server; subclasses set start_server and table_flags."""

    start_server = None
    table_flags = ()

    @classmethod
    def setUpClass(cls):
        if not LIFT:
            raise RuntimeError("LIFT_BIN is not set (ctest sets it to the lift tool)")
        try:
            cls.server = cls.start_server()
        except ServerError as err:
            raise AssertionError(str(err)) from None
        cls.env = local_env(AWS_ENDPOINT_URL_DYNAMODB=cls.server.endpoint)
        cls.ddb = boto3.client("dynamodb", endpoint_url=cls.server.endpoint,
                               region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                               aws_secret_access_key="secret")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def make_table(self, name):
        run = subprocess.run([LIFT, "table", "create", "--name", name, *self.table_flags],
                             env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def records(self, table):
        items = []
        kwargs = {"TableName": table}
        while True:
            page = self.ddb.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return {i["connectionId"]["S"]: i for i in items}
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def app(self, binary, table):
        return Gateway(binary, ["--connection-store", "dynamodb", "--dynamodb-table", table],
                       env=self.env)

    def test_echo_broadcasts_to_connections_stored_in_dynamodb(self):
        table = "echo-conns"
        self.make_table(table)
        with self.app(ECHO, table) as gw:
            self.assertIn(f"DynamoDB store: table {table}", gw.output())
            with Listener(gw.ws_url) as a, Listener(gw.ws_url) as b:
                rows = eventually(lambda: (r := self.records(table)) and len(r) == 2 and r,
                                  what="two connection records")
                self.assertEqual(set(rows), {a.connection_id, b.connection_id})
                for row in rows.values():
                    self.assertEqual(row["sk"], {"S": "META"})
                    self.assertIn("N", row["ttl"])
                    self.assertGreater(int(row["ttl"]["N"]), time.time() + 7000)
                    self.assertEqual(row["stage"], {"S": "dev"})
                a.send(json.dumps({"action": "broadcast", "data": "hello from a"}))
                b.expect_frame("hello from a")
                a.expect_frame("hello from a")
                b.stop()
                eventually(lambda: set(self.records(table)) == {a.connection_id},
                           what="b's record to be removed on $disconnect")

    def test_chat_rooms_live_in_dynamodb(self):
        table = "chat-conns"
        self.make_table(table)
        with self.app(CHAT, table) as gw:
            with Listener(gw.ws_url + "?name=ann&room=r1", inspect=False) as ann, \
                    Listener(gw.ws_url + "?name=bob&room=lobby", inspect=False) as bob:
                eventually(lambda: len(self.records(table)) == 2, what="two chat records")
                bob.send(json.dumps({"action": "join", "room": "r1"}))
                ann.expect_json(lambda m: m.get("type") == "joined" and m.get("name") == "bob",
                                what="bob joining r1")
                rows = eventually(
                    lambda: [r for r in self.records(table).values()
                             if r["metadata"]["M"]["name"]["S"] == "bob"
                             and r["metadata"]["M"]["rooms"]["S"] == "lobby,r1"],
                    what="bob's rooms saved in the table")
                self.assertEqual(rows[0]["gsi1pk"], {"S": "USER#bob"})
                ann.send(json.dumps({"action": "send", "room": "r1", "text": "hi bob"}))
                bob.expect_json(lambda m: m.get("type") == "message" and m.get("text") == "hi bob",
                                what="ann's message")
                bob.send(json.dumps({"action": "who", "room": "r1"}))
                who = bob.expect_json(lambda m: m.get("type") == "who", what="who")
                self.assertEqual(sorted(who["members"]), ["ann", "bob"])
                ann.stop()
                bob.expect_json(lambda m: m.get("type") == "left" and m.get("name") == "ann",
                                what="ann leaving")
                eventually(lambda: len(self.records(table)) == 1, what="ann's record removed")


class MotoServer(AppsOnDynamoDB, unittest.TestCase):
    start_server = staticmethod(start_moto_server)


class Dynalite(AppsOnDynamoDB, unittest.TestCase):
    start_server = staticmethod(start_dynalite)
    table_flags = ("--allow-no-ttl",)  # dynalite has no UpdateTimeToLive


if __name__ == "__main__":
    unittest.main()
