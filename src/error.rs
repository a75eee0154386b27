//! Errors, with stable numbers and their RFC 6750 meaning.
//!
//! Numbers are part of the C ABI: they never change and are never reused. A retired number stays
//! here as a comment.

use core::ffi::CStr;
use core::fmt;

use crate::jwks::LoadReport;

/// The RFC 6750 §3.1 error code a resource server sends for a rejected request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `invalid_request`: the request is malformed (HTTP 400).
    InvalidRequest,
    /// `invalid_token`: the token is expired, malformed or invalid for other reasons (HTTP 401).
    InvalidToken,
    /// `insufficient_scope`: the token lacks a required scope (HTTP 403).
    InsufficientScope,
}

impl ErrorCode {
    /// The code as it appears in `WWW-Authenticate: Bearer error="…"`.
    pub const fn as_str(self) -> &'static str {
        match core::str::from_utf8(self.as_cstr().to_bytes()) {
            Ok(s) => s,
            Err(_) => "",
        }
    }

    /// [`as_str`](Self::as_str) as a NUL-terminated string, for C callers.
    pub const fn as_cstr(self) -> &'static CStr {
        match self {
            ErrorCode::InvalidRequest => c"invalid_request",
            ErrorCode::InvalidToken => c"invalid_token",
            ErrorCode::InsufficientScope => c"insufficient_scope",
        }
    }

    /// The HTTP status RFC 6750 §3.1 pairs with the code.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope => 403,
        }
    }
}

/// A NUL-terminated literal as a `CStr`, checked when constants are evaluated.
const fn cstr(with_nul: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(with_nul.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("not a NUL-terminated string without interior NULs"),
    }
}

macro_rules! numbered_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $num:literal, $short:literal, $desc:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $num, )*
        }

        impl $name {
            /// Every variant, in number order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable number of this error (also its C status value).
            pub const fn number(self) -> u16 {
                self as u16
            }

            /// The error with this stable number, if there is one.
            pub const fn from_number(number: u16) -> Option<Self> {
                match number {
                    $( $num => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// A short snake_case name, stable, for logs and metrics.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $short, )*
                }
            }

            /// A one-line description for people.
            pub const fn description(self) -> &'static str {
                match self {
                    $( $name::$variant => $desc, )*
                }
            }

            /// [`name`](Self::name) as a NUL-terminated string, for C callers.
            pub const fn name_cstr(self) -> &'static CStr {
                match self {
                    $( $name::$variant => const { cstr(concat!($short, "\0")) }, )*
                }
            }

            /// [`description`](Self::description) as a NUL-terminated string, for C callers.
            pub const fn description_cstr(self) -> &'static CStr {
                match self {
                    $( $name::$variant => const { cstr(concat!($desc, "\0")) }, )*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.description())
            }
        }

        #[cfg(feature = "std")]
        impl std::error::Error for $name {}
    };
}

