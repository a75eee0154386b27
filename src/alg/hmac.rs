//! HS256: HMAC with SHA-256 (RFC 7518 §3.2), keyed once at load time and compared in constant
//! time.

use ::hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::SkipReason;

/// Shortest HS256 secret, in bytes: the size of the hash output (RFC 7518 §3.2).
pub const MIN_HMAC_KEY_LEN: usize = 32;
/// Longest HS256 secret, in bytes.
pub const MAX_HMAC_KEY_LEN: usize = 256;

/// The pre-keyed HMAC state; zeroized on drop (the `zeroize` features of `hmac` and `sha2`).
pub(crate) type Secret = Hmac<Sha256>;

/// The keyed state for `secret`, which must be 32 to 256 bytes.
pub(crate) fn secret(secret: &[u8]) -> Result<Secret, SkipReason> {
    if secret.len() < MIN_HMAC_KEY_LEN {
        return Err(SkipReason::KeyTooShort);
    }
    if secret.len() > MAX_HMAC_KEY_LEN {
        return Err(SkipReason::MemberTooLarge);
    }
    Secret::new_from_slice(secret).map_err(|_| SkipReason::InvalidKey)
}

/// Whether `tag` is the HMAC-SHA256 of `message` under `key`, compared in constant time.
// Never inlined: each algorithm's stack frame is paid only when that algorithm runs (see
// `Material::verify`).
#[inline(never)]
pub(crate) fn verify(key: &Secret, message: &[u8], tag: &[u8]) -> bool {
    key.clone().chain_update(message).verify_slice(tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC4231_CASE_2_TAG: [u8; 32] = [
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75,
        0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
        0x38, 0x43,
    ];

    /// RFC 4231 test case 2's key, "Jefe", is shorter than a JWKS may carry, so it is keyed
    /// directly: what is tested here is the check, not the loader.
    fn jefe() -> Secret {
        Secret::new_from_slice(b"Jefe").unwrap()
    }

    #[test]
    fn rfc4231_case_2_verifies() {
        assert!(verify(
            &jefe(),
            b"what do ya want for nothing?",
            &RFC4231_CASE_2_TAG
        ));
    }

    #[test]
    fn a_truncated_or_extended_tag_is_rejected() {
        let message = b"what do ya want for nothing?";
        assert!(!verify(&jefe(), message, &RFC4231_CASE_2_TAG[..31]));
        assert!(!verify(&jefe(), message, &RFC4231_CASE_2_TAG[..16]));
        assert!(!verify(&jefe(), message, &[]));
        let mut longer = [0u8; 33];
        longer[..32].copy_from_slice(&RFC4231_CASE_2_TAG);
        assert!(!verify(&jefe(), message, &longer));
    }

    #[test]
    fn secrets_shorter_than_32_bytes_are_refused() {
        // RFC 7518 §3.2: a key of the same size as the hash output or larger.
        assert_eq!(secret(&[1; 31]).unwrap_err(), SkipReason::KeyTooShort);
        assert!(secret(&[1; 32]).is_ok());
        assert_eq!(
            secret(&[1; MAX_HMAC_KEY_LEN + 1]).unwrap_err(),
            SkipReason::MemberTooLarge
        );
    }
}
