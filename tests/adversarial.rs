//! One named test per vector in `tests/vectors/tokens.tsv`, each stating the verdict the attack
//! or edge case must get. The file and this list check each other: a vector whose verdict drifts
//! fails here by name.

mod support;

use std::sync::OnceLock;

use support::*;
use tollgate::{Error, KeySet, Policy, Scratch, Verifier};

fn verdict(name: &str) -> Result<(), Error> {
    static VECTORS: OnceLock<Vec<Vector>> = OnceLock::new();
    let vectors = VECTORS.get_or_init(|| load_vectors("tokens.tsv"));
    let v = vectors
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector named {name}"));
    let file_verdict = expected(&v.expect);
    let mut verifiers = Verifiers::default();
    let got = verifiers
        .get(v)
        .verify(v.token.as_bytes(), v.now, &mut Scratch::new())
        .map(|_| ());
    assert_eq!(got, file_verdict, "{name}: {}", v.reason);
    got
}

macro_rules! verdicts {
    ($( $(#[$doc:meta])* $name:ident => $expected:expr; )*) => {
        /// Every vector this file names.
        const NAMED: &[&str] = &[$(stringify!($name)),*];

        $(
            $(#[$doc])*
            #[test]
            fn $name() {
                assert_eq!(verdict(stringify!($name)), $expected);
            }
        )*
    };
}

verdicts! {
    /// RFC 7515 Appendix A.1 verbatim: HS256 over CRLF-formatted JSON
    rfc7515_a1_hs256 => Ok(());
    /// RFC 7515 Appendix A.1 at its exp: RFC 7519 4.1.4 needs now < exp
    rfc7515_a1_hs256_after_exp => Err(Error::Expired);
    /// RFC 8037 Appendix A.4 verbatim: the signature verifies, the payload is text, not JWT claims
    rfc8037_a4_ed25519 => Err(Error::Json);
    /// RFC 8037 Appendix A.4 with one payload byte changed
    rfc8037_a4_ed25519_tampered => Err(Error::BadSignature);
    /// an algorithm we do not verify
    alg_hs512 => Err(Error::UnsupportedAlgorithm);
    /// RFC 7515 4.1.1: alg is case-sensitive
    alg_lowercase_eddsa => Err(Error::UnsupportedAlgorithm);
    /// RFC 7515 4.1.1: alg is required
    alg_missing => Err(Error::InvalidHeader);
    /// RFC 8725 3.1: case variants of none
    alg_none_capitalised => Err(Error::AlgNone);
    /// RFC 8725 3.1: unsigned token
    alg_none_lowercase => Err(Error::AlgNone);
    /// RFC 8725 3.1: case variants of none
    alg_none_mixed_case => Err(Error::AlgNone);
    /// RFC 8725 3.1: case variants of none
    alg_none_uppercase => Err(Error::AlgNone);
    /// RFC 8725 3.1: none with a signature attached
    alg_none_with_signature => Err(Error::AlgNone);
    /// alg is a string
    alg_not_a_string => Err(Error::InvalidHeader);
    /// aud elements must be strings
    audience_array_with_a_number => Err(Error::InvalidClaim);
    /// no audience at all
    audience_empty_array => Err(Error::InvalidAudience);
    /// RFC 7519 4.1.3: aud may be an array
    audience_in_array => Ok(());
    /// RFC 9068 2.2: aud is required
    audience_missing => Err(Error::InvalidAudience);
    /// RFC 7519 4.1.3: a token for another API
    audience_not_accepted => Err(Error::InvalidAudience);
    /// RFC 7519 4.1.3: reject a token whose aud does not identify us
    audience_present_but_none_configured => Err(Error::InvalidAudience);
    /// bounded nesting
    claims_deeply_nested => Err(Error::TooDeep);
    /// a name that differs only in escaping is the same name
    claims_duplicate_by_escape => Err(Error::DuplicateMember);
    /// RFC 7519 4: a signed token that repeats exp
    claims_duplicate_exp_signed => Err(Error::DuplicateMember);
    /// RFC 7797: unencoded payloads are not supported
    crit_b64_false => Err(Error::CriticalHeader);
    /// RFC 7515 4.1.11: we understand no extensions
    crit_header => Err(Error::CriticalHeader);
    /// RFC 8032 5.1.7: S >= L must be rejected (signature malleability)
    ed25519_malleable_s_plus_l => Err(Error::BadSignature);
    /// keys are bound to one algorithm
    eddsa_naming_the_hmac_key => Err(Error::UnknownKey);
    /// RFC 8725 3.10: jwk in the header never supplies the key
    embedded_jwk_is_not_trusted => Err(Error::BadSignature);
    /// empty header
    empty_header_segment => Err(Error::Malformed);
    /// empty payload
    empty_payload_segment => Err(Error::Malformed);
    /// JSON escapes are decoded before comparing (\/ is /)
    escaped_issuer_matches => Ok(());
    /// NumericDate in exponent form
    exp_as_exponent => Ok(());
    /// RFC 7519 2: NumericDate may be fractional
    exp_as_fraction => Ok(());
    /// CVE-2026-25537: a string exp is an error, never a skipped check
    exp_as_string => Err(Error::InvalidClaim);
    /// now = exp + leeway has expired
    exp_at_leeway_boundary => Err(Error::Expired);
    /// one past i64::MAX
    exp_beyond_i64 => Err(Error::InvalidClaim);
    /// RFC 7519 4.1.4: at exp the token has expired
    exp_exactly_now => Err(Error::Expired);
    /// a fractional exp counts as its floor: fail closed
    exp_fraction_rounds_down => Err(Error::Expired);
    /// out of range: fail closed, never saturate
    exp_huge => Err(Error::InvalidClaim);
    /// exp is required by default
    exp_missing => Err(Error::MissingClaim);
    /// exp can be made optional
    exp_missing_allowed => Ok(());
    /// a negative date is long past
    exp_negative => Err(Error::Expired);
    /// RFC 7519 4.1.4: now < exp
    exp_one_second_before => Ok(());
    /// exp must be a number
    exp_true => Err(Error::InvalidClaim);
    /// now < exp + leeway
    exp_within_leeway => Ok(());
    /// a JWE is not a JWS
    five_segments_jwe => Err(Error::Malformed);
    /// RFC 7515 7.1: three segments
    four_segments => Err(Error::Malformed);
    /// RFC 7515 4: duplicate header names
    header_duplicate_alg => Err(Error::DuplicateMember);
    /// the header is a JSON object
    header_not_json => Err(Error::Json);
    /// RFC 7515 2: base64url without padding
    header_padded_base64 => Err(Error::Base64);
    /// algorithm confusion: HMAC keyed with the JWK x text
    hs256_signed_with_ed25519_public_key_b64 => Err(Error::UnknownKey);
    /// RFC 8725 2.1 algorithm confusion: HMAC keyed with the raw public key
    hs256_signed_with_ed25519_public_key_bytes => Err(Error::UnknownKey);
    /// algorithm confusion: HMAC keyed with the key file, as a lax nginx module accepts
    hs256_signed_with_jwks_file_bytes => Err(Error::UnknownKey);
    /// forged MAC
    hs256_wrong_secret => Err(Error::BadSignature);
    /// a fractional iat counts as its ceiling: fail closed
    iat_fraction_in_future => Err(Error::IssuedInFuture);
    /// iat after now
    iat_in_future => Err(Error::IssuedInFuture);
    /// RFC 8725 3.8: validate the issuer
    issuer_mismatch => Err(Error::InvalidIssuer);
    /// RFC 9068 2.2: iss is required
    issuer_missing => Err(Error::InvalidIssuer);
    /// iss must be a string
    issuer_not_a_string => Err(Error::InvalidClaim);
    /// RFC 8725 3.10: jku is never fetched
    jku_is_not_trusted => Err(Error::BadSignature);
    /// kid compares after JSON unescaping
    kid_found_by_unescaped_value => Ok(());
    /// kid is a string
    kid_not_a_string => Err(Error::InvalidHeader);
    /// an unknown kid never falls back to another key
    kid_not_in_set => Err(Error::UnknownKey);
    /// CVE-2026-25537: a string nbf is an error, never a skipped check
    nbf_as_string => Err(Error::InvalidClaim);
    /// now >= nbf - leeway
    nbf_at_leeway_boundary => Ok(());
    /// RFC 7519 4.1.5
    nbf_in_future => Err(Error::NotYetValid);
    /// RFC 7519 4.1.5: now >= nbf
    nbf_now => Ok(());
    /// now < nbf - leeway
    nbf_past_leeway => Err(Error::NotYetValid);
    /// without kid, the only EdDSA key is used
    no_kid_selects_the_only_key_of_its_alg => Ok(());
    /// without kid, two EdDSA keys are ambiguous: no guessing
    no_kid_with_two_keys_of_its_alg => Err(Error::UnknownKey);
    /// nothing at all
    only_dots => Err(Error::Malformed);
    /// RFC 8259 8.1: JSON text is UTF-8
    payload_invalid_utf8 => Err(Error::Json);
    /// RFC 7519 7.2: claims are a JSON object
    payload_is_json_array => Err(Error::Json);
    /// claims are an object
    payload_is_json_string => Err(Error::Json);
    /// RFC 8259 8.2: a lone surrogate is not a character
    payload_lone_surrogate => Err(Error::Json);
    /// + and / are not base64url
    payload_standard_base64_alphabet => Err(Error::Base64);
    /// RFC 8259 7: a surrogate pair is one character (PyJWT emits these)
    payload_surrogate_pair => Ok(());
    /// one JSON text, nothing after
    payload_with_trailing_garbage => Err(Error::Json);
    /// a required claim is absent
    required_claim_missing => Err(Error::MissingClaim);
    /// null is not a value
    required_claim_null => Err(Error::MissingClaim);
    /// named claims are required
    required_claim_present => Ok(());
    /// RFC 9068 access token signed with EdDSA
    rfc9068_eddsa_access_token => Ok(());
    /// RFC 9068 access token signed with HS256
    rfc9068_hs256_access_token => Ok(());
    /// RFC 9864: alg Ed25519 names EdDSA over Ed25519
    rfc9864_fully_specified_ed25519_alg => Ok(());
    /// no scope claim grants nothing
    scope_claim_missing => Err(Error::InsufficientScope);
    /// RFC 6750 3.1: every required scope must be granted
    scope_missing_one => Err(Error::InsufficientScope);
    /// RFC 8693 4.2: scope is a space-separated string
    scope_not_a_string => Err(Error::InvalidClaim);
    /// scopes compare as whole space-delimited tokens
    scope_prefix_is_not_the_scope => Err(Error::InsufficientScope);
    /// the required scope is granted
    scope_present => Ok(());
    /// no signature with a real alg
    signature_empty => Err(Error::BadSignature);
    /// extra signature bytes
    signature_extended => Err(Error::BadSignature);
    /// trailing bits set: a second encoding of the same signature
    signature_non_canonical_base64 => Err(Error::Base64);
    /// a MAC cut short is not a MAC
    signature_of_hs256_truncated => Err(Error::BadSignature);
    /// 64-byte signature cut short
    signature_truncated => Err(Error::BadSignature);
    /// kid says ed1, ed2 signed
    signed_by_the_other_published_key => Err(Error::BadSignature);
    /// forged signature
    signed_by_unpublished_key => Err(Error::BadSignature);
    /// sub must be a string
    subject_not_a_string => Err(Error::InvalidClaim);
    /// tokens are bounded before decoding
    token_over_size_limit => Err(Error::TooLarge);
    /// RFC 7515 7.1: three segments
    two_segments => Err(Error::Malformed);
    /// media types compare case-insensitively
    typ_in_upper_case => Ok(());
    /// RFC 9068 4: an ID token or other JWT is not an access token
    typ_jwt_when_at_jwt_required => Err(Error::InvalidType);
    /// RFC 9068 4: typ is required
    typ_missing_when_required => Err(Error::InvalidType);
    /// RFC 7515 4.1.9: application/ may be present
    typ_with_application_prefix => Ok(());
    /// no whitespace anywhere
    whitespace_in_token => Err(Error::Base64);

    // ES256 and ES384 (RFC 7518 3.4), against ec.jwks
    /// RFC 7515 Appendix A.3 verbatim: ES256 over CRLF-formatted JSON
    rfc7515_a3_es256 => Ok(());
    /// RFC 7515 Appendix A.3 with one payload byte changed
    rfc7515_a3_es256_tampered => Err(Error::BadSignature);
    /// RFC 9068 access token signed with ES256
    es256_access_token => Ok(());
    /// no key of the token's algorithm
    es256_against_a_set_without_ec_keys => Err(Error::UnknownKey);
    /// claims are checked after an ES256 signature
    es256_expired => Err(Error::Expired);
    /// ECDSA is malleable: (r, n - s) verifies too; RFC 7518 and JOSE peers accept it
    es256_high_s_is_accepted => Ok(());
    /// one payload byte changed
    es256_payload_tampered => Err(Error::BadSignature);
    /// the all-zero signature
    es256_r_and_s_zero => Err(Error::BadSignature);
    /// r = n is outside [1, n - 1] (and r = n is r = 0 to a lax reduction)
    es256_r_equals_n => Err(Error::BadSignature);
    /// r = 0 is outside [1, n - 1]
    es256_r_zero => Err(Error::BadSignature);
    /// s = n is outside [1, n - 1]
    es256_s_equals_n => Err(Error::BadSignature);
    /// s = 0 is outside [1, n - 1]
    es256_s_zero => Err(Error::BadSignature);
    /// RFC 7518 3.4: the signature is R || S, not the DER most ECDSA APIs emit
    es256_signature_der_encoded => Err(Error::BadSignature);
    /// no signature at all
    es256_signature_empty => Err(Error::BadSignature);
    /// r and s zero-extended to 48 bytes each: the same numbers, the wrong length
    es256_signature_of_es384_length => Err(Error::BadSignature);
    /// RFC 7518 3.4: exactly 64 bytes, nothing after S
    es256_signature_padded => Err(Error::BadSignature);
    /// RFC 7518 3.4: exactly 64 bytes
    es256_signature_truncated => Err(Error::BadSignature);
    /// RFC 7518 3.4: exactly 64 bytes, nothing before R
    es256_signature_with_a_leading_zero => Err(Error::BadSignature);
    /// an attacker's P-256 key under the published kid
    es256_signed_by_another_key => Err(Error::BadSignature);
    /// an EC key never verifies EdDSA
    es256_token_relabelled_eddsa => Err(Error::UnknownKey);
    /// the P-256 key is bound to ES256: no ES384 key has its kid
    es256_token_relabelled_es384 => Err(Error::UnknownKey);
    /// without kid, the only ES256 key is used
    es256_without_kid_selects_the_only_es256_key => Ok(());
    /// secp256k1 (RFC 8812) is not verified here
    es256k_is_unsupported => Err(Error::UnsupportedAlgorithm);
    /// ES384; the P-384 key has no alg and is bound to ES384 by its curve
    es384_access_token_key_without_alg => Ok(());
    /// r = n is outside [1, n - 1]
    es384_r_equals_n => Err(Error::BadSignature);
    /// s = 0 is outside [1, n - 1]
    es384_s_zero => Err(Error::BadSignature);
    /// RFC 7518 3.4: R || S of 96 bytes, not DER
    es384_signature_der_encoded => Err(Error::BadSignature);
    /// RFC 7518 3.4: exactly 96 bytes
    es384_signature_of_es256_length => Err(Error::BadSignature);
    /// the P-384 key is bound to ES384: no ES256 key has its kid
    es384_token_relabelled_es256 => Err(Error::UnknownKey);
    /// P-521 is not verified here
    es512_is_unsupported => Err(Error::UnsupportedAlgorithm);
    /// algorithm confusion: HMAC keyed with the key file
    hs256_signed_with_ec_jwks_file => Err(Error::UnknownKey);
    /// algorithm confusion: HMAC keyed with the JWK
    hs256_signed_with_p256_jwk_text => Err(Error::UnknownKey);
    /// algorithm confusion: HMAC keyed with the SubjectPublicKeyInfo DER
    hs256_signed_with_p256_public_key_der => Err(Error::UnknownKey);
    /// RFC 8725 2.1 algorithm confusion: HMAC keyed with the EC key's PEM file
    hs256_signed_with_p256_public_key_pem => Err(Error::UnknownKey);
    /// algorithm confusion: HMAC keyed with the uncompressed point 04 || x || y
    hs256_signed_with_p256_public_key_sec1 => Err(Error::UnknownKey);
    /// algorithm confusion: HMAC keyed with the raw coordinates x || y
    hs256_signed_with_p256_x_and_y => Err(Error::UnknownKey);
    /// algorithm confusion without kid: a set of EC keys has no HS256 key to fall back on
    hs256_without_kid_against_ec_keys => Err(Error::UnknownKey);

    // RS256 … PS512 (RFC 7518 3.3, 3.5), against test.jwks and rsa_edge.jwks
    /// an RSA key never verifies ES256
    es256_header_on_the_rs256_key => Err(Error::UnknownKey);
    /// an EC key never verifies RS256
    rs256_header_on_the_es256_key => Err(Error::UnknownKey);
    /// RFC 8725 2.1: an RSA public key never serves as an HMAC secret
    hs256_keyed_with_the_rsa_jwk => Err(Error::UnknownKey);
    /// RFC 8725 2.1: an RSA public key never serves as an HMAC secret
    hs256_keyed_with_the_rsa_modulus => Err(Error::UnknownKey);
    /// RFC 8725 2.1: an RSA public key never serves as an HMAC secret
    hs256_keyed_with_the_rsa_modulus_b64 => Err(Error::UnknownKey);
    /// RFC 8725 2.1: a set of RSA keys has no HMAC secret, whatever the token names
    hs256_keyed_with_the_rsa_modulus_without_kid => Err(Error::UnknownKey);
    /// RFC 8725 2.1: an RSA public key never serves as an HMAC secret
    hs256_keyed_with_the_rsa_pkcs1_der => Err(Error::UnknownKey);
    /// RFC 8725 2.1: an RSA public key never serves as an HMAC secret
    hs256_keyed_with_the_rsa_pkcs1_pem => Err(Error::UnknownKey);
    /// RFC 8725 2.1: an RSA public key never serves as an HMAC secret
    hs256_keyed_with_the_rsa_spki_der => Err(Error::UnknownKey);
    /// RFC 8725 2.1: an RSA public key never serves as an HMAC secret
    hs256_keyed_with_the_rsa_spki_pem => Err(Error::UnknownKey);
    /// RFC 8725 2.1: nor its PEM text without the final newline
    hs256_keyed_with_the_rsa_spki_pem_unterminated => Err(Error::UnknownKey);
    /// RFC 7518 3.3/3.5: PS256 with a 2048-bit key
    ps256_access_token => Ok(());
    /// a key without PS256 in its alg never verifies PS256
    ps256_header_on_the_rs256_key => Err(Error::UnknownKey);
    /// RFC 8017 9.1.2: no 0xbc trailer
    ps256_header_over_a_pkcs1_signature => Err(Error::BadSignature);
    /// RFC 7518 3.5: the salt is as long as the hash
    ps256_salt_length_0 => Err(Error::BadSignature);
    /// RFC 7518 3.5: the salt is as long as the hash
    ps256_salt_length_20 => Err(Error::BadSignature);
    /// RFC 7518 3.5: the salt is as long as the hash
    ps256_salt_length_64 => Err(Error::BadSignature);
    /// RFC 7518 3.3/3.5: PS384 with a 3072-bit key
    ps384_access_token => Ok(());
    /// RFC 7518 3.3/3.5: PS512 with a 4096-bit key
    ps512_access_token => Ok(());
    /// RFC 7518 3.3/3.5: RS256 with a 2048-bit key
    rs256_access_token => Ok(());
    /// RFC 8017 9.2: the block type is 01
    rs256_block_type_2 => Err(Error::BadSignature);
    /// RFC 8017 9.2: DigestInfo with absent parameters is another encoding
    rs256_digest_info_without_null => Err(Error::BadSignature);
    /// Bleichenbacher 2006: a cube root whose cube starts with a valid encoding
    rs256_e3_bleichenbacher_forgery => Err(Error::BadSignature);
    /// Bleichenbacher 2006: bytes after the hash
    rs256_garbage_after_the_digest => Err(Error::BadSignature);
    /// a PS256 key never verifies RS256
    rs256_header_on_the_ps256_key => Err(Error::UnknownKey);
    /// RFC 7518 3.3: keys below 2048 bits are refused
    rs256_key_of_1024_bits_is_refused => Err(Error::UnknownKey);
    /// with e = 1 the encoded message is its own signature
    rs256_key_with_e_1_is_refused => Err(Error::UnknownKey);
    /// RFC 8017 8.2.2: a trailing byte makes it k+1 bytes
    rs256_signature_extended => Err(Error::BadSignature);
    /// RFC 8017 5.2.2: s = n is out of range, not 0
    rs256_signature_n => Err(Error::BadSignature);
    /// s = n - 1: (-1)^e = -1
    rs256_signature_n_minus_1 => Err(Error::BadSignature);
    /// RFC 8017 5.2.2: s = n + 1 is out of range, not 1
    rs256_signature_n_plus_1 => Err(Error::BadSignature);
    /// s = 1: 1^e = 1
    rs256_signature_one => Err(Error::BadSignature);
    /// RFC 8017 8.2.2: the signature is exactly k bytes
    rs256_signature_truncated => Err(Error::BadSignature);
    /// s = 0: 0^e = 0
    rs256_signature_zero => Err(Error::BadSignature);
    /// RFC 8017 8.2.2: a leading zero byte makes it k+1 bytes
    rs256_signature_zero_padded => Err(Error::BadSignature);
    /// RFC 7518 3.3/3.5: RS384 with a 3072-bit key
    rs384_access_token => Ok(());
    /// one key, one hash
    rs384_header_on_the_rs256_key => Err(Error::UnknownKey);
    /// RFC 7518 3.3: RS384 hashes with SHA-384
    rs384_header_over_a_sha256_encoding => Err(Error::BadSignature);
    /// RFC 7518 3.3/3.5: RS512 with a 4096-bit key
    rs512_access_token => Ok(());
}

#[test]
fn every_vector_in_the_file_has_a_named_test() {
    let unnamed: Vec<String> = load_vectors("tokens.tsv")
        .into_iter()
        .map(|v| v.name)
        .filter(|name| !NAMED.contains(&name.as_str()))
        .collect();
    assert!(
        unnamed.is_empty(),
        "vectors without a named test: {unnamed:?}"
    );
}

fn standard_verifier() -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    let (keys, _) = KeySet::from_jwks(&jwks).unwrap();
    Verifier::new(keys, policy_from(STANDARD_POLICY))
}

#[test]
fn token_of_100_kilobytes_is_rejected_before_decoding() {
    let token = format!("{}.{}.AA", "eyJ".repeat(34_000), "A".repeat(100));
    assert_eq!(
        standard_verifier()
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .unwrap_err(),
        Error::TooLarge
    );
}

/// A valid EdDSA token of exactly `len` bytes, padded through a claim and header whitespace.
fn token_of_len(len: usize) -> String {
    for spaces in 0..4 {
        let header = format!("{}{ED1_HEADER}", " ".repeat(spaces));
        let base = sign_ed(
            &ed1_seed(),
            &header,
            &Claims::standard().with("pad", "\"\"").json(),
        );
        let approx = (len - base.len()) * 3 / 4;
        for n in approx.saturating_sub(4)..approx + 4 {
            let claims = Claims::standard().with("pad", &format!("\"{}\"", "x".repeat(n)));
            let token = sign_ed(&ed1_seed(), &header, &claims.json());
            if token.len() == len {
                return token;
            }
        }
    }
    panic!("no token of length {len}");
}

#[test]
fn token_of_exactly_the_size_limit_is_accepted() {
    let token = token_of_len(tollgate::MAX_TOKEN_LEN);
    assert!(
        standard_verifier()
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .is_ok()
    );
}

#[test]
fn token_one_byte_over_the_size_limit_is_too_large() {
    let token = token_of_len(tollgate::MAX_TOKEN_LEN + 1);
    assert_eq!(
        standard_verifier()
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .unwrap_err(),
        Error::TooLarge
    );
}

#[test]
fn claims_over_the_member_limit_are_too_large() {
    let mut claims = Claims::standard();
    for i in 0..tollgate::MAX_CLAIMS {
        claims = claims.with(&format!("c{i}"), "0");
    }
    assert_eq!(
        standard_verifier()
            .verify(ed_token(&claims).as_bytes(), NOW, &mut Scratch::new())
            .unwrap_err(),
        Error::TooLarge
    );
}

#[test]
fn header_over_the_member_limit_is_too_large() {
    let extra: String = (0..tollgate::MAX_HEADER_MEMBERS)
        .map(|i| format!(",\"h{i}\":0"))
        .collect();
    let header = format!(r#"{{"alg":"EdDSA","typ":"at+jwt","kid":"ed1"{extra}}}"#);
    let token = sign_ed(&ed1_seed(), &header, &Claims::standard().json());
    assert_eq!(
        standard_verifier()
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .unwrap_err(),
        Error::TooLarge
    );
}

#[test]
fn audience_array_over_the_limit_is_too_large() {
    let auds: Vec<String> = (0..=tollgate::MAX_TOKEN_AUDIENCES)
        .map(|i| format!("\"a{i}\""))
        .collect();
    let token = ed_token(&Claims::standard().with("aud", &format!("[{}]", auds.join(","))));
    assert_eq!(
        standard_verifier()
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .unwrap_err(),
        Error::TooLarge
    );
}

#[test]
fn a_payload_of_nothing_but_escapes_fits_the_scratch() {
    let escaped = "\\u00e9".repeat(900);
    let claims = Claims::standard().with("name", &format!("\"{escaped}\""));
    let token = ed_token(&claims);
    assert!(token.len() <= tollgate::MAX_TOKEN_LEN);
    let mut scratch = Scratch::new();
    let verifier = standard_verifier();
    let claims = verifier
        .verify(token.as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert_eq!(
        claims.claim("name").unwrap().as_str(),
        Some("é".repeat(900).as_str())
    );
}

#[test]
fn failed_verification_leaves_no_claims_in_the_scratch() {
    let verifier = standard_verifier();
    let mut scratch = Scratch::new();
    verifier
        .verify(ed_token(&Claims::standard()).as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert!(scratch.claims().is_some());
    let forged = sign_ed(&EVIL_SEED, ED1_HEADER, &Claims::standard().json());
    assert!(
        verifier
            .verify(forged.as_bytes(), NOW, &mut scratch)
            .is_err()
    );
    assert!(scratch.claims().is_none());
}

#[test]
fn every_prefix_of_a_valid_token_is_rejected_without_panicking() {
    let token = ed_token(&Claims::standard());
    let verifier = standard_verifier();
    let mut scratch = Scratch::new();
    for end in 0..token.len() {
        assert!(
            verifier
                .verify(&token.as_bytes()[..end], NOW, &mut scratch)
                .is_err()
        );
    }
}

#[test]
fn every_single_byte_change_of_a_valid_token_is_rejected() {
    let token = hs_token(&Claims::standard());
    let verifier = standard_verifier();
    let mut scratch = Scratch::new();
    for i in 0..token.len() {
        for replacement in [b'A', b'.', b'_', 0xff] {
            let mut bytes = token.clone().into_bytes();
            if bytes[i] == replacement {
                continue;
            }
            bytes[i] = replacement;
            assert!(
                verifier.verify(&bytes, NOW, &mut scratch).is_err(),
                "byte {i} -> {replacement:#x} accepted"
            );
        }
    }
}

#[test]
fn alg_none_is_rejected_even_with_a_key_and_policy_that_allow_everything() {
    let mut keys = KeySet::new();
    keys.add_hs256(None, HS1_SECRET).unwrap();
    let verifier = Verifier::new(keys, Policy::builder().require_exp(false).build().unwrap());
    let token = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(b"{}"));
    assert_eq!(
        verifier
            .verify(token.as_bytes(), NOW, &mut Scratch::new())
            .unwrap_err(),
        Error::AlgNone
    );
}
