//! Finding the first byte of interest eight bytes at a time (SWAR), in safe code.
//!
//! Token scanning is dominated by long runs of uninteresting bytes: base64url up to the next `.`,
//! and string text up to the next quote or backslash.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `word` equal to `byte`; exact for the lowest such byte.
#[inline(always)]
const fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * byte as u64);
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// High bit set in each byte of `word` below `limit` (at most 128); exact for the lowest one.
#[inline(always)]
const fn bytes_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * limit as u64) & !word & HIGHS
}

/// Index of the first byte for which `word_mask` flags a byte (eight at a time) or, in the
/// tail, `is_stop` holds.
#[inline(always)]
fn find(hay: &[u8], word_mask: impl Fn(u64) -> u64, is_stop: impl Fn(u8) -> bool) -> Option<usize> {
    let mut words = hay.chunks_exact(8);
    for (i, w) in (&mut words).enumerate() {
        let word = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let mask = word_mask(word);
        if mask != 0 {
            return Some(i * 8 + (mask.trailing_zeros() / 8) as usize);
        }
    }
    let tail = words.remainder();
    tail.iter()
        .position(|&b| is_stop(b))
        .map(|p| hay.len() - tail.len() + p)
}

/// The first `byte` in `hay`.
pub(crate) fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    find(hay, |w| bytes_equal(w, byte), |b| b == byte)
}

/// The first byte that ends plain ASCII string text: `"`, `\`, a control character, or a
/// non-ASCII byte (which the caller then validates as UTF-8).
pub(crate) fn find_string_stop(hay: &[u8]) -> Option<usize> {
    find(
        hay,
        |w| bytes_equal(w, b'"') | bytes_equal(w, b'\\') | bytes_below(w, 0x20) | (w & HIGHS),
        |b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_match_at_every_offset() {
        for len in 0..40 {
            for at in 0..len {
                let mut hay = [b'a'; 40];
                hay[at] = b'.';
                if at + 3 < len {
                    hay[at + 3] = b'.';
                }
                assert_eq!(find_byte(&hay[..len], b'.'), Some(at));
                let expect = hay[..len].iter().position(|&b| b == b'.');
                assert_eq!(find_byte(&hay[..len], b'.'), expect);
            }
            assert_eq!(find_byte(&[b'a'; 40][..len], b'.'), None);
        }
    }

    #[test]
    fn string_stops_agree_with_a_byte_loop_for_every_byte_value() {
        for stop in 0..=255u8 {
            for at in 0..20 {
                let mut hay = [b'x'; 24];
                hay[at] = stop;
                hay[at + 1] = b'"';
                let expect = hay
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b));
                assert_eq!(find_string_stop(&hay), expect, "byte {stop:#x} at {at}");
            }
        }
    }
}
