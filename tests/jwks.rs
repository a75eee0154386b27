//! Loading keys from JWKS documents (RFC 7517, RFC 8037, RFC 7518 §3.2).

mod support;

use support::*;
use tollgate::{
    Algorithm, JwksError, JwksErrorKind, KeySet, LoadReport, Policy, Scratch, Verifier,
};

fn load(doc: &str) -> Result<(KeySet, LoadReport), JwksError> {
    KeySet::from_jwks(doc.as_bytes())
}

fn kind(doc: &str) -> JwksErrorKind {
    load(doc).unwrap_err().kind
}

fn ed1_x() -> String {
    b64(&ed_public(&ed1_seed()))
}

fn okp(extra: &str) -> String {
    format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{}"{extra}}}]}}"#,
        ed1_x()
    )
}

fn oct(k: &[u8], extra: &str) -> String {
    format!(r#"{{"keys":[{{"kty":"oct","k":"{}"{extra}}}]}}"#, b64(k))
}

#[test]
fn test_jwks_loads_three_keys_and_skips_rsa() {
    let (keys, report) =
        load(&std::fs::read_to_string(vectors_dir().join("test.jwks")).unwrap()).unwrap();
    assert_eq!(
        report,
        LoadReport {
            loaded: 3,
            skipped: 1,
            private_members_ignored: 0
        }
    );
    let listed: Vec<_> = keys.iter().collect();
    assert_eq!(
        listed,
        [
            (Algorithm::EdDsa, Some("ed1")),
            (Algorithm::EdDsa, Some("ed2")),
            (Algorithm::Hs256, Some("hs1"))
        ]
    );
}

#[test]
fn keycloak_style_set_loads_its_ed25519_key_and_skips_the_rest() {
    // RFC 7517 §5: members of unknown or unsupported key types are ignored.
    let doc = format!(
        r#"{{"keys":[
        {{"kid":"rsa-sig","kty":"RSA","alg":"RS256","use":"sig","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB",
          "x5c":["MIICmzCCAYMCBgF4HR7HRTANBgkqhkiG9w0BAQsFADARMQ8wDQYDVQQDDAZtYXN0ZXIwHhcN"],"x5t":"x","x5t#S256":"y"}},
        {{"kid":"rsa-enc","kty":"RSA","alg":"RSA-OAEP","use":"enc","n":"AQAB","e":"AQAB"}},
        {{"kid":"ec","kty":"EC","alg":"ES256","use":"sig","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},
        {{"kid":"ed","kty":"OKP","alg":"EdDSA","use":"sig","crv":"Ed25519","x":"{}"}}
        ]}}"#,
        ed1_x()
    );
    let (keys, report) = load(&doc).unwrap();
    assert_eq!(report.loaded, 1);
    assert_eq!(report.skipped, 3);
    assert_eq!(
        keys.iter().collect::<Vec<_>>(),
        [(Algorithm::EdDsa, Some("ed"))]
    );
}

#[test]
fn a_set_of_only_rsa_keys_has_no_usable_key() {
    let doc = r#"{"keys":[{"kty":"RSA","kid":"1","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}"#;
    assert_eq!(kind(doc), JwksErrorKind::NoUsableKey);
}

