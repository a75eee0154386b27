//! Tokens issued by independent implementations verify: jsonwebtoken (Rust, its own JOSE layer)
//! here at run time, and PyJWT (Python, OpenSSL through `cryptography`) through
//! `tests/vectors/independent.tsv`.

mod support;

use jsonwebtoken::{Algorithm as JwtAlg, EncodingKey, Header, encode};
use serde_json::json;
use support::*;
use tollgate::{KeySet, Scratch, Verifier};

/// PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410 §7), as jsonwebtoken reads signing keys.
fn ed25519_pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

/// PKCS#8 v1 wrapping of a P-256 or P-384 private scalar (RFC 5915 inside RFC 5208), as
/// jsonwebtoken reads EC signing keys.
fn ec_pkcs8(curve_oid: &[u8], d: &[u8]) -> Vec<u8> {
    let tlv = |tag: u8, body: &[u8]| [&[tag, body.len() as u8][..], body].concat();
    let ec_public_key = hex("2a8648ce3d0201");
    let algorithm = tlv(
        0x30,
        &[tlv(0x06, &ec_public_key), tlv(0x06, curve_oid)].concat(),
    );
    let ec_private_key = tlv(0x30, &[tlv(0x02, &[1]), tlv(0x04, d)].concat());
    tlv(
        0x30,
        &[tlv(0x02, &[0]), algorithm, tlv(0x04, &ec_private_key)].concat(),
    )
}

fn ec_verifier() -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("ec.jwks")).unwrap();
    Verifier::new(
        KeySet::from_jwks(&jwks).unwrap().0,
        policy_from(STANDARD_POLICY),
    )
}

fn access_token_claims() -> serde_json::Value {
    json!({
        "iss": ISSUER, "sub": "client-1", "aud": [AUDIENCE], "client_id": "client-1",
        "iat": NOW - 5, "exp": NOW + 300, "jti": "jsonwebtoken-1",
        "scope": "items:read", "name": "Zoë 😀", "roles": ["a", "b"],
    })
}

fn verifier() -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    Verifier::new(
        KeySet::from_jwks(&jwks).unwrap().0,
        policy_from(STANDARD_POLICY),
    )
}

fn header(alg: JwtAlg, kid: &str) -> Header {
    let mut h = Header::new(alg);
    h.typ = Some("at+jwt".into());
    h.kid = Some(kid.into());
    h
}

#[test]
fn jsonwebtoken_eddsa_token_verifies() {
    let key = EncodingKey::from_ed_der(&ed25519_pkcs8(&ed1_seed()));
    let token = encode(&header(JwtAlg::EdDSA, "ed1"), &access_token_claims(), &key).unwrap();
    let mut scratch = Scratch::new();
    let claims = verifier()
        .verify(token.as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert_eq!(claims.sub(), Some("client-1"));
    assert_eq!(claims.claim("name").unwrap().as_str(), Some("Zoë 😀"));
}

#[test]
fn jsonwebtoken_hs256_token_verifies() {
    let key = EncodingKey::from_secret(HS1_SECRET);
    let token = encode(&header(JwtAlg::HS256, "hs1"), &access_token_claims(), &key).unwrap();
    let mut scratch = Scratch::new();
    let claims = verifier()
        .verify(token.as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert_eq!(claims.aud().collect::<Vec<_>>(), [AUDIENCE]);
    assert_eq!(claims.scopes().collect::<Vec<_>>(), ["items:read"]);
}

#[test]
fn jsonwebtoken_es256_token_verifies() {
    let d = es256_key().to_bytes();
    let key = EncodingKey::from_ec_der(&ec_pkcs8(&hex("2a8648ce3d030107"), &d));
    let token = encode(
        &header(JwtAlg::ES256, "es256"),
        &access_token_claims(),
        &key,
    )
    .unwrap();
    let mut scratch = Scratch::new();
    let claims = ec_verifier()
        .verify(token.as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert_eq!(claims.alg(), tollgate::Algorithm::Es256);
    assert_eq!(claims.claim("name").unwrap().as_str(), Some("Zoë 😀"));
}

#[test]
fn jsonwebtoken_es384_token_verifies() {
    let key = EncodingKey::from_ec_der(&ec_pkcs8(&hex("2b81040022"), &hex(ES384_D_HEX)));
    let token = encode(
        &header(JwtAlg::ES384, "es384"),
        &access_token_claims(),
        &key,
    )
    .unwrap();
    let mut scratch = Scratch::new();
    let claims = ec_verifier()
        .verify(token.as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert_eq!(claims.alg(), tollgate::Algorithm::Es384);
    assert_eq!(claims.sub(), Some("client-1"));
}

#[test]
fn jsonwebtoken_hs384_token_is_an_unsupported_algorithm() {
    let key = EncodingKey::from_secret(HS1_SECRET);
    let token = encode(&header(JwtAlg::HS384, "hs1"), &access_token_claims(), &key).unwrap();
    assert_eq!(
        verifier()
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .unwrap_err(),
        tollgate::Error::UnsupportedAlgorithm
    );
}

#[test]
fn pyjwt_vectors_cover_every_enabled_algorithm() {
    // Their verdicts are checked with every other vector (tests/vectors.rs).
    let vectors = load_vectors("independent.tsv");
    for alg in ["EdDSA", "HS256", "ES256", "ES384"] {
        let accepted = vectors
            .iter()
            .filter(|v| v.expect == "ok" && v.name.contains(&alg.to_lowercase()))
            .count();
        assert!(accepted >= 1, "no accepted PyJWT {alg} token");
    }
}
