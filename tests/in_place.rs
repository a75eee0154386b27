//! A verifier built in place: `Verifier::empty`, `load_jwks` and `set_policy` fill a verifier
//! where it lives, so a microcontroller never moves a key set or a policy through its stack.
//! What it must guarantee besides that: it fails closed. An empty verifier, a failed load and a
//! failed policy all leave a verifier that rejects every token; a load replaces the keys.

mod support;

use support::*;
use tollgate::{
    Error, JwksErrorKind, KeySet, MAX_LEEWAY, Policy, PolicyEditor, PolicyError, Scratch, Verifier,
};

/// Applies a vectors policy column (see `support::policy_from`) through the editor.
fn edit_policy(spec: &str, p: &mut PolicyEditor<'_>) {
    if spec == "-" {
        return;
    }
    for item in spec.split(';') {
        let (key, value) = item.split_once('=').expect("policy items are key=value");
        match key {
            "iss" => p.issuer(value),
            "aud" => p.audience(value),
            "typ" => p.token_type(value),
            "scope" => p.scope(value),
            "claim" => p.require_claim(value),
            "leeway" => p.leeway(value.parse().unwrap()),
            "exp" if value == "optional" => p.require_exp(false),
            _ => panic!("unknown policy item {item}"),
        };
    }
}

fn jwks(name: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(name)).unwrap()
}

fn key_set(name: &str) -> KeySet {
    KeySet::from_jwks(&jwks(name)).unwrap().0
}

