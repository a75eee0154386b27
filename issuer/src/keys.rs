//! Signing keys: Ed25519 (EdDSA) and HS256, read from private JWK files or inline, and the
//! public JWKs the issuer publishes.

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signer;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use zeroize::Zeroizing;

/// A key the issuer signs tokens with.
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
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} key {:?}", self.alg(), self.kid())
    }
}

impl SigningKey {
    pub fn kid(&self) -> &str {
        match self {
            SigningKey::Ed25519 { kid, .. } | SigningKey::Hs256 { kid, .. } => kid,
        }
    }

    /// The JOSE `alg`.
    pub fn alg(&self) -> &'static str {
        match self {
            SigningKey::Ed25519 { .. } => "EdDSA",
            SigningKey::Hs256 { .. } => "HS256",
        }
    }

    pub fn sign(&self, signing_input: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Ed25519 { key, .. } => key.sign(signing_input).to_bytes().to_vec(),
            SigningKey::Hs256 { secret, .. } => {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
                mac.update(signing_input);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    /// Whether `other` is the same key (same algorithm, same signatures), whatever its kid.
    pub fn same_key(&self, other: &SigningKey) -> bool {
        let probe = b"tollgate: is this the same key?";
        self.alg() == other.alg() && self.sign(probe) == other.sign(probe)
    }

    /// The public JWK (RFC 8037) for the JWKS; `None` for an HS256 secret.
    pub fn public_jwk(&self) -> Option<Value> {
        match self {
            SigningKey::Ed25519 { kid, key } => Some(json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": Base64UrlUnpadded::encode_string(key.verifying_key().as_bytes()),
                "kid": kid,
                "alg": "EdDSA",
                "use": "sig",
            })),
            SigningKey::Hs256 { .. } => None,
        }
    }

    /// Reads a key from a private JWK: `OKP`/`Ed25519` with `d`, or `oct` with `k`.
    pub fn from_private_jwk(kid: &str, algorithm: &str, jwk: &Value) -> Result<Self, String> {
        let member = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("the JWK has no string member {name:?}"))
        };
        match algorithm {
            "EdDSA" => {
                if member("kty")? != "OKP" || member("crv")? != "Ed25519" {
                    return Err("an EdDSA key must be an OKP JWK with crv Ed25519".into());
                }
                let key = ed25519_from_seed(member("d")?)?;
                if let Ok(x) = member("x")
                    && x != Base64UrlUnpadded::encode_string(key.verifying_key().as_bytes())
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
            other => Err(format!("unsupported algorithm {other:?} (EdDSA or HS256)")),
        }
    }

    /// Reads a key from its inline base64url form: an Ed25519 seed, or an HS256 secret.
    pub fn from_inline(kid: &str, algorithm: &str, encoded: &str) -> Result<Self, String> {
        match algorithm {
            "EdDSA" => Ok(SigningKey::Ed25519 {
                kid: kid.into(),
                key: ed25519_from_seed(encoded)?,
            }),
            "HS256" => Self::hs256(kid, encoded),
            other => Err(format!("unsupported algorithm {other:?} (EdDSA or HS256)")),
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

fn ed25519_from_seed(encoded: &str) -> Result<ed25519_dalek::SigningKey, String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    match Base64UrlUnpadded::decode(encoded, &mut *seed) {
        Ok(bytes) if bytes.len() == 32 => Ok(ed25519_dalek::SigningKey::from_bytes(&seed)),
        _ => Err("an Ed25519 private key is 32 bytes of base64url".into()),
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
    private["d"] = Value::String(Base64UrlUnpadded::encode_string(&*seed));
    (private, public)
}

/// A new 32-byte HS256 secret as an `oct` JWK.
pub fn generate_hs256(kid: &str) -> Value {
    let secret = Zeroizing::new(random::<32>());
    json!({
        "kty": "oct",
        "kid": kid,
        "alg": "HS256",
        "k": Base64UrlUnpadded::encode_string(&*secret),
    })
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
}
