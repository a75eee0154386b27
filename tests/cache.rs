//! The verified-token cache: exact, per verifier, time-checked on every hit.

mod support;

use base64ct::Encoding;
use support::*;
use tollgate::{CacheSlot, Error, KeySet, Policy, Scratch, Verifier};

fn verifier(policy: &str) -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    Verifier::new(KeySet::from_jwks(&jwks).unwrap().0, policy_from(policy))
}

fn slots(n: usize) -> Vec<CacheSlot> {
    (0..n).map(|_| CacheSlot::new()).collect()
}

#[test]
fn a_cached_token_gives_the_same_claims_as_a_fresh_verification() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = slots(4);
    let token = ed_token(&Claims::standard().with("tenant", r#""caf\u00e9""#));
    let mut fresh = Scratch::new();
    let expected = v
        .verify(token.as_bytes(), NOW, &mut fresh)
        .unwrap()
        .payload_json()
        .to_string();
    for _ in 0..3 {
        let mut scratch = Scratch::new();
        let c = v
            .verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
            .unwrap();
        assert_eq!(c.payload_json(), expected);
        assert_eq!(c.claim("tenant").unwrap().as_str(), Some("café"));
        assert_eq!(c.sub(), Some("client-1"));
        assert_eq!(c.kid(), Some("ed1"));
    }
}

#[test]
fn a_cached_token_still_expires() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = slots(4);
    let token = hs_token(&Claims::standard());
    let mut scratch = Scratch::new();
    assert!(
        v.verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
            .is_ok()
    );
    let exp = NOW + 290;
    assert!(
        v.verify_cached(token.as_bytes(), exp - 1, &mut cache, &mut scratch)
            .is_ok()
    );
    assert_eq!(
        v.verify_cached(token.as_bytes(), exp, &mut cache, &mut scratch)
            .unwrap_err(),
        Error::Expired
    );
    assert!(scratch.claims().is_none(), "a failed hit leaves no claims");
}

#[test]
fn a_cached_token_is_not_valid_before_its_nbf() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = slots(1);
    let token = ed_token(&Claims::standard().with("nbf", &NOW.to_string()));
    let mut scratch = Scratch::new();
    assert!(
        v.verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
            .is_ok()
    );
    assert_eq!(
        v.verify_cached(token.as_bytes(), NOW - 1, &mut cache, &mut scratch)
            .unwrap_err(),
        Error::NotYetValid
    );
}

#[test]
fn another_verifier_never_answers_from_the_cache() {
    let strict = verifier(STANDARD_POLICY);
    let other = verifier("iss=https://issuer.example");
    let mut cache = slots(4);
    let token = ed_token(&Claims::standard());
    let mut scratch = Scratch::new();
    assert!(
        strict
            .verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
            .is_ok()
    );
    // `other` accepts no audience, so the token must be rejected, cache or not.
    assert_eq!(
        other
            .verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
            .unwrap_err(),
        Error::InvalidAudience
    );
}

#[test]
fn rejected_tokens_are_not_cached() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = slots(2);
    let forged = sign_ed(&EVIL_SEED, ED1_HEADER, &Claims::standard().json());
    let mut scratch = Scratch::new();
    for _ in 0..2 {
        assert_eq!(
            v.verify_cached(forged.as_bytes(), NOW, &mut cache, &mut scratch)
                .unwrap_err(),
            Error::BadSignature
        );
    }
    assert!(
        cache
            .iter()
            .all(|s| format!("{s:?}").contains("filled: false"))
    );
}

#[test]
fn a_token_that_differs_in_one_byte_is_verified_afresh() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = slots(2);
    let token = hs_token(&Claims::standard());
    let mut scratch = Scratch::new();
    v.verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
        .unwrap();
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    assert!(
        v.verify_cached(&altered, NOW, &mut cache, &mut scratch)
            .is_err()
    );
}

#[test]
fn more_tokens_than_slots_all_still_verify() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = slots(2);
    let tokens: Vec<String> = (0..5)
        .map(|i| ed_token(&Claims::standard().with("exp", &(NOW + 100 + i).to_string())))
        .collect();
    let mut scratch = Scratch::new();
    for _ in 0..2 {
        for t in &tokens {
            let c = v
                .verify_cached(t.as_bytes(), NOW, &mut cache, &mut scratch)
                .unwrap();
            assert_eq!(
                c.payload_json(),
                std::str::from_utf8(&payload_of(t)).unwrap()
            );
        }
    }
}

fn payload_of(token: &str) -> Vec<u8> {
    let p = token.split('.').nth(1).unwrap();
    base64ct::Base64UrlUnpadded::decode_vec(p).unwrap()
}

#[test]
fn tokens_too_long_to_cache_still_verify() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = slots(1);
    let token = ed_token(&Claims::standard().with(
        "pad",
        &format!("\"{}\"", "x".repeat(tollgate::MAX_CACHED_TOKEN_LEN)),
    ));
    let mut scratch = Scratch::new();
    assert!(
        v.verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
            .is_ok()
    );
    assert!(format!("{:?}", cache[0]).contains("filled: false"));
}

#[test]
fn no_slots_means_no_cache() {
    let v = verifier(STANDARD_POLICY);
    let token = ed_token(&Claims::standard());
    let mut scratch = Scratch::new();
    assert!(
        v.verify_cached(token.as_bytes(), NOW, &mut [], &mut scratch)
            .is_ok()
    );
}

#[test]
fn a_policy_without_exp_caches_tokens_that_never_expire() {
    let v = Verifier::new(
        KeySet::from_jwks(&std::fs::read(vectors_dir().join("test.jwks")).unwrap())
            .unwrap()
            .0,
        Policy::builder()
            .audience(AUDIENCE)
            .require_exp(false)
            .build()
            .unwrap(),
    );
    let mut cache = slots(1);
    let token = ed_token(&Claims::standard().without("exp"));
    let mut scratch = Scratch::new();
    assert!(
        v.verify_cached(token.as_bytes(), NOW, &mut cache, &mut scratch)
            .is_ok()
    );
    assert!(
        v.verify_cached(token.as_bytes(), i64::MAX, &mut cache, &mut scratch)
            .is_ok()
    );
}
