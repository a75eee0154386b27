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

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend(content);
    out
}

fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    if bytes[0] & 0x80 != 0 {
        v.push(0);
    }
    v.extend(bytes);
    der(0x02, &v)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = Base64::encode_string(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

impl RsaTestKey {
    /// RSAPublicKey (RFC 8017 A.1.1), DER.
    pub fn pkcs1_public_der(&self) -> Vec<u8> {
        der(0x30, &[der_uint(&self.n), der_uint(&self.e)].concat())
    }

    /// SubjectPublicKeyInfo (RFC 5280 §4.1), DER: what a `PUBLIC KEY` PEM file holds.
    pub fn spki_der(&self) -> Vec<u8> {
        let algorithm = [
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
            0x00,
        ];
        let mut bits = vec![0u8];
        bits.extend(self.pkcs1_public_der());
        der(0x30, &[&algorithm[..], &der(0x03, &bits)].concat())
    }

    /// Every encoding of this public key a gateway's configuration could hold, by name.
    pub fn public_encodings(&self, kid: &str) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("spki_pem", pem("PUBLIC KEY", &self.spki_der()).into_bytes()),
            ("spki_der", self.spki_der()),
            (
                "pkcs1_pem",
                pem("RSA PUBLIC KEY", &self.pkcs1_public_der()).into_bytes(),
            ),
            ("pkcs1_der", self.pkcs1_public_der()),
            ("modulus", self.n.clone()),
            ("modulus_b64", b64(&self.n).into_bytes()),
            ("jwk", self.jwk(kid, Some("RS256")).into_bytes()),
        ]
    }
}

// --- The RSA keys of test.jwks and the RSA vectors of tokens.tsv ----------------------------

/// Each RSA algorithm's key in `test.jwks`: its kid and modulus size.
pub const RSA_TEST_KEYS: [(&str, &str, usize); 6] = [
    ("RS256", "rsa1", 2048),
    ("PS256", "ps1", 2048),
    ("RS384", "rs384", 3072),
    ("PS384", "ps384", 3072),
    ("RS512", "rs512", 4096),
    ("PS512", "ps512", 4096),
];

/// The `test.jwks` lines of the RSA keys: one per algorithm, since a key serves one algorithm.
pub fn rsa_test_jwks_lines() -> Vec<String> {
    RSA_TEST_KEYS
        .iter()
        .map(|(alg, kid, bits)| rsa_test_key(*bits).jwk(kid, Some(alg)))
        .collect()
}

/// `rsa_edge.jwks`: keys a loader must refuse (1024 bits, e = 1), an e = 3 key it must accept,
/// and an RSA key without kid or alg. No HS256 key, so any HS256 token is unknown_key here.
pub fn rsa_edge_jwks() -> String {
    let k2048 = rsa_test_key(2048);
    let k1024 = rsa_test_key(1024);
    let with_e = |kid: &str, e: &[u8]| {
        format!(
            r#"{{"kty":"RSA","kid":"{kid}","alg":"RS256","n":"{}","e":"{}"}}"#,
            b64(&k2048.n),
            b64(e)
        )
    };
    format!(
        "{{\"keys\":[\n  {},\n  {},\n  {},\n  {}\n]}}\n",
        k1024.jwk("rsa1024", Some("RS256")),
        with_e("e1", &[1]),
        with_e("e3", &[3]),
        format_args!(
            r#"{{"kty":"RSA","n":"{}","e":"{}"}}"#,
            b64(&k2048.n),
            b64(&k2048.e)
        ),
    )
}

fn header(alg: &str, kid: &str) -> String {
    format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{kid}"}}"#)
}

/// A token with `sig` as its signature over `header` and the standard claims.
fn with_signature(header: &str, payload: &str, sig: &[u8]) -> String {
    format!("{}.{}", signing_input(header, payload), b64(sig))
}

/// The cube root of a block `prefix || garbage`, whose cube keeps the prefix: Bleichenbacher's
/// 2006 forgery for e = 3 against verifiers that parse the block and ignore what follows.
fn cube_root_forgery(prefix: &[u8], len: usize) -> Vec<u8> {
    let mut block = prefix.to_vec();
    block.resize(len, 0xff);
    let root = BigUint::from_bytes_be(&block).nth_root(3);
    let cube = root.pow(3u32).to_bytes_be();
    assert_eq!(&cube[..prefix.len() - 1], &prefix[1..], "the forgery holds");
    let bytes = root.to_bytes_be();
    let mut out = vec![0u8; len - bytes.len()];
    out.extend(bytes);
    out
}

