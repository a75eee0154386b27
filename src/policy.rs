//! What a verified token must also satisfy: time, issuer, audience, type, scopes, claims.

use core::fmt;

use crate::claims::Claims;
use crate::error::{Error, PolicyError};
use crate::json::Kind;
use crate::scratch::Scratch;

/// Maximum leeway for clock skew, in seconds.
pub const MAX_LEEWAY: u32 = 300;
/// Maximum length of the issuer, of an audience and of the required type, in bytes.
pub const MAX_POLICY_VALUE_LEN: usize = 256;
/// Maximum number of accepted audiences.
pub const MAX_POLICY_AUDIENCES: usize = 8;
/// Maximum number of required scopes, and of required claims.
pub const MAX_POLICY_NAMES: usize = 16;
/// Maximum length of a required scope or claim name, in bytes.
pub const MAX_POLICY_NAME_LEN: usize = 64;

type Value = heapless::String<MAX_POLICY_VALUE_LEN>;
type Name = heapless::String<MAX_POLICY_NAME_LEN>;

/// The claim policy a [`Verifier`](crate::Verifier) enforces after the signature.
///
/// Built with [`Policy::builder`]. The defaults are the safe ones: `exp` required, no leeway,
/// and no audience accepted, so a token that carries `aud` is rejected until audiences are
/// configured (RFC 7519 §4.1.3).
#[derive(Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) issuer: Option<Value>,
    pub(crate) audiences: heapless::Vec<Value, MAX_POLICY_AUDIENCES>,
    pub(crate) token_type: Option<Value>,
    pub(crate) scopes: heapless::Vec<Name, MAX_POLICY_NAMES>,
    pub(crate) required_claims: heapless::Vec<Name, MAX_POLICY_NAMES>,
    pub(crate) leeway: u32,
    pub(crate) allow_missing_exp: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::DEFAULT
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("issuer", &self.issuer.as_deref())
            .field(
                "audiences",
                &self
                    .audiences
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<heapless::Vec<_, MAX_POLICY_AUDIENCES>>(),
            )
            .field("token_type", &self.token_type.as_deref())
            .field(
                "scopes",
                &self
                    .scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<heapless::Vec<_, MAX_POLICY_NAMES>>(),
            )
            .field(
                "required_claims",
                &self
                    .required_claims
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<heapless::Vec<_, MAX_POLICY_NAMES>>(),
            )
            .field("leeway", &self.leeway)
            .field("require_exp", &!self.allow_missing_exp)
            .finish()
    }
}

impl Policy {
    /// The safe defaults, as a constant: what [`Policy::default`] returns.
    pub(crate) const DEFAULT: Policy = Policy {
        issuer: None,
        audiences: heapless::Vec::new(),
        token_type: None,
        scopes: heapless::Vec::new(),
        required_claims: heapless::Vec::new(),
        leeway: 0,
        allow_missing_exp: false,
    };

    /// Back to the safe defaults, field by field: no policy-sized temporary on the stack.
    pub(crate) fn reset(&mut self) {
        self.issuer = None;
        self.audiences.clear();
        self.token_type = None;
        self.scopes.clear();
        self.required_claims.clear();
        self.leeway = 0;
        self.allow_missing_exp = false;
    }

