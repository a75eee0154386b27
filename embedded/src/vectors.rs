//! The vectors of `tests/vectors/` as the build picked them for this feature set (`build.rs`),
//! and how a row's key set and policy become a verifier.

use tollgate::{Error, JwksError, PolicyEditor, PolicyError, Verifier};

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
    /// Sets the policy, as a gateway would from its configuration.
    pub fn apply(&self, p: &mut PolicyEditor<'_>) {
        p.leeway(self.leeway).require_exp(self.require_exp);
        if let Some(issuer) = self.issuer {
            p.issuer(issuer);
        }
        if let Some(token_type) = self.token_type {
            p.token_type(token_type);
        }
        for audience in self.audiences {
            p.audience(audience);
        }
        for scope in self.scopes {
            p.scope(scope);
        }
        for claim in self.claims {
            p.require_claim(claim);
        }
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

/// Loads `key_set` and `policy` into `verifier`, in place; returns the keys loaded and
/// skipped. Nothing key-set- or policy-sized passes through the stack (a `KeySet` is 19 KiB
/// with the `rsa` feature). On error the verifier holds no keys and rejects every token.
pub fn load(
    verifier: &mut Verifier,
    key_set: &KeySetFile,
    policy: &PolicySpec,
) -> Result<(u16, u16), SetupError> {
    let report = verifier.load_jwks(key_set.jwks).map_err(SetupError::Jwks)?;
    verifier
        .set_policy(|p| policy.apply(p))
        .map_err(SetupError::Policy)?;
    Ok((report.loaded, report.skipped))
}

/// A verdict by name: `ok`, or the error's stable name.
pub fn verdict_name(verdict: Result<(), Error>) -> &'static str {
    match verdict {
        Ok(()) => "ok",
        Err(e) => e.name(),
    }
}