/// The RSA vectors of `tokens.tsv`, with `v(name, jwks, expect, token, reason)`.
pub fn rsa_vectors(
    v: &dyn Fn(&str, &str, &str, String, &str) -> super::Vector,
) -> Vec<super::Vector> {
    let payload = super::Claims::standard().json();
    let t = "test.jwks";
    let edge = "rsa_edge.jwks";
    let k2048 = rsa_test_key(2048);
    let k3072 = rsa_test_key(3072);
    let mut out = Vec::new();

    for (alg, kid, bits) in RSA_TEST_KEYS {
        out.push(v(
            &format!("{}_access_token", alg.to_lowercase()),
            t,
            "ok",
            rsa_test_key(bits).token(alg, &header(alg, kid), &payload),
            &format!("RFC 7518 3.3/3.5: {alg} with a {bits}-bit key"),
        ));
    }

    // One key, one algorithm.
    let binding = [
        (
            "ps256_header_on_the_rs256_key",
            "PS256",
            "rsa1",
            "a key without PS256 in its alg never verifies PS256",
        ),
        (
            "rs256_header_on_the_ps256_key",
            "RS256",
            "ps1",
            "a PS256 key never verifies RS256",
        ),
        (
            "rs384_header_on_the_rs256_key",
            "RS384",
            "rsa1",
            "one key, one hash",
        ),
    ];
    for (name, alg, kid, reason) in binding {
        out.push(v(
            name,
            t,
            "unknown_key",
            k2048.token(alg, &header(alg, kid), &payload),
            reason,
        ));
    }

    // RFC 8725 §2.1, CVE-2016-10555: HS256 "signed" with the public key's bytes.
    for (encoding, secret) in k2048.public_encodings("rsa1") {
        out.push(v(
            &format!("hs256_keyed_with_the_rsa_{encoding}"),
            t,
            "unknown_key",
            super::sign_hs(&secret, &header("HS256", "rsa1"), &payload),
            "RFC 8725 2.1: an RSA public key never serves as an HMAC secret",
        ));
    }
    out.push(v(
        "hs256_keyed_with_the_rsa_modulus_without_kid",
        edge,
        "unknown_key",
        super::sign_hs(&k2048.n, r#"{"alg":"HS256","typ":"at+jwt"}"#, &payload),
        "RFC 8725 2.1: a set of RSA keys has no HMAC secret, whatever the token names",
    ));

    // The signature value and length (RFC 8017 8.2.2 steps 1 and 2a).
    let h = header("RS256", "rsa1");
    let good = k2048.sign_alg("RS256", signing_input(&h, &payload).as_bytes());
    let n = BigUint::from_bytes_be(&k2048.n);
    let fixed = |x: BigUint| {
        let b = x.to_bytes_be();
        let mut out = vec![0u8; 256 - b.len()];
        out.extend(b);
        out
    };
    let mut zero_padded = vec![0u8];
    zero_padded.extend(&good);
    let mut extended = good.clone();
    extended.push(0);
    let signatures: [(&str, Vec<u8>, &str); 8] = [
        (
            "rs256_signature_truncated",
            good[..255].to_vec(),
            "RFC 8017 8.2.2: the signature is exactly k bytes",
        ),
        (
            "rs256_signature_zero_padded",
            zero_padded,
            "RFC 8017 8.2.2: a leading zero byte makes it k+1 bytes",
        ),
        (
            "rs256_signature_extended",
            extended,
            "RFC 8017 8.2.2: a trailing byte makes it k+1 bytes",
        ),
        ("rs256_signature_zero", vec![0u8; 256], "s = 0: 0^e = 0"),
        (
            "rs256_signature_one",
            fixed(BigUint::from(1u8)),
            "s = 1: 1^e = 1",
        ),
        (
            "rs256_signature_n",
            fixed(n.clone()),
            "RFC 8017 5.2.2: s = n is out of range, not 0",
        ),
        (
            "rs256_signature_n_plus_1",
            fixed(&n + 1u8),
            "RFC 8017 5.2.2: s = n + 1 is out of range, not 1",
        ),
        (
            "rs256_signature_n_minus_1",
            fixed(&n - 1u8),
            "s = n - 1: (-1)^e = -1",
        ),
    ];
    for (name, sig, reason) in signatures {
        out.push(v(
            name,
            t,
            "bad_signature",
            with_signature(&h, &payload, &sig),
            reason,
        ));
    }

    // Real signatures over encodings that are not the one EMSA-PKCS1-v1_5 builds.
    let input = signing_input(&h, &payload);
    let digest = RsaHash::Sha256.digest(&[input.as_bytes()]);
    let block = |t: &[u8], ff: usize, tail: &[u8]| {
        let mut em = vec![0x00, 0x01];
        em.extend(std::iter::repeat_n(0xff, ff));
        em.push(0x00);
        em.extend(t);
        em.extend(tail);
        assert_eq!(em.len(), 256);
        em
    };
    let mut no_null = vec![0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09];
    no_null.extend([
        0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20,
    ]);
    no_null.extend(&digest);
    let mut t_full = RsaHash::Sha256.digest_info_prefix();
    t_full.extend(&digest);
    let malformed = [
        (
            "rs256_digest_info_without_null",
            block(&no_null, 256 - 3 - no_null.len(), &[]),
            "RFC 8017 9.2: DigestInfo with absent parameters is another encoding",
        ),
        (
            "rs256_garbage_after_the_digest",
            block(&t_full, 8, &[0x5a; 256 - 3 - 8 - 51]),
            "Bleichenbacher 2006: bytes after the hash",
        ),
        (
            "rs256_block_type_2",
            {
                let mut b = block(&t_full, 256 - 3 - 51, &[]);
                b[1] = 2;
                b
            },
            "RFC 8017 9.2: the block type is 01",
        ),
    ];
    for (name, em, reason) in malformed {
        out.push(v(
            name,
            t,
            "bad_signature",
            with_signature(&h, &payload, &k2048.raw_sign(&em)),
            reason,
        ));
    }
    let h384 = header("RS384", "rs384");
    out.push(v(
        "rs384_header_over_a_sha256_encoding",
        t,
        "bad_signature",
        with_signature(
            &h384,
            &payload,
            &k3072.sign_pkcs1(RsaHash::Sha256, signing_input(&h384, &payload).as_bytes()),
        ),
        "RFC 7518 3.3: RS384 hashes with SHA-384",
    ));

    // PSS with parameters JWS does not allow (RFC 7518 3.5: salt as long as the hash).
    let hp = header("PS256", "ps1");
    let pss_input = signing_input(&hp, &payload);
    for (name, salt_len) in [
        ("ps256_salt_length_0", 0),
        ("ps256_salt_length_20", 20),
        ("ps256_salt_length_64", 64),
    ] {
        let sig = k2048.sign_pss(RsaHash::Sha256, pss_input.as_bytes(), &vec![0x5a; salt_len]);
        out.push(v(
            name,
            t,
            "bad_signature",
            with_signature(&hp, &payload, &sig),
            "RFC 7518 3.5: the salt is as long as the hash",
        ));
    }
    let pkcs1_as_pss = k2048.sign_pkcs1(RsaHash::Sha256, pss_input.as_bytes());
    out.push(v(
        "ps256_header_over_a_pkcs1_signature",
        t,
        "bad_signature",
        with_signature(&hp, &payload, &pkcs1_as_pss),
        "RFC 8017 9.1.2: no 0xbc trailer",
    ));

    // Keys the loader refuses, and e = 3 forgeries against the key it accepts.
    let h1024 = header("RS256", "rsa1024");
    out.push(v(
        "rs256_key_of_1024_bits_is_refused",
        edge,
        "unknown_key",
        rsa_test_key(1024).token("RS256", &h1024, &payload),
        "RFC 7518 3.3: keys below 2048 bits are refused",
    ));
    let he1 = header("RS256", "e1");
    let e1_input = signing_input(&he1, &payload);
    let e1_digest = RsaHash::Sha256.digest(&[e1_input.as_bytes()]);
    let mut e1_t = RsaHash::Sha256.digest_info_prefix();
    e1_t.extend(&e1_digest);
    let e1_block = block(&e1_t, 256 - 3 - 51, &[]);
    out.push(v(
        "rs256_key_with_e_1_is_refused",
        edge,
        "unknown_key",
        with_signature(&he1, &payload, &e1_block),
        "with e = 1 the encoded message is its own signature",
    ));
    let he3 = header("RS256", "e3");
    let e3_input = signing_input(&he3, &payload);
    let mut e3_prefix = vec![
        0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
    ];
    e3_prefix.extend(RsaHash::Sha256.digest_info_prefix());
    e3_prefix.extend(RsaHash::Sha256.digest(&[e3_input.as_bytes()]));
    out.push(v(
        "rs256_e3_bleichenbacher_forgery",
        edge,
        "bad_signature",
        with_signature(&he3, &payload, &cube_root_forgery(&e3_prefix, 256)),
        "Bleichenbacher 2006: a cube root whose cube starts with a valid encoding",
    ));
    out
}