    /// A builder starting from the safe defaults.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder {
            policy: Policy::default(),
            error: None,
        }
    }

    /// A builder holding this policy, to change it.
    pub fn into_builder(self) -> PolicyBuilder {
        PolicyBuilder {
            policy: self,
            error: None,
        }
    }

    /// The required issuer, if any.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> impl Iterator<Item = &str> {
        self.audiences.iter().map(|a| a.as_str())
    }

    /// The required token type, if any.
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// The scopes every token must carry.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().map(|s| s.as_str())
    }

    /// The claims every token must carry.
    pub fn required_claims(&self) -> impl Iterator<Item = &str> {
        self.required_claims.iter().map(|s| s.as_str())
    }

    /// Leeway for `exp`, `nbf` and `iat`, in seconds.
    pub fn leeway(&self) -> u32 {
        self.leeway
    }

    /// Whether tokens must carry `exp`.
    pub fn requires_exp(&self) -> bool {
        !self.allow_missing_exp
    }

    /// Whether the header `typ` satisfies the required type. Media types compare
    /// case-insensitively and may omit `application/` (RFC 7515 §4.1.9).
    pub(crate) fn type_matches(required: &str, typ: &[u8]) -> bool {
        fn strip(t: &[u8]) -> &[u8] {
            const PREFIX: &[u8] = b"application/";
            match t.get(..PREFIX.len()) {
                Some(p) if p.eq_ignore_ascii_case(PREFIX) => &t[PREFIX.len()..],
                _ => t,
            }
        }
        strip(required.as_bytes()).eq_ignore_ascii_case(strip(typ))
    }
}

/// Builds a [`Policy`]. Setters never fail; the first error is reported by
/// [`build`](PolicyBuilder::build).
#[derive(Clone, Debug)]
pub struct PolicyBuilder {
    policy: Policy,
    error: Option<PolicyError>,
}

impl PolicyBuilder {
    fn record(mut self, result: Result<(), PolicyError>) -> Self {
        if let (Err(e), None) = (result, self.error) {
            self.error = Some(e);
        }
        self
    }

    /// Requires `iss` to equal `issuer` exactly.
    pub fn issuer(mut self, issuer: &str) -> Self {
        let result = self.policy.set_issuer(issuer);
        self.record(result)
    }

    /// Accepts tokens whose `aud` (a string, or an array of strings) names `audience`.
    /// Repeatable: any one accepted audience is enough.
    pub fn audience(mut self, audience: &str) -> Self {
        let result = self.policy.add_audience(audience);
        self.record(result)
    }

    /// Requires the header `typ`, e.g. `at+jwt` for RFC 9068 access tokens.
    pub fn token_type(mut self, token_type: &str) -> Self {
        let result = self.policy.set_token_type(token_type);
        self.record(result)
    }

    /// Requires `scope` to contain `scope`. Repeatable: all are required.
    pub fn scope(mut self, scope: &str) -> Self {
        let result = self.policy.add_scope(scope);
        self.record(result)
    }

