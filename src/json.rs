//! A strict RFC 8259 scanner over borrowed bytes: it validates a whole document, reports the
//! members of the top-level object as spans, and never allocates.
//!
//! Strictness is the point: lone surrogates, control characters in strings, leading zeros,
//! trailing commas, trailing garbage and invalid UTF-8 are all rejected, so every component that
//! reads a token sees the same document.

use crate::scan;

/// Maximum nesting of objects and arrays, the top-level object counting as 1.
pub const MAX_DEPTH: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    Syntax,
    TooDeep,
}

/// The JSON type of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// `null`
    Null = 0,
    /// `true` or `false`
    Bool = 1,
    /// A number, in any JSON form.
    Number = 2,
    /// A string.
    String = 3,
    /// An array.
    Array = 4,
    /// An object.
    Object = 5,
}

impl Kind {
    pub(crate) const fn from_u8(v: u8) -> Kind {
        match v {
            1 => Kind::Bool,
            2 => Kind::Number,
            3 => Kind::String,
            4 => Kind::Array,
            5 => Kind::Object,
            _ => Kind::Null,
        }
    }
}

/// A value's place in the document: `start..end` is its raw text (quotes included for strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// For strings: whether the text holds a backslash escape.
    pub escaped: bool,
}

impl Value {
    /// A string's text between its quotes, still escaped.
    pub fn inner(self) -> (usize, usize) {
        (self.start + 1, self.end - 1)
    }
}

struct Scanner<'a> {
    doc: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.doc.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    /// Scans the value at the cursor (whitespace already skipped) at nesting `depth`.
    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        let start = self.pos;
        let (kind, escaped) = match self.peek().ok_or(JsonError::Syntax)? {
            b'"' => (Kind::String, self.string()?),
            b'{' => {
                self.object(depth, &mut |_, _| Ok::<(), JsonError>(()))?;
                (Kind::Object, false)
            }
            b'[' => {
                self.array(depth, &mut |_| Ok::<(), JsonError>(()))?;
                (Kind::Array, false)
            }
            b't' => (Kind::Bool, self.literal(b"true")?),
            b'f' => (Kind::Bool, self.literal(b"false")?),
            b'n' => (Kind::Null, self.literal(b"null")?),
            b'-' | b'0'..=b'9' => (Kind::Number, self.number()?),
            _ => return Err(JsonError::Syntax),
        };
        Ok(Value {
            kind,
            start,
            end: self.pos,
            escaped,
        })
    }

    fn literal(&mut self, word: &[u8]) -> Result<bool, JsonError> {
        if self.doc[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(false)
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn digits(&mut self) -> Result<(), JsonError> {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        if self.pos == start {
            Err(JsonError::Syntax)
        } else {
            Ok(())
        }
    }

    fn number(&mut self) -> Result<bool, JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits()?,
            _ => return Err(JsonError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(false)
    }

    /// Scans a string at the cursor; returns whether it holds escapes.
    fn string(&mut self) -> Result<bool, JsonError> {
        self.pos += 1;
        let body_start = self.pos;
        let mut escaped = false;
        let mut non_ascii = false;
        loop {
            let run = scan::find_string_stop(&self.doc[self.pos..]).ok_or(JsonError::Syntax)?;
            self.pos += run;
            match self.doc[self.pos] {
                b'"' => {
                    // Only strings may hold non-ASCII bytes, so only they need UTF-8 checks.
                    if non_ascii && core::str::from_utf8(&self.doc[body_start..self.pos]).is_err() {
                        return Err(JsonError::Syntax);
                    }
                    self.pos += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                0x80.. => {
                    non_ascii = true;
                    self.pos += 1;
                }
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    /// Validates one escape at the cursor, including surrogate pairing.
    fn escape(&mut self) -> Result<(), JsonError> {
        match self.doc.get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let unit = hex4(self.doc, self.pos + 2).ok_or(JsonError::Syntax)?;
                self.pos += 6;
                match unit {
                    0xD800..=0xDBFF => {
                        if self.doc.get(self.pos) != Some(&b'\\')
                            || self.doc.get(self.pos + 1) != Some(&b'u')
                        {
                            return Err(JsonError::Syntax);
                        }
                        let low = hex4(self.doc, self.pos + 2).ok_or(JsonError::Syntax)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(JsonError::Syntax);
                        }
                        self.pos += 6;
                        Ok(())
                    }
                    0xDC00..=0xDFFF => Err(JsonError::Syntax),
                    _ => Ok(()),
                }
            }
            _ => Err(JsonError::Syntax),
        }
    }

    fn object<E: From<JsonError>>(
        &mut self,
        depth: usize,
        on_member: &mut impl FnMut(Value, Value) -> Result<(), E>,
    ) -> Result<(), E> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep.into());
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(JsonError::Syntax.into());
            }
            let key_start = self.pos;
            let key_escaped = self.string()?;
            let key = Value {
                kind: Kind::String,
                start: key_start,
                end: self.pos,
                escaped: key_escaped,
            };
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            on_member(key, value)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(JsonError::Syntax.into()),
            }
        }
    }

    fn array<E: From<JsonError>>(
        &mut self,
        depth: usize,
        on_element: &mut impl FnMut(Value) -> Result<(), E>,
    ) -> Result<(), E> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep.into());
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let value = self.value(depth + 1)?;
            on_element(value)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(JsonError::Syntax.into()),
            }
        }
    }

    fn finish(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        if self.pos == self.doc.len() {
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }
}

