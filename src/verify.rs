//! The verification pipeline: a compact JWS in, verified claims or one [`Error`] out. Split,
//! decode, read the header, pick the key, check the signature (`alg/`), and only then read the
//! claims and apply the policy. It works in the caller's [`Scratch`] and allocates nothing.

use crate::alg::Algorithm;
use crate::claims::Claims;
use crate::error::{Error, JwksError, PolicyError};
use crate::json::{self, JsonError, Kind};
use crate::jwks::LoadReport;
use crate::keys::KeySet;
use crate::numeric::{self, NumericDate};
use crate::policy::{Policy, PolicyEditor, check_policy};
use crate::scratch::{
    MAX_SIGNATURE_LEN, MAX_TOKEN_LEN, Member, Registered, Scratch, Span, Table, VERIFIED, resolve,
    text_span,
};
use crate::{b64, scan};

/// The longest signature segment we decode: the base64url of [`MAX_SIGNATURE_LEN`] bytes.
const MAX_SIGNATURE_B64_LEN: usize = (MAX_SIGNATURE_LEN * 4).div_ceil(3);

/// Verifies tokens against a key set and a policy. Immutable once built, so one verifier can
/// serve many threads.
///
/// Two ways to build one: [`Verifier::new`] from a [`KeySet`] and a [`Policy`] built
/// elsewhere, or in place, where it will live (a `static`, a caller's buffer), with
/// [`Verifier::empty`], then [`load_jwks`](Verifier::load_jwks) and
/// [`set_policy`](Verifier::set_policy) (nothing key-set- or policy-sized then crosses the
/// stack), or with [`assign`](Verifier::assign) from a key set and a policy built elsewhere
/// (one policy-sized copy does): what a microcontroller needs (`README.md`, "On a
/// microcontroller").
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: KeySet,
    policy: Policy,
    /// The last [`set_policy`](Verifier::set_policy) failed: no key is selected until one
    /// succeeds, whatever keys are loaded meanwhile.
    policy_failed: bool,
}

/// Empties a verifier whose policy was being set when it is dropped armed: on a setter's error,
/// and on a panic unwinding out of the caller's closure.
struct FailClosed<'v> {
    verifier: &'v mut Verifier,
    armed: bool,
}

impl Drop for FailClosed<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.verifier.policy.reset();
            self.verifier.keys.truncate(0);
            self.verifier.policy_failed = true;
        }
    }
}

struct Segments<'t> {
    header: &'t [u8],
    payload: &'t [u8],
    signature: &'t [u8],
    signing_input: &'t [u8],
}

impl Verifier {
    /// A verifier for `keys` under `policy`.
    pub fn new(keys: KeySet, policy: Policy) -> Self {
        Verifier {
            keys,
            policy,
            policy_failed: false,
        }
    }

    /// A verifier with no keys and the default policy. It rejects every token (`unknown_key`:
    /// no key to select) until [`load_jwks`](Verifier::load_jwks) gives it keys. `const`, so it
    /// can be the initial value of a `static` and be filled there.
    pub const fn empty() -> Self {
        Verifier {
            keys: KeySet::new(),
            policy: Policy::DEFAULT,
            policy_failed: false,
        }
    }

    /// Makes this verifier one for copies of `keys` under `policy`, in place: the keys are
    /// copied one by one, where `*self = Verifier::new(keys.clone(), policy.clone())` would move
    /// whole key sets through the stack. What a C caller's buffer needs (`tollgate_verifier_init`).
    pub fn assign(&mut self, keys: &KeySet, policy: &Policy) {
        self.keys.clone_from(keys);
        self.policy.clone_from(policy);
        self.policy_failed = false;
    }

    /// Replaces the keys, in place, with the usable keys of a JWKS document: the keys held
    /// before are dropped (HMAC secrets wiped), not merged with the new ones. The document is
    /// read as [`KeySet::add_jwks`] reads it. On error the verifier holds no keys, so it
    /// rejects every token until a load succeeds: a failed rotation never leaves old and new
    /// keys mixed, nor the old keys standing as if nothing had failed. A gateway that must keep
    /// serving the last good keys loads into a second verifier and swaps it in on success.
    pub fn load_jwks(&mut self, jwks: &[u8]) -> Result<LoadReport, JwksError> {
        self.keys.truncate(0);
        self.keys.add_jwks(jwks)
    }

