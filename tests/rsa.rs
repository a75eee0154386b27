//! RSA signatures (RS256/384/512, PS256/384/512) between Tollgate's test signer and
//! independent implementations.

mod support;

use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey, EncodingKey, Header, Validation};
use num_bigint::BigUint;
use support::rsa::*;
use support::*;
use tollgate::{Error, KeySet, Scratch, SkipReason, Verifier};

const RSA_ALGS: [(&str, JwtAlg); 6] = [
    ("RS256", JwtAlg::RS256),
    ("RS384", JwtAlg::RS384),
    ("RS512", JwtAlg::RS512),
    ("PS256", JwtAlg::PS256),
    ("PS384", JwtAlg::PS384),
    ("PS512", JwtAlg::PS512),
];

fn jsonwebtoken_accepts(token: &str, key: &RsaTestKey, alg: JwtAlg) -> bool {
    let decoding = DecodingKey::from_rsa_raw_components(&key.n, &key.e);
    let mut v = Validation::new(alg);
    v.set_required_spec_claims::<&str>(&[]);
    v.validate_exp = false;
    v.validate_aud = false;
    jsonwebtoken::decode::<serde_json::Value>(token, &decoding, &v).is_ok()
}

#[test]
fn the_test_signer_makes_tokens_jsonwebtoken_accepts() {
    // The vectors' RSA tokens come from this signer; an independent verifier vouches for it.
    for bits in [2048, 3072, 4096] {
        let key = rsa_test_key(bits);
        for (alg, jwt_alg) in RSA_ALGS {
            let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt"}}"#);
            let token = key.token(alg, &header, &Claims::standard().json());
            assert!(jsonwebtoken_accepts(&token, &key, jwt_alg), "{alg} {bits}");
        }
    }
}

#[test]
fn jsonwebtoken_signs_with_the_published_keys() {
    for bits in [2048, 3072, 4096] {
        let key = rsa_test_key(bits);
        let encoding = EncodingKey::from_rsa_der(&key.pkcs1_der);
        let token = jsonwebtoken::encode(
            &Header::new(JwtAlg::PS256),
            &serde_json::json!({"sub": "x"}),
            &encoding,
        )
        .unwrap();
        assert!(jsonwebtoken_accepts(&token, &key, JwtAlg::PS256), "{bits}");
    }
}

// --- Tokens from jsonwebtoken verify (its RSA comes from the `rsa` crate) ------------------

fn test_jwks_verifier() -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    Verifier::new(
        KeySet::from_jwks(&jwks).unwrap().0,
        policy_from(STANDARD_POLICY),
    )
}

fn jsonwebtoken_token(alg: JwtAlg, kid: &str, key: &RsaTestKey) -> String {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.into());
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": "client-1", "aud": AUDIENCE, "client_id": "client-1",
        "iat": NOW - 5, "exp": NOW + 300, "jti": "jsonwebtoken-rsa", "scope": "items:read",
    });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(&key.pkcs1_der)).unwrap()
}

#[test]
fn jsonwebtoken_tokens_of_every_rsa_algorithm_verify() {
    let verifier = test_jwks_verifier();
    let mut scratch = Scratch::new();
    for (alg, kid, bits) in RSA_TEST_KEYS {
        let jwt_alg = RSA_ALGS.iter().find(|(a, _)| *a == alg).unwrap().1;
        let token = jsonwebtoken_token(jwt_alg, kid, &rsa_test_key(bits));
        let claims = verifier
            .verify(token.as_bytes(), NOW, &mut scratch)
            .unwrap_or_else(|e| panic!("{alg} {bits}: {e}"));
        assert_eq!(claims.jti(), Some("jsonwebtoken-rsa"));
    }
}

#[test]
fn a_jsonwebtoken_ps256_token_needs_a_key_that_says_ps256() {
    // The same modulus as rsa1, which is bound to RS256: one key, one algorithm.
    let token = jsonwebtoken_token(JwtAlg::PS256, "rsa1", &rsa_test_key(2048));
    let mut scratch = Scratch::new();
    let err = test_jwks_verifier().verify(token.as_bytes(), NOW, &mut scratch);
    assert_eq!(err.unwrap_err(), Error::UnknownKey);
}

// --- RSA keys in a JWKS (RFC 7518 §6.3.1, §3.3) -------------------------------------------

fn rsa_jwk(n: &[u8], e: &[u8]) -> String {
    format!(
        r#"{{"keys":[{{"kty":"RSA","kid":"k","n":"{}","e":"{}"}},{{"kty":"oct","k":"{}"}}]}}"#,
        b64(n),
        b64(e),
        b64(HS1_SECRET)
    )
}

fn skip_reason(doc: &str) -> Option<SkipReason> {
    let (_, report) = KeySet::from_jwks(doc.as_bytes()).unwrap();
    report.skipped_keys().next().map(|s| s.reason)
}

