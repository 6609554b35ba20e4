"""Interop: items written by lift::aws::dynamodb_store, read back by clients we did not write.

For moto_server and for dynalite (both started here on free loopback ports): `lift table create`
makes the table, tests/integration/store_writer.cpp writes records through dynamodb_store, then
boto3 (GetItem, Query on the table key, gsi1 and gsi2, Scan of each index) and the AWS CLI
(`aws dynamodb get-item` / `query`) must see every attribute exactly as documented in
include/lift/aws/dynamodb_store.hpp, with its DynamoDB type (ttl N, connectedAt N, ...).

    LIFT_BIN=build/bin/lift LIFT_STORE_WRITER=build/bin/store_writer \
        python3 tests/interop/store_readback_test.py -v
"""

import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from aws_servers import ServerError, local_env, start_dynalite, start_moto_server  # noqa: E402

try:
    import boto3
    from botocore.config import Config
except ImportError:  # a missing client is a broken setup, not a skip
    sys.exit(f"store_readback_test: `import boto3` failed under {sys.executable}")

LIFT = os.environ.get("LIFT_BIN", "lift")
WRITER = os.environ.get("LIFT_STORE_WRITER", "store_writer")
TABLE = "lift-readback"
COUNT = 30
DEFAULT_TTL = 2 * 3600 + 600  # lift::default_record_ttl_seconds


