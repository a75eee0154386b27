//! The signature algorithms, one module per family, behind one small interface: "is this a valid
//! signature of these bytes under this key". The pipeline in `verify.rs` is about tokens and
//! claims; this is about bytes and keys.
//!
//! A family module provides its key material (built from the key's JOSE members, refusing what
//! cannot be a valid key) and its check; [`Material`] names each family's key and routes
//! [`Material::verify`] to it. Which families a build carries is chosen by Cargo features:
//! `p256` (ES256), `p384` (ES384) and `rsa` (RS256…PS512); EdDSA and HS256 are always there.
//! Adding a family: a module here, a `Material` variant with its arms in `serves` and `verify`,
//! `Algorithm::is_enabled`, and its JWK members in `jwks.rs`.

#[cfg(any(feature = "p256", feature = "p384"))]
pub(crate) mod ecdsa;
pub(crate) mod eddsa;
pub(crate) mod hmac;
#[cfg(feature = "rsa")]
pub(crate) mod rsa;

/// A JWS signature algorithm (RFC 7518 §3.1, RFC 8037, RFC 9864): every one this project
/// verifies, whether or not this build carries it (see [`Algorithm::is_enabled`]).
///
/// The numbers are stable; they never change and are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum Algorithm {
    /// EdDSA over Ed25519 (RFC 8037): JOSE `alg` `EdDSA`, or `Ed25519` (RFC 9864).
    EdDsa = 1,
    /// HMAC with SHA-256 (RFC 7518 §3.2): `HS256`.
    Hs256 = 2,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3): `RS256`.
    Rs256 = 3,
    /// RSASSA-PKCS1-v1_5 with SHA-384: `RS384`.
    Rs384 = 4,
    /// RSASSA-PKCS1-v1_5 with SHA-512: `RS512`.
    Rs512 = 5,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256, salt as long as the hash (§3.5): `PS256`.
    Ps256 = 6,
    /// RSASSA-PSS with SHA-384: `PS384`.
    Ps384 = 7,
    /// RSASSA-PSS with SHA-512: `PS512`.
    Ps512 = 8,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4): `ES256`.
    Es256 = 9,
    /// ECDSA on P-384 with SHA-384: `ES384`.
    Es384 = 10,
}

impl Algorithm {
    /// Every algorithm, in number order.
    pub const ALL: &'static [Algorithm] = &[
        Algorithm::EdDsa,
        Algorithm::Hs256,
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Es256,
        Algorithm::Es384,
    ];

    /// The JOSE `alg` name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Hs256 => "HS256",
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
        }
    }

    /// The algorithm a header's (or a key's) `alg` names, if it is one of ours. Exact and
    /// case-sensitive (RFC 7515 §4.1.1).
    pub fn from_jose(alg: &[u8]) -> Option<Self> {
        if alg == b"Ed25519" {
            return Some(Algorithm::EdDsa);
        }
        Algorithm::ALL
            .iter()
            .copied()
            .find(|a| a.as_str().as_bytes() == alg)
    }

    /// The algorithm with this stable number.
    pub const fn from_number(number: u8) -> Option<Self> {
        let mut i = 0;
        while i < Algorithm::ALL.len() {
            if Algorithm::ALL[i] as u8 == number {
                return Some(Algorithm::ALL[i]);
            }
            i += 1;
        }
        None
    }

    /// Whether this build verifies the algorithm. A token of an algorithm that is not enabled
    /// is `unsupported_algorithm`, and a JWK bound to one is skipped as `unsupported`.
    pub const fn is_enabled(self) -> bool {
        match self {
            Algorithm::EdDsa | Algorithm::Hs256 => true,
            Algorithm::Es256 => cfg!(feature = "p256"),
            Algorithm::Es384 => cfg!(feature = "p384"),
            Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512 => cfg!(feature = "rsa"),
        }
    }
}

/// Verification key material of one family, ready to check signatures.
// No heap to box the large RSA variant into: a key set's size is fixed by its largest key.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Material {
    Ed25519(eddsa::PublicKey),
    Hmac(hmac::Secret),
    #[cfg(feature = "p256")]
    P256(ecdsa::p256::PublicKey),
    #[cfg(feature = "p384")]
    P384(ecdsa::p384::PublicKey),
    /// The largest variant (about 1 KiB for room to hold a 4096-bit key): it sets the size of
    /// every key in a set.
    #[cfg(feature = "rsa")]
    Rsa(rsa::RsaKey),
}

impl Material {
    /// Whether this material may be bound to `algorithm`: one key serves one family, and a
    /// public key never serves as an HMAC secret.
    pub(crate) fn serves(&self, algorithm: Algorithm) -> bool {
        match self {
            Material::Ed25519(_) => algorithm == Algorithm::EdDsa,
            Material::Hmac(_) => algorithm == Algorithm::Hs256,
            #[cfg(feature = "p256")]
            Material::P256(_) => algorithm == Algorithm::Es256,
            #[cfg(feature = "p384")]
            Material::P384(_) => algorithm == Algorithm::Es384,
            #[cfg(feature = "rsa")]
            Material::Rsa(_) => rsa::scheme(algorithm).is_some(),
        }
    }

    /// Whether `signature` is a valid `algorithm` signature of `message` under this key. The
    /// family checks the signature's length itself: any other length is simply invalid.
    ///
    /// The families' checks are never inlined here: Ed25519's, ECDSA's and RSA's large frames
    /// would otherwise be reserved on every verification, HS256 included (9.7 KiB when the
    /// first two were).
    pub(crate) fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match (self, algorithm) {
            (Material::Ed25519(key), Algorithm::EdDsa) => eddsa::verify(key, message, signature),
            (Material::Hmac(key), Algorithm::Hs256) => hmac::verify(key, message, signature),
            #[cfg(feature = "p256")]
            (Material::P256(key), Algorithm::Es256) => ecdsa::p256::verify(key, message, signature),
            #[cfg(feature = "p384")]
            (Material::P384(key), Algorithm::Es384) => ecdsa::p384::verify(key, message, signature),
            #[cfg(feature = "rsa")]
            (Material::Rsa(key), _) => rsa::verify(key, algorithm, message, signature),
            // Keys are bound when loaded; a mismatch here is a bug, and never a pass.
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_reads_back_from_its_jose_name_and_number() {
        for &alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_jose(alg.as_str().as_bytes()), Some(alg));
            assert_eq!(Algorithm::from_number(alg as u8), Some(alg));
        }
        assert_eq!(Algorithm::from_number(0), None);
        assert_eq!(Algorithm::from_number(11), None);
    }

    #[test]
    fn rfc9864_ed25519_names_eddsa_and_names_are_case_sensitive() {
        assert_eq!(Algorithm::from_jose(b"Ed25519"), Some(Algorithm::EdDsa));
        for other in [&b"eddsa"[..], b"hs256", b"HS512", b"ES512", b"none", b""] {
            assert_eq!(Algorithm::from_jose(other), None);
        }
    }

    #[test]
    fn eddsa_and_hs256_are_in_every_build() {
        assert!(Algorithm::EdDsa.is_enabled() && Algorithm::Hs256.is_enabled());
    }

    #[test]
    fn a_public_key_never_serves_as_an_hmac_secret() {
        let key = eddsa::public_key(&[
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ])
        .unwrap();
        let material = Material::Ed25519(key);
        assert!(!material.serves(Algorithm::Hs256));
        assert!(!material.verify(Algorithm::Hs256, b"m", &[0; 32]));
    }
}
