//! Tollgate verifies OAuth 2.0 bearer tokens — compact JWS signed with EdDSA (Ed25519), HS256,
//! ES256, ES384 (behind the `p256` and `p384` features) or RS256…RS512 and PS256…PS512 (RSA,
//! 2048 to 4096 bits, behind the `rsa` feature) — without a heap, a JSON DOM or I/O.
//!
//! ```
//! use tollgate::{KeySet, Policy, Scratch, Verifier};
//!
//! // RFC 8037 Appendix A.4: an Ed25519 key and a token it signed.
//! let jwks = br#"{"keys":[{"kty":"OKP","crv":"Ed25519",
//!     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
//! let token = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.\
//!     hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
//! let (keys, _report) = KeySet::from_jwks(jwks).unwrap();
//! let policy = Policy::builder().require_exp(false).build().unwrap();
//! let verifier = Verifier::new(keys, policy);
//! let mut scratch = Scratch::new();
//! // The payload of this RFC example is not JSON, so it fails after the signature verified.
//! assert_eq!(
//!     verifier.verify(token, 1_700_000_000, &mut scratch).unwrap_err(),
//!     tollgate::Error::Json
//! );
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(any(test, feature = "std"))]
extern crate std;

mod alg;
mod b64;
mod cache;
mod claims;
mod error;
mod json;
mod jwks;
mod keys;
mod numeric;
mod policy;
mod scan;
mod scratch;
mod verify;

/// Internals exposed to the fuzz targets only. Not a stable API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// The token-segment base64url decoder, for differential fuzzing against `base64ct`.
    #[allow(clippy::result_unit_err)]
    pub fn base64url_decode(input: &[u8], out: &mut [u8]) -> Result<usize, ()> {
        crate::b64::decode(input, out)
    }
}

pub use alg::Algorithm;
pub use alg::hmac::{MAX_HMAC_KEY_LEN, MIN_HMAC_KEY_LEN};
pub use cache::{Cache, CacheSlot, MAX_CACHED_TOKEN_LEN};
pub use claims::{Claim, Claims};
pub use error::{Error, ErrorCode, JwksError, JwksErrorKind, PolicyError, SkipReason};
pub use json::{Kind, MAX_DEPTH};
pub use jwks::{LoadReport, MAX_REPORTED_SKIPS, SkippedKey, jwk_kid};
pub use keys::{KeySet, MAX_KEYS, MAX_KID_LEN};
pub use policy::{
    MAX_LEEWAY, MAX_POLICY_AUDIENCES, MAX_POLICY_NAME_LEN, MAX_POLICY_NAMES, MAX_POLICY_VALUE_LEN,
    Policy, PolicyBuilder, PolicyEditor,
};
pub use scratch::{
    MAX_CLAIMS, MAX_HEADER_MEMBERS, MAX_SIGNATURE_LEN, MAX_TOKEN_AUDIENCES, MAX_TOKEN_LEN,
    SCRATCH_ALIGN, SCRATCH_SIZE, Scratch,
};
pub use verify::Verifier;
