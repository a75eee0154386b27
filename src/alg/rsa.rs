//! RSA signature verification for JWS: RSASSA-PKCS1-v1_5 (`RS256`/`RS384`/`RS512`, RFC 7518
//! §3.3) and RSASSA-PSS with MGF1 of the same hash and a salt as long as the hash (`PS256`/
//! `PS384`/`PS512`, §3.5), for 2048- to 4096-bit moduli, without a heap.
//!
//! The modulus lives in one of three fixed sizes (2048, 3072 or 4096 bits of words) so a
//! 2048-bit key pays 2048-bit arithmetic. PKCS#1 v1.5 is checked by building the one encoding
//! the signer must have produced and comparing it whole, never by parsing the recovered block:
//! that is what defeats Bleichenbacher's 2006 forgeries for `e = 3` (garbage after the hash,
//! short padding, DigestInfo parameter tricks).

mod emsa;
mod modulus;
#[cfg(test)]
mod tests;

use modulus::{LIMB_BITS, Modulus};

use crate::alg::Algorithm;
use crate::error::SkipReason;

/// Smallest modulus accepted: RFC 7518 §3.3 requires 2048 bits or more.
pub(crate) const MIN_MODULUS_BITS: usize = 2048;
/// Largest modulus accepted; larger keys cost more work than a gateway should buy per token.
pub(crate) const MAX_MODULUS_BITS: usize = 4096;
/// Longest signature, in bytes.
pub(crate) const MAX_MODULUS_LEN: usize = MAX_MODULUS_BITS / 8;
/// Largest public exponent, in bits. Real keys use 65537; the bound caps the squarings a key can
/// make every verification pay.
pub(crate) const MAX_EXPONENT_BITS: u32 = 33;

/// The hash and padding of an RSA JWS algorithm; `None` for the other families.
pub(crate) fn scheme(algorithm: Algorithm) -> Option<(Hash, Padding)> {
    Some(match algorithm {
        Algorithm::Rs256 => (Hash::Sha256, Padding::Pkcs1v15),
        Algorithm::Rs384 => (Hash::Sha384, Padding::Pkcs1v15),
        Algorithm::Rs512 => (Hash::Sha512, Padding::Pkcs1v15),
        Algorithm::Ps256 => (Hash::Sha256, Padding::Pss),
        Algorithm::Ps384 => (Hash::Sha384, Padding::Pss),
        Algorithm::Ps512 => (Hash::Sha512, Padding::Pss),
        _ => return None,
    })
}

/// Whether `signature` is a valid `algorithm` signature of `message` under `key`.
// Never inlined: each algorithm's stack frame is paid only when that algorithm runs (see
// `Material::verify`).
#[inline(never)]
pub(crate) fn verify(key: &RsaKey, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
    match scheme(algorithm) {
        Some((hash, Padding::Pkcs1v15)) => key.verify_pkcs1v15(hash, message, signature),
        Some((hash, Padding::Pss)) => key.verify_pss(hash, message, signature),
        None => false,
    }
}

/// The key a JWK's `n` and `e` describe (RFC 7518 §6.3.1), or why it is skipped: below 2048
/// bits it is too short for RS*/PS* (§3.3).
pub(crate) fn public_key(n_be: &[u8], e_be: &[u8]) -> Result<RsaKey, SkipReason> {
    RsaKey::new(n_be, e_be).map_err(|e| match e {
        RsaKeyError::ModulusTooSmall => SkipReason::KeyTooShort,
        RsaKeyError::ModulusTooLarge => SkipReason::MemberTooLarge,
        RsaKeyError::InvalidModulus | RsaKeyError::InvalidExponent => SkipReason::InvalidKey,
    })
}

/// The two signature schemes of RFC 8017 that JWS uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Padding {
    /// RSASSA-PKCS1-v1_5: `RS*`.
    Pkcs1v15,
    /// RSASSA-PSS: `PS*`.
    Pss,
}

/// A hash function of the SHA-2 family, as RSA signatures in JWS use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// Why a public key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RsaKeyError {
    /// Shorter than [`MIN_MODULUS_BITS`] (RFC 7518 §3.3).
    ModulusTooSmall,
    /// Longer than [`MAX_MODULUS_BITS`].
    ModulusTooLarge,
    /// Empty, zero-padded (not minimal, RFC 7518 §6.3.1.1) or even.
    InvalidModulus,
    /// Empty, zero-padded, even, below 3 or above [`MAX_EXPONENT_BITS`].
    InvalidExponent,
}

/// The arithmetic sized to the modulus. Every key takes the largest variant's room (no heap to
/// box into); the variants save time, not memory.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Arithmetic {
    Bits2048(Modulus<{ 2048 / LIMB_BITS }>),
    Bits3072(Modulus<{ 3072 / LIMB_BITS }>),
    Bits4096(Modulus<{ 4096 / LIMB_BITS }>),
}

