//! `tollgate_status`: one numbered result for every fallible call.
//!
//! The numbers are ABI and never change; a retired number stays here as a comment so nobody
//! reuses it. Token errors share their numbers with `tollgate::Error` (1–21), JWKS errors with
//! `tollgate::JwksErrorKind` (100–112), the reasons a JWKS key is skipped with
//! `tollgate::SkipReason` (120–128), policy errors with `tollgate::PolicyError` (150–153).

use core::ffi::{CStr, c_char, c_int};

use tollgate::{Error, JwksErrorKind, PolicyError, SkipReason};

use crate::boundary::infallible;

/// The result of a fallible call.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum tollgate_status {
    /// Success.
    Ok = 0,
    /// Token: not three segments, or an empty header or payload.
    Malformed = 1,
    /// Token: over a size limit.
    TooLarge = 2,
    /// Token: a segment is not canonical unpadded base64url.
    Base64 = 3,
    /// Token: header or claims are not one valid UTF-8 JSON object.
    Json = 4,
    /// Token: a header or claim name repeats.
    DuplicateMember = 5,
    /// Token: JSON nested too deep.
    TooDeep = 6,
    /// Token: `alg` is `none`.
    AlgNone = 7,
    /// Token: `alg` is not one this build verifies (EdDSA, HS256, ES256, ES384, RS256…PS512).
    UnsupportedAlgorithm = 8,
    /// Token: the header has `crit`.
    CriticalHeader = 9,
    /// Token: no key has its `kid` and algorithm.
    UnknownKey = 10,
    /// Token: the signature does not verify.
    BadSignature = 11,
    /// Token: expired.
    Expired = 12,
    /// Token: not valid yet (`nbf`).
    NotYetValid = 13,
    /// Token: issued in the future (`iat`).
    IssuedInFuture = 14,
    /// Token: `iss` not accepted.
    InvalidIssuer = 15,
    /// Token: `aud` not accepted.
    InvalidAudience = 16,
    /// Token: header `typ` not accepted.
    InvalidType = 17,
    /// Token: a required claim is missing.
    MissingClaim = 18,
    /// Token: a required scope is missing.
    InsufficientScope = 19,
    /// Token: a registered claim has the wrong type or value.
    InvalidClaim = 20,
    /// Token: `alg` missing, or `alg`, `kid` or `typ` not a string.
    InvalidHeader = 21,
    /// JWKS: not valid JSON.
    JwksJson = 100,
    /// JWKS: not an object with a `keys` array.
    JwksNotAKeySet = 101,
    /// JWKS: more usable keys than a key set holds.
    JwksTooManyKeys = 102,
    /// JWKS: a member is over its size limit.
    JwksMemberTooLarge = 103,
    /// JWKS: a required member is missing.
    JwksMissingMember = 104,
    /// JWKS: a member has the wrong type.
    JwksInvalidMember = 105,
    /// JWKS: key material is not valid.
    JwksInvalidKey = 106,
    /// JWKS: an Ed25519 key of small order.
    JwksWeakKey = 107,
    /// JWKS: an HS256 key shorter than 32 bytes.
    JwksKeyTooShort = 108,
    /// JWKS: a key's `alg` does not fit its type.
    JwksAlgorithmMismatch = 109,
    /// JWKS: two keys share `kid` and algorithm.
    JwksDuplicateKey = 110,
    /// JWKS: the document adds no usable signature verification key.
    JwksNoUsableKey = 111,
    /// JWKS: a key repeats a member name.
    JwksDuplicateMember = 112,
    /// A skipped JWKS key (in `tollgate_jwks_report`, never returned): a `kty`, `crv` or `alg`
    /// this build does not verify with.
    JwksSkipUnsupported = 120,
    /// Skipped key: `use` is not `sig`, or `key_ops` lacks `verify`.
    JwksSkipNotForSignatures = 121,
    /// Skipped key: a required member is missing.
    JwksSkipMissingMember = 122,
    /// Skipped key: a member has the wrong type, or the entry is not an object.
    JwksSkipInvalidMember = 123,
    /// Skipped key: key material is not valid.
    JwksSkipInvalidKey = 124,
    /// Skipped key: an Ed25519 key of small order.
    JwksSkipWeakKey = 125,
    /// Skipped key: shorter than its algorithm allows (HS256 under 32 bytes, RSA under 2048
    /// bits).
    JwksSkipKeyTooShort = 126,
    /// Skipped key: a member is over its size limit.
    JwksSkipMemberTooLarge = 127,
    /// Skipped key: it repeats a member name.
    JwksSkipDuplicateMember = 128,
    /// Policy: a value is over its length limit.
    PolicyTooLong = 150,
    /// Policy: too many audiences, scopes or required claims.
    PolicyTooMany = 151,
    /// Policy: leeway over 300 seconds.
    PolicyLeewayTooLarge = 152,
    /// Policy: an empty value, or a scope that is not a scope-token.
    PolicyInvalidValue = 153,
    /// A pointer argument is NULL.
    NullArgument = 200,
    /// A string argument is not UTF-8.
    InvalidUtf8 = 201,
    /// An output buffer or caller-provided memory is too small.
    BufferTooSmall = 202,
    /// Caller-provided memory is not aligned as required.
    Misaligned = 203,
    /// The claim or header parameter is not in the token.
    NotFound = 204,
    /// The scratch memory holds no verified token.
    NoClaims = 205,
    /// A length is past what memory can hold, or an input or output overlaps the scratch.
    InvalidArgument = 206,
    /// The heap could not provide memory for a handle.
    OutOfMemory = 207,
    /// A bug in Tollgate: a panic was caught at the boundary.
    InternalError = 299,
}