numbered_enum! {
    /// Why a token was rejected.
    pub enum Error {
        /// Not three dot-separated segments, or the header or payload segment is empty.
        Malformed = 1, "malformed", "token is not a compact JWS of three segments";
        /// The token, a segment, the member count or an array exceeds a documented limit.
        TooLarge = 2, "too_large", "token exceeds a size limit";
        /// A segment is not canonical unpadded base64url.
        Base64 = 3, "base64", "segment is not canonical unpadded base64url";
        /// The header or the claims are not one valid UTF-8 JSON object.
        Json = 4, "json", "header or claims are not a valid JSON object";
        /// The header or the claims repeat a member name (RFC 7519 §4, RFC 7515 §4).
        DuplicateMember = 5, "duplicate_member", "header or claims repeat a member name";
        /// JSON nesting is deeper than the limit.
        TooDeep = 6, "too_deep", "JSON nesting exceeds the depth limit";
        /// `alg` is `none` in some spelling: unsigned tokens are never accepted (RFC 8725 §3.1).
        AlgNone = 7, "alg_none", "unsigned token (alg none) rejected";
        /// `alg` is not one this build verifies ([`crate::Algorithm::is_enabled`]).
        UnsupportedAlgorithm = 8, "unsupported_algorithm", "signature algorithm not supported";
        /// The header has `crit`: we understand no extensions (RFC 7515 §4.1.11).
        CriticalHeader = 9, "critical_header", "header lists critical extensions";
        /// No key in the set has the token's `kid` and algorithm.
        UnknownKey = 10, "unknown_key", "no key matches the token's kid and alg";
        /// The signature does not verify, or has the wrong length.
        BadSignature = 11, "bad_signature", "signature does not verify";
        /// `exp` has passed (RFC 7519 §4.1.4).
        Expired = 12, "expired", "token has expired";
        /// `nbf` is still in the future (RFC 7519 §4.1.5).
        NotYetValid = 13, "not_yet_valid", "token is not valid yet";
        /// `iat` is in the future.
        IssuedInFuture = 14, "issued_in_future", "token was issued in the future";
        /// `iss` is missing or is not the configured issuer.
        InvalidIssuer = 15, "invalid_issuer", "issuer not accepted";
        /// `aud` names none of the accepted audiences, or is present when none is configured.
        InvalidAudience = 16, "invalid_audience", "audience not accepted";
        /// The header `typ` is missing or is not the required type (RFC 9068 §4).
        InvalidType = 17, "invalid_type", "token type not accepted";
        /// A required claim (`exp` by default, or one the policy names) is missing.
        MissingClaim = 18, "missing_claim", "required claim missing";
        /// `scope` lacks a required scope (RFC 6750 §3.1).
        InsufficientScope = 19, "insufficient_scope", "token lacks a required scope";
        /// A registered claim has the wrong JSON type or an out-of-range NumericDate.
        InvalidClaim = 20, "invalid_claim", "claim has the wrong type or an invalid value";
        /// `alg` is missing, or `alg`, `kid` or `typ` is not a string.
        InvalidHeader = 21, "invalid_header", "header parameter missing or of the wrong type";
    }
}

impl Error {
    /// The RFC 6750 error code a resource server sends for this rejection.
    pub const fn error_code(self) -> ErrorCode {
        match self {
            Error::InsufficientScope => ErrorCode::InsufficientScope,
            _ => ErrorCode::InvalidToken,
        }
    }
}

numbered_enum! {
    /// Why a JWKS document could not be loaded. Loading is all-or-nothing.
    ///
    /// A key that is merely unusable does not fail the load: it is skipped and counted with a
    /// [`SkipReason`] in the [`LoadReport`](crate::LoadReport) (RFC 7517 §5). What stays an
    /// error is a document that is not a key set, one that leaves no usable key, and what
    /// would hide an attack or make key selection ambiguous: two usable keys with the same
    /// `kid` and algorithm, and a key whose `alg` belongs to another key type or curve.
    pub enum JwksErrorKind {
        /// The document is not valid UTF-8 JSON, or nests too deep.
        Json = 100, "json", "JWKS is not valid JSON";
        /// The document is not an object with a `keys` array (RFC 7517 §5).
        NotAKeySet = 101, "not_a_key_set", "JWKS is not an object with a \"keys\" array";
        /// More usable keys than the key set holds.
        TooManyKeys = 102, "too_many_keys", "JWKS has more usable keys than the limit";
        /// A member (`kid`, `k`, `x`, …) is longer than its limit. From `add_*` only: in a JWKS
        /// such a key is skipped.
        MemberTooLarge = 103, "member_too_large", "key member exceeds its size limit";
        /// A required member is missing. No longer returned: in a JWKS such a key is skipped.
        MissingMember = 104, "missing_member", "key lacks a required member";
        /// A member has the wrong JSON type. No longer returned: in a JWKS such a key is skipped.
        InvalidMember = 105, "invalid_member", "key member has the wrong type";
        /// Key material is not valid. From `add_*` only: in a JWKS such a key is skipped.
        InvalidKey = 106, "invalid_key", "key material is not valid";
        /// An Ed25519 public key of small order. From `add_*` only: in a JWKS it is skipped.
        WeakKey = 107, "weak_key", "Ed25519 key has small order";
        /// An HS256 secret shorter than 32 bytes (RFC 7518 §3.2). From `add_*` only: in a JWKS
        /// such a key is skipped.
        KeyTooShort = 108, "key_too_short", "HS256 key is shorter than 32 bytes";
        /// A key's `alg` names a signature algorithm of another key type or curve (an RSA, EC
        /// or OKP key labelled `HS256`, a P-256 key labelled `ES384`): the shape of an
        /// algorithm-confusion attack, refused rather than skipped so it is seen.
        AlgorithmMismatch = 109, "algorithm_mismatch", "key alg does not fit its type";
        /// Two usable keys share `kid` and algorithm: which one verifies would depend on order.
        DuplicateKey = 110, "duplicate_key", "two keys share kid and algorithm";
        /// The document adds no usable key: every key was skipped, or there was none.
        NoUsableKey = 111, "no_usable_key", "JWKS has no usable signature verification key";
        /// The set repeats `keys`. (A key that repeats a member is skipped.)
        DuplicateMember = 112, "duplicate_member", "JWKS repeats a member name";
    }
}

