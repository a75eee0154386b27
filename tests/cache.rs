//! The verified-token cache: exact, bound to one verifier, time-checked on every hit.

mod support;

use base64ct::Encoding;
use support::*;
use tollgate::{Cache, CacheSlot, Error, KeySet, Policy, Scratch, Verifier};

fn verifier(policy: &str) -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    Verifier::new(KeySet::from_jwks(&jwks).unwrap().0, policy_from(policy))
}

fn slots(n: usize) -> Vec<CacheSlot> {
    (0..n).map(|_| CacheSlot::new()).collect()
}

fn all_empty(slots: &[CacheSlot]) -> bool {
    slots
        .iter()
        .all(|s| format!("{s:?}").contains("filled: false"))
}

#[test]
fn a_cached_token_gives_the_same_claims_as_a_fresh_verification() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = v.cache(slots(4));
    let token = ed_token(&Claims::standard().with("tenant", r#""caf\u00e9""#));
    let mut fresh = Scratch::new();
    let expected = v
        .verify(token.as_bytes(), NOW, &mut fresh)
        .unwrap()
        .payload_json()
        .to_string();
    for _ in 0..3 {
        let mut scratch = Scratch::new();
        let c = cache.verify(token.as_bytes(), NOW, &mut scratch).unwrap();
        assert_eq!(c.payload_json(), expected);
        assert_eq!(c.claim("tenant").unwrap().as_str(), Some("café"));
        assert_eq!(c.sub(), Some("client-1"));
        assert_eq!(c.kid(), Some("ed1"));
    }
}

#[test]
fn a_cached_token_still_expires() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = v.cache(slots(4));
    let token = hs_token(&Claims::standard());
    let mut scratch = Scratch::new();
    assert!(cache.verify(token.as_bytes(), NOW, &mut scratch).is_ok());
    let exp = NOW + 290;
    assert!(
        cache
            .verify(token.as_bytes(), exp - 1, &mut scratch)
            .is_ok()
    );
    assert_eq!(
        cache
            .verify(token.as_bytes(), exp, &mut scratch)
            .unwrap_err(),
        Error::Expired
    );
    assert!(scratch.claims().is_none(), "a failed hit leaves no claims");
}

#[test]
fn a_cached_token_is_not_valid_before_its_nbf() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = v.cache(slots(1));
    let token = ed_token(&Claims::standard().with("nbf", &NOW.to_string()));
    let mut scratch = Scratch::new();
    assert!(cache.verify(token.as_bytes(), NOW, &mut scratch).is_ok());
    assert_eq!(
        cache
            .verify(token.as_bytes(), NOW - 1, &mut scratch)
            .unwrap_err(),
        Error::NotYetValid
    );
}

#[test]
fn slots_handed_to_another_verifier_never_answer_for_it() {
    let strict = verifier(STANDARD_POLICY);
    let other = verifier("iss=https://issuer.example");
    let token = ed_token(&Claims::standard());
    let mut scratch = Scratch::new();
    let mut cache = strict.cache(slots(4));
    assert!(cache.verify(token.as_bytes(), NOW, &mut scratch).is_ok());
    let mut cache = other.cache(cache.into_slots());
    // `other` accepts no audience, so the token must be rejected, cache or not.
    assert_eq!(
        cache
            .verify(token.as_bytes(), NOW, &mut scratch)
            .unwrap_err(),
        Error::InvalidAudience
    );
}

