//! NumericDate (RFC 7519 §2): any JSON number, read exactly, with no floating point.
//!
//! A fractional date is kept as its floor and ceiling so each check can round the way that
//! rejects: `exp` uses the floor, `nbf` and `iat` the ceiling. A value outside `i64` is refused,
//! never saturated.

/// A NumericDate rounded down and up (equal when it is whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumericDate {
    pub floor: i64,
    pub ceil: i64,
}

/// Reads a number already validated against the JSON grammar.
pub(crate) fn parse(raw: &[u8]) -> Option<NumericDate> {
    // The common case, a plain non-negative integer that cannot overflow.
    if raw.len() <= 18 && raw.iter().all(u8::is_ascii_digit) {
        let whole = raw
            .iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
        return Some(NumericDate {
            floor: whole,
            ceil: whole,
        });
    }
    let (negative, rest) = match raw.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, raw),
    };
    let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (int_digits, rest) = rest.split_at(int_len);
    let (frac_digits, rest) = match rest.split_first() {
        Some((b'.', rest)) => {
            let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            rest.split_at(n)
        }
        _ => (&rest[..0], rest),
    };
    let exponent = match rest.split_first() {
        Some((b'e' | b'E', rest)) => parse_exponent(rest)?,
        None => 0,
        Some(_) => return None,
    };

    let digit_count = int_digits.len() + frac_digits.len();
    let digit = |i: usize| -> u8 {
        let d = if i < int_digits.len() {
            int_digits[i]
        } else {
            frac_digits[i - int_digits.len()]
        };
        d - b'0'
    };
    // The decimal point sits after `point` digits of int_digits ++ frac_digits.
    let point = int_digits.len() as i64 + exponent;

    const LIMIT: u128 = i64::MAX as u128 + 1;
    let mut whole: u128 = 0;
    let mut i: i64 = 0;
    while i < point {
        let d = if (i as usize) < digit_count {
            digit(i as usize)
        } else if whole == 0 {
            break;
        } else {
            0
        };
        whole = whole * 10 + u128::from(d);
        if whole > LIMIT {
            return None;
        }
        i += 1;
    }
    let first_fraction_digit = point.clamp(0, digit_count as i64) as usize;
    let has_fraction = (first_fraction_digit..digit_count).any(|i| digit(i) != 0);

    let whole = whole as i128;
    let fraction = i128::from(has_fraction);
    let (floor, ceil) = if negative {
        (-(whole + fraction), -whole)
    } else {
        (whole, whole + fraction)
    };
    Some(NumericDate {
        floor: i64::try_from(floor).ok()?,
        ceil: i64::try_from(ceil).ok()?,
    })
}

/// Reads an exponent, saturating far beyond any meaningful date so huge exponents stay cheap.
fn parse_exponent(raw: &[u8]) -> Option<i64> {
    let (negative, digits) = match raw.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, raw),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = (value * 10 + i64::from(d - b'0')).min(1_000_000);
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(raw: &str) -> Option<(i64, i64)> {
        parse(raw.as_bytes()).map(|d| (d.floor, d.ceil))
    }

    #[test]
    fn reads_integers() {
        assert_eq!(date("1700000000"), Some((1700000000, 1700000000)));
        assert_eq!(date("0"), Some((0, 0)));
        assert_eq!(date("-5"), Some((-5, -5)));
    }

    #[test]
    fn reads_every_json_number_form() {
        assert_eq!(date("2e9"), Some((2_000_000_000, 2_000_000_000)));
        assert_eq!(date("1.7e9"), Some((1_700_000_000, 1_700_000_000)));
        assert_eq!(date("17E+8"), Some((1_700_000_000, 1_700_000_000)));
        assert_eq!(date("1700000000.0"), Some((1_700_000_000, 1_700_000_000)));
        assert_eq!(date("17000000000e-1"), Some((1_700_000_000, 1_700_000_000)));
    }

    #[test]
    fn keeps_fractions_as_floor_and_ceiling() {
        assert_eq!(date("1700000000.5"), Some((1_700_000_000, 1_700_000_001)));
        assert_eq!(date("-1.5"), Some((-2, -1)));
        assert_eq!(
            date("1700000000.0000000000000000001"),
            Some((1_700_000_000, 1_700_000_001))
        );
        assert_eq!(date("5e-1"), Some((0, 1)));
        assert_eq!(date("1e-999999999999"), Some((0, 1)));
    }

    #[test]
    fn refuses_values_outside_i64() {
        assert_eq!(date("9223372036854775807"), Some((i64::MAX, i64::MAX)));
        assert_eq!(date("9223372036854775808"), None);
        assert_eq!(date("9223372036854775807.5"), None);
        assert_eq!(date("-9223372036854775808"), Some((i64::MIN, i64::MIN)));
        assert_eq!(date("-9223372036854775808.5"), None);
        assert_eq!(date("1e19"), None);
        assert_eq!(date("1e999999999999999999"), None);
    }

    #[test]
    fn zero_with_huge_exponent_is_zero_and_cheap() {
        assert_eq!(date("0e999999999999999999"), Some((0, 0)));
        assert_eq!(date("0.000e999999999"), Some((0, 0)));
    }
}