#[test]
fn rsa_keys_below_2048_bits_are_skipped_as_too_short_rfc7518_3_3() {
    let k1024 = rsa_test_key(1024);
    assert_eq!(
        skip_reason(&rsa_jwk(&k1024.n, &k1024.e)),
        Some(SkipReason::KeyTooShort)
    );
    // 2047 bits: the 2048-bit modulus shifted right by one, made odd.
    let n = rsa_test_key(2048).n;
    let mut n2047 = BigUint::from_bytes_be(&n) >> 1u8;
    n2047.set_bit(0, true);
    assert_eq!(
        skip_reason(&rsa_jwk(&n2047.to_bytes_be(), &[1, 0, 1])),
        Some(SkipReason::KeyTooShort)
    );
}

#[test]
fn rsa_keys_with_e_1_even_e_even_n_or_zero_padding_are_skipped_as_invalid() {
    let n = rsa_test_key(2048).n;
    let mut even_n = n.clone();
    *even_n.last_mut().unwrap() &= !1;
    let mut padded_n = vec![0u8];
    padded_n.extend(&n);
    let cases: [(&str, &[u8], &[u8]); 6] = [
        ("e = 1", &n, &[1]),
        ("e = 65536", &n, &[1, 0, 0]),
        ("e = 0", &n, &[0]),
        ("e zero-padded", &n, &[0, 1, 0, 1]),
        ("n even", &even_n, &[1, 0, 1]),
        ("n zero-padded, RFC 7518 6.3.1.1", &padded_n, &[1, 0, 1]),
    ];
    for (case, n, e) in cases {
        assert_eq!(
            skip_reason(&rsa_jwk(n, e)),
            Some(SkipReason::InvalidKey),
            "{case}"
        );
    }
}

#[test]
fn rsa_keys_above_4096_bits_are_skipped_as_too_large() {
    let mut n8192 = vec![0xc3u8; 1024];
    n8192[1023] |= 1;
    assert_eq!(
        skip_reason(&rsa_jwk(&n8192, &[1, 0, 1])),
        Some(SkipReason::MemberTooLarge)
    );
    let mut n4104 = vec![0xc3u8; 513];
    n4104[512] |= 1;
    assert_eq!(
        skip_reason(&rsa_jwk(&n4104, &[1, 0, 1])),
        Some(SkipReason::MemberTooLarge)
    );
}

#[test]
fn an_rsa_key_with_only_a_certificate_chain_is_skipped_x5c_never_supplies_a_key() {
    let azure = std::fs::read_to_string(vectors_dir().join("idp/azure_ad.jwks")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&azure).unwrap();
    let mut key = doc["keys"][0].clone();
    key.as_object_mut().unwrap().remove("n");
    key.as_object_mut().unwrap().remove("e");
    let jwks = serde_json::json!({"keys": [key, {"kty": "oct", "k": b64(HS1_SECRET)}]});
    assert_eq!(
        skip_reason(&jwks.to_string()),
        Some(SkipReason::MissingMember)
    );
}

#[test]
fn a_certificate_of_another_key_in_x5c_changes_nothing() {
    // The JWK's n and e are the 2048-bit key's; its x5c carries the 4096-bit key's certificate.
    // A token by the 4096-bit key does not verify: x5c is never read.
    let auth0 = std::fs::read_to_string(vectors_dir().join("idp/auth0.jwks")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&auth0).unwrap();
    let mut key = doc["keys"][0].clone();
    key["x5c"] = doc["keys"][1]["x5c"].clone();
    key["x5t"] = doc["keys"][1]["x5t"].clone();
    let jwks = serde_json::json!({ "keys": [key] }).to_string();
    let verifier = Verifier::new(
        KeySet::from_jwks(jwks.as_bytes()).unwrap().0,
        policy_from(STANDARD_POLICY),
    );
    let header = r#"{"alg":"RS256","typ":"at+jwt","kid":"auth0-current"}"#;
    let payload = Claims::standard().json();
    let mut scratch = Scratch::new();
    let by_4096 = rsa_test_key(4096).token("RS256", header, &payload);
    assert_eq!(
        verifier
            .verify(by_4096.as_bytes(), NOW, &mut scratch)
            .unwrap_err(),
        Error::BadSignature
    );
    let by_2048 = rsa_test_key(2048).token("RS256", header, &payload);
    assert!(
        verifier
            .verify(by_2048.as_bytes(), NOW, &mut scratch)
            .is_ok()
    );
}

#[test]
fn a_published_rsa_private_key_loads_its_public_part_and_is_counted() {
    let k = rsa_test_key(2048);
    let doc = format!(
        r#"{{"keys":[{{"kty":"RSA","kid":"p","n":"{}","e":"{}","d":"{}"}}]}}"#,
        b64(&k.n),
        b64(&k.e),
        b64(&[0x42; 256])
    );
    let (_, report) = KeySet::from_jwks(doc.as_bytes()).unwrap();
    assert_eq!((report.loaded, report.private_members_ignored), (1, 1));
}
