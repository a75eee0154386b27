//! Fixed-size Montgomery arithmetic for RSA public-key operations.
//!
//! Numbers are little-endian arrays of `L` machine words; `R = 2^(Limb::BITS * L)`. Nothing here
//! handles a secret (the modulus, the exponent and the signature are all public), so the code is
//! variable time; it must be correct for every input, and the tests prove it against a naive
//! reference on random and edge-case values.

// 64-bit words where the machine multiplies 64×64→128 natively, 32-bit words elsewhere (Cortex-M:
// UMULL/UMAAL). `--cfg tollgate_limb32` tests the 32-bit path on a 64-bit host.
#[cfg(all(target_pointer_width = "64", not(tollgate_limb32)))]
pub(crate) type Limb = u64;
#[cfg(all(target_pointer_width = "64", not(tollgate_limb32)))]
type Wide = u128;
#[cfg(any(not(target_pointer_width = "64"), tollgate_limb32))]
pub(crate) type Limb = u32;
#[cfg(any(not(target_pointer_width = "64"), tollgate_limb32))]
type Wide = u64;

pub(crate) const LIMB_BITS: usize = Limb::BITS as usize;
const LIMB_BYTES: usize = LIMB_BITS / 8;
/// Words in the largest modulus.
const MAX_LIMBS: usize = super::MAX_MODULUS_BITS / LIMB_BITS;

/// `acc + a * b + carry` as (low, high) words; cannot overflow the double word.
#[inline(always)]
fn mul_add(acc: Limb, a: Limb, b: Limb, carry: Limb) -> (Limb, Limb) {
    let w = acc as Wide + (a as Wide) * (b as Wide) + carry as Wide;
    (w as Limb, (w >> LIMB_BITS) as Limb)
}

/// A big-endian byte string of at most `L` words, as words. Longer input is a caller bug.
pub(crate) fn from_be_bytes<const L: usize>(bytes: &[u8]) -> [Limb; L] {
    debug_assert!(bytes.len() <= L * LIMB_BYTES);
    let mut out = [0; L];
    for (limb, chunk) in out.iter_mut().zip(bytes.rchunks(LIMB_BYTES)) {
        *limb = chunk.iter().fold(0, |acc, &b| (acc << 8) | Limb::from(b));
    }
    out
}

/// Writes `x` big-endian into all of `out`; `x` must fit (the caller sizes `out` to the modulus).
pub(crate) fn to_be_bytes<const L: usize>(x: &[Limb; L], out: &mut [u8]) {
    for (i, byte) in out.iter_mut().rev().enumerate() {
        *byte = x
            .get(i / LIMB_BYTES)
            .map_or(0, |limb| (limb >> (8 * (i % LIMB_BYTES))) as u8);
    }
}

