//! Verification keys: a fixed-capacity set, each key bound to one algorithm.
//!
//! The binding is what defeats algorithm confusion: a token can only select a key of the
//! algorithm it names, so an HS256 token "signed" with the bytes of a public key finds no HS256
//! key to check against. Keys come from JWKS documents (`jwks.rs`) or are added directly.

use core::fmt;

use crate::alg::{Algorithm, Material, eddsa, hmac};
use crate::error::{JwksError, JwksErrorKind, SkipReason};

/// Maximum number of usable keys in a [`KeySet`]. Skipped keys do not count.
pub const MAX_KEYS: usize = 16;
/// Maximum length of a `kid`, in bytes after unescaping.
pub const MAX_KID_LEN: usize = 128;

/// A key id, unescaped.
pub(crate) type Kid = heapless::Vec<u8, MAX_KID_LEN>;

/// One verification key, bound to one algorithm.
#[derive(Clone)]
pub(crate) struct Key {
    kid: Option<Kid>,
    algorithm: Algorithm,
    material: Material,
}

impl Key {
    /// `material` bound to `algorithm`, or `None` when the material cannot serve it.
    pub fn new(kid: Option<Kid>, algorithm: Algorithm, material: Material) -> Option<Self> {
        material.serves(algorithm).then_some(Key {
            kid,
            algorithm,
            material,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn kid(&self) -> Option<&[u8]> {
        self.kid.as_deref()
    }

    /// Whether `signature` is a valid signature of `message` by this key, with its algorithm.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.material.verify(self.algorithm, message, signature)
    }
}

/// A fixed-capacity set of verification keys, each bound to one algorithm.
///
/// HS256 secrets are zeroized when the set is dropped.
#[derive(Default)]
pub struct KeySet {
    keys: heapless::Vec<Key, MAX_KEYS>,
}

impl Clone for KeySet {
    fn clone(&self) -> Self {
        KeySet {
            keys: self.keys.clone(),
        }
    }

    /// Key by key, in place: the derived `clone_from` would build a whole set on the stack.
    fn clone_from(&mut self, source: &Self) {
        self.keys.clear();
        for key in &source.keys {
            // Cannot fail: both sets hold at most MAX_KEYS.
            let _ = self.keys.push(key.clone());
        }
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for key in &self.keys {
            let kid = key
                .kid()
                .map(|k| core::str::from_utf8(k).unwrap_or("<binary>"));
            list.entry(&(key.algorithm().as_str(), kid));
        }
        list.finish()
    }
}

impl KeySet {
    /// An empty set.
    pub const fn new() -> Self {
        KeySet {
            keys: heapless::Vec::new(),
        }
    }

    /// Adds an Ed25519 public key for EdDSA.
    pub fn add_ed25519(
        &mut self,
        kid: Option<&str>,
        public_key: &[u8; 32],
    ) -> Result<(), JwksError> {
        let material = Material::Ed25519(eddsa::public_key(public_key).map_err(refused)?);
        self.push_unique(kid_from(kid)?, Algorithm::EdDsa, material)
    }

    /// Adds an HS256 secret (at least [`MIN_HMAC_KEY_LEN`](crate::MIN_HMAC_KEY_LEN) bytes).
    pub fn add_hs256(&mut self, kid: Option<&str>, secret: &[u8]) -> Result<(), JwksError> {
        let material = Material::Hmac(hmac::secret(secret).map_err(refused)?);
        self.push_unique(kid_from(kid)?, Algorithm::Hs256, material)
    }

    fn push_unique(
        &mut self,
        kid: Option<Kid>,
        algorithm: Algorithm,
        material: Material,
    ) -> Result<(), JwksError> {
        let key = Key::new(kid, algorithm, material)
            .ok_or(JwksError::set(JwksErrorKind::AlgorithmMismatch))?;
        self.push(key).map_err(JwksError::set)
    }

    /// Adds a key unless one with its `kid` and algorithm is there already, or the set is full.
    pub(crate) fn push(&mut self, key: Key) -> Result<(), JwksErrorKind> {
        if self.has_key(key.algorithm(), key.kid()) {
            return Err(JwksErrorKind::DuplicateKey);
        }
        self.keys.push(key).map_err(|_| JwksErrorKind::TooManyKeys)
    }

    fn has_key(&self, alg: Algorithm, kid: Option<&[u8]>) -> bool {
        self.keys
            .iter()
            .any(|k| k.algorithm() == alg && k.kid() == kid)
    }

    /// Drops the keys added after the first `len`.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.keys.truncate(len);
    }

    /// Number of keys in the set.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `(algorithm, kid)` of each key, in load order.
    pub fn iter(&self) -> impl Iterator<Item = (Algorithm, Option<&str>)> {
        self.keys.iter().map(|k| {
            let kid = k.kid().and_then(|kid| core::str::from_utf8(kid).ok());
            (k.algorithm(), kid)
        })
    }

    /// The key a token selects: same algorithm and same (unescaped) `kid`, or, when the token
    /// has no `kid`, the only key of that algorithm.
    pub(crate) fn select(&self, alg: Algorithm, kid: Option<&[u8]>) -> Option<&Key> {
        let mut candidates = self.keys.iter().filter(|k| k.algorithm() == alg);
        match kid {
            Some(kid) => candidates.find(|k| k.kid() == Some(kid)),
            None => {
                let only = candidates.next()?;
                candidates.next().is_none().then_some(only)
            }
        }
    }
}

fn kid_from(kid: Option<&str>) -> Result<Option<Kid>, JwksError> {
    kid.map(|k| {
        Kid::from_slice(k.as_bytes()).map_err(|_| JwksError::set(JwksErrorKind::MemberTooLarge))
    })
    .transpose()
}

/// What a reason to skip a JWK means for a key added directly, where it is an error.
fn refused(reason: SkipReason) -> JwksError {
    JwksError::set(match reason {
        SkipReason::WeakKey => JwksErrorKind::WeakKey,
        SkipReason::KeyTooShort => JwksErrorKind::KeyTooShort,
        SkipReason::MemberTooLarge => JwksErrorKind::MemberTooLarge,
        _ => JwksErrorKind::InvalidKey,
    })
}