fn vector(name: &str) -> Vector {
    load_vectors("tokens.tsv")
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

fn verify(verifier: &Verifier, v: &Vector) -> Result<(), Error> {
    verifier
        .verify(v.token.as_bytes(), v.now, &mut Scratch::new())
        .map(|_| ())
}

/// A verifier holding `test.jwks` under the standard policy, built in place.
fn standard() -> Verifier {
    let mut verifier = Verifier::empty();
    verifier.load_jwks(&jwks("test.jwks")).unwrap();
    verifier
        .set_policy(|p| edit_policy(STANDARD_POLICY, p))
        .unwrap();
    verifier
}

#[test]
fn a_verifier_built_in_place_gives_every_vector_its_verdict() {
    // One verifier, reloaded for each key set and policy: every load replaces the last one.
    let mut verifier = Verifier::empty();
    let mut loaded = None;
    let mut failures = Vec::new();
    for file in ["tokens.tsv", "independent.tsv"] {
        for v in load_vectors(file) {
            if loaded.as_ref() != Some(&(v.jwks.clone(), v.policy.clone())) {
                verifier.load_jwks(&jwks(&v.jwks)).unwrap();
                verifier.set_policy(|p| edit_policy(&v.policy, p)).unwrap();
                assert_eq!(verifier.policy(), &policy_from(&v.policy), "{}", v.name);
                loaded = Some((v.jwks.clone(), v.policy.clone()));
            }
            let got = verify(&verifier, &v);
            if got != expected(&v.expect) {
                failures.push(format!("{}: expected {}, got {got:?}", v.name, v.expect));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_empty_verifier_rejects_every_token() {
    static EMPTY: Verifier = Verifier::empty();
    assert!(EMPTY.keys().is_empty());
    for v in load_vectors("tokens.tsv") {
        let got = verify(&EMPTY, &v);
        assert!(got.is_err(), "{} verified without keys", v.name);
        if v.expect == "ok" {
            assert_eq!(got, Err(Error::UnknownKey), "{}", v.name);
        }
    }
}

#[test]
fn an_empty_verifier_has_the_default_policy() {
    assert_eq!(Verifier::empty().policy(), &Policy::default());
    assert_eq!(Policy::default(), Policy::builder().build().unwrap());
}

#[test]
fn a_failed_load_leaves_no_keys() {
    let mut verifier = standard();
    let token = vector("rfc9068_eddsa_access_token");
    assert_eq!(verify(&verifier, &token), Ok(()));

    // A key set with no usable key (RFC 7517 §5 skips it) fails the load.
    let err = verifier.load_jwks(br#"{"keys":[]}"#).unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::NoUsableKey);
    assert!(verifier.keys().is_empty());
    assert_eq!(verify(&verifier, &token), Err(Error::UnknownKey));
}

#[test]
fn a_load_that_fails_part_way_keeps_none_of_its_keys() {
    let mut verifier = Verifier::empty();
    // The first key is usable, the second duplicates its kid and algorithm: fatal.
    let ed = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k"}"#;
    let doc = format!(r#"{{"keys":[{ed},{ed}]}}"#);
    let err = verifier.load_jwks(doc.as_bytes()).unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::DuplicateKey);
    assert!(verifier.keys().is_empty());
}

#[test]
fn a_load_that_fails_on_a_later_key_leaves_neither_old_nor_new_keys() {
    // Each error fatal to a JWKS (RFC 7517 §5 skips only unusable keys), met after four keys
    // loaded: none of the four stays, and the keys loaded before are gone too.
    let doc: serde_json::Value = serde_json::from_slice(&jwks("test.jwks")).unwrap();
    let keys: Vec<String> = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect();
    let first_four = keys[..4].join(",");
    let renamed = |i: usize| keys[0].replace(r#""kid":"ed1""#, &format!(r#""kid":"ed1-{i}""#));
    let fatal = [
        (
            format!("{first_four},{}", keys[0]),
            JwksErrorKind::DuplicateKey,
        ),
        (
            format!(
                r#"{first_four},{{"kty":"oct","alg":"RS256","k":"{}"}}"#,
                "A".repeat(43)
            ),
            JwksErrorKind::AlgorithmMismatch,
        ),
        (
            (0..=tollgate::MAX_KEYS)
                .map(renamed)
                .collect::<Vec<_>>()
                .join(","),
            JwksErrorKind::TooManyKeys,
        ),
    ];
    let token = vector("rfc9068_eddsa_access_token");
    for (entries, kind) in fatal {
        let mut verifier = standard();
        assert_eq!(verify(&verifier, &token), Ok(()));
        let err = verifier
            .load_jwks(format!(r#"{{"keys":[{entries}]}}"#).as_bytes())
            .unwrap_err();
        assert_eq!(err.kind, kind);
        assert!(verifier.keys().is_empty(), "{kind:?}");
        assert_eq!(
            verify(&verifier, &token),
            Err(Error::UnknownKey),
            "{kind:?}"
        );
    }
}

#[test]
fn loading_replaces_the_keys_rather_than_merging_them() {
    let mut verifier = standard();
    let report = verifier.load_jwks(&jwks("single_ed.jwks")).unwrap();
    assert_eq!(verifier.keys().len(), usize::from(report.loaded));
    // The HS256 key of test.jwks is gone with the rest of that set.
    assert_eq!(
        verify(&verifier, &vector("rfc9068_hs256_access_token")),
        Err(Error::UnknownKey)
    );
}

#[test]
fn a_policy_error_leaves_a_verifier_that_rejects_every_token() {
    let mut verifier = standard();
    let err = verifier
        .set_policy(|p| {
            p.issuer(ISSUER).leeway(MAX_LEEWAY + 1).audience(AUDIENCE);
        })
        .unwrap_err();
    assert_eq!(err, PolicyError::LeewayTooLarge);
    assert!(verifier.keys().is_empty());
    assert_eq!(verifier.policy(), &Policy::default());
    assert_eq!(
        verify(&verifier, &vector("rfc9068_eddsa_access_token")),
        Err(Error::UnknownKey)
    );
}

#[test]
fn setting_a_policy_starts_from_the_defaults() {
    let mut verifier = standard();
    verifier
        .set_policy(|p| {
            p.issuer(ISSUER);
        })
        .unwrap();
    let only_issuer = Policy::builder().issuer(ISSUER).build().unwrap();
    assert_eq!(verifier.policy(), &only_issuer);
    // No audience configured any more: a token that names one is not for us (RFC 7519 §4.1.3).
    assert_eq!(
        verify(&verifier, &vector("rfc9068_eddsa_access_token")),
        Err(Error::InvalidAudience)
    );
}

#[test]
fn the_editor_reports_the_first_error_like_the_builder() {
    let mut verifier = Verifier::empty();
    let err = verifier
        .set_policy(|p| {
            p.scope("a b").issuer("");
        })
        .unwrap_err();
    assert_eq!(err, PolicyError::InvalidValue);
    let err = verifier
        .set_policy(|p| {
            p.issuer(&"x".repeat(tollgate::MAX_POLICY_VALUE_LEN + 1));
        })
        .unwrap_err();
    assert_eq!(err, PolicyError::TooLong);
}

#[test]
fn a_policy_closure_that_panics_leaves_a_verifier_that_rejects_every_token() {
    // A gateway that catches the panic must not keep its keys under half a policy: the issuer
    // is set, the audience never is.
    let mut verifier = standard();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = verifier.set_policy(|p| {
            p.issuer(ISSUER);
            panic!("configuration source failed");
        });
    }));
    assert!(unwound.is_err());
    assert!(verifier.keys().is_empty());
    assert_eq!(verifier.policy(), &Policy::default());
    assert_eq!(
        verify(&verifier, &vector("rfc9068_eddsa_access_token")),
        Err(Error::UnknownKey)
    );
    // Nor does a key refresh afterwards verify under the defaults.
    let token = vector("rfc7515_a1_hs256");
    verifier.load_jwks(&jwks(&token.jwks)).unwrap();
    assert_eq!(verify(&verifier, &token), Err(Error::UnknownKey));
}

#[test]
fn a_key_refresh_after_a_failed_policy_does_not_verify_under_the_defaults() {
    // A gateway refreshes its keys on a timer, apart from its configuration. After a policy it
    // could not set, the refresh must not revive the verifier under the defaults (no issuer,
    // no scope): the intended issuer check below would reject this token.
    let token = vector("rfc7515_a1_hs256");
    let mut verifier = Verifier::empty();
    verifier.load_jwks(&jwks(&token.jwks)).unwrap();
    verifier
        .set_policy(|p| {
            p.issuer("https://not-joe.example");
        })
        .unwrap();
    assert_eq!(verify(&verifier, &token), Err(Error::InvalidIssuer));

    let err = verifier
        .set_policy(|p| {
            p.issuer("https://not-joe.example").leeway(MAX_LEEWAY + 1);
        })
        .unwrap_err();
    assert_eq!(err, PolicyError::LeewayTooLarge);
    verifier.load_jwks(&jwks(&token.jwks)).unwrap();
    assert_eq!(verify(&verifier, &token), Err(Error::UnknownKey));

    // A policy set successfully makes the loaded keys usable again.
    verifier
        .set_policy(|p| {
            p.issuer("joe");
        })
        .unwrap();
    assert_eq!(verify(&verifier, &token), Ok(()));
}

#[test]
fn assigning_a_key_set_and_policy_gives_the_verdicts_of_a_verifier_built_from_them() {
    // What `tollgate_verifier_init` does in a C caller's buffer.
    let mut failures = Vec::new();
    for file in ["tokens.tsv", "independent.tsv"] {
        for v in load_vectors(file) {
            let keys = key_set(&v.jwks);
            let policy = policy_from(&v.policy);
            let mut assigned = Verifier::empty();
            assigned.assign(&keys, &policy);
            let built = Verifier::new(keys, policy);
            assert_eq!(assigned.policy(), built.policy(), "{}", v.name);
            if verify(&assigned, &v) != verify(&built, &v) {
                failures.push(v.name.clone());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn assigning_replaces_the_keys_rather_than_merging_them() {
    let mut verifier = standard();
    verifier.assign(&key_set("single_ed.jwks"), &policy_from(STANDARD_POLICY));
    assert_eq!(verifier.keys().len(), key_set("single_ed.jwks").len());
    assert_eq!(
        verify(&verifier, &vector("rfc9068_hs256_access_token")),
        Err(Error::UnknownKey)
    );
}

#[test]
fn assigning_a_built_policy_ends_the_fail_closed_state_of_a_failed_one() {
    // The assigned policy was built whole (`Policy::builder().build()` refuses half a policy),
    // so the verifier is fully defined again.
    let mut verifier = standard();
    verifier
        .set_policy(|p| {
            p.leeway(MAX_LEEWAY + 1);
        })
        .unwrap_err();
    let token = vector("rfc9068_eddsa_access_token");
    assert_eq!(verify(&verifier, &token), Err(Error::UnknownKey));
    verifier.assign(&key_set("test.jwks"), &policy_from(STANDARD_POLICY));
    assert_eq!(verify(&verifier, &token), Ok(()));
}

#[test]
fn a_clock_left_at_zero_fails_closed_when_iat_is_required() {
    // A microcontroller whose clock was never set verifies at 0: every `exp` is in its future,
    // so RFC 7515 A.1's token, expired since 2011, still verifies. RFC 9068 §2.2 has every
    // access token carry `iat`; required, a token without it is refused, and one with it is
    // issued after the clock's time.
    let without_iat = vector("rfc7515_a1_hs256");
    let with_iat = vector("rfc9068_hs256_access_token");
    let mut verifier = Verifier::empty();
    verifier.load_jwks(&jwks(&without_iat.jwks)).unwrap();
    verifier
        .set_policy(|p| edit_policy(&without_iat.policy, p))
        .unwrap();
    let at_zero = |verifier: &Verifier, v: &Vector| {
        verifier
            .verify(v.token.as_bytes(), 0, &mut Scratch::new())
            .map(|_| ())
    };
    assert_eq!(at_zero(&verifier, &without_iat), Ok(()));
    verifier
        .set_policy(|p| {
            edit_policy(&without_iat.policy, p);
            p.require_claim("iat");
        })
        .unwrap();
    assert_eq!(at_zero(&verifier, &without_iat), Err(Error::MissingClaim));

    let mut verifier = standard();
    verifier
        .set_policy(|p| {
            edit_policy(STANDARD_POLICY, p);
            p.require_claim("iat");
        })
        .unwrap();
    assert_eq!(at_zero(&verifier, &with_iat), Err(Error::IssuedInFuture));
    assert_eq!(verify(&verifier, &with_iat), Ok(()));
}
