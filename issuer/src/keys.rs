//! Signing keys: Ed25519 (EdDSA), HS256, P-256 (ES256) and RSA (RS256, PS256), read from private
//! JWK files or inline, and the public JWKs the issuer publishes.

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signer;
use hmac::{Hmac, KeyInit, Mac};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, PrivateKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The signing algorithms the issuer offers, as JOSE names (RFC 7518 §3.1).
pub const ALGORITHMS: [&str; 5] = ["EdDSA", "HS256", "ES256", "RS256", "PS256"];

/// The RSA modulus sizes the issuer generates and reads: the range the core verifies (RFC 7518
/// §3.3 asks for at least 2048 bits).
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

/// The padding an RSA key signs with: one key, one algorithm, as the verifier binds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaScheme {
    /// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    Rs256,
    /// PS256: RSASSA-PSS with SHA-256, MGF1 and a 32-byte salt (RFC 7518 §3.5).
    Ps256,
}

impl RsaScheme {
    fn alg(self) -> &'static str {
        match self {
            RsaScheme::Rs256 => "RS256",
            RsaScheme::Ps256 => "PS256",
        }
    }

    fn from_alg(alg: &str) -> Option<Self> {
        match alg {
            "RS256" => Some(RsaScheme::Rs256),
            "PS256" => Some(RsaScheme::Ps256),
            _ => None,
        }
    }
}

/// A key the issuer signs tokens with. Private material is wiped on drop by the key types
/// themselves (ed25519-dalek, p256 and rsa zeroize; the HS256 secret is `Zeroizing`).
pub enum SigningKey {
    /// EdDSA over Ed25519; its public half is published in the JWKS.
    Ed25519 {
        kid: String,
        key: ed25519_dalek::SigningKey,
    },
    /// HS256; a shared secret, never published.
    Hs256 {
        kid: String,
        secret: Zeroizing<Vec<u8>>,
    },
    /// ES256: ECDSA on P-256 with deterministic nonces (RFC 6979); signatures are the 64-byte
    /// `R || S` of RFC 7518 §3.4, never DER.
    Es256 {
        kid: String,
        key: p256::ecdsa::SigningKey,
    },
    /// RS256 or PS256 with a 2048- to 4096-bit RSA key; the signature is as long as the modulus.
    Rsa {
        kid: String,
        scheme: RsaScheme,
        key: Box<PrivateKey>,
    },
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} key {:?}", self.alg(), self.kid())
    }
}

impl SigningKey {
    pub fn kid(&self) -> &str {
        match self {
            SigningKey::Ed25519 { kid, .. }
            | SigningKey::Hs256 { kid, .. }
            | SigningKey::Es256 { kid, .. }
            | SigningKey::Rsa { kid, .. } => kid,
        }
    }

