//! The published RSA test keys (`tests/vectors/rsa{2048,3072,4096}.pem`, made with `openssl
//! genpkey`) and a signer over them that can sign any block, so tests can make real signatures
//! over well-formed and malformed encodings alike. Deterministic: PSS takes its salt from the
//! caller, so generated vectors do not drift.
//!
//! This signer is test code written by the same hands as the verifier; the tokens that prove
//! interoperability come from jsonwebtoken and PyJWT, and a test checks this signer against
//! jsonwebtoken's verifier.

use base64ct::{Base64, Encoding};
use num_bigint::BigUint;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::key_encodings::rsa_public_encodings;
use super::{b64, signing_input, vectors_dir};

/// A SHA-2 hash as JWS uses it with RSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaHash {
    Sha256,
    Sha384,
    Sha512,
}

impl RsaHash {
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            RsaHash::Sha256 => run::<Sha256>(parts),
            RsaHash::Sha384 => run::<Sha384>(parts),
            RsaHash::Sha512 => run::<Sha512>(parts),
        }
    }

    /// DER DigestInfo before the digest (RFC 8017 §9.2 note 1).
    pub fn digest_info_prefix(self) -> Vec<u8> {
        let (id, len) = match self {
            RsaHash::Sha256 => (1, 0x20),
            RsaHash::Sha384 => (2, 0x30),
            RsaHash::Sha512 => (3, 0x40),
        };
        let mut p = vec![0x30, 0x11 + len, 0x30, 0x0d, 0x06, 0x09];
        p.extend([
            0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, id, 0x05, 0x00, 0x04, len,
        ]);
        p
    }
}

/// The hash a JOSE RSA `alg` uses, and whether it is PSS.
pub fn rsa_alg(alg: &str) -> (RsaHash, bool) {
    match alg {
        "RS256" => (RsaHash::Sha256, false),
        "RS384" => (RsaHash::Sha384, false),
        "RS512" => (RsaHash::Sha512, false),
        "PS256" => (RsaHash::Sha256, true),
        "PS384" => (RsaHash::Sha384, true),
        "PS512" => (RsaHash::Sha512, true),
        _ => panic!("not an RSA alg: {alg}"),
    }
}

pub struct RsaTestKey {
    pub bits: usize,
    /// The RSAPrivateKey (PKCS#1) DER, as jsonwebtoken's `EncodingKey::from_rsa_der` reads it.
    pub pkcs1_der: Vec<u8>,
    /// Big-endian, minimal.
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    d: BigUint,
}

/// One of the published test keys: 2048, 3072 or 4096 bits.
pub fn rsa_test_key(bits: usize) -> RsaTestKey {
    let pem = std::fs::read_to_string(vectors_dir().join(format!("rsa{bits}.pem"))).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = Base64::decode_vec(&body).unwrap();
    // PrivateKeyInfo { version, algorithm, privateKey OCTET STRING { RSAPrivateKey } }.
    let info = der_items(der_items(&der)[0].1)
        .into_iter()
        .map(|(_, v)| v)
        .collect::<Vec<_>>();
    let rsa = der_items(der_items(info[2])[0].1);
    let int = |i: usize| {
        let v = rsa[i].1;
        v[v.iter().take_while(|&&b| b == 0).count()..].to_vec()
    };
    let key = RsaTestKey {
        bits,
        pkcs1_der: info[2].to_vec(),
        n: int(1),
        e: int(2),
        d: BigUint::from_bytes_be(&int(3)),
    };
    assert_eq!(BigUint::from_bytes_be(&key.n).bits() as usize, bits);
    key
}

/// The (tag, contents) of each DER element in `der`. Test keys only: short and long lengths.
fn der_items(mut der: &[u8]) -> Vec<(u8, &[u8])> {
    let mut items = Vec::new();
    while !der.is_empty() {
        let tag = der[0];
        let (len, header) = match der[1] {
            l if l < 0x80 => (l as usize, 2),
            l => {
                let n = (l & 0x7f) as usize;
                let len = der[2..2 + n].iter().fold(0, |a, &b| (a << 8) | b as usize);
                (len, 2 + n)
            }
        };
        items.push((tag, &der[header..header + len]));
        der = &der[header + len..];
    }
    items
}

impl RsaTestKey {
    /// Modulus length in bytes.
    pub fn len(&self) -> usize {
        self.n.len()
    }

