"""`lift table create|describe` run as a user would, against moto_server and dynalite started
here on free loopback ports; boto3 confirms what the table really looks like.

    LIFT_BIN=build/bin/lift python3 tests/tool/table_command_test.py -v
"""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from aws_servers import ServerError, local_env, start_dynalite, start_moto_server  # noqa: E402

try:
    import boto3
except ImportError:  # a missing client is a broken setup, not a skip
    sys.exit(f"table_command_test: `import boto3` failed under {sys.executable}")

LIFT = os.environ.get("LIFT_BIN", "lift")


def lift(*args, env=None, timeout=60):
    return subprocess.run([LIFT, *args], capture_output=True, text=True, timeout=timeout,
                          env=env if env is not None else local_env())


def ddb(endpoint):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")


class TableCommandMotoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            cls.moto = start_moto_server()
        except ServerError as e:
            raise AssertionError(str(e)) from e

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def test_create_then_describe_then_create_again(self):
        ep = self.moto.endpoint
        r = lift("table", "create", "--name", "conns", "--endpoint", ep)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        self.assertIn(f"creating table conns at {ep} ...", r.stdout)
        self.assertIn("table conns created: ACTIVE, billing PAY_PER_REQUEST, key (pk, sk), "
                      "indexes gsi1 (gsi1pk, gsi1sk), gsi2 (gsi2pk, gsi2sk)", r.stdout)
        self.assertIn("ACTIVE; TTL on attribute ttl enabled", r.stdout)

        d = ddb(ep).describe_table(TableName="conns")["Table"]
        self.assertEqual(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual({(k["AttributeName"], k["KeyType"]) for k in d["KeySchema"]},
                         {("pk", "HASH"), ("sk", "RANGE")})
        gsis = {g["IndexName"]: g for g in d["GlobalSecondaryIndexes"]}
        self.assertEqual(set(gsis), {"gsi1", "gsi2"})
        for name in ("gsi1", "gsi2"):
            self.assertEqual({(k["AttributeName"], k["KeyType"]) for k in gsis[name]["KeySchema"]},
                             {(name + "pk", "HASH"), (name + "sk", "RANGE")})
            self.assertEqual(gsis[name]["Projection"]["ProjectionType"], "ALL")
        ttl = ddb(ep).describe_time_to_live(TableName="conns")["TimeToLiveDescription"]
        self.assertEqual(ttl["TimeToLiveStatus"], "ENABLED")
        self.assertEqual(ttl["AttributeName"], "ttl")

        r = lift("table", "describe", "--name", "conns", "--endpoint", ep)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"status:\s+ACTIVE")
        self.assertRegex(r.stdout, r"billing:\s+PAY_PER_REQUEST")
        self.assertRegex(r.stdout, r"ttl:\s+ENABLED")

        r = lift("table", "create", "--name", "conns", "--endpoint", ep)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("table conns already existed: ACTIVE", r.stdout)
        self.assertIn("TTL on attribute ttl already enabled", r.stdout)

    def test_endpoint_from_environment(self):
        env = local_env(AWS_ENDPOINT_URL_DYNAMODB=self.moto.endpoint)
        r = lift("table", "create", "--name", "from-env", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"at {self.moto.endpoint} ...", r.stdout)
        ddb(self.moto.endpoint).describe_table(TableName="from-env")

    def test_existing_table_with_other_layout_is_exit_3(self):
        ddb(self.moto.endpoint).create_table(
            TableName="other-layout", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        r = lift("table", "create", "--name", "other-layout", "--endpoint", self.moto.endpoint)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("does not have the connection-store layout", r.stderr)

    def test_describe_missing_table_is_exit_5(self):
        r = lift("table", "describe", "--name", "nope", "--endpoint", self.moto.endpoint)
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertIn("table nope does not exist", r.stderr)

    def test_missing_credentials_is_exit_2_without_secrets(self):
        env = local_env()
        del env["AWS_ACCESS_KEY_ID"]
        del env["AWS_SECRET_ACCESS_KEY"]
        r = lift("table", "create", "--name", "x", "--endpoint", self.moto.endpoint, env=env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("AWS_ACCESS_KEY_ID", r.stderr)

    def test_bad_endpoint_is_exit_2(self):
        r = lift("table", "create", "--name", "x", "--endpoint", "ftp://127.0.0.1:1")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("ftp://127.0.0.1:1", r.stderr)

    def test_unreachable_endpoint_is_exit_1(self):
        from aws_servers import free_port
        r = lift("table", "create", "--name", "x", "--endpoint",
                 f"http://127.0.0.1:{free_port()}")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("lift table create:", r.stderr)

    def test_help_documents_exit_statuses(self):
        r = lift("table", "create", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Exit status: 0 done", r.stdout)
        self.assertIn("--allow-no-ttl", r.stdout)


class TableCommandDynaliteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            cls.dynalite = start_dynalite()
        except ServerError as e:
            raise AssertionError(str(e)) from e

    @classmethod
    def tearDownClass(cls):
        cls.dynalite.stop()

    def test_create_waits_for_active_and_reports_missing_ttl(self):
        ep = self.dynalite.endpoint
        r = lift("table", "create", "--name", "strict", "--endpoint", ep)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("table strict: CREATING", r.stdout)  # dynalite: CREATING for 500 ms
        self.assertIn("table strict: ACTIVE", r.stdout)
        self.assertIn("enabling TTL on attribute ttl of table strict", r.stderr)

        r = lift("table", "create", "--name", "strict", "--endpoint", ep, "--allow-no-ttl")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("table strict already existed: ACTIVE", r.stdout)
        self.assertIn("TTL not enabled: this endpoint does not implement UpdateTimeToLive",
                      r.stdout)
        d = ddb(ep).describe_table(TableName="strict")["Table"]
        self.assertEqual({g["IndexName"] for g in d["GlobalSecondaryIndexes"]}, {"gsi1", "gsi2"})

    def test_name_the_service_refuses_is_exit_2(self):
        r = lift("table", "create", "--name", "T", "--endpoint", self.dynalite.endpoint)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("ValidationException", r.stderr)


if __name__ == "__main__":
    unittest.main()
