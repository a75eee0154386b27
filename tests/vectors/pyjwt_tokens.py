#!/usr/bin/env python3
"""Writes independent.tsv: access tokens issued by PyJWT with the published test keys.

PyJWT is an independent JOSE implementation (Python's json, the `cryptography` package), and its
JSON escapes non-ASCII text, emoji as surrogate pairs. Its ECDSA signatures come from OpenSSL
(random nonces, so each run writes new ES tokens) converted to JWS's r || s. Run with PyJWT and
cryptography installed (e.g. in a venv: pip install pyjwt cryptography):

    python3 tests/vectors/pyjwt_tokens.py > tests/vectors/independent.tsv
"""
import base64
import pathlib

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

NOW = 1_750_000_000
ISSUER = "https://issuer.example"
AUDIENCE = "api://items"
POLICY = "iss=https://issuer.example;aud=api://items;typ=at+jwt"
# RFC 8037 Appendix A.1's private key (published as kid ed1) and the HS256 test secret (hs1).
ED1_SEED = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
HS1_SECRET = b"tollgate-test-hs256-secret-of-40-bytes!!"
# RFC 7515 Appendix A.3's P-256 key (es256 in ec.jwks) and RFC 6979 A.2.6's P-384 key (es384).
ES256_D = base64.urlsafe_b64decode("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI=")
ES384_D = bytes.fromhex(
    "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5")


def claims(**overrides):
    c = {
        "iss": ISSUER, "sub": "client-1", "aud": AUDIENCE, "client_id": "client-1",
        "iat": NOW - 10, "exp": NOW + 290, "jti": "pyjwt-1", "scope": "items:read",
    }
    c.update(overrides)
    return c


HERE = pathlib.Path(__file__).parent
# The published RSA test keys (openssl genpkey) and the kid each algorithm's key has in test.jwks.
RSA = {bits: load_pem_private_key((HERE / f"rsa{bits}.pem").read_bytes(), None) for bits in (2048, 3072, 4096)}
RSA_KIDS = {"RS256": ("rsa1", 2048), "PS256": ("ps1", 2048), "RS384": ("rs384", 3072),
            "PS384": ("ps384", 3072), "RS512": ("rs512", 4096), "PS512": ("ps512", 4096)}

ed1 = Ed25519PrivateKey.from_private_bytes(ED1_SEED)
es256 = ec.derive_private_key(int.from_bytes(ES256_D, "big"), ec.SECP256R1())
es384 = ec.derive_private_key(int.from_bytes(ES384_D, "big"), ec.SECP384R1())
at_jwt = {"typ": "at+jwt"}
# (name, expect, token, reason[, jwks]); the key file is test.jwks unless named.
rows = [
    ("pyjwt_eddsa_access_token", "ok",
     jwt.encode(claims(name="Zoë 😀"), ed1, algorithm="EdDSA", headers={"kid": "ed1", **at_jwt}),
     "PyJWT EdDSA; non-ASCII claims arrive as \\u escapes and surrogate pairs"),
    ("pyjwt_hs256_access_token", "ok",
     jwt.encode(claims(aud=["other", AUDIENCE]), HS1_SECRET, algorithm="HS256", headers={"kid": "hs1", **at_jwt}),
     "PyJWT HS256 with an audience array"),
    ("pyjwt_eddsa_fractional_dates", "ok",
     jwt.encode(claims(iat=NOW - 10.25, exp=NOW + 290.75), ed1, algorithm="EdDSA", headers={"kid": "ed1", **at_jwt}),
     "PyJWT passes float NumericDates through"),
    ("pyjwt_hs256_default_typ_jwt", "invalid_type",
     jwt.encode(claims(), HS1_SECRET, algorithm="HS256", headers={"kid": "hs1"}),
     "PyJWT's default typ JWT is not at+jwt (RFC 9068 4)"),
    ("pyjwt_eddsa_expired", "expired",
     jwt.encode(claims(exp=NOW - 1), ed1, algorithm="EdDSA", headers={"kid": "ed1", **at_jwt}),
     "PyJWT token past its exp"),
    ("pyjwt_es256_access_token", "ok",
     jwt.encode(claims(name="Zoë 😀"), es256, algorithm="ES256", headers={"kid": "es256", **at_jwt}),
     "PyJWT ES256: OpenSSL's DER signature converted to r || s", "ec.jwks"),
    ("pyjwt_es384_access_token", "ok",
     jwt.encode(claims(aud=["other", AUDIENCE]), es384, algorithm="ES384", headers={"kid": "es384", **at_jwt}),
     "PyJWT ES384 with an audience array", "ec.jwks"),
    ("pyjwt_es256_without_kid", "ok",
     jwt.encode(claims(), es256, algorithm="ES256", headers=at_jwt),
     "PyJWT ES256 without kid: the only ES256 key is used", "ec.jwks"),
    ("pyjwt_es384_signed_as_es256_key", "unknown_key",
     jwt.encode(claims(), es384, algorithm="ES384", headers={"kid": "es256", **at_jwt}),
     "PyJWT ES384 naming the P-256 key: keys are bound to one algorithm", "ec.jwks"),
]

for alg, (kid, bits) in RSA_KIDS.items():
    # PyJWT's PSS salt is as long as the hash (RFC 7518 3.5) and random: rerunning changes the tokens.
    rows.append((f"pyjwt_{alg.lower()}_access_token", "ok",
                 jwt.encode(claims(), RSA[bits], algorithm=alg, headers={"kid": kid, **at_jwt}),
                 f"PyJWT {alg} with a {bits}-bit key"))

print("# name\tjwks\tnow\tpolicy\texpect\ttoken\treason")
for name, expect, token, reason, *jwks in rows:
    print(f"{name}\t{(jwks or ['test.jwks'])[0]}\t{NOW}\t{POLICY}\t{expect}\t{token}\t{reason}")