numbered_enum! {
    /// Why a key of a JWKS was skipped rather than loaded (RFC 7517 §5: keys that are
    /// unsupported, malformed or missing members are ignored, never fatal to the set).
    pub enum SkipReason {
        /// A `kty`, `crv` or `alg` this build does not verify with (RSA until it is wired in,
        /// X25519, Ed448, P-521, HS512, encryption algorithms, …).
        Unsupported = 120, "unsupported", "key type, curve or algorithm not verified here";
        /// `use` is not `sig`, or `key_ops` lacks `verify` (RFC 7517 §4.2, §4.3).
        NotForSignatures = 121, "not_for_signatures", "key is not meant for verifying signatures";
        /// A required member (`kty`, `crv`, `x`, `y`, `k`, …) is missing.
        MissingMember = 122, "missing_member", "key lacks a required member";
        /// A member has the wrong JSON type, or the entry is not an object.
        InvalidMember = 123, "invalid_member", "key member has the wrong type";
        /// Key material is not canonical base64url, has the wrong length, or is not a valid
        /// point (off the curve, the identity).
        InvalidKey = 124, "invalid_key", "key material is not valid";
        /// An Ed25519 public key of small order.
        WeakKey = 125, "weak_key", "Ed25519 key has small order";
        /// An HS256 secret shorter than 32 bytes (RFC 7518 §3.2).
        KeyTooShort = 126, "key_too_short", "key is shorter than its algorithm allows";
        /// A member (`kid`, `k`, `x`, …) is longer than its limit.
        MemberTooLarge = 127, "member_too_large", "key member exceeds its size limit";
        /// The key repeats a member name: parsers could disagree on its value.
        DuplicateMember = 128, "duplicate_member", "key repeats a member name";
    }
}

numbered_enum! {
    /// Why a policy could not be built.
    pub enum PolicyError {
        /// A string is longer than its limit.
        TooLong = 150, "too_long", "policy value exceeds its length limit";
        /// More audiences, scopes or required claims than the policy holds.
        TooMany = 151, "too_many", "too many policy values";
        /// Leeway above [`MAX_LEEWAY`](crate::MAX_LEEWAY).
        LeewayTooLarge = 152, "leeway_too_large", "leeway exceeds the limit";
        /// An empty string, or a scope that is not an RFC 6749 §3.3 scope-token.
        InvalidValue = 153, "invalid_value", "policy value is empty or invalid";
    }
}

/// A JWKS load failure: what went wrong, in which entry of `keys` when it concerns one key, and
/// what the load had skipped until then (for [`JwksErrorKind::NoUsableKey`], every key and why).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JwksError {
    /// What went wrong.
    pub kind: JwksErrorKind,
    /// The zero-based index in `keys` of the offending key, if the error concerns one.
    pub key_index: Option<u16>,
    /// The keys skipped before the load stopped, with their reasons. Nothing was loaded.
    pub report: LoadReport,
}

impl JwksError {
    pub(crate) const fn set(kind: JwksErrorKind) -> Self {
        JwksError {
            kind,
            key_index: None,
            report: LoadReport::EMPTY,
        }
    }
}

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key_index {
            Some(i) => write!(f, "keys[{i}]: {}", self.kind)?,
            None => write!(f, "{}", self.kind)?,
        }
        if self.kind == JwksErrorKind::NoUsableKey && self.report.skipped > 0 {
            write!(f, " (skipped:")?;
            for (n, skip) in self.report.skipped_keys().enumerate() {
                let sep = if n == 0 { " " } else { ", " };
                write!(f, "{sep}keys[{}] {}", skip.key_index, skip.reason.name())?;
            }
            let listed = self.report.skipped_keys().count();
            if usize::from(self.report.skipped) > listed {
                write!(f, ", {} more", usize::from(self.report.skipped) - listed)?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for JwksError {}
