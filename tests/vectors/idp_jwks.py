#!/usr/bin/env python3
"""Writes tests/vectors/idp/*.jwks: JWKS documents shaped like those Keycloak, Auth0, Azure AD
(Entra ID), Google (OAuth 2.0 and Identity-Aware Proxy) and Okta publish, over published test
keys so tests can sign tokens for them.

Each follows its provider's public format: member order, `x5c` certificate chains with `x5t` /
`x5t#S256` thumbprints, `use`, keys with and without `alg`, an encryption key beside the signing
ones, RSA and EC keys side by side, provider-specific members. The RSA keys are
tests/vectors/rsa{2048,3072,4096}.pem; the EC keys those of tests/support (es256: RFC 7515 A.3's
P-256 key, es384: RFC 6979 A.2.6's P-384 key) and, for keys no test signs with, P-256 keys
derived from fixed labels. The certificates are real (self-signed, fixed dates and serials,
deterministic ECDSA), so the documents are what a gateway meets, though Tollgate never reads
x5c, and rerunning gives the same files. Needs the `cryptography` package (44 or later):

    python3 tests/vectors/idp_jwks.py
"""
import base64
import datetime
import hashlib
import json
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).parent
RSA = {bits: load_pem_private_key((HERE / f"rsa{bits}.pem").read_bytes(), None)
       for bits in (2048, 3072, 4096)}
P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
EC = {
    "es256": ec.derive_private_key(int.from_bytes(base64.urlsafe_b64decode(
        "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI="), "big"), ec.SECP256R1()),
    "es384": ec.derive_private_key(int(
        "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d8"
        "96d5724e4c70a825f872c9ea60d2edf5", 16), ec.SECP384R1()),
}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, length=None):
    return b64u(n.to_bytes(length or (n.bit_length() + 7) // 8, "big"))


def p256_of(label):
    """A P-256 key derived from a label: published keys no test signs with."""
    d = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(d, ec.SECP256R1())


def x5(key, cn, serial):
    """x5c, x5t and x5t#S256 (RFC 7517 §4.7-4.9) of a self-signed certificate for `key`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (x509.CertificateBuilder()
               .subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(serial)
               .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))
               .not_valid_after(datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc)))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        p384 = isinstance(key.curve, ec.SECP384R1)
        cert = builder.sign(key, hashes.SHA384() if p384 else hashes.SHA256(),
                            ecdsa_deterministic=True)
    else:
        cert = builder.sign(key, hashes.SHA256())
    der = cert.public_bytes(serialization.Encoding.DER)
    return {"x5c": [base64.b64encode(der).decode()], "x5t": b64u(hashlib.sha1(der).digest()),
            "x5t#S256": b64u(hashlib.sha256(der).digest())}


def rsa(bits, cn=None, **members):
    """A JWK: n and e of the test key, plus x5c/x5t/x5t#S256 when `cn` names a certificate."""
    numbers = RSA[bits].public_key().public_numbers()
    jwk = dict(members, n=uint(numbers.n), e=uint(numbers.e))
    if cn:
        jwk.update(x5(RSA[bits], cn, bits * 1000 + len(cn)))
    return jwk


def ec_key(key, cn=None, **members):
    """A JWK: crv, x and y of an EC key, plus x5c/x5t/x5t#S256 when `cn` names a certificate."""
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    crv = {256: "P-256", 384: "P-384"}[key.curve.key_size]
    jwk = dict(members, crv=crv, x=uint(numbers.x, size), y=uint(numbers.y, size))
    if cn:
        jwk.update(x5(key, cn, key.curve.key_size * 1000 + len(cn)))
    return jwk


def ordered(jwk, order):
    return {k: jwk[k] for k in order if k in jwk}


def azure(bits):
    # Microsoft's kid is the certificate's x5t.
    jwk = rsa(bits, "accounts.accesscontrol.windows.net", kty="RSA", use="sig",
              cloud_instance_name="microsoftonline.com",
              issuer="https://login.microsoftonline.com/tollgate-tenant/v2.0")
    jwk["kid"] = jwk["x5t"]
    return ordered(jwk, ["kty", "use", "kid", "x5t", "n", "e", "x5c", "cloud_instance_name",
                         "issuer"])


KEYCLOAK = ["kid", "kty", "alg", "use", "crv", "n", "e", "x", "y", "x5c", "x5t", "x5t#S256"]
AUTH0 = ["kty", "use", "n", "e", "kid", "x5t", "x5c", "alg"]
IAP = ["alg", "crv", "kid", "kty", "use", "x", "y"]

documents = {
    # Keycloak's realm certs endpoint: the RS256 signing key, a PS256 one, the RSA-OAEP
    # encryption key (use enc) and, since Keycloak 12, EC signing keys, each with a certificate
    # chain and both thumbprints.
    "keycloak.jwks": [
        ordered(rsa(2048, "tollgate-realm", kid="kc-rs256", kty="RSA", alg="RS256", use="sig"),
                KEYCLOAK),
        ordered(rsa(3072, "tollgate-realm", kid="kc-ps256", kty="RSA", alg="PS256", use="sig"),
                KEYCLOAK),
        ordered(rsa(4096, "tollgate-realm", kid="kc-enc", kty="RSA", alg="RSA-OAEP", use="enc"),
                KEYCLOAK),
        ordered(ec_key(EC["es256"], "tollgate-realm", kid="kc-es256", kty="EC", alg="ES256",
                       use="sig"), KEYCLOAK),
        ordered(ec_key(EC["es384"], "tollgate-realm", kid="kc-es384", kty="EC", alg="ES384",
                       use="sig"), KEYCLOAK),
    ],
    # Auth0's tenant JWKS: the current and the next signing key, RS256, x5c and x5t (SHA-1).
    "auth0.jwks": [
        ordered(rsa(2048, "dev-tollgate.us.auth0.com", kty="RSA", use="sig", kid="auth0-current",
                    alg="RS256"), AUTH0),
        ordered(rsa(4096, "dev-tollgate.us.auth0.com", kty="RSA", use="sig", kid="auth0-next",
                    alg="RS256"), AUTH0),
    ],
    # Azure AD / Entra ID v2.0 keys: no `alg` (RS256 is implied), kid equal to x5t, Microsoft's
    # own members.
    "azure_ad.jwks": [azure(2048), azure(3072), azure(4096)],
    # Google's oauth2/v3/certs: two RS256 keys, no certificates, `e` first.
    "google.jwks": [
        ordered(rsa(2048, kty="RSA", alg="RS256", use="sig", kid="google-a"),
                ["e", "alg", "kty", "use", "n", "kid"]),
        ordered(rsa(3072, kty="RSA", alg="RS256", use="sig", kid="google-b"),
                ["e", "alg", "kty", "use", "n", "kid"]),
    ],
    # Google's Identity-Aware Proxy (www.gstatic.com/iap/verify/public_key-jwk): ES256 keys only.
    "google_iap.jwks": [ordered(ec_key(EC["es256"], kid="iap-es256", kty="EC", alg="ES256",
                                       use="sig"), IAP)] +
    [ordered(ec_key(p256_of(f"iap-{i}"), kid=f"iap-{i}", kty="EC", alg="ES256", use="sig"), IAP)
     for i in range(3)],
    # Okta's authorization-server keys: one RS256 key, no certificates.
    "okta.jwks": [
        ordered(rsa(2048, kty="RSA", alg="RS256", kid="okta-1", use="sig"),
                ["kty", "alg", "kid", "use", "e", "n"]),
    ],
}

for name, keys in documents.items():
    (HERE / "idp" / name).write_text(json.dumps({"keys": keys}, indent=2) + "\n")
