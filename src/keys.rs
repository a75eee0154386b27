//! Verification keys: a fixed-capacity set loaded from a JWKS document (RFC 7517).
//!
//! Every key is bound to one algorithm when it is loaded, and a token can only select a key of
//! the algorithm it names. That binding is what defeats algorithm confusion: an HS256 token
//! "signed" with the bytes of an Ed25519 public key finds no HS256 key to check against.

use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::VerifyingKey;
use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{JwksError, JwksErrorKind};
use crate::json::{self, JsonError, Kind, Value};

/// Maximum number of usable keys in a [`KeySet`]. Skipped keys do not count.
pub const MAX_KEYS: usize = 16;
/// Maximum length of a `kid`, in bytes after unescaping.
pub const MAX_KID_LEN: usize = 128;
/// Minimum length of an HS256 key, in bytes (RFC 7518 §3.2).
pub const MIN_HMAC_KEY_LEN: usize = 32;
/// Maximum length of an HS256 key, in bytes.
pub const MAX_HMAC_KEY_LEN: usize = 256;

/// A signature algorithm this verifier implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Algorithm {
    /// EdDSA over Ed25519 (RFC 8037): JOSE `alg` `EdDSA`, or `Ed25519` (RFC 9864).
    EdDsa = 1,
    /// HMAC with SHA-256 (RFC 7518 §3.2): JOSE `alg` `HS256`.
    Hs256 = 2,
}

impl Algorithm {
    /// The JOSE `alg` name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Hs256 => "HS256",
        }
    }

    /// The algorithm a token header's `alg` names, if it is one we verify. Exact and
    /// case-sensitive (RFC 7515 §4.1.1).
    pub fn from_jose(alg: &[u8]) -> Option<Self> {
        match alg {
            b"EdDSA" | b"Ed25519" => Some(Algorithm::EdDsa),
            b"HS256" => Some(Algorithm::Hs256),
            _ => None,
        }
    }

    /// The length of this algorithm's signature, in bytes.
    pub(crate) const fn signature_len(self) -> usize {
        match self {
            Algorithm::EdDsa => 64,
            Algorithm::Hs256 => 32,
        }
    }
}

#[derive(Clone)]
pub(crate) enum Material {
    Ed25519(VerifyingKey),
    /// Keyed once at load time; zeroized on drop (the `zeroize` features of `hmac` and `sha2`).
    Hs256(Hmac<Sha256>),
}

#[derive(Clone)]
pub(crate) struct Key {
    kid: Option<heapless::Vec<u8, MAX_KID_LEN>>,
    pub material: Material,
}

impl Key {
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            Material::Ed25519(_) => Algorithm::EdDsa,
            Material::Hs256(_) => Algorithm::Hs256,
        }
    }

    fn kid(&self) -> Option<&[u8]> {
        self.kid.as_deref()
    }
}

/// What a JWKS load did besides the keys it kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Keys loaded into the set.
    pub loaded: u16,
    /// Keys skipped: types or algorithms we do not verify, or not meant for signatures.
    pub skipped: u16,
    /// Keys that carried a private member (`d`): only the public part was kept. Publishing a
    /// private key is a mistake a gateway should warn about.
    pub private_members_ignored: u16,
}