    /// The JOSE `alg`.
    pub fn alg(&self) -> &'static str {
        match self {
            SigningKey::Ed25519 { .. } => "EdDSA",
            SigningKey::Hs256 { .. } => "HS256",
            SigningKey::Es256 { .. } => "ES256",
            SigningKey::Rsa { scheme, .. } => scheme.alg(),
        }
    }

    pub fn sign(&self, signing_input: &[u8]) -> Vec<u8> {
        self.try_sign(signing_input)
            .expect("a key that passed its self-check signs")
    }

    /// Signs, or says why not: RSA's signer checks each signature against the public key before
    /// releasing it (a CRT fault would otherwise leak a prime), so a key whose "primes"
    /// multiply to `n` but are not prime fails here.
    fn try_sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, String> {
        Ok(match self {
            SigningKey::Ed25519 { key, .. } => key.sign(signing_input).to_bytes().to_vec(),
            SigningKey::Hs256 { secret, .. } => {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
                mac.update(signing_input);
                mac.finalize().into_bytes().to_vec()
            }
            SigningKey::Es256 { key, .. } => {
                let signature: p256::ecdsa::Signature =
                    p256::ecdsa::signature::Signer::sign(key, signing_input);
                signature.to_bytes().to_vec()
            }
            SigningKey::Rsa { scheme, key, .. } => {
                let digest = Sha256::digest(signing_input);
                // Blinded with the operating system's randomness (the `getrandom` feature).
                let signed = match scheme {
                    RsaScheme::Rs256 => key.sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest),
                    RsaScheme::Ps256 => key.sign(rsa::pss::Pss::<Sha256>::new(), &digest),
                };
                signed.map_err(|e| format!("the RSA key cannot sign ({e})"))?
            }
        })
    }

    /// Signs a probe token and has the core verify it with the public JWK this key publishes,
    /// as a gateway would: a key that would publish one thing and sign with another (components
    /// that pass every algebraic check yet do not form a key), or that verifiers skip, is
    /// refused when it is read rather than at the first token request.
    fn self_check(&self) -> Result<(), String> {
        let Some(public) = self.public_jwk() else {
            return Ok(());
        };
        let jwks = json!({ "keys": [public] }).to_string();
        let (keys, _) = tollgate::KeySet::from_jwks(jwks.as_bytes()).map_err(|e| {
            format!("verifiers would not load the public key ({e}); refusing to sign with it")
        })?;
        let header = json!({ "alg": self.alg(), "kid": self.kid() }).to_string();
        let input = format!("{}.{}", b64(header.as_bytes()), b64(br#"{"exp":1}"#));
        let signature = self.try_sign(input.as_bytes())?;
        let token = format!("{input}.{}", b64(&signature));
        let verifier = tollgate::Verifier::new(keys, tollgate::Policy::default());
        let mut scratch = Box::new(tollgate::Scratch::new());
        verifier
            .verify(token.as_bytes(), 0, &mut scratch)
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "its signatures do not verify with its public key ({}): the private members \
                     do not form one key",
                    e.name()
                )
            })
    }

    /// Whether `other` is the same key (same algorithm, same key material), whatever its kid.
    pub fn same_key(&self, other: &SigningKey) -> bool {
        if self.alg() != other.alg() {
            return false;
        }
        let without_kid = |mut jwk: Value| {
            jwk.as_object_mut().map(|o| o.remove("kid"));
            jwk
        };
        match (self.public_jwk(), other.public_jwk()) {
            (Some(a), Some(b)) => without_kid(a) == without_kid(b),
            // HS256: the MACs of one probe (PS256 signatures are randomized; HMAC is not).
            _ => {
                let probe = b"tollgate: is this the same key?";
                self.sign(probe) == other.sign(probe)
            }
        }
    }

    /// The public JWK (RFC 7517, 7518 §6, 8037) for the JWKS, with `alg` and `use: sig` so
    /// verifiers bind the key to one algorithm; `None` for an HS256 secret.
    pub fn public_jwk(&self) -> Option<Value> {
        match self {
            SigningKey::Ed25519 { kid, key } => Some(json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64(key.verifying_key().as_bytes()),
                "kid": kid,
                "alg": "EdDSA",
                "use": "sig",
            })),
            SigningKey::Hs256 { .. } => None,
            SigningKey::Es256 { kid, key } => {
                let point = key.verifying_key().to_sec1_point(false);
                let (x, y) = (point.x()?, point.y()?);
                Some(json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": b64(x),
                    "y": b64(y),
                    "kid": kid,
                    "alg": "ES256",
                    "use": "sig",
                }))
            }
            SigningKey::Rsa { kid, scheme, key } => Some(json!({
                "kty": "RSA",
                "n": b64(&key.n().to_be_bytes_trimmed_vartime()),
                "e": b64(&key.e().to_be_bytes_trimmed_vartime()),
                "kid": kid,
                "alg": scheme.alg(),
                "use": "sig",
            })),
        }
    }

    /// Reads a key from a private JWK: `OKP`/`Ed25519` with `d`, `oct` with `k`, `EC`/`P-256`
    /// with `d`, or `RSA` with `n`, `e`, `d`, `p`, `q`. A JWK whose `alg` names another
    /// algorithm than the configured one is refused: the key would be published under one and
    /// sign under the other.
    pub fn from_private_jwk(kid: &str, algorithm: &str, jwk: &Value) -> Result<Self, String> {
        let key = Self::read_private_jwk(kid, algorithm, jwk)?;
        key.self_check()?;
        Ok(key)
    }

    fn read_private_jwk(kid: &str, algorithm: &str, jwk: &Value) -> Result<Self, String> {
        let member = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("the JWK has no string member {name:?}"))
        };
        if let Some(alg) = jwk.get("alg").and_then(Value::as_str)
            && alg != algorithm
        {
            return Err(format!(
                "the JWK says alg {alg:?} but the key is configured for {algorithm:?}"
            ));
        }
        match algorithm {
            "EdDSA" => {
                if member("kty")? != "OKP" || member("crv")? != "Ed25519" {
                    return Err("an EdDSA key must be an OKP JWK with crv Ed25519".into());
                }
                let key = ed25519_from_seed(member("d")?)?;
                if let Ok(x) = member("x")
                    && x != b64(key.verifying_key().as_bytes())
                {
                    return Err("x does not match d".into());
                }
                Ok(SigningKey::Ed25519 {
                    kid: kid.into(),
                    key,
                })
            }
            "HS256" => {
                if member("kty")? != "oct" {
                    return Err("an HS256 key must be an oct JWK".into());
                }
                Self::hs256(kid, member("k")?)
            }
            "ES256" => {
                if member("kty")? != "EC" || member("crv")? != "P-256" {
                    return Err("an ES256 key must be an EC JWK with crv P-256".into());
                }
                let key = SigningKey::Es256 {
                    kid: kid.into(),
                    key: p256_from_scalar(member("d")?)?,
                };
                let public = key.public_jwk().expect("P-256 keys have a public JWK");
                for coordinate in ["x", "y"] {
                    if let Ok(given) = member(coordinate)
                        && public[coordinate] != given
                    {
                        return Err(format!("{coordinate} does not match d"));
                    }
                }
                Ok(key)
            }
            "RS256" | "PS256" => {
                if member("kty")? != "RSA" {
                    return Err(format!("an {algorithm} key must be an RSA JWK"));
                }
                let scheme = RsaScheme::from_alg(algorithm).expect("RS256 or PS256");
                Ok(SigningKey::Rsa {
                    kid: kid.into(),
                    scheme,
                    key: Box::new(rsa_from_jwk(jwk)?),
                })
            }
            other => Err(unsupported(other)),
        }
    }

    /// Reads a key from its inline base64url form: an Ed25519 seed, an HS256 secret, or a
    /// P-256 private scalar. RSA keys are too large to inline: they come from a JWK file.
    pub fn from_inline(kid: &str, algorithm: &str, encoded: &str) -> Result<Self, String> {
        let key = Self::read_inline(kid, algorithm, encoded)?;
        key.self_check()?;
        Ok(key)
    }

    fn read_inline(kid: &str, algorithm: &str, encoded: &str) -> Result<Self, String> {
        match algorithm {
            "EdDSA" => Ok(SigningKey::Ed25519 {
                kid: kid.into(),
                key: ed25519_from_seed(encoded)?,
            }),
            "HS256" => Self::hs256(kid, encoded),
            "ES256" => Ok(SigningKey::Es256 {
                kid: kid.into(),
                key: p256_from_scalar(encoded)?,
            }),
            "RS256" | "PS256" => Err(format!(
                "an {algorithm} key comes from a private JWK file (private_key_file); \
                 make one with `tollgate keygen --algorithm {algorithm}`"
            )),
            other => Err(unsupported(other)),
        }
    }

    fn hs256(kid: &str, encoded: &str) -> Result<Self, String> {
        let secret = Zeroizing::new(
            Base64UrlUnpadded::decode_vec(encoded)
                .map_err(|_| "the secret is not base64url".to_string())?,
        );
        if secret.len() < tollgate::MIN_HMAC_KEY_LEN {
            return Err("an HS256 secret needs at least 32 bytes (RFC 7518 §3.2)".into());
        }
        Ok(SigningKey::Hs256 {
            kid: kid.into(),
            secret,
        })
    }
}