impl From<Error> for tollgate_status {
    fn from(e: Error) -> Self {
        use tollgate_status as S;
        match e {
            Error::Malformed => S::Malformed,
            Error::TooLarge => S::TooLarge,
            Error::Base64 => S::Base64,
            Error::Json => S::Json,
            Error::DuplicateMember => S::DuplicateMember,
            Error::TooDeep => S::TooDeep,
            Error::AlgNone => S::AlgNone,
            Error::UnsupportedAlgorithm => S::UnsupportedAlgorithm,
            Error::CriticalHeader => S::CriticalHeader,
            Error::UnknownKey => S::UnknownKey,
            Error::BadSignature => S::BadSignature,
            Error::Expired => S::Expired,
            Error::NotYetValid => S::NotYetValid,
            Error::IssuedInFuture => S::IssuedInFuture,
            Error::InvalidIssuer => S::InvalidIssuer,
            Error::InvalidAudience => S::InvalidAudience,
            Error::InvalidType => S::InvalidType,
            Error::MissingClaim => S::MissingClaim,
            Error::InsufficientScope => S::InsufficientScope,
            Error::InvalidClaim => S::InvalidClaim,
            Error::InvalidHeader => S::InvalidHeader,
        }
    }
}

impl From<JwksErrorKind> for tollgate_status {
    fn from(e: JwksErrorKind) -> Self {
        use tollgate_status as S;
        match e {
            JwksErrorKind::Json => S::JwksJson,
            JwksErrorKind::NotAKeySet => S::JwksNotAKeySet,
            JwksErrorKind::TooManyKeys => S::JwksTooManyKeys,
            JwksErrorKind::MemberTooLarge => S::JwksMemberTooLarge,
            JwksErrorKind::MissingMember => S::JwksMissingMember,
            JwksErrorKind::InvalidMember => S::JwksInvalidMember,
            JwksErrorKind::InvalidKey => S::JwksInvalidKey,
            JwksErrorKind::WeakKey => S::JwksWeakKey,
            JwksErrorKind::KeyTooShort => S::JwksKeyTooShort,
            JwksErrorKind::AlgorithmMismatch => S::JwksAlgorithmMismatch,
            JwksErrorKind::DuplicateKey => S::JwksDuplicateKey,
            JwksErrorKind::NoUsableKey => S::JwksNoUsableKey,
            JwksErrorKind::DuplicateMember => S::JwksDuplicateMember,
        }
    }
}

impl From<SkipReason> for tollgate_status {
    fn from(r: SkipReason) -> Self {
        use tollgate_status as S;
        match r {
            SkipReason::Unsupported => S::JwksSkipUnsupported,
            SkipReason::NotForSignatures => S::JwksSkipNotForSignatures,
            SkipReason::MissingMember => S::JwksSkipMissingMember,
            SkipReason::InvalidMember => S::JwksSkipInvalidMember,
            SkipReason::InvalidKey => S::JwksSkipInvalidKey,
            SkipReason::WeakKey => S::JwksSkipWeakKey,
            SkipReason::KeyTooShort => S::JwksSkipKeyTooShort,
            SkipReason::MemberTooLarge => S::JwksSkipMemberTooLarge,
            SkipReason::DuplicateMember => S::JwksSkipDuplicateMember,
        }
    }
}