def expected_item(i, start_ms):
    """The item store_writer's record i must be stored as (see store_writer.cpp)."""
    cid = f"w{i:03d}-AbC="
    connected_at = start_ms + i
    identity = {}
    item = {
        "pk": {"S": f"CONN#{cid}"},
        "sk": {"S": "META"},
        "ttl": {"N": str(connected_at // 1000 + DEFAULT_TTL)},
        "connectionId": {"S": cid},
        "connectedAt": {"N": str(connected_at)},
        "sourceIp": {"S": f"192.0.2.{i % 250}"},
        "userAgent": {"S": "store-writer/1.0"},
        "stage": {"S": "dev"},
        "domainName": {"S": "localhost"},
        "metadata": {"M": {"room": {"S": f"room-{i % 4}"}, "index": {"S": str(i)}}},
    }
    if i % 3 != 0:
        identity["subject"] = {"S": f"user-{i % 3}"}
        item["gsi1pk"] = {"S": f"USER#user-{i % 3}"}
        item["gsi1sk"] = {"S": f"CONN#{cid}"}
    if i % 2 == 0:
        identity["tenant"] = {"S": "tenant-a"}
        item["gsi2pk"] = {"S": "TENANT#tenant-a"}
        item["gsi2sk"] = {"S": f"CONN#{cid}"}
    identity["roles"] = {"L": [{"S": "role-x"}, {"S": f"role-{i}"}]}
    identity["claims"] = {"M": {
        "email": {"S": f"u{i}@example.com"},
        "n": {"N": str(i)},
        "admin": {"BOOL": i % 2 == 0},
        "nested": {"M": {"k": {"S": "v"}}},
    }}
    item["identity"] = {"M": identity}
    return item


class ReadbackBase:
    """Mixed into one TestCase per server; subclasses set start_server/create_flags."""

    start_server = None
    create_flags = ()

    @classmethod
    def setUpClass(cls):
        try:
            cls.server = cls.start_server()
        except ServerError as e:
            raise AssertionError(str(e)) from e
        try:
            cls.endpoint = cls.server.endpoint
            r = subprocess.run([LIFT, "table", "create", "--name", TABLE, "--endpoint",
                                cls.endpoint, *cls.create_flags],
                               capture_output=True, text=True, timeout=60, env=local_env())
            assert r.returncode == 0, f"lift table create failed:\n{r.stdout}{r.stderr}"
            cls.create_output = r.stdout
            w = subprocess.run([WRITER, "--endpoint", cls.endpoint, "--table", TABLE,
                                "--count", str(COUNT)],
                               capture_output=True, text=True, timeout=60, env=local_env())
            assert w.returncode == 0, f"store_writer failed:\n{w.stdout}{w.stderr}"
            assert f"wrote {COUNT} records to {TABLE}" in w.stdout, w.stdout
            cls.start_ms = int(w.stdout.split("start_ms=")[1].split()[0])
            cls.expected = {f"w{i:03d}-AbC=": expected_item(i, cls.start_ms) for i in range(COUNT)}
            cls.ddb = boto3.client(
                "dynamodb", endpoint_url=cls.endpoint, region_name="us-east-1",
                aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x",
                config=Config(connect_timeout=5, read_timeout=15,
                              retries={"mode": "standard", "max_attempts": 1}))
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    # --- helpers ---------------------------------------------------------------------------

    def query_all(self, **kwargs):
        items, start, pages = [], None, 0
        while pages < 100:
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self.ddb.query(TableName=TABLE, **kwargs)
            items += page["Items"]
            pages += 1
            start = page.get("LastEvaluatedKey")
            if not start:
                return items
        self.fail("query did not finish within 100 pages")

    def expected_where(self, pred):
        return {cid: item for cid, item in self.expected.items() if pred(item)}

    def aws_cli(self, *args):
        aws = shutil.which("aws")
        self.assertIsNotNone(aws, "the AWS CLI (`aws`) is not on PATH")
        r = subprocess.run([aws, "dynamodb", *args, "--endpoint-url", self.endpoint,
                            "--output", "json"],
                           capture_output=True, text=True, timeout=60, env=local_env())
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    # --- boto3 -----------------------------------------------------------------------------

    def test_boto3_get_item_sees_every_attribute_with_its_type(self):
        for cid, want in self.expected.items():
            got = self.ddb.get_item(TableName=TABLE, ConsistentRead=True,
                                    Key={"pk": {"S": f"CONN#{cid}"}, "sk": {"S": "META"}})
            self.assertIn("Item", got, cid)
            self.assertEqual(got["Item"], want, cid)

    def test_boto3_query_on_the_table_key(self):
        items = self.query_all(KeyConditionExpression="pk = :pk AND sk = :sk",
                               ExpressionAttributeValues={":pk": {"S": "CONN#w004-AbC="},
                                                          ":sk": {"S": "META"}})
        self.assertEqual(items, [self.expected["w004-AbC="]])

    def test_boto3_query_gsi1_by_user_every_page(self):
        for user in ("user-1", "user-2"):
            items = self.query_all(IndexName="gsi1", Limit=4,  # several pages
                                   KeyConditionExpression="gsi1pk = :u",
                                   ExpressionAttributeValues={":u": {"S": f"USER#{user}"}})
            want = self.expected_where(lambda it: it.get("gsi1pk", {}).get("S") == f"USER#{user}")
            self.assertEqual(len(want), COUNT // 3)
            self.assertEqual({it["connectionId"]["S"]: it for it in items}, want)
        # Anonymous records (i % 3 == 0) are in no user partition: the index holds only the rest.
        scanned = self.ddb.scan(TableName=TABLE, IndexName="gsi1", Select="COUNT")
        self.assertEqual(scanned["Count"], COUNT - COUNT // 3)

    def test_boto3_query_gsi2_by_tenant(self):
        items = self.query_all(IndexName="gsi2", KeyConditionExpression="gsi2pk = :t",
                               ExpressionAttributeValues={":t": {"S": "TENANT#tenant-a"}})
        want = self.expected_where(lambda it: "gsi2pk" in it)
        self.assertEqual(len(want), COUNT // 2)
        self.assertEqual({it["connectionId"]["S"]: it for it in items}, want)
        scanned = self.ddb.scan(TableName=TABLE, IndexName="gsi2", Select="COUNT")
        self.assertEqual(scanned["Count"], COUNT // 2)

    def test_boto3_ttl_filter_as_the_store_uses_it(self):
        # The store's read filter, written by hand: nothing is expired now, all is at ttl.
        now_s = self.start_ms // 1000
        live = self.query_all(IndexName="gsi1", KeyConditionExpression="gsi1pk = :u",
                              FilterExpression="#ttl > :now",
                              ExpressionAttributeNames={"#ttl": "ttl"},
                              ExpressionAttributeValues={":u": {"S": "USER#user-1"},
                                                         ":now": {"N": str(now_s)}})
        self.assertEqual(len(live), COUNT // 3)
        later = str(now_s + DEFAULT_TTL + 1)
        dead = self.query_all(IndexName="gsi1", KeyConditionExpression="gsi1pk = :u",
                              FilterExpression="#ttl > :now",
                              ExpressionAttributeNames={"#ttl": "ttl"},
                              ExpressionAttributeValues={":u": {"S": "USER#user-1"},
                                                         ":now": {"N": later}})
        self.assertEqual(dead, [])

    # --- AWS CLI ---------------------------------------------------------------------------

    def test_aws_cli_get_item(self):
        out = self.aws_cli("get-item", "--table-name", TABLE, "--consistent-read", "--key",
                           json.dumps({"pk": {"S": "CONN#w005-AbC="}, "sk": {"S": "META"}}))
        self.assertEqual(out["Item"], self.expected["w005-AbC="])

    def test_aws_cli_query_table_key_and_both_indexes(self):
        out = self.aws_cli("query", "--table-name", TABLE,
                           "--key-condition-expression", "pk = :pk",
                           "--expression-attribute-values",
                           json.dumps({":pk": {"S": "CONN#w000-AbC="}}))
        self.assertEqual(out["Items"], [self.expected["w000-AbC="]])

        # The CLI pages by itself (--page-size makes it take several pages).
        out = self.aws_cli("query", "--table-name", TABLE, "--index-name", "gsi1",
                           "--key-condition-expression", "gsi1pk = :u",
                           "--expression-attribute-values",
                           json.dumps({":u": {"S": "USER#user-2"}}), "--page-size", "3")
        want = self.expected_where(lambda it: it.get("gsi1pk", {}).get("S") == "USER#user-2")
        self.assertEqual({it["connectionId"]["S"]: it for it in out["Items"]}, want)

        out = self.aws_cli("query", "--table-name", TABLE, "--index-name", "gsi2",
                           "--key-condition-expression", "gsi2pk = :t",
                           "--expression-attribute-values",
                           json.dumps({":t": {"S": "TENANT#tenant-a"}}))
        want = self.expected_where(lambda it: "gsi2pk" in it)
        self.assertEqual({it["connectionId"]["S"]: it for it in out["Items"]}, want)


class MotoReadbackTest(ReadbackBase, unittest.TestCase):
    start_server = staticmethod(start_moto_server)

    def test_table_was_created_with_ttl(self):
        self.assertIn("TTL on attribute ttl enabled", self.create_output)
        ttl = self.ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
        self.assertEqual((ttl["TimeToLiveStatus"], ttl["AttributeName"]), ("ENABLED", "ttl"))


class DynaliteReadbackTest(ReadbackBase, unittest.TestCase):
    start_server = staticmethod(start_dynalite)
    create_flags = ("--allow-no-ttl",)  # dynalite has no UpdateTimeToLive


if __name__ == "__main__":
    unittest.main()