fn hex4(doc: &[u8], at: usize) -> Option<u32> {
    let digits = doc.get(at..at + 4)?;
    let mut unit = 0u32;
    for &d in digits {
        let nibble = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        unit = (unit << 4) | u32::from(nibble);
    }
    Some(unit)
}

/// Validates `doc` as one UTF-8 JSON object (bytes outside strings are ASCII or a syntax error;
/// strings are checked as UTF-8) and calls `on_member` for each top-level member, in
/// order. Spans are offsets into `doc`.
pub(crate) fn object_members<E: From<JsonError>>(
    doc: &[u8],
    mut on_member: impl FnMut(Value, Value) -> Result<(), E>,
) -> Result<(), E> {
    let mut scanner = Scanner { doc, pos: 0 };
    scanner.skip_ws();
    if scanner.peek() != Some(b'{') {
        return Err(JsonError::Syntax.into());
    }
    scanner.object(1, &mut on_member)?;
    Ok(scanner.finish()?)
}

/// Calls `on_member` for each member of the object `raw` (text already validated as part of a
/// larger document, nested at `depth`). Spans are offsets into `raw`.
pub(crate) fn nested_members<E: From<JsonError>>(
    raw: &[u8],
    depth: usize,
    mut on_member: impl FnMut(Value, Value) -> Result<(), E>,
) -> Result<(), E> {
    let mut scanner = Scanner { doc: raw, pos: 0 };
    if scanner.peek() != Some(b'{') {
        return Err(JsonError::Syntax.into());
    }
    scanner.object(depth, &mut on_member)?;
    Ok(scanner.finish()?)
}

/// Calls `on_element` for each element of the array `raw` (text already validated as part of a
/// larger document, nested at `depth`). Spans are offsets into `raw`.
pub(crate) fn nested_elements<E: From<JsonError>>(
    raw: &[u8],
    depth: usize,
    mut on_element: impl FnMut(Value) -> Result<(), E>,
) -> Result<(), E> {
    let mut scanner = Scanner { doc: raw, pos: 0 };
    if scanner.peek() != Some(b'[') {
        return Err(JsonError::Syntax.into());
    }
    scanner.array(depth, &mut on_element)?;
    Ok(scanner.finish()?)
}

/// The bytes a validated string body (between the quotes) stands for, decoded as they are read:
/// escapes become UTF-8, surrogate pairs become one scalar value.
pub(crate) struct Unescaped<'a> {
    rest: &'a [u8],
    pending: [u8; 4],
    pending_pos: u8,
    pending_len: u8,
}

impl<'a> Unescaped<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Unescaped {
            rest: body,
            pending: [0; 4],
            pending_pos: 0,
            pending_len: 0,
        }
    }

    fn escape(&mut self) -> Option<u8> {
        let (&kind, rest) = self.rest.split_first()?;
        self.rest = rest;
        let simple = match kind {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode(),
            _ => return None,
        };
        Some(simple)
    }

    fn unicode(&mut self) -> Option<u8> {
        let unit = hex4(self.rest, 0)?;
        self.rest = self.rest.get(4..)?;
        let scalar = if (0xD800..=0xDBFF).contains(&unit) {
            let low = hex4(self.rest, 2)?;
            self.rest = self.rest.get(6..)?;
            0x10000 + ((unit - 0xD800) << 10) + (low.checked_sub(0xDC00)?)
        } else {
            unit
        };
        let encoded = char::from_u32(scalar)?.encode_utf8(&mut self.pending).len();
        self.pending_len = encoded as u8;
        self.pending_pos = 1;
        Some(self.pending[0])
    }
}

