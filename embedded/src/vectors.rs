//! The vectors of `tests/vectors/` as the build picked them for this feature set (`build.rs`),
//! and how a row's key set and policy become a verifier.

use tollgate::{Error, JwksError, KeySet, Policy, PolicyError, Verifier};

/// A JWKS file of `tests/vectors/`, compiled in.
pub struct KeySetFile {
    /// Its file name.
    pub name: &'static str,
    /// Its bytes.
    pub jwks: &'static [u8],
}

/// A policy column of the vectors, parsed at build time.
pub struct PolicySpec {
    /// Required `iss`.
    pub issuer: Option<&'static str>,
    /// Accepted audiences.
    pub audiences: &'static [&'static str],
    /// Required header `typ`.
    pub token_type: Option<&'static str>,
    /// Required scopes.
    pub scopes: &'static [&'static str],
    /// Required claims.
    pub claims: &'static [&'static str],
    /// Clock skew tolerated, in seconds.
    pub leeway: u32,
    /// Whether `exp` is required.
    pub require_exp: bool,
}

/// One vector: a token, when to verify it, and the verdict every suite expects.
pub struct Case {
    /// The vector's name.
    pub name: &'static str,
    /// Index into [`KEY_SETS`].
    pub key_set: usize,
    /// Index into [`POLICIES`].
    pub policy: usize,
    /// The time of verification, unix seconds.
    pub now: i64,
    /// `ok`, or the name of the expected [`Error`].
    pub expect: &'static str,
    /// The algorithm the header names, if the core can verify it; `other` if not.
    pub alg: &'static str,
    /// The token.
    pub token: &'static [u8],
}

/// One valid token per algorithm of the feature set, all under one key set and policy.
pub struct Reference {
    /// The key set.
    pub key_set: KeySetFile,
    /// The policy.
    pub policy: PolicySpec,
    /// The tokens, in the order of [`ALGORITHMS`].
    pub cases: &'static [Case],
}

include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

impl PolicySpec {
    /// The policy, as a gateway would build it from its configuration.
    pub fn build(&self) -> Result<Policy, PolicyError> {
        let mut b = Policy::builder()
            .leeway(self.leeway)
            .require_exp(self.require_exp);
        if let Some(issuer) = self.issuer {
            b = b.issuer(issuer);
        }
        if let Some(token_type) = self.token_type {
            b = b.token_type(token_type);
        }
        for audience in self.audiences {
            b = b.audience(audience);
        }
        for scope in self.scopes {
            b = b.scope(scope);
        }
        for claim in self.claims {
            b = b.require_claim(claim);
        }
        b.build()
    }
}

/// Why a key set and policy did not become a verifier.
#[derive(Debug)]
pub enum SetupError {
    /// The JWKS was refused.
    Jwks(JwksError),
    /// The policy was refused.
    Policy(PolicyError),
}

/// Loads `key_set` and builds `policy` into a verifier in `slot` (emptied on error); returns
/// the keys loaded and skipped. Building into a slot the caller keeps, rather than returning
/// the 10 KiB verifier, saves a copy of it on the stack.
pub fn load(
    slot: &mut Option<Verifier>,
    key_set: &KeySetFile,
    policy: &PolicySpec,
) -> Result<(u16, u16), SetupError> {
    *slot = None;
    let (keys, report) = KeySet::from_jwks(key_set.jwks).map_err(SetupError::Jwks)?;
    let policy = policy.build().map_err(SetupError::Policy)?;
    *slot = Some(Verifier::new(keys, policy));
    Ok((report.loaded, report.skipped))
}

/// A verdict by name: `ok`, or the error's stable name.
pub fn verdict_name(verdict: Result<(), Error>) -> &'static str {
    match verdict {
        Ok(()) => "ok",
        Err(e) => e.name(),
    }
}
