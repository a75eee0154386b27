#!/usr/bin/env python3
"""Writes tests/vectors/idp/*.jwks: JWKS documents shaped like those Keycloak, Auth0, Azure AD
(Entra ID), Google and Okta publish, over the published RSA test keys (rsa*.pem).

Each follows its provider's public format: member order, `x5c` certificate chains with `x5t` /
`x5t#S256` thumbprints, `use`, keys with and without `alg`, an encryption key beside the signing
ones, provider-specific members. The certificates are real (self-signed, fixed dates), so the
documents are what a gateway meets, though Tollgate never reads x5c. Deterministic: rerunning
gives the same files. Needs the `cryptography` package:

    python3 tests/vectors/idp_jwks.py
"""
import base64
import datetime
import hashlib
import json
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).parent
KEYS = {bits: load_pem_private_key((HERE / f"rsa{bits}.pem").read_bytes(), None) for bits in (2048, 3072, 4096)}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def cert_der(bits, cn):
    key = KEYS[bits]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(bits * 1000 + len(cn))
            .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))
            .not_valid_after(datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def rsa(bits, cn=None, **members):
    """A JWK: n and e of the test key, plus x5c/x5t/x5t#S256 when `cn` names a certificate."""
    numbers = KEYS[bits].public_key().public_numbers()
    jwk = dict(members)
    jwk["n"] = uint(numbers.n)
    jwk["e"] = uint(numbers.e)
    if cn:
        der = cert_der(bits, cn)
        jwk["x5c"] = [base64.b64encode(der).decode()]
        jwk["x5t"] = b64u(hashlib.sha1(der).digest())
        jwk["x5t#S256"] = b64u(hashlib.sha256(der).digest())
    return jwk


def ordered(jwk, order):
    return {k: jwk[k] for k in order if k in jwk}


documents = {
    # Keycloak's realm certs endpoint: the RS256 signing key, an optional PS256 one, and the
    # RSA-OAEP encryption key (use enc), each with a certificate chain and both thumbprints.
    "keycloak.jwks": [
        ordered(rsa(2048, "tollgate-realm", kid="kc-rs256", kty="RSA", alg="RS256", use="sig"),
                ["kid", "kty", "alg", "use", "n", "e", "x5c", "x5t", "x5t#S256"]),
        ordered(rsa(3072, "tollgate-realm", kid="kc-ps256", kty="RSA", alg="PS256", use="sig"),
                ["kid", "kty", "alg", "use", "n", "e", "x5c", "x5t", "x5t#S256"]),
        ordered(rsa(4096, "tollgate-realm", kid="kc-enc", kty="RSA", alg="RSA-OAEP", use="enc"),
                ["kid", "kty", "alg", "use", "n", "e", "x5c", "x5t", "x5t#S256"]),
    ],
    # Auth0's tenant JWKS: the current and the next signing key, RS256, x5c and x5t (SHA-1).
    "auth0.jwks": [
        ordered(rsa(2048, "dev-tollgate.us.auth0.com", kty="RSA", use="sig", kid="auth0-current", alg="RS256"),
                ["kty", "use", "n", "e", "kid", "x5t", "x5c", "alg"]),
        ordered(rsa(4096, "dev-tollgate.us.auth0.com", kty="RSA", use="sig", kid="auth0-next", alg="RS256"),
                ["kty", "use", "n", "e", "kid", "x5t", "x5c", "alg"]),
    ],
    # Azure AD / Entra ID v2.0 keys: no `alg` (RS256 is implied), x5t equal to kid, an `issuer`
    # member per key.
    "azure.jwks": [
        ordered(rsa(2048, "accounts.accesscontrol.windows.net", kty="RSA", use="sig", kid="azure-1",
                    issuer="https://login.microsoftonline.com/tollgate-tenant/v2.0"),
                ["kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"]),
        ordered(rsa(3072, "accounts.accesscontrol.windows.net", kty="RSA", use="sig", kid="azure-2",
                    issuer="https://login.microsoftonline.com/tollgate-tenant/v2.0"),
                ["kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"]),
        ordered(rsa(4096, "accounts.accesscontrol.windows.net", kty="RSA", use="sig", kid="azure-3",
                    issuer="https://login.microsoftonline.com/tollgate-tenant/v2.0"),
                ["kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"]),
    ],
    # Google's oauth2/v3/certs: two RS256 keys, no certificates, `e` first.
    "google.jwks": [
        ordered(rsa(2048, kty="RSA", alg="RS256", use="sig", kid="google-a"),
                ["e", "alg", "kty", "use", "n", "kid"]),
        ordered(rsa(3072, kty="RSA", alg="RS256", use="sig", kid="google-b"),
                ["e", "alg", "kty", "use", "n", "kid"]),
    ],
    # Okta's authorization-server keys: one RS256 key, no certificates.
    "okta.jwks": [
        ordered(rsa(2048, kty="RSA", alg="RS256", kid="okta-1", use="sig"),
                ["kty", "alg", "kid", "use", "e", "n"]),
    ],
}

for name, keys in documents.items():
    (HERE / "idp" / name).write_text(json.dumps({"keys": keys}, indent=2) + "\n")