/// A fixed-capacity set of verification keys, each bound to one algorithm.
///
/// HS256 secrets are zeroized when the set is dropped.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: heapless::Vec<Key, MAX_KEYS>,
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

    /// Loads a JWKS document into a new set. See [`KeySet::add_jwks`].
    pub fn from_jwks(jwks: &[u8]) -> Result<(Self, LoadReport), JwksError> {
        let mut set = KeySet::new();
        let report = set.add_jwks(jwks)?;
        Ok((set, report))
    }

    /// Adds the usable keys of a JWKS document (RFC 7517 §5), all or nothing: on error the set is
    /// as it was.
    ///
    /// `OKP`/`Ed25519` keys are bound to EdDSA and `oct` keys to HS256. Keys of other types,
    /// curves or algorithms, and keys whose `use` is not `sig` or whose `key_ops` lack `verify`,
    /// are skipped. A set that ends up with no key is an error.
    pub fn add_jwks(&mut self, jwks: &[u8]) -> Result<LoadReport, JwksError> {
        let before = self.keys.len();
        let result = self.add_jwks_entries(jwks);
        if result.is_err() {
            self.keys.truncate(before);
        }
        result
    }

    fn add_jwks_entries(&mut self, jwks: &[u8]) -> Result<LoadReport, JwksError> {
        let mut keys_array = None;
        json::object_members(jwks, |name, value| {
            if json_name_is(jwks, name, b"keys") {
                if keys_array.is_some() {
                    return Err(JwksError::set(JwksErrorKind::DuplicateMember));
                }
                keys_array = Some(value);
            }
            Ok(())
        })?;
        let keys_array = match keys_array {
            Some(v) if v.kind == Kind::Array => v,
            _ => return Err(JwksError::set(JwksErrorKind::NotAKeySet)),
        };
        let raw = &jwks[keys_array.start..keys_array.end];
        let mut report = LoadReport::default();
        let mut index: u16 = 0;
        json::nested_elements(raw, 2, |entry| {
            let at = |kind| JwksError {
                kind,
                key_index: Some(index),
            };
            if entry.kind != Kind::Object {
                return Err(at(JwksErrorKind::InvalidMember));
            }
            let parsed = parse_jwk(&raw[entry.start..entry.end]).map_err(at)?;
            match parsed {
                Some((key, had_private)) => {
                    if self
                        .keys
                        .iter()
                        .any(|k| k.algorithm() == key.algorithm() && k.kid() == key.kid())
                    {
                        return Err(at(JwksErrorKind::DuplicateKey));
                    }
                    self.keys
                        .push(key)
                        .map_err(|_| at(JwksErrorKind::TooManyKeys))?;
                    report.loaded += 1;
                    report.private_members_ignored += u16::from(had_private);
                }
                None => report.skipped += 1,
            }
            index = index.saturating_add(1);
            Ok(())
        })?;
        if self.keys.is_empty() {
            return Err(JwksError::set(JwksErrorKind::NoUsableKey));
        }
        Ok(report)
    }

    /// Adds an Ed25519 public key for EdDSA.
    pub fn add_ed25519(
        &mut self,
        kid: Option<&str>,
        public_key: &[u8; 32],
    ) -> Result<(), JwksError> {
        let key = Key {
            kid: kid_from(kid)?,
            material: Material::Ed25519(ed25519_key(public_key)?),
        };
        self.push_unique(key)
    }

    /// Adds an HS256 secret (at least [`MIN_HMAC_KEY_LEN`] bytes).
    pub fn add_hs256(&mut self, kid: Option<&str>, secret: &[u8]) -> Result<(), JwksError> {
        let key = Key {
            kid: kid_from(kid)?,
            material: Material::Hs256(hmac_key(secret)?),
        };
        self.push_unique(key)
    }

    fn push_unique(&mut self, key: Key) -> Result<(), JwksError> {
        if self
            .keys
            .iter()
            .any(|k| k.algorithm() == key.algorithm() && k.kid() == key.kid())
        {
            return Err(JwksError::set(JwksErrorKind::DuplicateKey));
        }
        self.keys
            .push(key)
            .map_err(|_| JwksError::set(JwksErrorKind::TooManyKeys))
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

fn kid_from(kid: Option<&str>) -> Result<Option<heapless::Vec<u8, MAX_KID_LEN>>, JwksError> {
    kid.map(|k| {
        heapless::Vec::from_slice(k.as_bytes())
            .map_err(|_| JwksError::set(JwksErrorKind::MemberTooLarge))
    })
    .transpose()
}

fn ed25519_key(bytes: &[u8; 32]) -> Result<VerifyingKey, JwksError> {
    let key =
        VerifyingKey::from_bytes(bytes).map_err(|_| JwksError::set(JwksErrorKind::InvalidKey))?;
    if key.is_weak() {
        return Err(JwksError::set(JwksErrorKind::WeakKey));
    }
    Ok(key)
}

fn hmac_key(secret: &[u8]) -> Result<Hmac<Sha256>, JwksError> {
    if secret.len() < MIN_HMAC_KEY_LEN {
        return Err(JwksError::set(JwksErrorKind::KeyTooShort));
    }
    if secret.len() > MAX_HMAC_KEY_LEN {
        return Err(JwksError::set(JwksErrorKind::MemberTooLarge));
    }
    Hmac::<Sha256>::new_from_slice(secret).map_err(|_| JwksError::set(JwksErrorKind::InvalidKey))
}

impl From<JsonError> for JwksError {
    fn from(_: JsonError) -> Self {
        JwksError::set(JwksErrorKind::Json)
    }
}

impl From<JsonError> for JwksErrorKind {
    fn from(_: JsonError) -> Self {
        JwksErrorKind::Json
    }
}

fn json_name_is(doc: &[u8], name: Value, expected: &[u8]) -> bool {
    let (start, end) = name.inner();
    json::string_eq(&doc[start..end], name.escaped, expected)
}

/// A usable key and whether it carried a private member; `None` for a key we skip.
type Jwk = Option<(Key, bool)>;

/// The members of one JWK we read; everything else is ignored.
#[derive(Default)]
struct JwkMembers {
    kty: Option<Value>,
    crv: Option<Value>,
    alg: Option<Value>,
    kid: Option<Value>,
    use_: Option<Value>,
    key_ops: Option<Value>,
    x: Option<Value>,
    k: Option<Value>,
    d: Option<Value>,
}

const SHORT_MEMBER_LEN: usize = 64;
/// Longest `k` we read: the base64url of [`MAX_HMAC_KEY_LEN`] bytes.
const MAX_K_TEXT_LEN: usize = MAX_HMAC_KEY_LEN.div_ceil(3) * 4;

fn parse_jwk(raw: &[u8]) -> Result<Jwk, JwksErrorKind> {
    let mut m = JwkMembers::default();
    json::nested_members(raw, 3, |name, value| {
        let slot = [
            (&b"kty"[..], &mut m.kty),
            (b"crv", &mut m.crv),
            (b"alg", &mut m.alg),
            (b"kid", &mut m.kid),
            (b"use", &mut m.use_),
            (b"key_ops", &mut m.key_ops),
            (b"x", &mut m.x),
            (b"k", &mut m.k),
            (b"d", &mut m.d),
        ]
        .into_iter()
        .find(|(known, _)| json_name_is(raw, name, known));
        if let Some((_, slot)) = slot
            && slot.replace(value).is_some()
        {
            return Err(JwksErrorKind::DuplicateMember);
        }
        Ok(())
    })?;

    let mut buf = [0u8; SHORT_MEMBER_LEN];
    let kty = m.kty.ok_or(JwksErrorKind::MissingMember)?;
    let kty_is = |expected: &[u8], buf: &mut [u8]| -> Result<bool, JwksErrorKind> {
        Ok(text(raw, kty, buf)? == expected)
    };
    let is_okp = kty_is(b"OKP", &mut buf)?;
    let is_oct = !is_okp && kty_is(b"oct", &mut buf)?;
    if !is_okp && !is_oct {
        return Ok(None);
    }
    if !meant_for_verification(raw, &m)? {
        return Ok(None);
    }
    let alg = match m.alg {
        Some(v) => Some(text(raw, v, &mut buf)?),
        None => None,
    };

    let material = if is_okp {
        let mut crv_buf = [0u8; SHORT_MEMBER_LEN];
        let crv = text(
            raw,
            m.crv.ok_or(JwksErrorKind::MissingMember)?,
            &mut crv_buf,
        )?;
        if crv != b"Ed25519" {
            return Ok(None);
        }
        if !matches!(alg, None | Some(b"EdDSA" | b"Ed25519")) {
            return Err(JwksErrorKind::AlgorithmMismatch);
        }
        let mut x_buf = [0u8; SHORT_MEMBER_LEN];
        let x = text(raw, m.x.ok_or(JwksErrorKind::MissingMember)?, &mut x_buf)?;
        let mut public = [0u8; 32];
        match Base64UrlUnpadded::decode(x, &mut public) {
            Ok(decoded) if decoded.len() == 32 => {}
            _ => return Err(JwksErrorKind::InvalidKey),
        }
        Material::Ed25519(ed25519_key(&public).map_err(|e| e.kind)?)
    } else {
        match alg {
            None | Some(b"HS256") => {}
            Some(_) => return Ok(None),
        }
        let mut k_text = Zeroizing::new([0u8; MAX_K_TEXT_LEN]);
        let k = text(
            raw,
            m.k.ok_or(JwksErrorKind::MissingMember)?,
            &mut k_text[..],
        )?;
        if k.len() * 3 / 4 > MAX_HMAC_KEY_LEN {
            return Err(JwksErrorKind::MemberTooLarge);
        }
        let mut secret = Zeroizing::new([0u8; MAX_HMAC_KEY_LEN]);
        let secret =
            Base64UrlUnpadded::decode(k, &mut secret[..]).map_err(|_| JwksErrorKind::InvalidKey)?;
        Material::Hs256(hmac_key(secret).map_err(|e| e.kind)?)
    };

    let kid = match m.kid {
        Some(v) => {
            let mut kid = heapless::Vec::<u8, MAX_KID_LEN>::new();
            kid.resize_default(MAX_KID_LEN).ok();
            let len = text(raw, v, &mut kid)?.len();
            kid.truncate(len);
            Some(kid)
        }
        None => None,
    };
    Ok(Some((Key { kid, material }, is_okp && m.d.is_some())))
}

/// `use` (RFC 7517 §4.2) and `key_ops` (§4.3) both allow signature verification.
fn meant_for_verification(raw: &[u8], m: &JwkMembers) -> Result<bool, JwksErrorKind> {
    if let Some(use_) = m.use_
        && text(raw, use_, &mut [0u8; SHORT_MEMBER_LEN])? != b"sig"
    {
        return Ok(false);
    }
    if let Some(ops) = m.key_ops {
        if ops.kind != Kind::Array {
            return Err(JwksErrorKind::InvalidMember);
        }
        let mut verify = false;
        json::nested_elements(&raw[ops.start..ops.end], 4, |op| {
            if op.kind != Kind::String {
                return Err(JwksErrorKind::InvalidMember);
            }
            let (s, e) = op.inner();
            let body = &raw[ops.start + s..ops.start + e];
            verify |= json::string_eq(body, op.escaped, b"verify");
            Ok(())
        })?;
        return Ok(verify);
    }
    Ok(true)
}

/// The unescaped text of a string member, in `buf`.
fn text<'b>(raw: &[u8], value: Value, buf: &'b mut [u8]) -> Result<&'b [u8], JwksErrorKind> {
    if value.kind != Kind::String {
        return Err(JwksErrorKind::InvalidMember);
    }
    let (start, end) = value.inner();
    let len = json::unescape_into(&raw[start..end], buf).ok_or(JwksErrorKind::MemberTooLarge)?;
    Ok(&buf[..len])
}