/// An RSA public key with its Montgomery parameters precomputed.
#[derive(Clone)]
pub(crate) struct RsaKey {
    arithmetic: Arithmetic,
    e: u64,
    bits: u16,
}

impl RsaKey {
    /// The key of modulus `n` and public exponent `e`, both big-endian and minimal (no leading
    /// zero byte), as a JWK carries them (RFC 7518 §6.3.1).
    pub fn new(n_be: &[u8], e_be: &[u8]) -> Result<RsaKey, RsaKeyError> {
        let (&first, _) = n_be.split_first().ok_or(RsaKeyError::InvalidModulus)?;
        if first == 0 {
            return Err(RsaKeyError::InvalidModulus);
        }
        let bits = n_be.len() * 8 - first.leading_zeros() as usize;
        if bits < MIN_MODULUS_BITS {
            return Err(RsaKeyError::ModulusTooSmall);
        }
        if bits > MAX_MODULUS_BITS {
            return Err(RsaKeyError::ModulusTooLarge);
        }
        if n_be[n_be.len() - 1] & 1 == 0 {
            return Err(RsaKeyError::InvalidModulus);
        }
        let e = exponent(e_be)?;
        let arithmetic = if bits <= 2048 {
            Arithmetic::Bits2048(Modulus::new(modulus::from_be_bytes(n_be)))
        } else if bits <= 3072 {
            Arithmetic::Bits3072(Modulus::new(modulus::from_be_bytes(n_be)))
        } else {
            Arithmetic::Bits4096(Modulus::new(modulus::from_be_bytes(n_be)))
        };
        Ok(RsaKey {
            arithmetic,
            e,
            bits: bits as u16,
        })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        usize::from(self.bits)
    }

    /// The modulus length in bytes: the length of every signature (RFC 8017 §8.2.2 step 1).
    fn len(&self) -> usize {
        self.bits().div_ceil(8)
    }

    /// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2): the recovered block must equal, byte for
    /// byte, the EMSA-PKCS1-v1_5 encoding of `msg` built here.
    pub fn verify_pkcs1v15(&self, hash: Hash, msg: &[u8], sig: &[u8]) -> bool {
        let k = self.len();
        let mut recovered = [0u8; MAX_MODULUS_LEN];
        if !self.rsavp1(sig, &mut recovered[..k]) {
            return false;
        }
        let mut expected = [0u8; MAX_MODULUS_LEN];
        emsa::pkcs1v15_encode(hash, msg, &mut expected[..k]);
        recovered[..k] == expected[..k]
    }

    /// RSASSA-PSS verification (RFC 8017 §8.1.2) with MGF1 over `hash` and a salt of the hash's
    /// length, as JWS requires (RFC 7518 §3.5).
    pub fn verify_pss(&self, hash: Hash, msg: &[u8], sig: &[u8]) -> bool {
        let k = self.len();
        let mut recovered = [0u8; MAX_MODULUS_LEN];
        if !self.rsavp1(sig, &mut recovered[..k]) {
            return false;
        }
        // emBits = modBits - 1; when that is a multiple of 8 the encoding is one byte shorter
        // than the modulus, and I2OSP(m, emLen) fails unless the extra leading byte is zero.
        let em_bits = self.bits() - 1;
        let (lead, em) = recovered[..k].split_at_mut(k - em_bits.div_ceil(8));
        if lead.iter().any(|&b| b != 0) {
            return false;
        }
        emsa::pss_verify(hash, msg, em, em_bits)
    }

    /// RSAVP1 (RFC 8017 §5.2.2) into `out` (`k` bytes): `sig^e mod n`, for a signature of exactly
    /// `k` bytes whose value is below `n`.
    fn rsavp1(&self, sig: &[u8], out: &mut [u8]) -> bool {
        if sig.len() != out.len() {
            return false;
        }
        match &self.arithmetic {
            Arithmetic::Bits2048(m) => public_op(m, self.e, sig, out),
            Arithmetic::Bits3072(m) => public_op(m, self.e, sig, out),
            Arithmetic::Bits4096(m) => public_op(m, self.e, sig, out),
        }
    }
}

fn public_op<const L: usize>(m: &Modulus<L>, e: u64, sig: &[u8], out: &mut [u8]) -> bool {
    let s = modulus::from_be_bytes::<L>(sig);
    if !modulus::less_than(&s, m.n()) {
        return false;
    }
    modulus::to_be_bytes(&m.pow_odd(&s, e), out);
    true
}

fn exponent(e_be: &[u8]) -> Result<u64, RsaKeyError> {
    match e_be.first() {
        Some(&first) if first != 0 && e_be.len() <= 8 => {}
        _ => return Err(RsaKeyError::InvalidExponent),
    }
    let e = e_be.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if e < 3 || e & 1 == 0 || 64 - e.leading_zeros() > MAX_EXPONENT_BITS {
        return Err(RsaKeyError::InvalidExponent);
    }
    Ok(e)
}