#[test]
fn an_empty_set_has_no_usable_key() {
    assert_eq!(kind(r#"{"keys":[]}"#), JwksErrorKind::NoUsableKey);
}

#[test]
fn unknown_kty_and_other_okp_curves_are_skipped() {
    let doc = format!(
        r#"{{"keys":[{{"kty":"XYZ"}},{{"kty":"OKP","crv":"X25519","x":"AA"}},{{"kty":"OKP","crv":"Ed448","x":"AA"}},{{"kty":"OKP","crv":"Ed25519","x":"{}"}}]}}"#,
        ed1_x()
    );
    assert_eq!(load(&doc).unwrap().1.skipped, 3);
}

#[test]
fn use_other_than_sig_excludes_a_key() {
    // RFC 7517 §4.2
    assert_eq!(kind(&okp(r#","use":"enc""#)), JwksErrorKind::NoUsableKey);
    assert!(load(&okp(r#","use":"sig""#)).is_ok());
}

#[test]
fn key_ops_without_verify_excludes_a_key() {
    // RFC 7517 §4.3
    assert_eq!(
        kind(&okp(r#","key_ops":["sign"]"#)),
        JwksErrorKind::NoUsableKey
    );
    assert!(load(&okp(r#","key_ops":["sign","verify"]"#)).is_ok());
}

#[test]
fn key_ops_that_is_not_an_array_of_strings_is_invalid() {
    assert_eq!(
        kind(&okp(r#","key_ops":"verify""#)),
        JwksErrorKind::InvalidMember
    );
    assert_eq!(
        kind(&okp(r#","key_ops":[1]"#)),
        JwksErrorKind::InvalidMember
    );
}

#[test]
fn a_private_member_is_ignored_and_reported() {
    // RFC 8037 Appendix A.1: the full private key.
    let doc = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    let (keys, report) = load(doc).unwrap();
    assert_eq!(report.private_members_ignored, 1);
    assert_eq!(keys.len(), 1);
}

#[test]
fn an_oct_key_without_alg_is_bound_to_hs256() {
    let (keys, _) = load(&oct(HS1_SECRET, "")).unwrap();
    assert_eq!(keys.iter().next(), Some((Algorithm::Hs256, None)));
    let verifier = Verifier::new(keys, Policy::builder().require_exp(false).build().unwrap());
    let token = sign_hs(HS1_SECRET, r#"{"alg":"HS256"}"#, "{}");
    assert!(
        verifier
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .is_ok()
    );
}

#[test]
fn an_oct_key_for_another_algorithm_is_skipped() {
    assert_eq!(
        kind(&oct(HS1_SECRET, r#","alg":"HS512""#)),
        JwksErrorKind::NoUsableKey
    );
    assert_eq!(
        kind(&oct(HS1_SECRET, r#","alg":"A256KW""#)),
        JwksErrorKind::NoUsableKey
    );
}

#[test]
fn an_hs256_key_shorter_than_32_bytes_is_refused() {
    // RFC 7518 §3.2: a key of the same size as the hash output or larger.
    assert_eq!(kind(&oct(&[7u8; 31], "")), JwksErrorKind::KeyTooShort);
    assert!(load(&oct(&[7u8; 32], "")).is_ok());
}

#[test]
fn an_hs256_key_over_the_limit_is_too_large() {
    assert_eq!(
        kind(&oct(&[7u8; tollgate::MAX_HMAC_KEY_LEN + 1], "")),
        JwksErrorKind::MemberTooLarge
    );
}

#[test]
fn an_okp_key_claiming_hs256_is_an_algorithm_mismatch() {
    assert_eq!(
        kind(&okp(r#","alg":"HS256""#)),
        JwksErrorKind::AlgorithmMismatch
    );
    assert!(load(&okp(r#","alg":"Ed25519""#)).is_ok());
}

#[test]
fn a_small_order_ed25519_key_is_weak() {
    // The identity point: every signature with R = identity and S = 0 would verify.
    let doc = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#;
    assert_eq!(kind(doc), JwksErrorKind::WeakKey);
}

#[test]
fn an_x_that_is_not_a_curve_point_is_invalid() {
    let not_a_point = (2u8..)
        .map(|b| {
            let mut bytes = [0u8; 32];
            bytes[0] = b;
            bytes
        })
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .unwrap();
    let doc = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{}"}}]}}"#,
        b64(&not_a_point)
    );
    assert_eq!(kind(&doc), JwksErrorKind::InvalidKey);
}

#[test]
fn an_x_of_the_wrong_length_or_encoding_is_invalid() {
    for x in [
        "AAAA",
        "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    ] {
        let doc = format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}]}}"#);
        assert_eq!(kind(&doc), JwksErrorKind::InvalidKey, "{x}");
    }
}

#[test]
fn required_members_must_be_present_and_strings() {
    assert_eq!(
        kind(r#"{"keys":[{"crv":"Ed25519","x":"AA"}]}"#),
        JwksErrorKind::MissingMember
    );
    assert_eq!(
        kind(r#"{"keys":[{"kty":"OKP","x":"AA"}]}"#),
        JwksErrorKind::MissingMember
    );
    assert_eq!(
        kind(r#"{"keys":[{"kty":"OKP","crv":"Ed25519"}]}"#),
        JwksErrorKind::MissingMember
    );
    assert_eq!(
        kind(r#"{"keys":[{"kty":"oct"}]}"#),
        JwksErrorKind::MissingMember
    );
    assert_eq!(
        kind(r#"{"keys":[{"kty":7}]}"#),
        JwksErrorKind::InvalidMember
    );
    assert_eq!(kind(&okp(r#","kid":7"#)), JwksErrorKind::InvalidMember);
    assert_eq!(kind(r#"{"keys":["OKP"]}"#), JwksErrorKind::InvalidMember);
}

#[test]
fn a_kid_over_the_limit_is_too_large() {
    let kid = "k".repeat(tollgate::MAX_KID_LEN + 1);
    assert_eq!(
        kind(&okp(&format!(r#","kid":"{kid}""#))),
        JwksErrorKind::MemberTooLarge
    );
    let kid = "k".repeat(tollgate::MAX_KID_LEN);
    assert!(load(&okp(&format!(r#","kid":"{kid}""#))).is_ok());
}

#[test]
fn a_member_repeated_within_a_key_is_refused() {
    assert_eq!(kind(&okp(r#","x":"AAAA""#)), JwksErrorKind::DuplicateMember);
}

#[test]
fn two_keys_with_the_same_kid_and_algorithm_are_refused() {
    let doc = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{x}"}},{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{x}"}}]}}"#,
        x = ed1_x()
    );
    let err = load(&doc).unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::DuplicateKey);
    assert_eq!(err.key_index, Some(1));
}

#[test]
fn one_kid_may_name_an_ed25519_key_and_an_hmac_key() {
    let doc = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{}"}},{{"kty":"oct","kid":"a","k":"{}"}}]}}"#,
        ed1_x(),
        b64(HS1_SECRET)
    );
    let (keys, _) = load(&doc).unwrap();
    assert_eq!(
        keys.iter().collect::<Vec<_>>(),
        [(Algorithm::EdDsa, Some("a")), (Algorithm::Hs256, Some("a"))]
    );
}

#[test]
fn more_keys_than_the_set_holds_are_refused() {
    let entries: Vec<String> = (0..=tollgate::MAX_KEYS)
        .map(|i| format!(r#"{{"kty":"oct","kid":"{i}","k":"{}"}}"#, b64(HS1_SECRET)))
        .collect();
    let err = load(&format!(r#"{{"keys":[{}]}}"#, entries.join(","))).unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::TooManyKeys);
    assert_eq!(err.key_index, Some(tollgate::MAX_KEYS as u16));
}

#[test]
fn a_document_that_is_not_a_key_set_is_refused() {
    assert_eq!(
        kind(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
            ed1_x()
        )),
        JwksErrorKind::NotAKeySet
    );
    assert_eq!(kind(r#"{"keys":{}}"#), JwksErrorKind::NotAKeySet);
    assert_eq!(kind(r#"[]"#), JwksErrorKind::Json);
    assert_eq!(kind(r#"{"keys":[],}"#), JwksErrorKind::Json);
    assert_eq!(kind(""), JwksErrorKind::Json);
    assert_eq!(
        kind(r#"{"keys":[],"keys":[]}"#),
        JwksErrorKind::DuplicateMember
    );
}

#[test]
fn escaped_members_are_read_by_their_meaning() {
    let doc = format!(
        r#"{{"keys":[{{"kty":"O\u004bP","crv":"Ed25519","kid":"a\/b","x":"{}"}}]}}"#,
        ed1_x()
    );
    let (keys, _) = load(&doc).unwrap();
    assert_eq!(keys.iter().next(), Some((Algorithm::EdDsa, Some("a/b"))));
}

#[test]
fn a_failed_load_leaves_the_set_as_it_was() {
    let mut keys = KeySet::new();
    keys.add_jwks(okp(r#","kid":"first""#).as_bytes()).unwrap();
    let bad = format!(
        r#"{{"keys":[{{"kty":"oct","kid":"second","k":"{}"}},{{"kty":"oct","k":"AAAA"}}]}}"#,
        b64(HS1_SECRET)
    );
    let err = keys.add_jwks(bad.as_bytes()).unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::KeyTooShort);
    assert_eq!(err.key_index, Some(1));
    assert_eq!(
        keys.iter().collect::<Vec<_>>(),
        [(Algorithm::EdDsa, Some("first"))]
    );
}

#[test]
fn several_documents_merge_into_one_set() {
    let mut keys = KeySet::new();
    keys.add_jwks(okp(r#","kid":"a""#).as_bytes()).unwrap();
    keys.add_jwks(oct(HS1_SECRET, r#","kid":"b""#).as_bytes())
        .unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys.add_jwks(okp(r#","kid":"a""#).as_bytes())
            .unwrap_err()
            .kind,
        JwksErrorKind::DuplicateKey
    );
}

#[test]
fn errors_name_the_key_they_concern() {
    let err = load(&format!(
        r#"{{"keys":[{{"kty":"RSA"}},{{"kty":"oct","k":"{}"}}]}}"#,
        b64(&[1u8; 8])
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "keys[1]: HS256 key is shorter than 32 bytes"
    );
}

#[test]
fn debug_output_shows_kids_not_secrets() {
    let (keys, _) = load(&oct(HS1_SECRET, r#","kid":"hs1""#)).unwrap();
    let debug = format!("{keys:?}");
    assert_eq!(debug, r#"[("HS256", Some("hs1"))]"#);
}
