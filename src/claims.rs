//! [`Claims`]: the verified header and claims of a token, read from the [`Scratch`] it was
//! verified in, and [`Claim`], one member of either, with the text renderings gateways need.

use core::fmt;

use crate::alg::Algorithm;
use crate::error::Error;
use crate::json::{self, Kind};
use crate::scratch::{Member, Scratch};

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

    pub(crate) fn has(&self, index: u8) -> bool {
        index != 0
    }

    pub(crate) fn claim_member(&self, index: u8) -> Option<&'s Member> {
        let s: &'s Scratch = self.s;
        index
            .checked_sub(1)
            .and_then(|i| s.claims.get(usize::from(i)))
    }

    pub(crate) fn claim_text(&self, index: u8) -> Option<&'s [u8]> {
        let s: &'s Scratch = self.s;
        self.claim_member(index).map(|m| s.bytes(m.text))
    }

    pub(crate) fn claim_str(&self, index: u8) -> Option<&'s str> {
        let s: &'s Scratch = self.s;
        self.claim_member(index).map(|m| s.str(m.text))
    }

    pub(crate) fn header_text(&self, index: u8) -> Option<&'s [u8]> {
        let s: &'s Scratch = self.s;
        index
            .checked_sub(1)
            .and_then(|i| s.header.get(usize::from(i)))
            .map(|m| s.bytes(m.text))
    }

    pub(crate) fn audiences_bytes(&self) -> impl Iterator<Item = &'s [u8]> + use<'s> {
        let s: &'s Scratch = self.s;
        s.audiences[..usize::from(s.audience_count)]
            .iter()
            .map(move |span| s.bytes(*span))
    }

    /// The signature algorithm that verified the token.
    pub fn alg(&self) -> Algorithm {
        // Only a verification writes it, with the algorithm of the key that verified.
        Algorithm::from_number(self.s.algorithm).unwrap_or(Algorithm::EdDsa)
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