    /// Replaces the policy, in place: `configure` sets it from the safe defaults of
    /// [`Policy::builder`] through a [`PolicyEditor`], whose setters are the builder's.
    ///
    /// On the first error a setter meets, or if `configure` panics, the policy goes back to the
    /// defaults and the verifier drops its keys, so it rejects every token: half a policy (say,
    /// the issuer but not the audience) never guards anything. It stays so until a `set_policy`
    /// succeeds: keys loaded meanwhile (a refresh on a timer) are not used under the defaults.
    /// Load the keys again after fixing the policy.
    pub fn set_policy(
        &mut self,
        configure: impl FnOnce(&mut PolicyEditor<'_>),
    ) -> Result<(), PolicyError> {
        let mut guard = FailClosed {
            verifier: self,
            armed: true,
        };
        guard.verifier.policy.reset();
        let mut editor = PolicyEditor::new(&mut guard.verifier.policy);
        configure(&mut editor);
        let error = editor.error();
        guard.armed = error.is_some();
        guard.verifier.policy_failed = false;
        error.map_or(Ok(()), Err)
    }

    /// The keys.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Verifies a compact JWS `token` at `now` (unix seconds), working in `scratch`.
    ///
    /// Signature first, claims after: nothing in the payload is read before the signature over
    /// it has verified. On success the claims live in `scratch` and are returned as a view.
    pub fn verify<'s>(
        &self,
        token: &[u8],
        now: i64,
        scratch: &'s mut Scratch,
    ) -> Result<Claims<'s>, Error> {
        scratch.state = 0;
        let segments = split(token)?;
        let signature_len = decode_segments(&segments, scratch)?;

        let header_len = usize::from(scratch.header_len);
        scratch.registered = Registered::EMPTY;
        index_members(scratch, 0, header_len, Table::Header)?;
        let (algorithm, kid) = read_header(scratch)?;
        let key = if self.policy_failed {
            None
        } else {
            self.keys.select(algorithm, kid)
        };
        let key = key.ok_or(Error::UnknownKey)?;
        scratch.algorithm = algorithm as u8;
        // A signature too long for any algorithm was not decoded: it cannot verify.
        let signature = signature_len.map(|n| &scratch.signature[..n]);
        if !signature.is_some_and(|s| key.verify(segments.signing_input, s)) {
            return Err(Error::BadSignature);
        }

        let payload_len = usize::from(scratch.payload_len);
        index_members(scratch, header_len, payload_len, Table::Claims)?;
        read_registered_claims(scratch)?;
        check_policy(&self.policy, scratch, now)?;
        scratch.state = VERIFIED;
        Ok(Claims::of(scratch))
    }
}

fn split(token: &[u8]) -> Result<Segments<'_>, Error> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::TooLarge);
    }
    let dot = |from: usize| scan::find_byte(&token[from..], b'.').map(|i| from + i);
    let (first, second) = match dot(0).and_then(|a| Some((a, dot(a + 1)?))) {
        Some((a, b)) if dot(b + 1).is_none() => (a, b),
        _ => return Err(Error::Malformed),
    };
    let segments = Segments {
        header: &token[..first],
        payload: &token[first + 1..second],
        signature: &token[second + 1..],
        signing_input: &token[..second],
    };
    // An empty signature is left for the alg check, so `alg: none` tokens are named as such.
    if segments.header.is_empty() || segments.payload.is_empty() {
        return Err(Error::Malformed);
    }
    Ok(segments)
}

/// Decodes header and payload into the scratch's data and the signature into its signature
/// buffer, returning the signature's length. A signature longer than any we verify comes back as
/// `None`: it fails once the key is known, so the more telling errors come first.
fn decode_segments(segments: &Segments<'_>, scratch: &mut Scratch) -> Result<Option<usize>, Error> {
    let header_len = b64::decode(segments.header, &mut scratch.data).map_err(|()| Error::Base64)?;
    let payload_len = b64::decode(segments.payload, &mut scratch.data[header_len..])
        .map_err(|()| Error::Base64)?;
    scratch.header_len = header_len as u16;
    scratch.payload_len = payload_len as u16;
    scratch.arena_used = 0;
    if segments.signature.len() > MAX_SIGNATURE_B64_LEN {
        return Ok(None);
    }
    let len =
        b64::decode(segments.signature, &mut scratch.signature).map_err(|()| Error::Base64)?;
    Ok(Some(len))
}

impl From<JsonError> for Error {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::Syntax => Error::Json,
            JsonError::TooDeep => Error::TooDeep,
        }
    }
}

