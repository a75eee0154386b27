//! Loading keys from JWKS documents (RFC 7517, RFC 8037, RFC 7518 §3.2).

mod support;

use support::*;
use tollgate::{
    Algorithm, JwksError, JwksErrorKind, KeySet, LoadReport, Policy, Scratch, SkipReason,
    SkippedKey, Verifier,
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

/// A set of `jwk` followed by a good Ed25519 key (`good`).
fn beside_a_good_key(jwk: &str) -> String {
    format!(
        r#"{{"keys":[{jwk},{{"kty":"OKP","crv":"Ed25519","kid":"good","x":"{}"}}]}}"#,
        ed1_x()
    )
}

fn skips(report: &LoadReport) -> Vec<(u16, SkipReason)> {
    report
        .skipped_keys()
        .map(|s| (s.key_index, s.reason))
        .collect()
}

/// RFC 7517 §5: a key that is unsupported, malformed or missing members is ignored; the rest of
/// the set loads, and the report says which key was skipped and why.
macro_rules! skipped {
    ($( $(#[$doc:meta])* $name:ident: $jwk:expr => $reason:expr; )*) => {
        $(
            $(#[$doc])*
            #[test]
            fn $name() {
                let doc = beside_a_good_key(&String::from($jwk));
                let (keys, report) = load(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
                assert_eq!(keys.iter().collect::<Vec<_>>(), [(Algorithm::EdDsa, Some("good"))]);
                assert_eq!((report.loaded, report.skipped), (1, 1));
                assert_eq!(skips(&report), [(0, $reason)]);
                assert_eq!(report.skipped_for($reason), 1);
            }
        )*
    };
}

skipped! {
    /// issue 8 point 11: the case that took a whole set down
    okp_key_without_x: r#"{"kty":"OKP","crv":"Ed25519"}"# => SkipReason::MissingMember;
    okp_key_without_crv: r#"{"kty":"OKP","x":"AA"}"# => SkipReason::MissingMember;
    key_without_kty: r#"{"crv":"Ed25519","x":"AA"}"# => SkipReason::MissingMember;
    oct_key_without_k: r#"{"kty":"oct"}"# => SkipReason::MissingMember;
    kty_that_is_not_a_string: r#"{"kty":7}"# => SkipReason::InvalidMember;
    kid_that_is_not_a_string: format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":7,"x":"{}"}}"#, ed1_x()) => SkipReason::InvalidMember;
    entry_that_is_not_an_object: r#""OKP""# => SkipReason::InvalidMember;
    /// RFC 7517 §4.3: key_ops is an array of strings
    key_ops_that_is_not_an_array: format!(r#"{{"kty":"OKP","crv":"Ed25519","key_ops":"verify","x":"{}"}}"#, ed1_x()) => SkipReason::InvalidMember;
    key_ops_with_a_number: format!(r#"{{"kty":"OKP","crv":"Ed25519","key_ops":[1],"x":"{}"}}"#, ed1_x()) => SkipReason::InvalidMember;
    /// RFC 7517 §4.2
    key_for_encryption: format!(r#"{{"kty":"OKP","crv":"Ed25519","use":"enc","x":"{}"}}"#, ed1_x()) => SkipReason::NotForSignatures;
    /// RFC 7517 §4.3
    key_ops_without_verify: format!(r#"{{"kty":"OKP","crv":"Ed25519","key_ops":["sign"],"x":"{}"}}"#, ed1_x()) => SkipReason::NotForSignatures;
    unknown_kty: r#"{"kty":"XYZ"}"# => SkipReason::Unsupported;
    x25519_key: r#"{"kty":"OKP","crv":"X25519","x":"AA"}"# => SkipReason::Unsupported;
    ed448_key: r#"{"kty":"OKP","crv":"Ed448","x":"AA"}"# => SkipReason::Unsupported;
    oct_key_for_hs512: format!(r#"{{"kty":"oct","alg":"HS512","k":"{}"}}"#, b64(HS1_SECRET)) => SkipReason::Unsupported;
    oct_key_for_key_wrapping: format!(r#"{{"kty":"oct","alg":"A256KW","k":"{}"}}"#, b64(HS1_SECRET)) => SkipReason::Unsupported;
    /// RFC 7518 §3.2: a key of the same size as the hash output or larger
    hs256_key_of_31_bytes: format!(r#"{{"kty":"oct","k":"{}"}}"#, b64(&[7u8; 31])) => SkipReason::KeyTooShort;
    hs256_key_over_the_limit: format!(r#"{{"kty":"oct","k":"{}"}}"#, b64(&[7u8; tollgate::MAX_HMAC_KEY_LEN + 1])) => SkipReason::MemberTooLarge;
    /// The identity point: every signature with R = identity and S = 0 would verify
    small_order_ed25519_key: r#"{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"# => SkipReason::WeakKey;
    ed25519_x_that_is_not_a_point: format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#, b64(&not_an_ed25519_point())) => SkipReason::InvalidKey;
    ed25519_x_too_short: r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"# => SkipReason::InvalidKey;
    ed25519_x_padded: r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"# => SkipReason::InvalidKey;
    ed25519_x_in_standard_base64: r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"# => SkipReason::InvalidKey;
    kid_over_the_limit: format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"{}","x":"{}"}}"#, "k".repeat(tollgate::MAX_KID_LEN + 1), ed1_x()) => SkipReason::MemberTooLarge;
    ec_key_without_y: {
        let (x, _) = ec_x_y(&p256_point());
        format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}"}}"#)
    } => SkipReason::MissingMember;
    ec_key_without_crv: {
        let (x, y) = ec_x_y(&p256_point());
        format!(r#"{{"kty":"EC","x":"{x}","y":"{y}"}}"#)
    } => SkipReason::MissingMember;
    /// RFC 7518 6.2.1.2, invalid-curve attacks: the point must be on the curve
    p256_point_off_the_curve: ec_jwk("P-256", &off_the_curve(p256_point()), "") => SkipReason::InvalidKey;
    p384_point_off_the_curve: ec_jwk("P-384", &off_the_curve(es384_point(&es384_key())), "") => SkipReason::InvalidKey;
    /// the identity has no x, y: (0, 0) is not on the curve
    p256_point_at_zero: ec_jwk("P-256", &[0u8; 65], "") => SkipReason::InvalidKey;
    /// RFC 7518 6.2.1.2: x is the full coordinate, leading zeros included
    p256_coordinates_of_the_wrong_length: ec_jwk("P-256", &[&[4u8][..], &[7u8; 62]].concat(), "") => SkipReason::InvalidKey;
    p384_coordinates_on_p256: ec_jwk("P-256", &es384_point(&es384_key()), "") => SkipReason::InvalidKey;
    p256_coordinates_on_p384: ec_jwk("P-384", &p256_point(), "") => SkipReason::InvalidKey;
    p521_key: ec_jwk("P-521", &[&[4u8][..], &[1u8; 132]].concat(), "") => SkipReason::Unsupported;
    p521_key_for_es512: ec_jwk("P-521", &[&[4u8][..], &[1u8; 132]].concat(), r#","alg":"ES512""#) => SkipReason::Unsupported;
    secp256k1_key: ec_jwk("secp256k1", &p256_point(), "") => SkipReason::Unsupported;
    ec_key_for_key_agreement: ec_jwk("P-256", &p256_point(), r#","alg":"ECDH-ES""#) => SkipReason::Unsupported;
    ec_key_for_encryption: ec_jwk("P-256", &p256_point(), r#","use":"enc""#) => SkipReason::NotForSignatures;
    /// parsers that keep the first and the last value would see different keys
    member_repeated_within_a_key: format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}","x":"AAAA"}}"#, ed1_x()) => SkipReason::DuplicateMember;
}

fn p256_point() -> Vec<u8> {
    es256_point(&es256_key())
}

/// The point with y + 1: off the curve (y and p - y are the only two y for an x).
fn off_the_curve(mut point: Vec<u8>) -> Vec<u8> {
    let last = point.len() - 1;
    point[last] ^= 1;
    point
}

fn not_an_ed25519_point() -> [u8; 32] {
    (2u8..)
        .map(|b| {
            let mut bytes = [0u8; 32];
            bytes[0] = b;
            bytes
        })
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .unwrap()
}

/// What skipping would hide stays an error for the whole document, even beside good keys.
macro_rules! refused {
    ($( $(#[$doc:meta])* $name:ident: $jwk:expr => $kind:expr; )*) => {
        $(
            $(#[$doc])*
            #[test]
            fn $name() {
                let doc = beside_a_good_key(&String::from($jwk));
                let err = load(&doc).unwrap_err();
                assert_eq!((err.kind, err.key_index), ($kind, Some(0)), "{doc}");
            }
        )*
    };
}

refused! {
    /// RFC 8725 §2.1: a public key offered as an HMAC secret
    okp_key_labelled_hs256: format!(r#"{{"kty":"OKP","crv":"Ed25519","alg":"HS256","x":"{}"}}"#, ed1_x()) => JwksErrorKind::AlgorithmMismatch;
    /// RFC 8725 §2.1, CVE-2016-10555: the RSA-to-HMAC confusion
    rsa_key_labelled_hs256: r#"{"kty":"RSA","alg":"HS256","n":"AQAB","e":"AQAB"}"# => JwksErrorKind::AlgorithmMismatch;
    ec_key_labelled_hs256: r#"{"kty":"EC","crv":"P-256","alg":"HS256","x":"AA","y":"AA"}"# => JwksErrorKind::AlgorithmMismatch;
    /// an RSA key is never an ECDSA key, whatever its n and e
    rsa_key_labelled_es256: r#"{"kty":"RSA","alg":"ES256","n":"AQAB","e":"AQAB"}"# => JwksErrorKind::AlgorithmMismatch;
    oct_key_labelled_ps256: format!(r#"{{"kty":"oct","alg":"PS256","k":"{}"}}"#, b64(HS1_SECRET)) => JwksErrorKind::AlgorithmMismatch;
    /// the label is checked before the key could be skipped for its own faults
    okp_key_labelled_hs256_without_x: r#"{"kty":"OKP","crv":"Ed25519","alg":"HS256"}"# => JwksErrorKind::AlgorithmMismatch;
    oct_key_labelled_eddsa: format!(r#"{{"kty":"oct","alg":"EdDSA","k":"{}"}}"#, b64(HS1_SECRET)) => JwksErrorKind::AlgorithmMismatch;
    oct_key_labelled_es256: format!(r#"{{"kty":"oct","alg":"ES256","k":"{}"}}"#, b64(HS1_SECRET)) => JwksErrorKind::AlgorithmMismatch;
    okp_key_labelled_rs256: format!(r#"{{"kty":"OKP","crv":"Ed25519","alg":"RS256","x":"{}"}}"#, ed1_x()) => JwksErrorKind::AlgorithmMismatch;
    /// RFC 7518 §3.4: ES384 is defined for P-384 only
    p256_key_labelled_es384: r#"{"kty":"EC","crv":"P-256","alg":"ES384","x":"AA","y":"AA"}"# => JwksErrorKind::AlgorithmMismatch;
    ec_key_labelled_rs256: ec_jwk("P-256", &p256_point(), r#","alg":"RS256""#) => JwksErrorKind::AlgorithmMismatch;
    ec_key_labelled_eddsa: ec_jwk("P-256", &p256_point(), r#","alg":"EdDSA""#) => JwksErrorKind::AlgorithmMismatch;
    p384_key_labelled_es256: ec_jwk("P-384", &es384_point(&es384_key()), r#","alg":"ES256""#) => JwksErrorKind::AlgorithmMismatch;
    okp_key_labelled_es256: format!(r#"{{"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"{}"}}"#, ed1_x()) => JwksErrorKind::AlgorithmMismatch;
    ed25519_key_labelled_ed448: format!(r#"{{"kty":"OKP","crv":"Ed25519","alg":"Ed448","x":"{}"}}"#, ed1_x()) => JwksErrorKind::AlgorithmMismatch;
    x25519_key_labelled_eddsa: r#"{"kty":"OKP","crv":"X25519","alg":"EdDSA","x":"AA"}"# => JwksErrorKind::AlgorithmMismatch;
}

#[test]
fn two_keys_with_the_same_kid_and_algorithm_are_refused() {
    // Which of the two verifies would depend on their order: refused, not guessed.
    let doc = beside_a_good_key(&format!(
        r#"{{"kty":"OKP","crv":"Ed25519","kid":"good","x":"{}"}}"#,
        b64(&ed_public(&ED2_SEED))
    ));
    let err = load(&doc).unwrap_err();
    assert_eq!(
        (err.kind, err.key_index),
        (JwksErrorKind::DuplicateKey, Some(1))
    );
}

#[test]
fn test_jwks_loads_every_key() {
    let (keys, report) =
        load(&std::fs::read_to_string(vectors_dir().join("test.jwks")).unwrap()).unwrap();
    assert_eq!(
        (
            report.loaded,
            report.skipped,
            report.private_members_ignored
        ),
        (9, 0, 0)
    );
    let listed: Vec<_> = keys.iter().collect();
    assert_eq!(
        listed,
        [
            (Algorithm::EdDsa, Some("ed1")),
            (Algorithm::EdDsa, Some("ed2")),
            (Algorithm::Hs256, Some("hs1")),
            (Algorithm::Rs256, Some("rsa1")),
            (Algorithm::Ps256, Some("ps1")),
            (Algorithm::Rs384, Some("rs384")),
            (Algorithm::Ps384, Some("ps384")),
            (Algorithm::Rs512, Some("rs512")),
            (Algorithm::Ps512, Some("ps512")),
        ]
    );
}

#[test]
fn keycloak_style_set_loads_its_signing_keys_and_skips_the_encryption_key() {
    // RFC 7517 §5: members of unknown or unsupported key types are ignored.
    let doc = format!(
        r#"{{"keys":[
        {{"kid":"rsa-sig","kty":"RSA","alg":"RS256","use":"sig","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB",
          "x5c":["MIICmzCCAYMCBgF4HR7HRTANBgkqhkiG9w0BAQsFADARMQ8wDQYDVQQDDAZtYXN0ZXIwHhcN"],"x5t":"x","x5t#S256":"y"}},
        {{"kid":"rsa-enc","kty":"RSA","alg":"RSA-OAEP","use":"enc","n":"AQAB","e":"AQAB"}},
        {{"kid":"ed","kty":"OKP","alg":"EdDSA","use":"sig","crv":"Ed25519","x":"{}"}}
        ]}}"#,
        ed1_x()
    );
    let (keys, report) = load(&doc).unwrap();
    assert_eq!((report.loaded, report.skipped), (2, 1));
    assert_eq!(skips(&report), [(1, SkipReason::NotForSignatures)]);
    assert_eq!(
        keys.iter().collect::<Vec<_>>(),
        [
            (Algorithm::Rs256, Some("rsa-sig")),
            (Algorithm::EdDsa, Some("ed"))
        ]
    );
}

#[test]
fn a_set_whose_every_key_is_skipped_has_no_usable_key_and_says_why() {
    let doc = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"X25519","kid":"1","x":"AQAB"}},{{"kty":"oct","k":"{}"}},{{"kty":"OKP","crv":"Ed25519"}}]}}"#,
        b64(&[1u8; 8])
    );
    let err = load(&doc).unwrap_err();
    assert_eq!(
        (err.kind, err.key_index),
        (JwksErrorKind::NoUsableKey, None)
    );
    assert_eq!(
        skips(&err.report),
        [
            (0, SkipReason::Unsupported),
            (1, SkipReason::KeyTooShort),
            (2, SkipReason::MissingMember)
        ]
    );
    assert_eq!(
        err.to_string(),
        "JWKS has no usable signature verification key \
         (skipped: keys[0] unsupported, keys[1] key_too_short, keys[2] missing_member)"
    );
}

#[test]
fn an_empty_set_has_no_usable_key() {
    let err = load(r#"{"keys":[]}"#).unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::NoUsableKey);
    assert_eq!(
        err.to_string(),
        "JWKS has no usable signature verification key"
    );
}

#[test]
fn the_report_names_the_first_skipped_keys_and_counts_them_all() {
    let entries: Vec<String> = (0..20)
        .map(|i| {
            if i % 2 == 0 {
                r#"{"kty":"XYZ"}"#.to_string()
            } else {
                r#"{"kty":"OKP","crv":"Ed25519"}"#.to_string()
            }
        })
        .chain([format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
            ed1_x()
        )])
        .collect();
    let (_, report) = load(&format!(r#"{{"keys":[{}]}}"#, entries.join(","))).unwrap();
    assert_eq!((report.loaded, report.skipped), (1, 20));
    assert_eq!(report.skipped_for(SkipReason::Unsupported), 10);
    assert_eq!(report.skipped_for(SkipReason::MissingMember), 10);
    assert_eq!(report.skipped_for(SkipReason::WeakKey), 0);
    let listed: Vec<SkippedKey> = report.skipped_keys().collect();
    assert_eq!(listed.len(), tollgate::MAX_REPORTED_SKIPS);
    assert_eq!(listed[7].key_index, 7);
}

#[test]
fn a_skipped_key_is_named_by_its_kid_as_written_in_the_document() {
    // Operators look for a key by its kid: the report says where each skipped key's kid is,
    // escapes as written, and nothing for a key without a string kid.
    let doc = format!(
        r#"{{ "keys" : [ {{"kid":"enc-1","kty":"RSA","use":"enc"}}, {{"kty":"XYZ"}},
            {{"kty":"XYZ","kid":"bell\u0007"}}, {{"kty":"XYZ","kid":7}}, "not a key",
            {{"kty":"OKP","crv":"Ed25519","x":"{}"}} ] }}"#,
        ed1_x()
    );
    let (_, report) = load(&doc).unwrap();
    let kids: Vec<Option<&[u8]>> = report
        .skipped_keys()
        .map(|s| s.kid(doc.as_bytes()))
        .collect();
    assert_eq!(
        kids,
        [
            Some(&b"enc-1"[..]),
            None,
            Some(&br"bell\u0007"[..]),
            None,
            None
        ]
    );
}

#[test]
fn jwk_kid_reads_any_key_by_index_and_nothing_past_the_last() {
    let doc = br#"{"other":{"keys":[{"kid":"decoy"}]},"keys":[{"kid":"a"},{"kty":"XYZ"},[],{"kid":"d"}]}"#;
    let kids: Vec<Option<&[u8]>> = (0..5).map(|i| tollgate::jwk_kid(doc, i)).collect();
    assert_eq!(kids, [Some(&b"a"[..]), None, None, Some(&b"d"[..]), None]);
    assert_eq!(tollgate::jwk_kid(b"not json", 0), None);
    assert_eq!(tollgate::jwk_kid(br#"{"keys":{"kid":"a"}}"#, 0), None);
}

#[test]
fn jwk_kid_of_the_last_index_a_report_can_name_is_that_key_not_a_later_one() {
    // Indexes are u16: counting entries past 65535 must not make every later entry match
    // `keys[65535]`, or a log line would name another key's kid.
    let mut entries = vec!["{}"; usize::from(u16::MAX)];
    entries.extend([r#"{"kid":"at-65535"}"#, r#"{"kid":"at-65536"}"#]);
    let doc = format!(r#"{{"keys":[{}]}}"#, entries.join(","));
    assert_eq!(
        tollgate::jwk_kid(doc.as_bytes(), u16::MAX),
        Some(&b"at-65535"[..])
    );
    entries[usize::from(u16::MAX)] = "{}";
    let doc = format!(r#"{{"keys":[{}]}}"#, entries.join(","));
    assert_eq!(tollgate::jwk_kid(doc.as_bytes(), u16::MAX), None);
}

#[test]
fn jwk_kid_reads_no_kid_from_a_document_with_two_keys_members() {
    // `add_jwks` refuses such a document (RFC 8259 §4: names SHOULD be unique, and parsers
    // differ on repeats): whichever array a kid came from, it names a key never loaded.
    let doc = br#"{"keys":[{"kid":"first"}],"keys":[{"kid":"second"}]}"#;
    assert_eq!(
        KeySet::from_jwks(doc).unwrap_err().kind,
        JwksErrorKind::DuplicateMember
    );
    assert_eq!(tollgate::jwk_kid(doc, 0), None);
}

#[test]
fn a_skipped_keys_kid_is_not_read_from_another_document() {
    let doc = br#"{"keys":[{"kty":"XYZ","kid":"a-rather-long-key-id"}]}"#;
    let err = KeySet::from_jwks(doc).unwrap_err();
    let skipped = err.report.skipped_keys().next().unwrap();
    assert_eq!(skipped.kid(doc), Some(&b"a-rather-long-key-id"[..]));
    assert_eq!(skipped.kid(br#"{"keys":[]}"#), None);
}

#[test]
fn ec_keys_without_alg_are_bound_by_their_curve() {
    // RFC 7518 3.4: P-256 goes with ES256, P-384 with ES384.
    let doc = format!(
        r#"{{"keys":[{},{},{}]}}"#,
        ec_jwk("P-256", &p256_point(), r#","kid":"a""#),
        ec_jwk("P-384", &es384_point(&es384_key()), r#","kid":"b""#),
        ec_jwk("P-256", &p256_point(), r#","kid":"c","alg":"ES256""#),
    );
    let (keys, report) = load(&doc).unwrap();
    assert_eq!((report.loaded, report.skipped), (3, 0));
    assert_eq!(
        keys.iter().collect::<Vec<_>>(),
        [
            (Algorithm::Es256, Some("a")),
            (Algorithm::Es384, Some("b")),
            (Algorithm::Es256, Some("c"))
        ]
    );
}

#[test]
fn x5c_x5t_and_x5t_s256_never_supply_an_ec_key() {
    // The certificate members name another key (here garbage); only x and y count.
    let extra = r#","kid":"a","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],"x5t":"AAAA","x5t#S256":"AAAA""#;
    let (keys, _) = load(&format!(
        r#"{{"keys":[{}]}}"#,
        ec_jwk("P-256", &p256_point(), extra)
    ))
    .unwrap();
    let verifier = Verifier::new(keys, Policy::builder().require_exp(false).build().unwrap());
    let token = sign_es256(r#"{"alg":"ES256","kid":"a"}"#, "{}");
    assert!(
        verifier
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .is_ok()
    );
}

#[test]
fn a_private_ec_member_is_ignored_and_reported() {
    let doc = format!(
        r#"{{"keys":[{}]}}"#,
        ec_jwk("P-256", &p256_point(), &format!(r#","d":"{ES256_D_B64}""#))
    );
    let (keys, report) = load(&doc).unwrap();
    assert_eq!((keys.len(), report.private_members_ignored), (1, 1));
}

#[test]
fn a_kid_of_exactly_the_limit_loads() {
    let kid = "k".repeat(tollgate::MAX_KID_LEN);
    assert!(load(&okp(&format!(r#","kid":"{kid}""#))).is_ok());
}

#[test]
fn use_sig_and_key_ops_with_verify_keep_a_key() {
    assert!(load(&okp(r#","use":"sig""#)).is_ok());
    assert!(load(&okp(r#","key_ops":["sign","verify"]"#)).is_ok());
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
fn an_hs256_key_of_32_bytes_loads() {
    // RFC 7518 §3.2: the same size as the hash output.
    assert!(load(&oct(&[7u8; 32], "")).is_ok());
}

#[test]
fn an_okp_key_may_say_eddsa_or_ed25519() {
    // RFC 8037 §3.1 and RFC 9864.
    assert!(load(&okp(r#","alg":"EdDSA""#)).is_ok());
    assert!(load(&okp(r#","alg":"Ed25519""#)).is_ok());
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
fn a_skipped_key_does_not_count_as_a_duplicate() {
    let doc = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a"}},{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{}"}}]}}"#,
        ed1_x()
    );
    let (keys, report) = load(&doc).unwrap();
    assert_eq!((keys.len(), report.skipped), (1, 1));
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
    assert_eq!(kind(r#"{"keys":[{"kty":"OKP",}]}"#), JwksErrorKind::Json);
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
        r#"{{"keys":[{{"kty":"oct","kid":"second","k":"{}"}},{{"kty":"oct","alg":"EdDSA","k":"{}"}}]}}"#,
        b64(HS1_SECRET),
        b64(HS1_SECRET)
    );
    let err = keys.add_jwks(bad.as_bytes()).unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::AlgorithmMismatch);
    assert_eq!(err.key_index, Some(1));
    assert_eq!(err.report.loaded, 0, "the key before it was rolled back");
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
fn a_document_that_adds_no_key_to_a_set_is_refused() {
    // Merging a document that brings nothing is a misconfiguration worth hearing about.
    let mut keys = KeySet::new();
    keys.add_jwks(okp(r#","kid":"a""#).as_bytes()).unwrap();
    let err = keys
        .add_jwks(r#"{"keys":[{"kty":"XYZ"}]}"#.as_bytes())
        .unwrap_err();
    assert_eq!(err.kind, JwksErrorKind::NoUsableKey);
    assert_eq!(keys.len(), 1);
}

#[test]
fn fatal_errors_name_the_key_they_concern() {
    let err = load(&format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"X25519"}},{{"kty":"oct","alg":"ES256","k":"{}"}}]}}"#,
        b64(HS1_SECRET)
    ))
    .unwrap_err();
    assert_eq!(err.to_string(), "keys[1]: key alg does not fit its type");
    assert_eq!(skips(&err.report), [(0, SkipReason::Unsupported)]);
}

#[test]
fn keys_added_directly_are_refused_rather_than_skipped() {
    let mut keys = KeySet::new();
    assert_eq!(
        keys.add_hs256(None, &[7u8; 31]).unwrap_err().kind,
        JwksErrorKind::KeyTooShort
    );
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        keys.add_ed25519(None, &identity).unwrap_err().kind,
        JwksErrorKind::WeakKey
    );
    assert_eq!(
        keys.add_ed25519(None, &not_an_ed25519_point())
            .unwrap_err()
            .kind,
        JwksErrorKind::InvalidKey
    );
    assert!(keys.is_empty());
}

#[test]
fn debug_output_shows_kids_not_secrets() {
    let (keys, _) = load(&oct(HS1_SECRET, r#","kid":"hs1""#)).unwrap();
    let debug = format!("{keys:?}");
    assert_eq!(debug, r#"[("HS256", Some("hs1"))]"#);
}
