//! Key sets shaped like those identity providers publish (`tests/vectors/idp/`, written by
//! `tests/vectors/idp_jwks.py` from each provider's public format): they load, their EC keys
//! verify tokens, and what we do not verify is skipped and reported, never fatal.
//!
//! RSA keys are skipped as unsupported while the build does not verify RS256, and load once it
//! does: the expectations follow `Algorithm::Rs256.is_enabled()`.

mod support;

use support::*;
use tollgate::{Algorithm, Error, JwksErrorKind, KeySet, Policy, Scratch, SkipReason, Verifier};

fn document(file: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join("idp").join(file)).unwrap()
}

/// What a provider's document must load into: its EC keys by kid, how many RSA signing keys, and
/// how many keys are for encryption.
fn check(file: &str, ec_keys: &[(Algorithm, &str)], rsa_signing: u16, for_encryption: u16) {
    let rsa = Algorithm::Rs256.is_enabled();
    let loaded = ec_keys.len() as u16 + if rsa { rsa_signing } else { 0 };
    let report = match KeySet::from_jwks(&document(file)) {
        Ok((keys, report)) => {
            let listed: Vec<_> = keys
                .iter()
                .filter(|(alg, _)| matches!(alg, Algorithm::Es256 | Algorithm::Es384))
                .collect();
            let expected: Vec<_> = ec_keys.iter().map(|(a, k)| (*a, Some(*k))).collect();
            assert_eq!(listed, expected, "{file}");
            assert_eq!(report.loaded, loaded, "{file}");
            report
        }
        Err(e) => {
            assert_eq!(
                (loaded, e.kind),
                (0, JwksErrorKind::NoUsableKey),
                "{file}: {e}"
            );
            e.report
        }
    };
    let unsupported = if rsa { 0 } else { rsa_signing };
    assert_eq!(
        report.skipped_for(SkipReason::Unsupported),
        unsupported,
        "{file}"
    );
    assert_eq!(
        report.skipped_for(SkipReason::NotForSignatures),
        for_encryption,
        "{file}"
    );
    assert_eq!(report.skipped, unsupported + for_encryption, "{file}");
}

#[test]
fn keycloak_realm_certs_with_rsa_and_ec_keys_for_signing_and_encryption() {
    check(
        "keycloak.jwks",
        &[
            (Algorithm::Es256, "keycloak-es256"),
            (Algorithm::Es384, "keycloak-es384"),
        ],
        1,
        1,
    );
}

#[test]
fn auth0_current_and_next_signing_keys() {
    check("auth0.jwks", &[], 2, 0);
}

#[test]
fn azure_ad_keys_without_alg_bound_to_rs256() {
    check("azure_ad.jwks", &[], 6, 0);
}

#[test]
fn google_oauth2_certs() {
    check("google.jwks", &[], 3, 0);
}

#[test]
fn google_iap_es256_keys() {
    check(
        "google_iap.jwks",
        &[
            (Algorithm::Es256, "iap-es256"),
            (Algorithm::Es256, "iap-0"),
            (Algorithm::Es256, "iap-1"),
            (Algorithm::Es256, "iap-2"),
        ],
        0,
        0,
    );
}

#[test]
fn okta_authorization_server_keys() {
    check("okta.jwks", &[], 2, 0);
}

fn verifier(file: &str) -> Verifier {
    let (keys, _) = KeySet::from_jwks(&document(file)).unwrap();
    Verifier::new(keys, policy_from(STANDARD_POLICY))
}

#[test]
fn keycloak_es256_and_es384_tokens_verify_with_the_published_keys() {
    let v = verifier("keycloak.jwks");
    let claims = Claims::standard().json();
    let es256 = sign_es256(
        r#"{"alg":"ES256","typ":"at+jwt","kid":"keycloak-es256"}"#,
        &claims,
    );
    let es384 = sign_es384(
        r#"{"alg":"ES384","typ":"at+jwt","kid":"keycloak-es384"}"#,
        &claims,
    );
    let mut scratch = Scratch::new();
    assert!(v.verify(es256.as_bytes(), NOW, &mut scratch).is_ok());
    assert!(v.verify(es384.as_bytes(), NOW, &mut scratch).is_ok());
}

#[test]
fn google_iap_token_verifies_by_kid_and_fails_under_another_kid() {
    // IAP's header says typ JWT, so the policy here asks for no type.
    let (keys, _) = KeySet::from_jwks(&document("google_iap.jwks")).unwrap();
    let v = Verifier::new(
        keys,
        Policy::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap(),
    );
    let claims = Claims::standard().json();
    let mut scratch = Scratch::new();
    let own = sign_es256(r#"{"alg":"ES256","typ":"JWT","kid":"iap-es256"}"#, &claims);
    assert!(v.verify(own.as_bytes(), NOW, &mut scratch).is_ok());
    let other = sign_es256(r#"{"alg":"ES256","typ":"JWT","kid":"iap-1"}"#, &claims);
    assert_eq!(
        v.verify(other.as_bytes(), NOW, &mut scratch).unwrap_err(),
        Error::BadSignature
    );
    let none = sign_es256(r#"{"alg":"ES256","typ":"JWT"}"#, &claims);
    assert_eq!(
        v.verify(none.as_bytes(), NOW, &mut scratch).unwrap_err(),
        Error::UnknownKey,
        "four ES256 keys: without kid there is no guessing"
    );
}

#[test]
fn every_provider_set_merges_into_one_key_set() {
    // A gateway in front of several providers; skipped keys do not count against MAX_KEYS.
    let mut keys = KeySet::new();
    let mut loaded = 0;
    for file in ["keycloak.jwks", "google_iap.jwks"] {
        loaded += keys.add_jwks(&document(file)).unwrap().loaded;
    }
    assert_eq!(usize::from(loaded), keys.len());
    assert!(keys.len() >= 6);
}
