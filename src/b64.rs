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
///
/// Rejects padding, `+`, `/`, whitespace, a length of 1 mod 4, and non-zero trailing bits, so each
/// byte string has exactly one accepted encoding.
pub(crate) fn decode(input: &[u8], out: &mut [u8]) -> Result<usize, ()> {
    let len = decoded_len(input.len()).ok_or(())?;
    let out = out.get_mut(..len).ok_or(())?;
    let mut chunks = input.chunks_exact(4);
    let mut written = 0;
    for chunk in &mut chunks {
        let (a, b, c, d) = (
            DECODE[chunk[0] as usize],
            DECODE[chunk[1] as usize],
            DECODE[chunk[2] as usize],
            DECODE[chunk[3] as usize],
        );
        if (a | b | c | d) & 0x80 != 0 {
            return Err(());
        }
        let word = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
        out[written..written + 3].copy_from_slice(&word.to_be_bytes()[1..]);
        written += 3;
    }
    match *chunks.remainder() {
        [] => {}
        [a, b] => {
            let (a, b) = (DECODE[a as usize], DECODE[b as usize]);
            if (a | b) & 0x80 != 0 || b & 0x0f != 0 {
                return Err(());
            }
            out[written] = (a << 2) | (b >> 4);
        }
        [a, b, c] => {
            let (a, b, c) = (DECODE[a as usize], DECODE[b as usize], DECODE[c as usize]);
            if (a | b | c) & 0x80 != 0 || c & 0x03 != 0 {
                return Err(());
            }
            out[written] = (a << 2) | (b >> 4);
            out[written + 1] = (b << 4) | (c >> 2);
        }
        _ => return Err(()),
    }
    Ok(len)
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
    fn refuses_output_that_does_not_fit() {
        let mut out = [0u8; 2];
        assert_eq!(decode(b"Zm9v", &mut out), Err(()));
    }
}