fn unsupported(algorithm: &str) -> String {
    format!(
        "unsupported algorithm {algorithm:?} ({})",
        ALGORITHMS.join(", ")
    )
}

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

fn ed25519_from_seed(encoded: &str) -> Result<ed25519_dalek::SigningKey, String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    match Base64UrlUnpadded::decode(encoded, &mut *seed) {
        Ok(bytes) if bytes.len() == 32 => Ok(ed25519_dalek::SigningKey::from_bytes(&seed)),
        _ => Err("an Ed25519 private key is 32 bytes of base64url".into()),
    }
}

/// A P-256 private key from its 32-byte scalar `d` (RFC 7518 §6.2.2.1: full length).
fn p256_from_scalar(encoded: &str) -> Result<p256::ecdsa::SigningKey, String> {
    let mut scalar = Zeroizing::new([0u8; 32]);
    match Base64UrlUnpadded::decode(encoded, &mut *scalar) {
        Ok(bytes) if bytes.len() == 32 => p256::ecdsa::SigningKey::from_slice(&scalar[..])
            .map_err(|_| "the P-256 private scalar is zero or not below the group order".into()),
        _ => Err("a P-256 private key (d) is 32 bytes of base64url".into()),
    }
}

/// An RSA private key from the members of its JWK (RFC 7518 §6.3.2). The components are
/// checked against each other (`rsa` validates n = p·q and d) and the modulus against
/// [`RSA_BITS`]; `dp`, `dq` and `qi` are recomputed rather than trusted.
fn rsa_from_jwk(jwk: &Value) -> Result<PrivateKey, String> {
    let decode = |name: &str| -> Result<Zeroizing<Vec<u8>>, String> {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the JWK has no string member {name:?}"))?;
        let bytes =
            Base64UrlUnpadded::decode_vec(text).map_err(|_| format!("{name} is not base64url"))?;
        Ok(Zeroizing::new(bytes))
    };
    let n = decode("n")?;
    let modulus_bits = bit_length(&n);
    if !RSA_BITS.contains(&modulus_bits) {
        return Err(format!(
            "the RSA modulus has {modulus_bits} bits; 2048 to 4096 are supported (RFC 7518 §3.3)"
        ));
    }
    let bits = u32::try_from(n.len() * 8).expect("at most 4096 bits");
    let uint = |name: &str, bytes: &[u8]| {
        BoxedUint::from_be_slice(bytes, bits).map_err(|_| format!("{name} is longer than n"))
    };
    let e = decode("e")?;
    let (d, p, q) = (decode("d")?, decode("p")?, decode("q")?);
    PrivateKey::from_components(
        uint("n", &n)?,
        uint("e", &e)?,
        uint("d", &d)?,
        vec![uint("p", &p)?, uint("q", &q)?],
    )
    .map_err(|e| format!("not a valid RSA private key: {e}"))
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        Some(first) => (bytes.len() - first) * 8 - bytes[first].leading_zeros() as usize,
        None => 0,
    }
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// A new Ed25519 key pair as a private JWK (with `d`) and its public JWK.
pub fn generate_ed25519(kid: &str) -> (Value, Value) {
    let seed = Zeroizing::new(random::<32>());
    let key = SigningKey::Ed25519 {
        kid: kid.into(),
        key: ed25519_dalek::SigningKey::from_bytes(&seed),
    };
    let public = key.public_jwk().expect("Ed25519 keys have a public JWK");
    let mut private = public.clone();
    private["d"] = Value::String(b64(&*seed));
    (private, public)
}

