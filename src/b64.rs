//! Canonical unpadded base64url for token segments.
//!
//! Token segments are decoded with a lookup table: `base64ct`'s constant-time decoder costs more
//! than the HMAC it precedes, and a token's bytes are not a key. Key material from a JWKS is decoded
//! with `base64ct`. Both accept exactly the same language; the `base64_differential` fuzz target and
//! the unit tests below hold them to it.

const INVALID: u8 = 0xff;

const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The decoded length of `encoded_len` characters, or `None` when no canonical encoding has it.
pub(crate) const fn decoded_len(encoded_len: usize) -> Option<usize> {
    let tail = match encoded_len % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return None,
    };
    Some(encoded_len / 4 * 3 + tail)
}

/// Decodes canonical unpadded base64url into the front of `out`, returning the decoded length.
/// Bytes of `out` past that length may be overwritten: it is working memory.
///
/// Rejects padding, `+`, `/`, whitespace, a length of 1 mod 4, and non-zero trailing bits, so each
/// byte string has exactly one accepted encoding.
pub(crate) fn decode(input: &[u8], out: &mut [u8]) -> Result<usize, ()> {
    let len = decoded_len(input.len()).ok_or(())?;
    if out.len() < len {
        return Err(());
    }
    // Invalid characters map to 0xff; OR-ing every lookup and testing once keeps the loops
    // free of branches.
    let mut seen = 0u8;
    let (mut i, mut o) = (0, 0);
    // Eight characters make six bytes, stored as one eight-byte write while there is room.
    while i + 8 <= input.len() && o + 8 <= out.len() {
        let mut word = 0u64;
        for &c in &input[i..i + 8] {
            let v = DECODE[usize::from(c)];
            seen |= v;
            word = (word << 6) | u64::from(v & 0x3f);
        }
        out[o..o + 8].copy_from_slice(&(word << 16).to_be_bytes());
        i += 8;
        o += 6;
    }
    let mut chunks = input[i..].chunks_exact(4);
    let mut out_chunks = out[o..len].chunks_exact_mut(3);
    for (chunk, dst) in (&mut chunks).zip(&mut out_chunks) {
        let (a, b, c, d) = (
            DECODE[usize::from(chunk[0])],
            DECODE[usize::from(chunk[1])],
            DECODE[usize::from(chunk[2])],
            DECODE[usize::from(chunk[3])],
        );
        seen |= a | b | c | d;
        dst[0] = (a << 2) | (b >> 4);
        dst[1] = (b << 4) | (c >> 2);
        dst[2] = (c << 6) | d;
    }
    let tail = out_chunks.into_remainder();
    match (chunks.remainder(), tail) {
        ([], []) => {}
        (&[a, b], [x]) => {
            let (a, b) = (DECODE[usize::from(a)], DECODE[usize::from(b)]);
            // The unused low bits must be zero, or two encodings would decode alike.
            seen |= a | b | (u8::from(b & 0x0f != 0) << 7);
            *x = (a << 2) | (b >> 4);
        }
        (&[a, b, c], [x, y]) => {
            let (a, b, c) = (
                DECODE[usize::from(a)],
                DECODE[usize::from(b)],
                DECODE[usize::from(c)],
            );
            seen |= a | b | c | (u8::from(c & 0x03 != 0) << 7);
            *x = (a << 2) | (b >> 4);
            *y = (b << 4) | (c >> 2);
        }
        _ => return Err(()),
    }
    if seen & 0x80 != 0 { Err(()) } else { Ok(len) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};

    fn agrees_with_base64ct(input: &[u8]) {
        let mut ours = [0u8; 16];
        let mut theirs = [0u8; 16];
        let a = decode(input, &mut ours).map(|n| &ours[..n]);
        let b = Base64UrlUnpadded::decode(input, &mut theirs).map_err(|_| ());
        assert_eq!(a, b, "input {input:?}");
    }

    #[test]
    fn every_two_and_three_character_input_matches_base64ct() {
        let alphabet: &[u8] = b"AQgw_-+/=. \x00\xffZzB9";
        for &x in alphabet {
            for &y in alphabet {
                agrees_with_base64ct(&[x, y]);
                for &z in alphabet {
                    agrees_with_base64ct(&[x, y, z]);
                    agrees_with_base64ct(&[x, y, z, b'A']);
                }
            }
        }
    }

    #[test]
    fn every_byte_value_in_every_position_matches_base64ct() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut input = *b"eyJhbGci";
                input[pos] = b;
                agrees_with_base64ct(&input);
                agrees_with_base64ct(&input[..7]);
                agrees_with_base64ct(&input[..6]);
                agrees_with_base64ct(&input[..5]);
            }
        }
    }

    #[test]
    fn rejects_non_zero_trailing_bits() {
        let mut out = [0u8; 4];
        assert_eq!(decode(b"Zg", &mut out), Ok(1));
        assert_eq!(decode(b"Zh", &mut out), Err(()));
        assert_eq!(decode(b"Zm8", &mut out), Ok(2));
        assert_eq!(decode(b"Zm9", &mut out), Err(()));
    }

    #[test]
    fn rejects_padding_and_standard_alphabet() {
        let mut out = [0u8; 4];
        assert_eq!(decode(b"Zg==", &mut out), Err(()));
        assert_eq!(decode(b"Zm+v", &mut out), Err(()));
        assert_eq!(decode(b"Zm/v", &mut out), Err(()));
    }

    #[test]
    fn long_inputs_match_base64ct_with_and_without_room_to_spare() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for len in 0..64 {
            let input: std::vec::Vec<u8> = (0..len).map(|i| alphabet[(i * 7 + len) % 64]).collect();
            let expect = Base64UrlUnpadded::decode_vec(core::str::from_utf8(&input).unwrap()).ok();
            let exact = decoded_len(len).unwrap_or(0);
            for room in [exact, exact + 2, exact + 8] {
                let mut out = std::vec![0u8; room];
                let got = decode(&input, &mut out).ok().map(|n| out[..n].to_vec());
                assert_eq!(got, expect, "len {len}, room {room}");
            }
        }
    }

    #[test]
    fn refuses_output_that_does_not_fit() {
        let mut out = [0u8; 2];
        assert_eq!(decode(b"Zm9v", &mut out), Err(()));
    }
}