impl From<PolicyError> for tollgate_status {
    fn from(e: PolicyError) -> Self {
        use tollgate_status as S;
        match e {
            PolicyError::TooLong => S::PolicyTooLong,
            PolicyError::TooMany => S::PolicyTooMany,
            PolicyError::LeewayTooLarge => S::PolicyLeewayTooLarge,
            PolicyError::InvalidValue => S::PolicyInvalidValue,
        }
    }
}

/// What the core knows about a status: its error, if it is one of the core's.
enum Meaning {
    Ok,
    Token(Error),
    Jwks(JwksErrorKind),
    Skip(SkipReason),
    Policy(PolicyError),
    Api(&'static CStr, &'static CStr),
}

impl tollgate_status {
    /// The status numbered `number`, or `None` when no status has that number. C callers may
    /// pass any integer, so a number becomes an enum only through here.
    pub fn from_number(number: c_int) -> Option<Self> {
        use tollgate_status as S;
        let n = u16::try_from(number).ok()?;
        if let Some(e) = Error::from_number(n) {
            return Some(e.into());
        }
        if let Some(e) = JwksErrorKind::from_number(n) {
            return Some(e.into());
        }
        if let Some(r) = SkipReason::from_number(n) {
            return Some(r.into());
        }
        if let Some(e) = PolicyError::from_number(n) {
            return Some(e.into());
        }
        Some(match n {
            0 => S::Ok,
            200 => S::NullArgument,
            201 => S::InvalidUtf8,
            202 => S::BufferTooSmall,
            203 => S::Misaligned,
            204 => S::NotFound,
            205 => S::NoClaims,
            206 => S::InvalidArgument,
            207 => S::OutOfMemory,
            299 => S::InternalError,
            _ => return None,
        })
    }

    fn meaning(self) -> Meaning {
        use tollgate_status as S;
        let number = self as u16;
        if let Some(e) = Error::from_number(number) {
            return Meaning::Token(e);
        }
        if let Some(e) = JwksErrorKind::from_number(number) {
            return Meaning::Jwks(e);
        }
        if let Some(r) = SkipReason::from_number(number) {
            return Meaning::Skip(r);
        }
        if let Some(e) = PolicyError::from_number(number) {
            return Meaning::Policy(e);
        }
        let (name, description) = match self {
            S::Ok => return Meaning::Ok,
            S::NullArgument => (c"null_argument", c"a pointer argument is NULL"),
            S::InvalidUtf8 => (c"invalid_utf8", c"a string argument is not UTF-8"),
            S::BufferTooSmall => (
                c"buffer_too_small",
                c"output buffer or caller memory too small",
            ),
            S::Misaligned => (c"misaligned", c"caller memory is not aligned as required"),
            S::NotFound => (c"not_found", c"no such claim or header parameter"),
            S::NoClaims => (c"no_claims", c"scratch holds no verified token"),
            S::InvalidArgument => (
                c"invalid_argument",
                c"a length is past what memory can hold, or inputs overlap the scratch",
            ),
            S::OutOfMemory => (c"out_of_memory", c"the heap could not provide memory"),
            _ => (c"internal_error", c"internal error in tollgate (a bug)"),
        };
        Meaning::Api(name, description)
    }
}

/// The meaning of a status number from C; unknown numbers have none.
fn meaning_of(status: c_int) -> Option<Meaning> {
    tollgate_status::from_number(status).map(tollgate_status::meaning)
}

/// A short, stable snake_case name for `status` (`"expired"`, `"jwks_weak_key"`,
/// `"null_argument"`, …), for logs and metrics; `"unknown_status"` for a number that is no
/// status. Takes any integer. Static; never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_status_name(status: c_int) -> *const c_char {
    infallible(c"internal_error".as_ptr(), || {
        match meaning_of(status) {
            None => c"unknown_status",
            Some(Meaning::Ok) => c"ok",
            Some(Meaning::Token(e)) => e.name_cstr(),
            Some(Meaning::Jwks(e)) => prefixed_jwks_name(e),
            Some(Meaning::Skip(r)) => prefixed_skip_name(r),
            Some(Meaning::Policy(e)) => prefixed_policy_name(e),
            Some(Meaning::Api(name, _)) => name,
        }
        .as_ptr()
    })
}