/// A new 32-byte HS256 secret as an `oct` JWK.
pub fn generate_hs256(kid: &str) -> Value {
    let secret = Zeroizing::new(random::<32>());
    json!({
        "kty": "oct",
        "kid": kid,
        "alg": "HS256",
        "k": b64(&*secret),
    })
}

/// Overwrites the private members (`d`, `k`, RSA's primes and CRT values) of a JWK in memory,
/// once it has been written out.
pub fn wipe_private_members(jwk: &mut Value) {
    use zeroize::Zeroize;
    for name in ["d", "k", "p", "q", "dp", "dq", "qi"] {
        if let Some(Value::String(text)) = jwk.get_mut(name) {
            text.zeroize();
        }
    }
}

/// A new P-256 key pair as a private JWK (with `d`) and its public JWK, for ES256.
pub fn generate_es256(kid: &str) -> (Value, Value) {
    // A random 32-byte string is a valid scalar but with probability about 2^-32.
    let key = loop {
        let scalar = Zeroizing::new(random::<32>());
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&scalar[..]) {
            break key;
        }
    };
    let d = Zeroizing::new(b64(&key.to_bytes()));
    let key = SigningKey::Es256 {
        kid: kid.into(),
        key,
    };
    let public = key.public_jwk().expect("P-256 keys have a public JWK");
    let mut private = public.clone();
    private["d"] = Value::String(d.to_string());
    (private, public)
}