impl Iterator for Unescaped<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.pending_pos < self.pending_len {
            let byte = self.pending[usize::from(self.pending_pos)];
            self.pending_pos += 1;
            return Some(byte);
        }
        let (&byte, rest) = self.rest.split_first()?;
        self.rest = rest;
        if byte == b'\\' {
            self.escape()
        } else {
            Some(byte)
        }
    }
}

/// Writes the decoded text of a validated string body into `out`; returns its length, or `None`
/// when it does not fit.
pub(crate) fn unescape_into(body: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut len = 0;
    for byte in Unescaped::new(body) {
        *out.get_mut(len)? = byte;
        len += 1;
    }
    Some(len)
}

/// Whether the string body (escaped or not) decodes to exactly `expected`.
pub(crate) fn string_eq(body: &[u8], escaped: bool, expected: &[u8]) -> bool {
    if escaped {
        Unescaped::new(body).eq(expected.iter().copied())
    } else {
        body == expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn members(doc: &str) -> Result<usize, JsonError> {
        let mut n = 0;
        object_members(doc.as_bytes(), |_, _| {
            n += 1;
            Ok::<(), JsonError>(())
        })?;
        Ok(n)
    }

    #[test]
    fn accepts_rfc_8259_values() {
        let doc = r#" { "a" : [1, -0, 0.5, -1.25e+10, 2E-3, 1e9, true, false, null, "x\u00e9\n"],
            "b": {"c": {}}, "d": [] , "e": "\ud83d\ude00" } "#;
        assert_eq!(members(doc), Ok(4));
    }

    #[test]
    fn rejects_what_rfc_8259_does_not_allow() {
        for doc in [
            "",
            "[]",
            "{",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":1e}",
            "{\"a\":tru}",
            "{\"a\":\"\x01\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12G4\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\ud800\\u0041\"}",
            "{\"a\":1} x",
            "{'a':1}",
            "{\"a\" 1}",
            "{\"a\":[1 2]}",
            "{\"a\":NaN}",
        ] {
            assert_eq!(members(doc), Err(JsonError::Syntax), "{doc:?}");
        }
    }

    #[test]
    fn rejects_invalid_utf8_anywhere() {
        for doc in [
            &b"{\"a\":\"\xff\"}"[..],
            b"{\"a\xff\":1}",
            b"{\"a\":\"\xc3\"}",
            b"{\"a\":\"\xc3\\n\xa9\"}",
            b"{\"a\":\"\xed\xa0\x80\"}",
            b"\xef\xbb\xbf{}",
            b"{\"a\":1\xa0}",
        ] {
            assert_eq!(
                object_members(doc, |_, _| Ok::<(), JsonError>(())),
                Err(JsonError::Syntax),
                "{doc:?}"
            );
        }
        assert!(
            object_members("{\"é\":\"日本 😀\"}".as_bytes(), |_, _| Ok::<
                (),
                JsonError,
            >(
                ()
            ))
            .is_ok()
        );
    }

    #[test]
    fn limits_nesting_depth() {
        let ok = format!("{{\"a\":{}1{}}}", "[".repeat(15), "]".repeat(15));
        assert_eq!(members(&ok), Ok(1));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(16), "]".repeat(16));
        assert_eq!(members(&deep), Err(JsonError::TooDeep));
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let mut out = [0u8; 32];
        let n = unescape_into(br#"a\/b\"\u00e9\ud83d\ude00\n"#, &mut out).unwrap();
        assert_eq!(core::str::from_utf8(&out[..n]).unwrap(), "a/b\"é😀\n");
    }

    #[test]
    fn compares_escaped_strings_by_their_meaning() {
        assert!(string_eq(br"https:\/\/issuer", true, b"https://issuer"));
        assert!(string_eq(br"\u0065xp", true, b"exp"));
        assert!(!string_eq(br"\u0065xp", true, b"ex"));
    }
}