    /// Requires the claim `name` to be present and not `null`. Repeatable.
    pub fn require_claim(mut self, name: &str) -> Self {
        let result = self.policy.add_required_claim(name);
        self.record(result)
    }

    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`, at most [`MAX_LEEWAY`].
    pub fn leeway(mut self, seconds: u32) -> Self {
        let result = self.policy.set_leeway(seconds);
        self.record(result)
    }

    /// Whether `exp` must be present (the default). Turning this off accepts tokens that
    /// never expire.
    pub fn require_exp(mut self, required: bool) -> Self {
        self.policy.allow_missing_exp = !required;
        self
    }

    /// The policy, or the first error a setter met.
    pub fn build(self) -> Result<Policy, PolicyError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.policy),
        }
    }
}

/// Sets a [`Policy`] where it lives, inside a verifier: the setters of [`PolicyBuilder`] on
/// `&mut self`, so no policy is moved or copied (a `Policy` is about 5 KiB, which matters on a
/// microcontroller's stack). Given by [`Verifier::set_policy`](crate::Verifier::set_policy),
/// which starts it from the safe defaults and reports the first error a setter met.
#[derive(Debug)]
pub struct PolicyEditor<'p> {
    policy: &'p mut Policy,
    error: Option<PolicyError>,
}

impl<'p> PolicyEditor<'p> {
    pub(crate) fn new(policy: &'p mut Policy) -> Self {
        PolicyEditor {
            policy,
            error: None,
        }
    }

    /// The first error a setter met.
    pub(crate) fn error(&self) -> Option<PolicyError> {
        self.error
    }

    fn record(&mut self, result: Result<(), PolicyError>) -> &mut Self {
        if let (Err(e), None) = (result, self.error) {
            self.error = Some(e);
        }
        self
    }

    /// [`PolicyBuilder::issuer`].
    pub fn issuer(&mut self, issuer: &str) -> &mut Self {
        let result = self.policy.set_issuer(issuer);
        self.record(result)
    }

    /// [`PolicyBuilder::audience`].
    pub fn audience(&mut self, audience: &str) -> &mut Self {
        let result = self.policy.add_audience(audience);
        self.record(result)
    }

    /// [`PolicyBuilder::token_type`].
    pub fn token_type(&mut self, token_type: &str) -> &mut Self {
        let result = self.policy.set_token_type(token_type);
        self.record(result)
    }

    /// [`PolicyBuilder::scope`].
    pub fn scope(&mut self, scope: &str) -> &mut Self {
        let result = self.policy.add_scope(scope);
        self.record(result)
    }

    /// [`PolicyBuilder::require_claim`].
    pub fn require_claim(&mut self, name: &str) -> &mut Self {
        let result = self.policy.add_required_claim(name);
        self.record(result)
    }

    /// [`PolicyBuilder::leeway`].
    pub fn leeway(&mut self, seconds: u32) -> &mut Self {
        let result = self.policy.set_leeway(seconds);
        self.record(result)
    }

    /// [`PolicyBuilder::require_exp`].
    pub fn require_exp(&mut self, required: bool) -> &mut Self {
        self.policy.allow_missing_exp = !required;
        self
    }
}

/// The checks behind each setter, shared by [`PolicyBuilder`] and [`PolicyEditor`].
impl Policy {
    fn set_issuer(&mut self, issuer: &str) -> Result<(), PolicyError> {
        self.issuer = Some(value(issuer)?);
        Ok(())
    }

    fn add_audience(&mut self, audience: &str) -> Result<(), PolicyError> {
        let v = value(audience)?;
        self.audiences.push(v).map_err(|_| PolicyError::TooMany)
    }

    fn set_token_type(&mut self, token_type: &str) -> Result<(), PolicyError> {
        self.token_type = Some(value(token_type)?);
        Ok(())
    }

    fn add_scope(&mut self, scope: &str) -> Result<(), PolicyError> {
        let s = scope_token(scope)?;
        self.scopes.push(s).map_err(|_| PolicyError::TooMany)
    }

    fn add_required_claim(&mut self, name: &str) -> Result<(), PolicyError> {
        let n = short_name(name)?;
        self.required_claims
            .push(n)
            .map_err(|_| PolicyError::TooMany)
    }

    fn set_leeway(&mut self, seconds: u32) -> Result<(), PolicyError> {
        if seconds > MAX_LEEWAY {
            return Err(PolicyError::LeewayTooLarge);
        }
        self.leeway = seconds;
        Ok(())
    }
}

fn value(s: &str) -> Result<Value, PolicyError> {
    if s.is_empty() {
        return Err(PolicyError::InvalidValue);
    }
    heapless::String::try_from(s).map_err(|_| PolicyError::TooLong)
}

fn short_name(s: &str) -> Result<Name, PolicyError> {
    if s.is_empty() {
        return Err(PolicyError::InvalidValue);
    }
    heapless::String::try_from(s).map_err(|_| PolicyError::TooLong)
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn scope_token(s: &str) -> Result<Name, PolicyError> {
    if !s
        .bytes()
        .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    {
        return Err(PolicyError::InvalidValue);
    }
    short_name(s)
}

/// Every check of `policy` on the verified claims in `s`.
pub(crate) fn check_policy(policy: &Policy, s: &Scratch, now: i64) -> Result<(), Error> {
    let claims = Claims::of(s);

    if let Some(required) = &policy.token_type {
        let typ = claims
            .header_text(s.registered.typ)
            .ok_or(Error::InvalidType)?;
        if !Policy::type_matches(required, typ) {
            return Err(Error::InvalidType);
        }
    }
    if let Some(issuer) = &policy.issuer
        && claims.claim_text(s.registered.iss) != Some(issuer.as_bytes())
    {
        return Err(Error::InvalidIssuer);
    }
    check_time(policy, s, now)?;
    // With no audience configured, a token that names one is not for us (RFC 7519 §4.1.3).
    let audience_ok = if policy.audiences.is_empty() {
        !claims.has(s.registered.aud)
    } else {
        claims
            .audiences_bytes()
            .any(|aud| policy.audiences.iter().any(|a| a.as_bytes() == aud))
    };
    if !audience_ok {
        return Err(Error::InvalidAudience);
    }
    for name in &policy.required_claims {
        match claims.claim(name) {
            Some(c) if c.kind() != Kind::Null => {}
            _ => return Err(Error::MissingClaim),
        }
    }
    if !policy.scopes.is_empty() {
        let scope = claims
            .claim_text(s.registered.scope)
            .ok_or(Error::InsufficientScope)?;
        for required in &policy.scopes {
            if !scope
                .split(|b| *b == b' ')
                .any(|t| t == required.as_bytes())
            {
                return Err(Error::InsufficientScope);
            }
        }
    }
    Ok(())
}

/// The checks that depend on the time: `exp`, `nbf`, `iat` with leeway. Everything else about a
/// token under a policy is decided once, which is what lets a cache skip it.
pub(crate) fn check_time(policy: &Policy, s: &Scratch, now: i64) -> Result<(), Error> {
    let claims = Claims::of(s);
    let leeway = i128::from(policy.leeway);
    let now = i128::from(now);
    match claims.exp() {
        Some(exp) if now >= i128::from(exp) + leeway => return Err(Error::Expired),
        None if !policy.allow_missing_exp => return Err(Error::MissingClaim),
        _ => {}
    }
    if let Some(nbf) = claims.nbf()
        && now < i128::from(nbf) - leeway
    {
        return Err(Error::NotYetValid);
    }
    if let Some(iat) = claims.iat()
        && i128::from(iat) > now + leeway
    {
        return Err(Error::IssuedInFuture);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_require_exp_with_no_leeway() {
        let p = Policy::builder().build().unwrap();
        assert!(p.requires_exp());
        assert_eq!(p.leeway(), 0);
        assert_eq!(p.audiences().count(), 0);
    }

    #[test]
    fn reports_the_first_error() {
        let err = Policy::builder()
            .leeway(MAX_LEEWAY + 1)
            .issuer("")
            .build()
            .unwrap_err();
        assert_eq!(err, PolicyError::LeewayTooLarge);
    }

    #[test]
    fn rejects_scopes_that_are_not_scope_tokens() {
        for bad in ["", "a b", "quote\"", "back\\slash", "é"] {
            assert_eq!(
                Policy::builder().scope(bad).build().unwrap_err(),
                PolicyError::InvalidValue,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn limits_counts_and_lengths() {
        let mut b = Policy::builder();
        for _ in 0..MAX_POLICY_AUDIENCES + 1 {
            b = b.audience("api");
        }
        assert_eq!(b.build().unwrap_err(), PolicyError::TooMany);
        let long = "x".repeat(MAX_POLICY_VALUE_LEN + 1);
        assert_eq!(
            Policy::builder().issuer(&long).build().unwrap_err(),
            PolicyError::TooLong
        );
    }

    #[test]
    fn type_compares_as_a_media_type() {
        assert!(Policy::type_matches("at+jwt", b"at+jwt"));
        assert!(Policy::type_matches("at+jwt", b"application/at+jwt"));
        assert!(Policy::type_matches("at+jwt", b"AT+JWT"));
        assert!(Policy::type_matches(
            "application/at+jwt",
            b"Application/At+Jwt"
        ));
        assert!(!Policy::type_matches("at+jwt", b"JWT"));
        assert!(!Policy::type_matches("at+jwt", b"application/"));
    }
}
