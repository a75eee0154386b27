//! Shared by the integration tests and benches: test keys, token builders, and the reader for
//! `tests/vectors/`.
#![allow(dead_code)]

pub mod key_encodings;
pub mod rsa;

use std::collections::HashMap;
use std::path::PathBuf;

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::{Signer, SigningKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tollgate::{Error, KeySet, Policy, Verifier};

pub use key_encodings::pem;

/// The time every vector is verified at, unless its `now` column says otherwise.
pub const NOW: i64 = 1_750_000_000;
pub const ISSUER: &str = "https://issuer.example";
pub const AUDIENCE: &str = "api://items";

/// RFC 8037 Appendix A.1's private key: public, so fine for tests. Published as `ed1`.
pub const ED1_SEED_B64: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
/// A second published key, `ed2`.
pub const ED2_SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x61,
];
/// An attacker's key, never published.
pub const EVIL_SEED: [u8; 32] = [0x66; 32];
/// The published HS256 secret `hs1` (40 bytes).
pub const HS1_SECRET: &[u8] = b"tollgate-test-hs256-secret-of-40-bytes!!";
/// RFC 7515 Appendix A.3's P-256 private key: public, so fine for tests. Published as `es256`
/// in `ec.jwks`.
pub const ES256_D_B64: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
/// RFC 6979 Appendix A.2.6's P-384 private key. Published as `es384` in `ec.jwks`.
pub const ES384_D_HEX: &str = "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5";
/// An attacker's P-256 key, never published.
pub const EVIL_ES256_D: [u8; 32] = [0x42; 32];

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// `../shared/vectors`, beside the repository, when present. Under `CI=true` its absence is a
/// failure: CI has the folder, and a suite that skipped it would pass without checking anything.
pub fn shared_vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is absent, and CI=true requires the shared vectors",
        dir.display()
    );
    None
}

pub fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

pub fn ed1_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    Base64UrlUnpadded::decode(ED1_SEED_B64, &mut seed).unwrap();
    seed
}

pub fn ed_public(seed: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

pub fn signing_input(header: &str, payload: &str) -> String {
    format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()))
}

pub fn sign_ed(seed: &[u8; 32], header: &str, payload: &str) -> String {
    let input = signing_input(header, payload);
    let signature = SigningKey::from_bytes(seed).sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

pub fn hs256(secret: &[u8], input: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(input);
    mac.finalize().into_bytes().into()
}

pub fn sign_hs(secret: &[u8], header: &str, payload: &str) -> String {
    let input = signing_input(header, payload);
    let tag = hs256(secret, input.as_bytes());
    format!("{input}.{}", b64(&tag))
}

/// Claims as ordered `(name, raw JSON)` pairs, so tests can override one member at a time.
#[derive(Clone)]
pub struct Claims(pub Vec<(String, String)>);

impl Claims {
    /// An RFC 9068 access token for `client-1`, valid at [`NOW`].
    pub fn standard() -> Self {
        let s = |v: &str| format!("\"{v}\"");
        Claims(vec![
            ("iss".into(), s(ISSUER)),
            ("sub".into(), s("client-1")),
            ("aud".into(), s(AUDIENCE)),
            ("client_id".into(), s("client-1")),
            ("iat".into(), (NOW - 10).to_string()),
            ("exp".into(), (NOW + 290).to_string()),
            ("jti".into(), s("3f1c9a2e-7b7d-4f4e-9d43-2a1b5c6d7e8f")),
            ("scope".into(), s("items:read items:write")),
        ])
    }

    pub fn with(mut self, name: &str, raw: &str) -> Self {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = raw.to_string(),
            None => self.0.push((name.to_string(), raw.to_string())),
        }
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| n != name);
        self
    }

    pub fn json(&self) -> String {
        let members: Vec<String> = self.0.iter().map(|(n, v)| format!("\"{n}\":{v}")).collect();
        format!("{{{}}}", members.join(","))
    }
}

/// A standard token valid today (for libraries that read the clock themselves), and now.
pub fn today() -> (Claims, i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = Claims::standard()
        .with("iat", &(now - 10).to_string())
        .with("exp", &(now + 3600).to_string());
    (claims, now)
}

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

pub fn es256_key() -> p256::ecdsa::SigningKey {
    let mut d = [0u8; 32];
    Base64UrlUnpadded::decode(ES256_D_B64, &mut d).unwrap();
    p256::ecdsa::SigningKey::from_slice(&d).unwrap()
}

pub fn es384_key() -> p384::ecdsa::SigningKey {
    p384::ecdsa::SigningKey::from_slice(&hex(ES384_D_HEX)).unwrap()
}

/// The uncompressed SEC 1 point (0x04 || x || y) of a P-256 public key.
pub fn es256_point(key: &p256::ecdsa::SigningKey) -> Vec<u8> {
    key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
}

pub fn es384_point(key: &p384::ecdsa::SigningKey) -> Vec<u8> {
    key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
}

/// The JWK members `x` and `y` of an uncompressed point.
pub fn ec_x_y(point: &[u8]) -> (String, String) {
    let half = (point.len() - 1) / 2;
    (b64(&point[1..=half]), b64(&point[1 + half..]))
}