/// Validates one JSON object document in `data[start..start + len]` and records its members.
fn index_members(
    scratch: &mut Scratch,
    start: usize,
    len: usize,
    table: Table,
) -> Result<(), Error> {
    let Scratch {
        data,
        arena,
        arena_used,
        header,
        claims,
        header_count,
        claim_count,
        registered,
        ..
    } = scratch;
    let (members, count) = match table {
        Table::Header => (&mut header[..], header_count),
        Table::Claims => (&mut claims[..], claim_count),
    };
    let doc = &data[start..start + len];
    let mut n = 0usize;
    json::object_members(doc, |name, value| {
        if n == members.len() {
            return Err(Error::TooLarge);
        }
        let name = text_span(data, arena, arena_used, start, name)?;
        let text = if value.kind == Kind::String {
            text_span(data, arena, arena_used, start, value)?
        } else {
            Span::default()
        };
        let name_bytes = resolve(data, arena, name);
        let name_ends = match name_bytes {
            [] => 0,
            [first, .., last] => u16::from_be_bytes([*first, *last]),
            [only] => u16::from(*only),
        };
        if members[..n].iter().any(|m| {
            m.name.len == name.len
                && m.name_ends == name_ends
                && resolve(data, arena, m.name) == name_bytes
        }) {
            return Err(Error::DuplicateMember);
        }
        if let Some(slot) = registered.slot(table, name_bytes) {
            *slot = n as u8 + 1;
        }
        members[n] = Member {
            name,
            name_ends,
            raw: Span {
                start: (start + value.start) as u16,
                len: (value.end - value.start) as u16,
            },
            text,
            kind: value.kind as u8,
        };
        n += 1;
        Ok(())
    })?;
    *count = n as u8;
    Ok(())
}

fn read_header(scratch: &Scratch) -> Result<(Algorithm, Option<&[u8]>), Error> {
    let r = &scratch.registered;
    let string = |index: u8| match index.checked_sub(1) {
        None => Ok(None),
        Some(i) => {
            let m = &scratch.header[usize::from(i)];
            if m.kind == Kind::String as u8 {
                Ok(Some(scratch.bytes(m.text)))
            } else {
                Err(Error::InvalidHeader)
            }
        }
    };
    let alg = string(r.alg)?.ok_or(Error::InvalidHeader)?;
    let kid = string(r.kid)?;
    string(r.typ)?;
    // Before `crit` on purpose: `alg: none` is the more important thing to name.
    let algorithm = match Algorithm::from_jose(alg) {
        Some(a) => a,
        None if alg.eq_ignore_ascii_case(b"none") => return Err(Error::AlgNone),
        None => return Err(Error::UnsupportedAlgorithm),
    };
    if !algorithm.is_enabled() {
        return Err(Error::UnsupportedAlgorithm);
    }
    if r.crit != 0 {
        return Err(Error::CriticalHeader);
    }
    Ok((algorithm, kid))
}

/// Checks the JSON type of each registered claim and reads its value.
fn read_registered_claims(scratch: &mut Scratch) -> Result<(), Error> {
    let Scratch {
        data,
        arena,
        arena_used,
        claims,
        registered: r,
        audiences,
        audience_count,
        exp,
        nbf,
        iat,
        ..
    } = scratch;
    let member = |index: u8| index.checked_sub(1).map(|i| claims[usize::from(i)]);
    for index in [r.iss, r.sub, r.jti, r.client_id, r.scope] {
        if member(index).is_some_and(|m| m.kind != Kind::String as u8) {
            return Err(Error::InvalidClaim);
        }
    }
    for (index, out, round_up) in [(r.exp, exp, false), (r.nbf, nbf, true), (r.iat, iat, true)] {
        if let Some(m) = member(index) {
            if m.kind != Kind::Number as u8 {
                return Err(Error::InvalidClaim);
            }
            let NumericDate { floor, ceil } =
                numeric::parse(resolve(data, arena, m.raw)).ok_or(Error::InvalidClaim)?;
            *out = if round_up { ceil } else { floor };
        }
    }
    *audience_count = 0;
    if let Some(m) = member(r.aud) {
        match Kind::from_u8(m.kind) {
            Kind::String => {
                audiences[0] = m.text;
                *audience_count = 1;
            }
            Kind::Array => {
                let raw_start = usize::from(m.raw.start);
                let raw = &data[raw_start..raw_start + usize::from(m.raw.len)];
                let mut n = 0usize;
                json::nested_elements(raw, 2, |v| {
                    if v.kind != Kind::String {
                        return Err(Error::InvalidClaim);
                    }
                    let slot = audiences.get_mut(n).ok_or(Error::TooLarge)?;
                    *slot = text_span(data, arena, arena_used, raw_start, v)?;
                    n += 1;
                    Ok(())
                })?;
                *audience_count = n as u8;
            }
            _ => return Err(Error::InvalidClaim),
        }
    }
    Ok(())
}