/// A new RSA key pair of `bits` (see [`RSA_BITS`]) with e = 65537, bound to `scheme`, as a
/// private JWK (RFC 7518 §6.3.2, with the CRT members other tools expect) and its public JWK.
pub fn generate_rsa(kid: &str, scheme: RsaScheme, bits: usize) -> Result<(Value, Value), String> {
    if !RSA_BITS.contains(&bits) {
        return Err(format!(
            "{bits} bits: an RSA key has 2048 to 4096 bits (RFC 7518 §3.3)"
        ));
    }
    let key = PrivateKey::new(&mut getrandom::SysRng, bits)
        .map_err(|e| format!("RSA key generation: {e}"))?;
    let key = SigningKey::Rsa {
        kid: kid.into(),
        scheme,
        key: Box::new(key),
    };
    let public = key.public_jwk().expect("RSA keys have a public JWK");
    let SigningKey::Rsa { key: rsa_key, .. } = &key else {
        unreachable!("built above")
    };
    let secret = |value: &BoxedUint| Zeroizing::new(b64(&value.to_be_bytes_trimmed_vartime()));
    let [p, q] = rsa_key.primes() else {
        return Err("RSA key generation gave more than two primes".into());
    };
    let (Some(dp), Some(dq), Some(qi)) = (rsa_key.dp(), rsa_key.dq(), rsa_key.crt_coefficient())
    else {
        return Err("RSA key generation left the CRT values out".into());
    };
    let mut private = public.clone();
    for (name, value) in [
        ("d", secret(rsa_key.d())),
        ("p", secret(p.as_ref())),
        ("q", secret(q.as_ref())),
        ("dp", secret(dp)),
        ("dq", secret(dq)),
        ("qi", secret(&qi)),
    ] {
        private[name] = Value::String(value.to_string());
    }
    Ok((private, public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_ed25519_key_reads_back_and_matches_its_public_jwk() {
        let (private, public) = generate_ed25519("k1");
        let key = SigningKey::from_private_jwk("k1", "EdDSA", &private).unwrap();
        assert_eq!(key.public_jwk().unwrap(), public);
        assert!(public.get("d").is_none());
    }

    #[test]
    fn a_jwk_whose_x_does_not_match_d_is_refused() {
        let (mut private, _) = generate_ed25519("k1");
        let (_, other) = generate_ed25519("k2");
        private["x"] = other["x"].clone();
        assert_eq!(
            SigningKey::from_private_jwk("k1", "EdDSA", &private).unwrap_err(),
            "x does not match d"
        );
    }

    #[test]
    fn a_short_hs256_secret_is_refused() {
        let short = Base64UrlUnpadded::encode_string(&[1u8; 31]);
        assert!(SigningKey::from_inline("h", "HS256", &short).is_err());
    }

    #[test]
    fn hs256_keys_are_never_published() {
        let jwk = generate_hs256("h");
        let key = SigningKey::from_private_jwk("h", "HS256", &jwk).unwrap();
        assert!(key.public_jwk().is_none());
    }

    #[test]
    fn a_generated_es256_key_reads_back_and_matches_its_public_jwk() {
        let (private, public) = generate_es256("e1");
        let key = SigningKey::from_private_jwk("e1", "ES256", &private).unwrap();
        assert_eq!(key.public_jwk().unwrap(), public);
        assert!(public.get("d").is_none());
    }

    #[test]
    fn an_es256_jwk_whose_y_does_not_match_d_is_refused() {
        let (mut private, _) = generate_es256("e1");
        let (_, other) = generate_es256("e2");
        private["y"] = other["y"].clone();
        assert_eq!(
            SigningKey::from_private_jwk("e1", "ES256", &private).unwrap_err(),
            "y does not match d"
        );
    }

    /// The published `alg` is the configured one: a file made for RS256 does not sign PS256.
    #[test]
    fn a_jwk_labelled_with_another_algorithm_is_refused() {
        let (private, _) = generate_es256("e1");
        let err = SigningKey::from_private_jwk("e1", "EdDSA", &private).unwrap_err();
        assert!(err.contains("alg \"ES256\""), "{err}");
    }

    #[test]
    fn rsa_keys_outside_2048_to_4096_bits_are_neither_made_nor_read() {
        assert!(generate_rsa("r", RsaScheme::Rs256, 1024).is_err());
        assert!(generate_rsa("r", RsaScheme::Rs256, 8192).is_err());
        let small = PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
        let b = |v: &BoxedUint| b64(&v.to_be_bytes_trimmed_vartime());
        let jwk = json!({
            "kty": "RSA", "n": b(small.n()), "e": b(small.e()), "d": b(small.d()),
            "p": b(small.primes()[0].as_ref()), "q": b(small.primes()[1].as_ref()),
        });
        let err = SigningKey::from_private_jwk("r", "RS256", &jwk).unwrap_err();
        assert!(err.contains("1024 bits"), "{err}");
    }

    #[test]
    fn an_rsa_jwk_whose_primes_do_not_belong_to_n_is_refused() {
        let (mut private, _) = generate_rsa("r", RsaScheme::Rs256, 2048).unwrap();
        let (other, _) = generate_rsa("o", RsaScheme::Rs256, 2048).unwrap();
        private["p"] = other["p"].clone();
        assert!(SigningKey::from_private_jwk("r", "RS256", &private).is_err());
    }

    /// A JWK whose "prime" p is composite passes every algebraic check of the `rsa` crate
    /// (p·q = n, d·e ≡ 1 mod p−1 and q−1), but its CRT signatures are wrong: the signer's own
    /// check (RSASP1 then RSAVP1) refuses to release them. Refused when the key is read, not
    /// at the first token request.
    #[test]
    fn an_rsa_jwk_with_a_composite_prime_is_refused_when_read() {
        let b = |v: &BoxedUint| b64(&v.to_be_bytes_trimmed_vartime());
        let composite = PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
        let key = loop {
            let prime_source = PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
            let q = prime_source.primes()[0].as_ref().clone();
            let Ok(key) = PrivateKey::from_p_q(composite.n().as_ref().clone(), q, 65537u64.into())
            else {
                continue;
            };
            if key.n().bit_width_vartime() == 2048 {
                break key;
            }
        };
        let jwk = json!({
            "kty": "RSA", "n": b(key.n()), "e": b(key.e()), "d": b(key.d()),
            "p": b(key.primes()[0].as_ref()), "q": b(key.primes()[1].as_ref()),
        });
        let err = SigningKey::from_private_jwk("r", "RS256", &jwk).unwrap_err();
        assert!(err.contains("cannot sign"), "{err}");
    }

    /// A public exponent that does not belong to `d` (e = 1 signs nothing, an even e has no
    /// inverse, e = 3 is not this key's) is refused: the key published would not verify.
    #[test]
    fn an_rsa_jwk_whose_e_is_not_the_inverse_of_d_is_refused() {
        let (private, _) = generate_rsa("r", RsaScheme::Rs256, 2048).unwrap();
        for e in ["AQ", "Ag", "Aw", "AQAA"] {
            let mut jwk = private.clone();
            jwk["e"] = Value::String(e.into());
            assert!(
                SigningKey::from_private_jwk("r", "RS256", &jwk).is_err(),
                "e = {e}"
            );
        }
    }

    /// The CRT members are recomputed from d, p and q, never used as given: wrong ones would
    /// make wrong CRT signatures, and a wrong signature released leaks a prime (Boneh–DeMillo–
    /// Lipton). Tokens from such a file verify.
    #[test]
    fn an_rsa_jwk_with_wrong_crt_members_still_signs_correctly() {
        let (mut private, public) = generate_rsa("r", RsaScheme::Ps256, 2048).unwrap();
        for name in ["dp", "dq", "qi"] {
            private[name] = Value::String(b64(&[0x42; 128]));
        }
        let key = SigningKey::from_private_jwk("r", "PS256", &private).unwrap();
        assert_eq!(key.public_jwk().unwrap(), public);
        assert!(key.self_check().is_ok());
    }

    /// A P-256 scalar of 0 or at least the group order n is no private key (SEC 1 §3.2.1).
    #[test]
    fn a_p256_scalar_of_zero_or_not_below_the_order_is_refused() {
        let order: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2,
            0xfc, 0x63, 0x25, 0x51,
        ];
        for scalar in [[0u8; 32], order, [0xff; 32]] {
            let err = SigningKey::from_inline("e", "ES256", &b64(&scalar)).unwrap_err();
            assert!(err.contains("zero or not below the group order"), "{err}");
        }
    }

    #[test]
    fn rsa_keys_are_only_read_from_files() {
        let err = SigningKey::from_inline("r", "RS256", "AQAB").unwrap_err();
        assert!(err.contains("private_key_file"), "{err}");
    }

    /// PS256 signatures differ every time, so sameness is decided by the public key.
    #[test]
    fn same_key_compares_key_material_even_for_randomized_signatures() {
        let (private, _) = generate_rsa("a", RsaScheme::Ps256, 2048).unwrap();
        let a = SigningKey::from_private_jwk("a", "PS256", &private).unwrap();
        let b = SigningKey::from_private_jwk("b", "PS256", &private).unwrap();
        let (other, _) = generate_rsa("a", RsaScheme::Ps256, 2048).unwrap();
        let c = SigningKey::from_private_jwk("a", "PS256", &other).unwrap();
        assert!(a.same_key(&b));
        assert!(!a.same_key(&c));
    }

    #[test]
    fn wiping_a_private_jwk_leaves_no_private_member() {
        let (mut private, _) = generate_rsa("r", RsaScheme::Rs256, 2048).unwrap();
        wipe_private_members(&mut private);
        for name in ["d", "p", "q", "dp", "dq", "qi"] {
            assert_eq!(private[name], "", "{name}");
        }
        assert_ne!(private["n"], "");
    }
}
