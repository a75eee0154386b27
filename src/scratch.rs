//! [`Scratch`]: the caller-owned memory a verification works in, and its layout. A token's
//! decoded header and payload, the member tables that index them and the unescaped strings live
//! here, so verifying allocates nothing; afterwards the claims are read from it.

use core::fmt;

use crate::claims::Claims;
use crate::error::Error;
use crate::json::{self, Value};

/// Longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 8192;
/// Most members a token header may have.
pub const MAX_HEADER_MEMBERS: usize = 16;
/// Most top-level claims a token may have.
pub const MAX_CLAIMS: usize = 64;
/// Most values an `aud` array may have.
pub const MAX_TOKEN_AUDIENCES: usize = 16;
/// Longest signature, in bytes: an RSA-4096 signature. Room for it is part of every scratch, so
/// its layout does not depend on the algorithms a build carries.
pub const MAX_SIGNATURE_LEN: usize = 512;

/// Room for the decoded header and payload: 3/4 of the longest token.
pub(crate) const DATA_LEN: usize = MAX_TOKEN_LEN / 4 * 3;
/// Unescaped strings never outgrow their escaped text, so the arena matches the data.
const ARENA_LEN: usize = DATA_LEN;
pub(crate) const VERIFIED: u32 = 0x544f_4c4c;

/// Bytes in a [`Scratch`], for callers that place it themselves (the C API).
pub const SCRATCH_SIZE: usize = core::mem::size_of::<Scratch>();
/// Alignment of a [`Scratch`].
pub const SCRATCH_ALIGN: usize = core::mem::align_of::<Scratch>();

/// A run of bytes in the scratch's address space: `data` first, then `arena`.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Span {
    pub start: u16,
    pub len: u16,
}

#[derive(Clone, Copy, Default, Debug)]
#[repr(C)]
pub(crate) struct Member {
    /// The member name, unescaped.
    pub name: Span,
    /// First and last byte of the name: most names differ here, which spares a full compare.
    pub name_ends: u16,
    /// The raw JSON text of the value.
    pub raw: Span,
    /// For strings, the unescaped text.
    pub text: Span,
    pub kind: u8,
}

/// Where the members the verifier reads sit in their tables: index plus one, zero when absent.
#[derive(Clone, Copy, Default, Debug)]
#[repr(C)]
pub(crate) struct Registered {
    pub alg: u8,
    pub crit: u8,
    pub kid: u8,
    pub typ: u8,
    pub iss: u8,
    pub sub: u8,
    pub aud: u8,
    pub exp: u8,
    pub nbf: u8,
    pub iat: u8,
    pub jti: u8,
    pub client_id: u8,
    pub scope: u8,
}

impl Registered {
    pub const EMPTY: Registered = Registered {
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

    pub fn slot(&mut self, table: Table, name: &[u8]) -> Option<&mut u8> {
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
/// allocates nothing. Reuse one per thread; it is about 14 KiB ([`SCRATCH_SIZE`]). Every field
/// is plain bytes or integers, and a verification writes everything it later reads, so its
/// prior contents never matter.
#[derive(Clone)]
#[repr(C, align(8))]
pub struct Scratch {
    pub(crate) state: u32,
    pub(crate) header_len: u16,
    pub(crate) payload_len: u16,
    pub(crate) arena_used: u16,
    pub(crate) header_count: u8,
    pub(crate) claim_count: u8,
    pub(crate) audience_count: u8,
    pub(crate) algorithm: u8,
    pub(crate) registered: Registered,
    pub(crate) exp: i64,
    pub(crate) nbf: i64,
    pub(crate) iat: i64,
    pub(crate) header: [Member; MAX_HEADER_MEMBERS],
    pub(crate) claims: [Member; MAX_CLAIMS],
    pub(crate) audiences: [Span; MAX_TOKEN_AUDIENCES],
    pub(crate) data: [u8; DATA_LEN],
    pub(crate) arena: [u8; ARENA_LEN],
    /// The decoded signature: read only while the token is verified, never copied with claims.
    pub(crate) signature: [u8; MAX_SIGNATURE_LEN],
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
            signature: [0; MAX_SIGNATURE_LEN],
        }
    }

    /// The claims of the last verification, if it succeeded.
    pub fn claims(&self) -> Option<Claims<'_>> {
        (self.state == VERIFIED).then_some(Claims::of(self))
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

    pub(crate) fn bytes(&self, span: Span) -> &[u8] {
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

    pub(crate) fn str(&self, span: Span) -> &str {
        core::str::from_utf8(self.bytes(span)).unwrap_or("")
    }
}

/// Which member table of the scratch a JSON object is indexed into.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Header,
    Claims,
}

/// Copies a string body into the arena when it holds escapes; returns where its text lives.
pub(crate) fn text_span(
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

pub(crate) fn resolve<'a>(data: &'a [u8], arena: &'a [u8], span: Span) -> &'a [u8] {
    let start = usize::from(span.start);
    let end = start + usize::from(span.len);
    if start >= DATA_LEN {
        &arena[start - DATA_LEN..end - DATA_LEN]
    } else {
        &data[start..end]
    }
}