#[test]
fn a_new_verifier_at_the_same_address_never_answers_from_the_old_ones_slots() {
    // Issue 8 point 10: identity by address is not identity. The place `v` is reused for a
    // verifier that accepts another audience (after a key rotation, say). Against the old
    // address-keyed slots the second lookup answered Ok.
    let mut v = Box::new(verifier("iss=https://issuer.example;aud=api://items"));
    let address = &*v as *const Verifier;
    let mut slots = slots(2);
    let token = ed_token(&Claims::standard());
    let mut scratch = Scratch::new();
    let mut cache = Cache::new(&v, &mut slots[..]);
    assert!(cache.verify(token.as_bytes(), NOW, &mut scratch).is_ok());
    assert!(!all_empty(&slots), "the token was cached");
    *v = verifier("iss=https://issuer.example;aud=api://other");
    assert_eq!(&*v as *const Verifier, address, "same place, new verifier");
    assert_eq!(
        v.verify(token.as_bytes(), NOW, &mut scratch).unwrap_err(),
        Error::InvalidAudience
    );
    let mut cache = Cache::new(&v, &mut slots[..]);
    assert_eq!(
        cache
            .verify(token.as_bytes(), NOW, &mut scratch)
            .unwrap_err(),
        Error::InvalidAudience
    );
}

#[test]
fn rejected_tokens_are_not_cached() {
    let v = verifier(STANDARD_POLICY);
    let mut slots = slots(2);
    let mut cache = v.cache(&mut slots[..]);
    let forged = sign_ed(&EVIL_SEED, ED1_HEADER, &Claims::standard().json());
    let mut scratch = Scratch::new();
    for _ in 0..2 {
        assert_eq!(
            cache
                .verify(forged.as_bytes(), NOW, &mut scratch)
                .unwrap_err(),
            Error::BadSignature
        );
    }
    assert!(all_empty(&slots));
}

#[test]
fn a_token_that_differs_in_one_byte_is_verified_afresh() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = v.cache(slots(2));
    let token = hs_token(&Claims::standard());
    let mut scratch = Scratch::new();
    cache.verify(token.as_bytes(), NOW, &mut scratch).unwrap();
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    assert!(cache.verify(&altered, NOW, &mut scratch).is_err());
}

#[test]
fn more_tokens_than_slots_all_still_verify() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = v.cache(slots(2));
    let tokens: Vec<String> = (0..5)
        .map(|i| ed_token(&Claims::standard().with("exp", &(NOW + 100 + i).to_string())))
        .collect();
    let mut scratch = Scratch::new();
    for _ in 0..2 {
        for t in &tokens {
            let c = cache.verify(t.as_bytes(), NOW, &mut scratch).unwrap();
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
    let mut slots = slots(1);
    let token = ed_token(&Claims::standard().with(
        "pad",
        &format!("\"{}\"", "x".repeat(tollgate::MAX_CACHED_TOKEN_LEN)),
    ));
    let mut scratch = Scratch::new();
    assert!(
        v.cache(&mut slots[..])
            .verify(token.as_bytes(), NOW, &mut scratch)
            .is_ok()
    );
    assert!(all_empty(&slots));
}

#[test]
fn no_slots_means_no_cache() {
    let v = verifier(STANDARD_POLICY);
    let token = ed_token(&Claims::standard());
    let mut scratch = Scratch::new();
    let mut cache = v.cache([]);
    for _ in 0..2 {
        assert!(cache.verify(token.as_bytes(), NOW, &mut scratch).is_ok());
    }
}

#[test]
fn a_fixed_array_of_slots_works_without_a_heap() {
    let v = verifier(STANDARD_POLICY);
    let mut cache = v.cache([CacheSlot::new(), CacheSlot::new()]);
    let token = ed_token(&Claims::standard());
    let mut scratch = Scratch::new();
    for _ in 0..2 {
        assert_eq!(
            cache
                .verify(token.as_bytes(), NOW, &mut scratch)
                .unwrap()
                .sub(),
            Some("client-1")
        );
    }
    assert!(!all_empty(&cache.into_slots()));
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
    let mut cache = v.cache(slots(1));
    let token = ed_token(&Claims::standard().without("exp"));
    let mut scratch = Scratch::new();
    assert!(cache.verify(token.as_bytes(), NOW, &mut scratch).is_ok());
    assert!(
        cache
            .verify(token.as_bytes(), i64::MAX, &mut scratch)
            .is_ok()
    );
}
