#!/usr/bin/env python3
"""Writes tests/vectors/idp/*.jwks: key sets shaped like those identity providers publish.

The shapes follow each provider's public documentation and endpoints (member order, x5c/x5t,
use, with and without alg, extra members); the keys are test keys. RSA keys are freshly
generated 2048-bit keys with self-signed certificates in x5c (only their public parts are
written); EC keys are the published test keys of tests/support (es256: RFC 7515 A.3's P-256 key,
es384: RFC 6979 A.2.6's P-384 key), so tests can sign tokens for them. Run with `cryptography`:

    python3 tests/vectors/idp_jwks.py
"""
import base64
import datetime
import hashlib
import json
import os
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "idp")
ES256_D = base64.urlsafe_b64decode("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI=")
ES384_D = bytes.fromhex(
    "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5")


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


def certificate(key, name):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    algorithm = hashes.SHA256() if not isinstance(key, ec.EllipticCurvePrivateKey) or \
        isinstance(key.curve, ec.SECP256R1) else hashes.SHA384()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, algorithm))
    return cert.public_bytes(serialization.Encoding.DER)


def x5(der):
    """x5c, x5t and x5t#S256 of a certificate (RFC 7517 4.7-4.9)."""
    return {"x5c": [base64.b64encode(der).decode()], "x5t": b64u(hashlib.sha1(der).digest()),
            "x5t#S256": b64u(hashlib.sha256(der).digest())}


def rsa_key(name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    return key, {"n": b64u(uint(numbers.n)), "e": b64u(uint(numbers.e))}


def ec_members(key, size):
    numbers = key.public_key().public_numbers()
    return {"x": b64u(uint(numbers.x, size)), "y": b64u(uint(numbers.y, size))}


es256 = ec.derive_private_key(int.from_bytes(ES256_D, "big"), ec.SECP256R1())
es384 = ec.derive_private_key(int.from_bytes(ES384_D, "big"), ec.SECP384R1())


def keycloak():
    # GET /realms/{realm}/protocol/openid-connect/certs: the realm's active keys, signing and
    # encryption, each with its certificate; EC keys since Keycloak 12 carry x5c too.
    keys = []
    enc, enc_n = rsa_key("enc")
    keys.append({"kid": b64u(secrets.token_bytes(32)), "kty": "RSA", "alg": "RSA-OAEP",
                 "use": "enc", **enc_n, **x5(certificate(enc, "realm"))})
    sig, sig_n = rsa_key("sig")
    keys.append({"kid": b64u(secrets.token_bytes(32)), "kty": "RSA", "alg": "RS256",
                 "use": "sig", **sig_n, **x5(certificate(sig, "realm"))})
    keys.append({"kid": "keycloak-es256", "kty": "EC", "alg": "ES256", "use": "sig",
                 "crv": "P-256", **ec_members(es256, 32), **x5(certificate(es256, "realm"))})
    keys.append({"kid": "keycloak-es384", "kty": "EC", "alg": "ES384", "use": "sig",
                 "crv": "P-384", **ec_members(es384, 48), **x5(certificate(es384, "realm"))})
    return {"keys": keys}


def auth0():
    # GET https://{tenant}.auth0.com/.well-known/jwks.json: the current and the next signing key.
    keys = []
    for _ in range(2):
        key, members = rsa_key("auth0")
        cert = x5(certificate(key, "tenant.auth0.com"))
        keys.append({"kty": "RSA", "use": "sig", **members, "kid": b64u(secrets.token_bytes(16)),
                     "x5t": cert["x5t"], "x5c": cert["x5c"], "alg": "RS256"})
    return {"keys": keys}


def azure_ad():
    # GET https://login.microsoftonline.com/common/discovery/v2.0/keys: several keys, no alg,
    # kid equal to x5t, and Microsoft's own members.
    keys = []
    for _ in range(6):
        key, members = rsa_key("azure")
        cert = x5(certificate(key, "accounts.accesscontrol.windows.net"))
        keys.append({"kty": "RSA", "use": "sig", "kid": cert["x5t"], "x5t": cert["x5t"],
                     **members, "x5c": cert["x5c"], "cloud_instance_name": "microsoftonline.com",
                     "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"})
    return {"keys": keys}


def google():
    # GET https://www.googleapis.com/oauth2/v3/certs: two or three RSA keys, no certificates.
    keys = []
    for _ in range(3):
        _, members = rsa_key("google")
        keys.append({"e": members["e"], "kty": "RSA", "alg": "RS256", "n": members["n"],
                     "use": "sig", "kid": secrets.token_hex(20)})
    return {"keys": keys}


def google_iap():
    # GET https://www.gstatic.com/iap/verify/public_key-jwk: Identity-Aware Proxy signs ES256.
    keys = [{"alg": "ES256", "crv": "P-256", "kid": "iap-es256", "kty": "EC", "use": "sig",
             **ec_members(es256, 32)}]
    for i in range(3):
        other = ec.generate_private_key(ec.SECP256R1())
        keys.append({"alg": "ES256", "crv": "P-256", "kid": f"iap-{i}", "kty": "EC", "use": "sig",
                     **ec_members(other, 32)})
    return {"keys": keys}


def okta():
    # GET https://{org}.okta.com/oauth2/default/v1/keys: the authorization server's RSA keys.
    keys = []
    for _ in range(2):
        _, members = rsa_key("okta")
        keys.append({"kty": "RSA", "alg": "RS256", "kid": b64u(secrets.token_bytes(32)),
                     "use": "sig", **members})
    return {"keys": keys}


for name, build in [("keycloak", keycloak), ("auth0", auth0), ("azure_ad", azure_ad),
                    ("google", google), ("google_iap", google_iap), ("okta", okta)]:
    with open(os.path.join(OUT, f"{name}.jwks"), "w") as f:
        json.dump(build(), f, indent=2)
        f.write("\n")
