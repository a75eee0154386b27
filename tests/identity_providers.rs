//! Key sets shaped like those identity providers publish (`tests/vectors/idp/`, written by
//! `tests/vectors/idp_jwks.py` from each provider's public format, over the published test keys):
//! they load, tokens signed by each of their signing keys verify, a key serves only the algorithm
//! it is bound to, and what we do not verify is skipped and reported, never fatal.

mod support;

use support::rsa::rsa_test_key;
use support::*;
use tollgate::{Error, KeySet, Policy, Scratch, SkipReason, Verifier};

fn document(file: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join("idp").join(file)).unwrap()
}

/// A signing key of a document: its position in `keys`, the algorithm it is bound to, and the
/// test key that signs for it (RSA bits, or `es256`/`es384`).
type SigningKey = (usize, &'static str, Signer);

#[derive(Clone, Copy)]
enum Signer {
    Rsa(usize),
    Es256,
    Es384,
}

/// (file, keys loaded, keys skipped as not for signatures, signing keys)
const DOCUMENTS: [(&str, u16, u16, &[SigningKey]); 6] = [
    (
        "keycloak.jwks",
        4,
        1,
        &[
            (0, "RS256", Signer::Rsa(2048)),
            (1, "PS256", Signer::Rsa(3072)),
            (3, "ES256", Signer::Es256),
            (4, "ES384", Signer::Es384),
        ],
    ),
    (
        "auth0.jwks",
        2,
        0,
        &[
            (0, "RS256", Signer::Rsa(2048)),
            (1, "RS256", Signer::Rsa(4096)),
        ],
    ),
    // No alg in Azure AD's keys: RSA without alg is RS256. Their kid is the certificate's x5t.
    (
        "azure_ad.jwks",
        3,
        0,
        &[
            (0, "RS256", Signer::Rsa(2048)),
            (1, "RS256", Signer::Rsa(3072)),
            (2, "RS256", Signer::Rsa(4096)),
        ],
    ),
    (
        "google.jwks",
        2,
        0,
        &[
            (0, "RS256", Signer::Rsa(2048)),
            (1, "RS256", Signer::Rsa(3072)),
        ],
    ),
    ("google_iap.jwks", 4, 0, &[(0, "ES256", Signer::Es256)]),
    ("okta.jwks", 1, 0, &[(0, "RS256", Signer::Rsa(2048))]),
];

/// The `kid` of the `index`th key of a document.
fn kid_of(file: &str, index: usize) -> String {
    let doc: serde_json::Value = serde_json::from_slice(&document(file)).unwrap();
    doc["keys"][index]["kid"].as_str().unwrap().to_string()
}

fn sign(signer: Signer, alg: &str, header: &str) -> String {
    let payload = Claims::standard().json();
    match signer {
        Signer::Rsa(bits) => rsa_test_key(bits).token(alg, header, &payload),
        Signer::Es256 => sign_es256(header, &payload),
        Signer::Es384 => sign_es384(header, &payload),
    }
}

/// The algorithm of the same key type an attacker would swap in: the other RSA padding, the
/// other curve.
fn swapped(alg: &str) -> String {
    match alg {
        "ES256" => "ES384".into(),
        "ES384" => "ES256".into(),
        rs if rs.starts_with('R') => rs.replacen('R', "P", 1),
        ps => ps.replacen('P', "R", 1),
    }
}

#[test]
fn every_provider_document_loads_and_reports_what_it_skips() {
    for (file, loaded, not_for_signatures, _) in DOCUMENTS {
        let (keys, report) = KeySet::from_jwks(&document(file)).unwrap();
        assert_eq!(report.loaded, loaded, "{file}");
        assert_eq!(keys.len(), usize::from(loaded), "{file}");
        assert_eq!(
            report.skipped_for(SkipReason::NotForSignatures),
            not_for_signatures,
            "{file}"
        );
        assert_eq!(report.skipped, not_for_signatures, "{file}");
    }
}

#[test]
fn tokens_of_every_provider_signing_key_verify_and_fail_under_the_swapped_algorithm() {
    let mut scratch = Scratch::new();
    for (file, _, _, signing) in DOCUMENTS {
        let (keys, _) = KeySet::from_jwks(&document(file)).unwrap();
        let verifier = Verifier::new(keys, policy_from(STANDARD_POLICY));
        for &(index, alg, signer) in signing {
            let kid = kid_of(file, index);
            let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{kid}"}}"#);
            let token = sign(signer, alg, &header);
            let verdict = verifier.verify(token.as_bytes(), NOW, &mut scratch);
            assert_eq!(verdict.map(|_| ()), Ok(()), "{file} {kid}");
            // One key, one algorithm: the key's kid under another algorithm finds no key.
            let other = swapped(alg);
            let header = format!(r#"{{"alg":"{other}","typ":"at+jwt","kid":"{kid}"}}"#);
            let token = sign(signer, alg, &header);
            let verdict = verifier.verify(token.as_bytes(), NOW, &mut scratch);
            assert_eq!(
                verdict.map(|_| ()),
                Err(Error::UnknownKey),
                "{file} {kid} as {other}"
            );
        }
    }
}

#[test]
fn keycloak_encryption_key_is_skipped_as_not_for_signatures() {
    let (keys, report) = KeySet::from_jwks(&document("keycloak.jwks")).unwrap();
    let skipped: Vec<_> = report.skipped_keys().map(|s| s.key_index).collect();
    assert_eq!(skipped, [2], "kc-enc, use enc, alg RSA-OAEP");
    assert!(keys.iter().all(|(_, kid)| kid != Some("kc-enc")));
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
fn a_gateway_in_front_of_every_provider_holds_all_their_keys_in_one_set() {
    // Skipped keys do not count against MAX_KEYS.
    let mut keys = KeySet::new();
    let mut loaded = 0;
    for (file, ..) in DOCUMENTS {
        loaded += keys.add_jwks(&document(file)).unwrap().loaded;
    }
    assert_eq!(usize::from(loaded), keys.len());
    assert_eq!(keys.len(), 16);
    assert!(keys.len() <= tollgate::MAX_KEYS);
}
