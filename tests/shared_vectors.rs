//! Wycheproof's JWS tests with `oct` keys, from `../shared/vectors/` (skipped when absent).
//!
//! Their payloads are not JWT claims, so every one is rejected as an access token; what they
//! check is the JWS layer. A JWS whose MAC is right over its literal signing input and whose
//! segments are canonical base64url must get past the MAC and fail only on its payload
//! (`Error::Json`); every other case must fail earlier.
//!
//! The verdict comes from the literal bytes, not Wycheproof's label: cases 372 and 373 are
//! labelled valid but their MAC is not over the literal input, and cases 367 and 370 are labelled
//! invalid for padding that the stored strings no longer carry (they equal valid case 357).

mod support;

use base64ct::{Base64UrlUnpadded, Encoding};
use support::shared_vectors_dir;
use tollgate::{Error, KeySet, Policy, Scratch, Verifier};

#[test]
fn wycheproof_jws_hs256_cases_fail_where_they_should() {
    let Some(dir) = shared_vectors_dir() else {
        eprintln!("skipping: ../shared/vectors is absent");
        return;
    };
    let text = std::fs::read_to_string(dir.join("wycheproof_jws_hs256.jsonl")).unwrap();
    let policy = Policy::builder().require_exp(false).build().unwrap();
    let mut scratch = Scratch::new();
    let mut past_the_mac = 0;
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = &case["tcId"];
        let jwks = format!(r#"{{"keys":[{}]}}"#, case["jwk"]);
        let (keys, _) =
            KeySet::from_jwks(jwks.as_bytes()).unwrap_or_else(|e| panic!("tcId {id}: {e}"));
        let verifier = Verifier::new(keys, policy.clone());
        let token = case["jws"].as_str().unwrap();
        let error = verifier
            .verify(token.as_bytes(), 0, &mut scratch)
            .expect_err("no Wycheproof JWS is an access token");
        let mac_ok = case["mac_over_literal_signing_input_ok"] == true;
        let canonical = token
            .split('.')
            .all(|segment| Base64UrlUnpadded::decode_vec(segment).is_ok());
        if mac_ok && canonical {
            assert_eq!(error, Error::Json, "tcId {id} ({})", case["comment"]);
            past_the_mac += 1;
        } else {
            assert_ne!(
                error,
                Error::Json,
                "tcId {id} ({}) got past the MAC",
                case["comment"]
            );
        }
    }
    assert!(past_the_mac >= 7);
}
