#!/usr/bin/env python3
"""Generates the SigV4 vectors in tests/data/sigv4/*.json with botocore's own signer.

Run by hand, never by the tests (the JSON files are committed):

    python3 tests/data/sigv4/generate.py            # writes next to this script
    python3 tests/data/sigv4/generate.py OUT_DIR    # writes elsewhere

Needs botocore (vectors were generated with botocore 1.43.11). Each vector is signed with
botocore.auth.SigV4Auth on a botocore.awsrequest.AWSRequest at a fixed time (we patch
botocore.auth.get_current_datetime, as botocore's own tests patch the clock). The JSON holds the
request exactly as our signer receives it (wire path, raw query, headers incl. Host, payload) and
botocore's canonical request, string to sign, signature and Authorization header.
"""

import datetime
import json
import os
import sys
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TIME = datetime.datetime(2024, 1, 20, 11, 55, 0)
APIGW = "https://dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com"

CASES = [
    # aws-reference 10.3(a); User-Agent and X-Amzn-Trace-Id must stay unsigned.
    dict(name="post-to-connection", method="POST", region="ap-northeast-1",
         service="execute-api", url=APIGW + "/prod/@connections/R1kmxc2VNjMCFIA%3D",
         headers=[("User-Agent", "Boto3/1.34 md/Botocore#1.43.11"),
                  ("X-Amzn-Trace-Id", "Root=1-65abc-123")],
         body=b"hello"),
    # aws-reference 10.3(b)
    dict(name="delete-connection-session-token", method="DELETE", region="ap-northeast-1",
         service="execute-api", url=APIGW + "/prod/@connections/R1kmxc2VNjMCFIA%3D",
         headers=[], body=b"", token="FQoGZXIvYXdzEXAMPLETOKEN"),
    # aws-reference 10.3(c)
    dict(name="dynamodb-get-item", method="POST", region="us-east-1", service="dynamodb",
         url="https://dynamodb.us-east-1.amazonaws.com/",
         headers=[("Content-Type", "application/x-amz-json-1.0"),
                  ("X-Amz-Target", "DynamoDB_20120810.GetItem")],
         body=b'{"TableName": "t", "Key": {"pk": {"S": "a"}}}'),
    # A client that percent-encodes '@' on the wire: canonical %2540connections.
    dict(name="post-to-connection-encoded-at", method="POST", region="ap-northeast-1",
         service="execute-api", url=APIGW + "/prod/%40connections/R1kmxc2VNjMCFIA%3D",
         headers=[], body=b'{"msg":"hi there"}'),
    # GetConnection with a query string (unsorted, repeated key, encoded value).
    dict(name="get-connection-query", method="GET", region="eu-west-1", service="execute-api",
         url="https://abc123.execute-api.eu-west-1.amazonaws.com/dev/@connections/Zx%3D"
             "?b=2&a=z&a=1&c=x%20y%2Fz",
         headers=[("X-Custom", "  spaced   out  value ")], body=b""),
]


class CapturingSigV4Auth(botocore.auth.SigV4Auth):
    """SigV4Auth that remembers its intermediate strings."""

    def canonical_request(self, request):
        self.captured_creq = super().canonical_request(request)
        return self.captured_creq

    def string_to_sign(self, request, canonical_request):
        self.captured_sts = super().string_to_sign(request, canonical_request)
        return self.captured_sts


def sign(case):
    headers = dict(case["headers"])
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"],
                         headers=headers)
    creds = Credentials(ACCESS_KEY, SECRET_KEY, case.get("token"))
    auth = CapturingSigV4Auth(creds, case["service"], case["region"])
    auth.add_auth(request)
    parts = urlsplit(case["url"])
    authorization = request.headers["Authorization"]
    return {
        "name": case["name"],
        "botocore": botocore.__version__,
        "credentials": {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY,
                        "session_token": case.get("token", "")},
        "region": case["region"],
        "service": case["service"],
        "amz_date": request.headers["X-Amz-Date"],
        "request": {
            "method": case["method"],
            "path": parts.path,
            "query": parts.query,
            "headers": [["Host", parts.netloc]] + [list(h) for h in case["headers"]],
            "payload": case["body"].decode("utf-8"),
        },
        "canonical_request": auth.captured_creq,
        "string_to_sign": auth.captured_sts,
        "signature": authorization.rsplit("Signature=", 1)[1],
        "authorization": authorization,
    }


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    botocore.auth.get_current_datetime = lambda: TIME
    for case in CASES:
        vector = sign(case)
        path = os.path.join(out_dir, case["name"] + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(vector, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(f"{path}: {vector['signature']}")


if __name__ == "__main__":
    main()