/// `a < b`.
pub(crate) fn less_than<const L: usize>(a: &[Limb; L], b: &[Limb; L]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// `a -= b`, returning the borrow out of the top word.
fn sub_assign<const L: usize>(a: &mut [Limb; L], b: &[Limb; L]) -> bool {
    let mut borrow = false;
    for (x, &y) in a.iter_mut().zip(b) {
        let (d, b1) = x.overflowing_sub(y);
        let (d, b2) = d.overflowing_sub(Limb::from(borrow));
        *x = d;
        borrow = b1 | b2;
    }
    borrow
}

#[cfg(test)]
std::thread_local! {
    /// The Montgomery set-ups made on this thread, so tests can bound the work a JWKS buys.
    pub(crate) static SETUPS: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

/// An odd modulus with the parameters Montgomery multiplication needs.
#[derive(Clone)]
pub(crate) struct Modulus<const L: usize> {
    n: [Limb; L],
    /// `-n^-1 mod 2^LIMB_BITS`.
    n0: Limb,
    /// `R^2 mod n`: one multiplication by it takes a number into Montgomery form.
    pub(super) rr: [Limb; L],
}

impl<const L: usize> Modulus<L> {
    /// `n` must be odd with its top bit in the top half of the words (`2^(LIMB_BITS*L/2) < n <
    /// R`): the caller's key-size rules guarantee both.
    pub(crate) fn new(n: [Limb; L]) -> Self {
        debug_assert!(n[0] & 1 == 1);
        debug_assert!(bit_length(&n) > LIMB_BITS * L / 2);
        let mut m = Modulus {
            n,
            n0: neg_inverse(n[0]),
            rr: [0; L],
        };
        m.rr = m.r_squared();
        #[cfg(test)]
        SETUPS.with(|count| count.set(count.get() + 1));
        m
    }

    pub(crate) fn n(&self) -> &[Limb; L] {
        &self.n
    }

    /// `R^2 mod n`, from `R mod n` by doublings and Montgomery squarings: with `x = 2^c R`,
    /// `x·x·R^-1 = 2^(2c) R`, so after `j` squarings `2^(c·2^j) R`; `c·2^j = LIMB_BITS·L` gives `R^2`.
    fn r_squared(&self) -> [Limb; L] {
        const SQUARINGS: u32 = 8;
        let total_bits = LIMB_BITS * L;
        debug_assert!(total_bits.is_multiple_of(1 << SQUARINGS));
        let bits = bit_length(&self.n);
        // 2^(bits-1) < n; doubling it (total_bits - bits + 1) times gives R mod n, then c more.
        let mut x = [0; L];
        x[(bits - 1) / LIMB_BITS] = 1 << ((bits - 1) % LIMB_BITS);
        for _ in 0..(total_bits - bits + 1) + (total_bits >> SQUARINGS) {
            self.double(&mut x);
        }
        for _ in 0..SQUARINGS {
            x = self.mul(&x, &x);
        }
        x
    }

    /// `x = 2x mod n`, for `x < n`.
    fn double(&self, x: &mut [Limb; L]) {
        let mut carry = 0;
        for w in x.iter_mut() {
            let top = *w >> (LIMB_BITS - 1);
            *w = (*w << 1) | carry;
            carry = top;
        }
        if carry == 1 || !less_than(x, &self.n) {
            sub_assign(x, &self.n);
        }
    }

    /// Montgomery multiplication, `a·b·R^-1 mod n`, for `a, b < n`; the result is `< n`.
    ///
    /// Coarsely integrated operand scanning: each outer step adds `a·b[i]` and the multiple of
    /// `n` that clears the lowest word, in one pass, and shifts down a word.
    pub(crate) fn mul(&self, a: &[Limb; L], b: &[Limb; L]) -> [Limb; L] {
        let n = &self.n;
        let mut t = [0 as Limb; L];
        // The bits of t above its L words: t < 2n < 2R keeps it at 0 or 1.
        let mut top: Limb = 0;
        for &bi in b {
            let (low, mut carry_ab) = mul_add(t[0], a[0], bi, 0);
            let m = low.wrapping_mul(self.n0);
            let (_, mut carry_mn) = mul_add(low, m, n[0], 0);
            for j in 1..L {
                let (x, c1) = mul_add(t[j], a[j], bi, carry_ab);
                let (y, c2) = mul_add(x, m, n[j], carry_mn);
                t[j - 1] = y;
                carry_ab = c1;
                carry_mn = c2;
            }
            let sum = top as Wide + carry_ab as Wide + carry_mn as Wide;
            t[L - 1] = sum as Limb;
            top = (sum >> LIMB_BITS) as Limb;
        }
        if top != 0 || !less_than(&t, n) {
            sub_assign(&mut t, n);
        }
        t
    }

    /// Montgomery squaring, `a·a·R^-1 mod n`, for `a < n`: the full square first, each cross
    /// product computed once and doubled, then a separate Montgomery reduction. A quarter fewer
    /// word multiplications than [`Modulus::mul`], and squarings are 16 of the 18 operations of
    /// a verification with `e = 65537`.
    pub(crate) fn square(&self, a: &[Limb; L]) -> [Limb; L] {
        let mut wide = [0 as Limb; 2 * MAX_LIMBS];
        let p = &mut wide[..2 * L];
        for i in 0..L {
            let mut carry = 0;
            for j in i + 1..L {
                (p[i + j], carry) = mul_add(p[i + j], a[i], a[j], carry);
            }
            p[i + L] = carry;
        }
        let mut top_bit = 0;
        for w in p.iter_mut() {
            let next = *w >> (LIMB_BITS - 1);
            *w = (*w << 1) | top_bit;
            top_bit = next;
        }
        let mut carry = 0;
        for i in 0..L {
            let (lo, hi) = mul_add(p[2 * i], a[i], a[i], carry);
            p[2 * i] = lo;
            let sum = p[2 * i + 1] as Wide + hi as Wide;
            p[2 * i + 1] = sum as Limb;
            carry = (sum >> LIMB_BITS) as Limb;
        }
        self.reduce(p)
    }

    /// Montgomery reduction of a `2L`-word `p < n·R`: `p·R^-1 mod n`, `< n`.
    fn reduce(&self, p: &mut [Limb]) -> [Limb; L] {
        let n = &self.n;
        let mut top: Limb = 0;
        for i in 0..L {
            let m = p[i].wrapping_mul(self.n0);
            let mut carry = 0;
            for j in 0..L {
                (p[i + j], carry) = mul_add(p[i + j], m, n[j], carry);
            }
            let sum = p[i + L] as Wide + carry as Wide + top as Wide;
            p[i + L] = sum as Limb;
            top = (sum >> LIMB_BITS) as Limb;
        }
        let mut t = [0 as Limb; L];
        t.copy_from_slice(&p[L..2 * L]);
        if top != 0 || !less_than(&t, n) {
            sub_assign(&mut t, n);
        }
        t
    }

    /// `base^e mod n` for `base < n` and an odd `e >= 3`.
    ///
    /// Left to right over the bits of `e`, in Montgomery form; the last multiplication (by the
    /// base, `e` being odd) uses the base as it is, which also leaves Montgomery form.
    pub(crate) fn pow_odd(&self, base: &[Limb; L], e: u64) -> [Limb; L] {
        debug_assert!(e & 1 == 1 && e >= 3);
        let base_mont = self.mul(base, &self.rr);
        let mut acc = base_mont;
        let top = 63 - e.leading_zeros();
        for bit in (1..top).rev() {
            acc = self.square(&acc);
            if (e >> bit) & 1 == 1 {
                acc = self.mul(&acc, &base_mont);
            }
        }
        acc = self.square(&acc);
        self.mul(&acc, base)
    }
}

/// The number of significant bits of `x`.
pub(crate) fn bit_length<const L: usize>(x: &[Limb; L]) -> usize {
    x.iter().rposition(|&w| w != 0).map_or(0, |i| {
        i * LIMB_BITS + LIMB_BITS - x[i].leading_zeros() as usize
    })
}

/// `-x^-1 mod 2^LIMB_BITS` for odd `x`, by Newton's iteration: `x·x ≡ 1 mod 8` gives 3 correct
/// bits and each step doubles them.
fn neg_inverse(x: Limb) -> Limb {
    let mut inv = x;
    for _ in 0..5 {
        inv = inv.wrapping_mul((2 as Limb).wrapping_sub(x.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neg_inverse_of_odd_words() {
        for x in [
            1 as Limb,
            3,
            5,
            0xffff,
            Limb::MAX,
            Limb::MAX - 2,
            0x1234_5679,
        ] {
            assert_eq!(x.wrapping_mul(neg_inverse(x)), Limb::MAX, "x = {x:#x}");
        }
    }

    #[test]
    fn bytes_round_trip_through_words() {
        let bytes: [u8; 20] = core::array::from_fn(|i| i as u8 + 1);
        let words = from_be_bytes::<8>(&bytes);
        let mut back = [0u8; 20];
        to_be_bytes(&words, &mut back);
        assert_eq!(back, bytes);
    }
}