    /// The RSA private operation on any block of `len()` bytes below n.
    pub fn raw_sign(&self, block: &[u8]) -> Vec<u8> {
        assert_eq!(block.len(), self.len());
        let n = BigUint::from_bytes_be(&self.n);
        let s = BigUint::from_bytes_be(block).modpow(&self.d, &n);
        let bytes = s.to_bytes_be();
        let mut out = vec![0u8; self.len() - bytes.len()];
        out.extend(bytes);
        out
    }

    /// EMSA-PKCS1-v1_5 (RFC 8017 §9.2), then the private operation.
    pub fn sign_pkcs1(&self, hash: RsaHash, msg: &[u8]) -> Vec<u8> {
        let mut t = hash.digest_info_prefix();
        t.extend(hash.digest(&[msg]));
        let mut em = vec![0x00, 0x01];
        em.resize(self.len() - t.len() - 1, 0xff);
        em.push(0x00);
        em.extend(t);
        self.raw_sign(&em)
    }

    /// EMSA-PSS (RFC 8017 §9.1.1) with MGF1 over `hash` and the given salt, then the private
    /// operation.
    pub fn sign_pss(&self, hash: RsaHash, msg: &[u8], salt: &[u8]) -> Vec<u8> {
        let em_bits = self.bits - 1;
        let em_len = em_bits.div_ceil(8);
        let m_hash = hash.digest(&[msg]);
        let h = hash.digest(&[&[0u8; 8], &m_hash, salt]);
        let mut db = vec![0u8; em_len - salt.len() - h.len() - 2];
        db.push(0x01);
        db.extend(salt);
        for (counter, chunk) in (0u32..).zip(db.chunks_mut(h.len())) {
            let mask = hash.digest(&[&h, &counter.to_be_bytes()]);
            chunk.iter_mut().zip(mask).for_each(|(b, m)| *b ^= m);
        }
        db[0] &= 0xff >> (8 * em_len - em_bits);
        let mut em = vec![0u8; self.len() - em_len];
        em.extend(db);
        em.extend(h);
        em.push(0xbc);
        self.raw_sign(&em)
    }

    /// A signature for JOSE `alg` over `msg`; PSS with a salt derived from the message, so the
    /// same input always gives the same token.
    pub fn sign_alg(&self, alg: &str, msg: &[u8]) -> Vec<u8> {
        let (hash, pss) = rsa_alg(alg);
        if pss {
            let salt = hash.digest(&[b"tollgate test salt", msg]);
            self.sign_pss(hash, msg, &salt)
        } else {
            self.sign_pkcs1(hash, msg)
        }
    }

    /// A compact JWS of `header` and `payload` signed with `alg`.
    pub fn token(&self, alg: &str, header: &str, payload: &str) -> String {
        let input = signing_input(header, payload);
        let sig = self.sign_alg(alg, input.as_bytes());
        format!("{input}.{}", b64(&sig))
    }

    /// The public JWK, members in the order identity providers publish them.
    pub fn jwk(&self, kid: &str, alg: Option<&str>) -> String {
        let alg = alg.map_or(String::new(), |a| format!("\"alg\":\"{a}\","));
        format!(
            "{{\"kty\":\"RSA\",\"kid\":\"{kid}\",\"use\":\"sig\",{alg}\"n\":\"{}\",\"e\":\"{}\"}}",
            b64(&self.n),
            b64(&self.e)
        )
    }
}

// --- Key encodings an attacker might offer as an HMAC secret (RFC 8725 §2.1) -------------

impl RsaTestKey {
    /// Every encoding of this public key a gateway's configuration could hold, by name.
    pub fn public_encodings(&self, kid: &str) -> Vec<(&'static str, Vec<u8>)> {
        rsa_public_encodings(&self.n, &self.e, &self.jwk(kid, Some("RS256")))
    }
}

// --- The RSA keys of test.jwks ------------------------------------------------------------

/// Each RSA algorithm's key in `test.jwks`: its kid and modulus size.
pub const RSA_TEST_KEYS: [(&str, &str, usize); 6] = [
    ("RS256", "rsa1", 2048),
    ("PS256", "ps1", 2048),
    ("RS384", "rs384", 3072),
    ("PS384", "ps384", 3072),
    ("RS512", "rs512", 4096),
    ("PS512", "ps512", 4096),
];
