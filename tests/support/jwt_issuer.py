#!/usr/bin/python3
"""Independent JWT issuer for the lift::auth tests (Debian's PyJWT 2.6 + cryptography 38).

Usage: /usr/bin/python3 jwt_issuer.py OUT_DIR NOW_EPOCH_SECONDS

Generates fresh keys into OUT_DIR (nothing is copied from elsewhere), writes the public keys
as PEM files and JWKS documents, and mints positive and negative tokens into
OUT_DIR/tokens.json:
  {"now": N, "secret": "...", "issuer": "...", "audience": "...",
   "valid": {"HS256": tok, ...}, "invalid": {"name": tok, ...}}
Hand-made tokens (alg none variants, HS256 keyed with the RSA public PEM, bad base64url, an
ES256 signature in DER form, ...) are built here too, because PyJWT rightly refuses to make them.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://issuer.lift.test"
AUDIENCE = "lift-tests"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def pem_public(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def jwk(key, kid, alg=None):
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        d = json.loads(RSAAlgorithm.to_jwk(pub))
    else:
        d = json.loads(ECAlgorithm.to_jwk(pub))
    d["kid"] = kid
    d["use"] = "sig"
    if alg:
        d["alg"] = alg
    return d


def main():
    out, now = sys.argv[1], int(sys.argv[2])
    secret = secrets.token_urlsafe(48)  # 64 ASCII bytes: enough for HS512
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec256 = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())

    files = {
        "rsa.pem": pem_public(rsa_key),
        "rsa_other.pem": pem_public(rsa_other),
        "rsa_small.pem": pem_public(rsa_small),
        "ec256.pem": pem_public(ec256),
        "ec384.pem": pem_public(ec384),
        "secret.txt": secret.encode(),
        # A private key, which the verifier must refuse to load as a verification key.
        "rsa_private.pem": rsa_key.private_bytes(serialization.Encoding.PEM,
                                                 serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()),
        "jwks.json": json.dumps({"keys": [
            jwk(rsa_key, "rsa-1"), jwk(ec256, "ec-256"), jwk(ec384, "ec-384"),
            jwk(rsa_small, "rsa-small"),
        ]}).encode(),
        # After a key rotation: rsa-2 appears.
        "jwks_rotated.json": json.dumps({"keys": [
            jwk(rsa_key, "rsa-1"), jwk(ec256, "ec-256"), jwk(ec384, "ec-384"),
            jwk(rsa_other, "rsa-2", "RS256"),
        ]}).encode(),
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    claims = {"sub": "alice", "tenant": "acme", "roles": ["admin", "dev"], "iss": ISSUER,
              "aud": AUDIENCE, "iat": now, "exp": now + 3600, "email": "alice@lift.test"}

    def enc(key, alg, kid=None, payload=None, headers=None):
        h = dict(headers or {})
        if kid:
            h["kid"] = kid
        return jwt.encode(payload if payload is not None else claims, key, algorithm=alg,
                          headers=h or None)

    def with_claims(**changes):
        c = dict(claims)
        for k, v in changes.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def hs256_raw(header, payload_segment):
        h = b64json(header)
        sig = hmac.new(secret.encode(), (h + "." + payload_segment).encode(),
                       hashlib.sha256).digest()
        return h + "." + payload_segment + "." + b64(sig)

    def rs256_raw(header, payload_segment):
        h = b64json(header)
        sig = rsa_key.sign((h + "." + payload_segment).encode(), padding.PKCS1v15(),
                           hashes.SHA256())
        return h + "." + payload_segment + "." + b64(sig)

    valid = {
        "HS256": enc(secret, "HS256"),
        "HS384": enc(secret, "HS384"),
        "HS512": enc(secret, "HS512"),
        "RS256": enc(rsa_key, "RS256", "rsa-1"),
        "RS384": enc(rsa_key, "RS384", "rsa-1"),
        "RS512": enc(rsa_key, "RS512", "rsa-1"),
        "PS256": enc(rsa_key, "PS256", "rsa-1"),
        "ES256": enc(ec256, "ES256", "ec-256"),
        "ES384": enc(ec384, "ES384", "ec-384"),
    }
    # Extra positives: a token signed by the rotated-in key, one with aud as an array, one
    # expired but within the leeway.
    extra = {
        "rotated_rs256": enc(rsa_other, "RS256", "rsa-2"),
        "aud_array": enc(secret, "HS256", payload=with_claims(aud=["other", AUDIENCE])),
        "expired_within_leeway": enc(secret, "HS256", payload=with_claims(exp=now - 30)),
        "roles_string": enc(secret, "HS256", payload=with_claims(roles="reader writer")),
        "exp_huge": enc(secret, "HS256", payload=with_claims(exp=2**63 - 1, nbf=-(2**63))),
    }

    good = valid["HS256"]
    gh, gp, gs = good.split(".")
    payload_seg = b64json(claims)
    rsa_pem = files["rsa.pem"]
    confusion_header = b64json({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    confusion_sig = hmac.new(rsa_pem, (confusion_header + "." + payload_seg).encode(),
                             hashlib.sha256).digest()
    confusion_nokid_header = b64json({"alg": "HS256", "typ": "JWT"})
    confusion_nokid_sig = hmac.new(
        rsa_pem, (confusion_nokid_header + "." + payload_seg).encode(), hashlib.sha256).digest()
    # ES256 with the signature left in DER form (what OpenSSL/cryptography produce natively).
    es_header = b64json({"alg": "ES256", "typ": "JWT", "kid": "ec-256"})
    es_der = ec256.sign((es_header + "." + payload_seg).encode(), ec.ECDSA(hashes.SHA256()))
    tampered = gh + "." + b64json(with_claims(sub="mallory")) + "." + gs

    invalid = {
        "alg_none": jwt.encode(claims, None, algorithm="none"),
        "alg_None": b64json({"alg": "None", "typ": "JWT"}) + "." + payload_seg + ".",
        "alg_NONE": b64json({"alg": "NONE", "typ": "JWT"}) + "." + payload_seg + ".",
        "hs256_with_rsa_public_key": confusion_header + "." + payload_seg + "." + b64(confusion_sig),
        "unknown_kid": enc(rsa_key, "RS256", "no-such-key"),
        "path_kid": enc(rsa_key, "RS256", "../../etc/passwd"),
        "expired": enc(secret, "HS256", payload=with_claims(exp=now - 75)),
        "nbf_future": enc(secret, "HS256", payload=with_claims(nbf=now + 300)),
        "iat_future": enc(secret, "HS256", payload=with_claims(iat=now + 300)),
        "missing_exp": enc(secret, "HS256", payload=with_claims(exp=None)),
        "wrong_iss": enc(secret, "HS256", payload=with_claims(iss="https://evil.test")),
        "wrong_aud": enc(secret, "HS256", payload=with_claims(aud="someone-else")),
        "b64_padding": gh + "." + gp + "==." + gs,
        "b64_plus_slash": gh + "." + gp[:-2] + "+/" + "." + gs,
        "b64_invalid_char": gh + "." + gp[:5] + "*" + gp[6:] + "." + gs,
        "two_segments": gh + "." + gp,
        "four_segments": good + "." + gs,
        "oversized": enc(secret, "HS256", payload=with_claims(pad="x" * 9000)),
        "unknown_crit": enc(secret, "HS256", headers={"crit": ["lift-ext"], "lift-ext": 1}),
        "signed_by_other_key": enc(rsa_other, "RS256", "rsa-1"),
        "tampered_payload": tampered,
        "alg_not_allowed": valid["HS512"],  # the negative verifier leaves HS512 out
        "es256_der_signature": es_header + "." + payload_seg + "." + b64(es_der),
        "rsa_key_too_small": enc(rsa_small, "RS256", "rsa-small"),
        "payload_not_object": hs256_raw({"alg": "HS256", "typ": "JWT"}, b64(b"[1,2,3]")),
        "header_not_object": b64(b'"HS256"') + "." + payload_seg + "." + gs,
        "empty_signature": gh + "." + gp + ".",
        "kid_not_string": rs256_raw({"alg": "RS256", "typ": "JWT", "kid": 7}, payload_seg),
        "unsupported_alg": b64json({"alg": "HS1", "typ": "JWT"}) + "." + payload_seg + "." + gs,
        "bad_typ": enc(secret, "HS256", headers={"typ": "JWE"}),
        "exp_not_a_number": enc(secret, "HS256", payload=with_claims(exp="tomorrow")),
    }
    doc = {
        "now": now, "secret": secret, "issuer": ISSUER, "audience": AUDIENCE,
        "valid": valid, "extra": extra, "invalid": invalid,
        "hs256_with_rsa_public_key_no_kid":
            confusion_nokid_header + "." + payload_seg + "." + b64(confusion_nokid_sig),
    }
    with open(os.path.join(out, "tokens.json"), "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
