//! The two signature encodings of RFC 8017 §9 over the SHA-2 hashes JWS uses.

use sha2::{Digest, Sha256, Sha384, Sha512};

use super::Hash;

const MAX_HASH_LEN: usize = 64;

impl Hash {
    /// The digest length in bytes.
    pub(crate) const fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// The DER `DigestInfo` up to the digest itself (RFC 8017 §9.2 note 1): the algorithm
    /// identifier with its NULL parameters, then the OCTET STRING header.
    pub(super) const fn digest_info_prefix(self) -> &'static [u8; 19] {
        match self {
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// The hash of the concatenated `parts`, in the first [`Hash::len`] bytes.
    pub(super) fn digest(self, parts: &[&[u8]]) -> [u8; MAX_HASH_LEN] {
        fn run<D: Digest>(parts: &[&[u8]], out: &mut [u8]) {
            let mut d = D::new();
            for part in parts {
                d.update(part);
            }
            out.copy_from_slice(&d.finalize());
        }
        let mut out = [0u8; MAX_HASH_LEN];
        let len = self.len();
        match self {
            Hash::Sha256 => run::<Sha256>(parts, &mut out[..len]),
            Hash::Sha384 => run::<Sha384>(parts, &mut out[..len]),
            Hash::Sha512 => run::<Sha512>(parts, &mut out[..len]),
        }
        out
    }
}

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of `msg` into all of `em`:
/// `0x00 0x01 0xff… 0x00 DigestInfo`. `em` is a modulus long (256 bytes or more), far above
/// the 11 + 83 bytes the longest `DigestInfo` needs.
pub(super) fn pkcs1v15_encode(hash: Hash, msg: &[u8], em: &mut [u8]) {
    let prefix = hash.digest_info_prefix();
    let digest = hash.digest(&[msg]);
    let t_len = prefix.len() + hash.len();
    let ps_end = em.len() - t_len - 1;
    em[0] = 0x00;
    em[1] = 0x01;
    em[2..ps_end].fill(0xff);
    em[ps_end] = 0x00;
    let (p, d) = em[ps_end + 1..].split_at_mut(prefix.len());
    p.copy_from_slice(prefix);
    d.copy_from_slice(&digest[..hash.len()]);
}

/// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over `hash` and `sLen = hLen`, every check of
/// the RFC in its order. `em` is the `emLen`-byte encoded message; it is unmasked in place.
pub(super) fn pss_verify(hash: Hash, msg: &[u8], em: &mut [u8], em_bits: usize) -> bool {
    let h_len = hash.len();
    let s_len = h_len;
    let em_len = em.len();
    // Step 3.
    if em_len < h_len + s_len + 2 {
        return false;
    }
    // Step 4: the trailer field.
    let Some((&mut 0xbc, em)) = em.split_last_mut() else {
        return false;
    };
    // Step 5.
    let (db, h) = em.split_at_mut(em_len - h_len - 1);
    // Step 6: the bits above emBits are zero.
    let top_mask = 0xffu8 >> (8 * em_len - em_bits);
    if db[0] & !top_mask != 0 {
        return false;
    }
    // Steps 7–9: DB = maskedDB xor MGF1(H), the bits above emBits cleared.
    mgf1_xor(hash, h, db);
    db[0] &= top_mask;
    // Step 10: zero padding, then 0x01, then exactly sLen bytes of salt.
    let ps_len = em_len - h_len - s_len - 2;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 0x01 {
        return false;
    }
    // Steps 11–14: H = Hash(0x00 × 8 || mHash || salt).
    let salt = &db[ps_len + 1..];
    let m_hash = hash.digest(&[msg]);
    let expected = hash.digest(&[&[0u8; 8], &m_hash[..h_len], salt]);
    expected[..h_len] == *h
}

/// `out ^= MGF1(seed)` (RFC 8017 appendix B.2.1), as long as `out`.
fn mgf1_xor(hash: Hash, seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in (0u32..).zip(out.chunks_mut(hash.len())) {
        let mask = hash.digest(&[seed, &counter.to_be_bytes()]);
        for (o, m) in chunk.iter_mut().zip(mask) {
            *o ^= m;
        }
    }
}