/// An `EC` JWK for `point` on `crv`, with `extra` members (`,"kid":"a"`, …).
pub fn ec_jwk(crv: &str, point: &[u8], extra: &str) -> String {
    let (x, y) = ec_x_y(point);
    format!(r#"{{"kty":"EC","crv":"{crv}","x":"{x}","y":"{y}"{extra}}}"#)
}

pub fn sign_es256_with(key: &p256::ecdsa::SigningKey, header: &str, payload: &str) -> String {
    use p256::ecdsa::signature::Signer;
    let input = signing_input(header, payload);
    let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

pub fn sign_es256(header: &str, payload: &str) -> String {
    sign_es256_with(&es256_key(), header, payload)
}

pub fn sign_es384(header: &str, payload: &str) -> String {
    use p384::ecdsa::signature::Signer;
    let input = signing_input(header, payload);
    let signature: p384::ecdsa::Signature = es384_key().sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

/// The ASN.1 DER form of an `r || s` signature (what most ECDSA APIs emit, and JWS does not use).
pub fn ecdsa_der(r_s: &[u8]) -> Vec<u8> {
    let integer = |bytes: &[u8]| {
        let mut v: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        if v.first().is_none_or(|b| *b >= 0x80) {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let (r, s) = r_s.split_at(r_s.len() / 2);
    let body = [integer(r), integer(s)].concat();
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    der
}

/// The SubjectPublicKeyInfo DER of a P-256 public key (RFC 5480), as a PEM file holds it.
pub fn es256_spki_der(point: &[u8]) -> Vec<u8> {
    let mut der = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
    der.extend_from_slice(point);
    der
}

/// The PEM text of [`es256_spki_der`], with its line breaks.
pub fn es256_spki_pem(point: &[u8]) -> String {
    pem("PUBLIC KEY", &es256_spki_der(point))
}

pub const ED1_HEADER: &str = r#"{"alg":"EdDSA","typ":"at+jwt","kid":"ed1"}"#;
pub const HS1_HEADER: &str = r#"{"alg":"HS256","typ":"at+jwt","kid":"hs1"}"#;
pub const ES256_HEADER: &str = r#"{"alg":"ES256","typ":"at+jwt","kid":"es256"}"#;
pub const ES384_HEADER: &str = r#"{"alg":"ES384","typ":"at+jwt","kid":"es384"}"#;

/// A valid EdDSA access token signed by `ed1`.
pub fn ed_token(claims: &Claims) -> String {
    sign_ed(&ed1_seed(), ED1_HEADER, &claims.json())
}

/// A valid HS256 access token signed by `hs1`.
pub fn hs_token(claims: &Claims) -> String {
    sign_hs(HS1_SECRET, HS1_HEADER, &claims.json())
}

/// A valid ES256 access token signed by `es256` (RFC 6979 deterministic).
pub fn es256_token(claims: &Claims) -> String {
    sign_es256(ES256_HEADER, &claims.json())
}

/// A valid ES384 access token signed by `es384`.
pub fn es384_token(claims: &Claims) -> String {
    sign_es384(ES384_HEADER, &claims.json())
}

/// The policy most vectors use.
pub const STANDARD_POLICY: &str = "iss=https://issuer.example;aud=api://items;typ=at+jwt";

/// One line of a vectors file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vector {
    pub name: String,
    pub jwks: String,
    pub now: i64,
    pub policy: String,
    pub expect: String,
    pub token: String,
    pub reason: String,
}

pub const VECTORS_HEADER: &str = "# name\tjwks\tnow\tpolicy\texpect\ttoken\treason\n";

pub fn render_vectors(vectors: &[Vector]) -> String {
    let mut out = String::from(VECTORS_HEADER);
    for v in vectors {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            v.name, v.jwks, v.now, v.policy, v.expect, v.token, v.reason
        ));
    }
    out
}

pub fn parse_vectors(text: &str) -> Vec<Vector> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 7, "vector line has 7 tab-separated fields: {line}");
            Vector {
                name: f[0].into(),
                jwks: f[1].into(),
                now: f[2].parse().expect("now is an integer"),
                policy: f[3].into(),
                expect: f[4].into(),
                token: f[5].into(),
                reason: f[6].into(),
            }
        })
        .collect()
}

pub fn load_vectors(file: &str) -> Vec<Vector> {
    let path = vectors_dir().join(file);
    parse_vectors(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
}

/// Reads a policy column: `-`, or `;`-separated `key=value` with keys `iss`, `aud`, `typ`,
/// `scope`, `claim`, `leeway`, `exp=optional` (`aud`, `scope` and `claim` repeat).
pub fn policy_from(spec: &str) -> Policy {
    let mut b = Policy::builder();
    if spec != "-" {
        for item in spec.split(';') {
            let (key, value) = item.split_once('=').expect("policy items are key=value");
            b = match key {
                "iss" => b.issuer(value),
                "aud" => b.audience(value),
                "typ" => b.token_type(value),
                "scope" => b.scope(value),
                "claim" => b.require_claim(value),
                "leeway" => b.leeway(value.parse().unwrap()),
                "exp" if value == "optional" => b.require_exp(false),
                _ => panic!("unknown policy item {item}"),
            };
        }
    }
    b.build().expect("vector policy is valid")
}

/// The verdict column as a result.
pub fn expected(expect: &str) -> Result<(), Error> {
    if expect == "ok" {
        return Ok(());
    }
    Err(*Error::ALL
        .iter()
        .find(|e| e.name() == expect)
        .unwrap_or_else(|| panic!("unknown verdict {expect}")))
}

/// Verifiers for vectors, built once per (jwks, policy).
#[derive(Default)]
pub struct Verifiers(HashMap<(String, String), Verifier>);

impl Verifiers {
    pub fn get(&mut self, v: &Vector) -> &Verifier {
        self.0
            .entry((v.jwks.clone(), v.policy.clone()))
            .or_insert_with(|| {
                let jwks = std::fs::read(vectors_dir().join(&v.jwks)).unwrap();
                let (keys, _) =
                    KeySet::from_jwks(&jwks).unwrap_or_else(|e| panic!("{}: {e}", v.jwks));
                Verifier::new(keys, policy_from(&v.policy))
            })
    }
}