/// A one-line description of `status` for people; `"unknown status"` for a number that is no
/// status. Takes any integer. Static; never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_status_str(status: c_int) -> *const c_char {
    infallible(c"internal error".as_ptr(), || {
        match meaning_of(status) {
            None => c"unknown status",
            Some(Meaning::Ok) => c"success",
            Some(Meaning::Token(e)) => e.description_cstr(),
            Some(Meaning::Jwks(e)) => e.description_cstr(),
            Some(Meaning::Skip(r)) => r.description_cstr(),
            Some(Meaning::Policy(e)) => e.description_cstr(),
            Some(Meaning::Api(_, description)) => description,
        }
        .as_ptr()
    })
}

/// The RFC 6750 §3.1 error code a resource server sends for a token `status`:
/// `"invalid_token"`, or `"insufficient_scope"` for `TOLLGATE_STATUS_INSUFFICIENT_SCOPE`.
/// For a status that is not about the token (success, configuration, API misuse, or a number
/// that is no status) it is `""`: send no `error` attribute. Takes any integer. Static; never
/// NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_status_error_code(status: c_int) -> *const c_char {
    infallible(c"".as_ptr(), || match meaning_of(status) {
        Some(Meaning::Token(e)) => e.error_code().as_cstr().as_ptr(),
        _ => c"".as_ptr(),
    })
}

/// The HTTP status a gateway answers with for `status`: 200 for success, 401 for a rejected
/// token, 403 for insufficient scope, 500 for anything else (configuration, API misuse, or a
/// number that is no status). Takes any integer.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_status_http_status(status: c_int) -> u16 {
    infallible(500, || match meaning_of(status) {
        Some(Meaning::Ok) => 200,
        Some(Meaning::Token(e)) => e.error_code().http_status(),
        _ => 500,
    })
}

fn prefixed_jwks_name(e: JwksErrorKind) -> &'static CStr {
    match e {
        JwksErrorKind::Json => c"jwks_json",
        JwksErrorKind::NotAKeySet => c"jwks_not_a_key_set",
        JwksErrorKind::TooManyKeys => c"jwks_too_many_keys",
        JwksErrorKind::MemberTooLarge => c"jwks_member_too_large",
        JwksErrorKind::MissingMember => c"jwks_missing_member",
        JwksErrorKind::InvalidMember => c"jwks_invalid_member",
        JwksErrorKind::InvalidKey => c"jwks_invalid_key",
        JwksErrorKind::WeakKey => c"jwks_weak_key",
        JwksErrorKind::KeyTooShort => c"jwks_key_too_short",
        JwksErrorKind::AlgorithmMismatch => c"jwks_algorithm_mismatch",
        JwksErrorKind::DuplicateKey => c"jwks_duplicate_key",
        JwksErrorKind::NoUsableKey => c"jwks_no_usable_key",
        JwksErrorKind::DuplicateMember => c"jwks_duplicate_member",
    }
}

fn prefixed_skip_name(r: SkipReason) -> &'static CStr {
    match r {
        SkipReason::Unsupported => c"jwks_skip_unsupported",
        SkipReason::NotForSignatures => c"jwks_skip_not_for_signatures",
        SkipReason::MissingMember => c"jwks_skip_missing_member",
        SkipReason::InvalidMember => c"jwks_skip_invalid_member",
        SkipReason::InvalidKey => c"jwks_skip_invalid_key",
        SkipReason::WeakKey => c"jwks_skip_weak_key",
        SkipReason::KeyTooShort => c"jwks_skip_key_too_short",
        SkipReason::MemberTooLarge => c"jwks_skip_member_too_large",
        SkipReason::DuplicateMember => c"jwks_skip_duplicate_member",
    }
}

fn prefixed_policy_name(e: PolicyError) -> &'static CStr {
    match e {
        PolicyError::TooLong => c"policy_too_long",
        PolicyError::TooMany => c"policy_too_many",
        PolicyError::LeewayTooLarge => c"policy_leeway_too_large",
        PolicyError::InvalidValue => c"policy_invalid_value",
    }
}
