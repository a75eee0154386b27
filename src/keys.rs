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

use crate::error::{JwksError, JwksErrorKind, SkipReason};
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

/// How many skipped keys a [`LoadReport`] names by index; all of them are counted.
pub const MAX_REPORTED_SKIPS: usize = 8;

/// A key of a JWKS that was skipped, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SkippedKey {
    /// The zero-based index of the key in `keys`.
    pub key_index: u16,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// What a JWKS load did besides the keys it kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LoadReport {
    /// Keys loaded into the set.
    pub loaded: u16,
    /// Keys skipped (RFC 7517 §5): see [`skipped_keys`](Self::skipped_keys) and
    /// [`skipped_for`](Self::skipped_for) for why.
    pub skipped: u16,
    /// Keys that carried a private member (`d`): only the public part was kept. Publishing a
    /// private key is a mistake a gateway should warn about.
    pub private_members_ignored: u16,
    by_reason: [u16; SKIP_REASONS],
    listed: [Option<SkippedKey>; MAX_REPORTED_SKIPS],
}

const SKIP_REASONS: usize = SkipReason::ALL.len();

impl LoadReport {
    pub(crate) const EMPTY: LoadReport = LoadReport {
        loaded: 0,
        skipped: 0,
        private_members_ignored: 0,
        by_reason: [0; SKIP_REASONS],
        listed: [None; MAX_REPORTED_SKIPS],
    };

    /// The first [`MAX_REPORTED_SKIPS`] skipped keys, in document order, with their reasons.
    pub fn skipped_keys(&self) -> impl Iterator<Item = SkippedKey> + '_ {
        self.listed.iter().map_while(|s| *s)
    }

    /// How many keys were skipped for `reason`.
    pub fn skipped_for(&self, reason: SkipReason) -> u16 {
        self.by_reason[reason_slot(reason)]
    }

    fn skip(&mut self, key_index: u16, reason: SkipReason) {
        if let Some(free) = self.listed.iter_mut().find(|s| s.is_none()) {
            *free = Some(SkippedKey { key_index, reason });
        }
        let count = &mut self.by_reason[reason_slot(reason)];
        *count = count.saturating_add(1);
        self.skipped = self.skipped.saturating_add(1);
    }
}

fn reason_slot(reason: SkipReason) -> usize {
    SkipReason::ALL
        .iter()
        .position(|r| *r == reason)
        .unwrap_or(0)
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
        let mut report = LoadReport::EMPTY;
        let mut index: u16 = 0;
        json::nested_elements(raw, 2, |entry| {
            let parsed = if entry.kind == Kind::Object {
                parse_jwk(&raw[entry.start..entry.end])
            } else {
                Err(Refusal::Skip(SkipReason::InvalidMember))
            };
            let fatal = |kind, report| JwksError {
                kind,
                key_index: Some(index),
                report,
            };
            match parsed {
                Ok((key, had_private)) => {
                    if self.has_key(key.algorithm(), key.kid()) {
                        return Err(fatal(JwksErrorKind::DuplicateKey, report));
                    }
                    if self.keys.push(key).is_err() {
                        return Err(fatal(JwksErrorKind::TooManyKeys, report));
                    }
                    report.loaded += 1;
                    report.private_members_ignored += u16::from(had_private);
                }
                Err(Refusal::Skip(reason)) => report.skip(index, reason),
                Err(Refusal::Fatal(kind)) => return Err(fatal(kind, report)),
            }
            index = index.saturating_add(1);
            Ok(())
        })?;
        if report.loaded == 0 {
            return Err(JwksError {
                report,
                ..JwksError::set(JwksErrorKind::NoUsableKey)
            });
        }
        Ok(report)
    }

    fn has_key(&self, alg: Algorithm, kid: Option<&[u8]>) -> bool {
        self.keys
            .iter()
            .any(|k| k.algorithm() == alg && k.kid() == kid)
    }

    /// Adds an Ed25519 public key for EdDSA.
    pub fn add_ed25519(
        &mut self,
        kid: Option<&str>,
        public_key: &[u8; 32],
    ) -> Result<(), JwksError> {
        let key = Key {
            kid: kid_from(kid)?,
            material: Material::Ed25519(ed25519_key(public_key).map_err(refused)?),
        };
        self.push_unique(key)
    }

    /// Adds an HS256 secret (at least [`MIN_HMAC_KEY_LEN`] bytes).
    pub fn add_hs256(&mut self, kid: Option<&str>, secret: &[u8]) -> Result<(), JwksError> {
        let key = Key {
            kid: kid_from(kid)?,
            material: Material::Hs256(hmac_key(secret).map_err(refused)?),
        };
        self.push_unique(key)
    }

    fn push_unique(&mut self, key: Key) -> Result<(), JwksError> {
        if self.has_key(key.algorithm(), key.kid()) {
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

fn ed25519_key(bytes: &[u8; 32]) -> Result<VerifyingKey, SkipReason> {
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| SkipReason::InvalidKey)?;
    if key.is_weak() {
        return Err(SkipReason::WeakKey);
    }
    Ok(key)
}

fn hmac_key(secret: &[u8]) -> Result<Hmac<Sha256>, SkipReason> {
    if secret.len() < MIN_HMAC_KEY_LEN {
        return Err(SkipReason::KeyTooShort);
    }
    if secret.len() > MAX_HMAC_KEY_LEN {
        return Err(SkipReason::MemberTooLarge);
    }
    Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SkipReason::InvalidKey)
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

impl From<JsonError> for JwksError {
    fn from(_: JsonError) -> Self {
        JwksError::set(JwksErrorKind::Json)
    }
}

fn json_name_is(doc: &[u8], name: Value, expected: &[u8]) -> bool {
    let (start, end) = name.inner();
    json::string_eq(&doc[start..end], name.escaped, expected)
}

/// Why a JWK was not loaded: skipped and counted, or fatal to the whole document.
enum Refusal {
    Skip(SkipReason),
    Fatal(JwksErrorKind),
}

impl From<SkipReason> for Refusal {
    fn from(reason: SkipReason) -> Self {
        Refusal::Skip(reason)
    }
}

impl From<JsonError> for Refusal {
    fn from(_: JsonError) -> Self {
        Refusal::Fatal(JwksErrorKind::Json)
    }
}

/// A usable key and whether it carried a private member.
type Jwk = (Key, bool);

/// The JOSE key types (RFC 7518 §6.1, RFC 8037 §2).
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Oct,
    Okp,
    Ec,
    Rsa,
}

impl KeyType {
    fn from_jose(kty: &[u8]) -> Option<Self> {
        Some(match kty {
            b"oct" => KeyType::Oct,
            b"OKP" => KeyType::Okp,
            b"EC" => KeyType::Ec,
            b"RSA" => KeyType::Rsa,
            _ => return None,
        })
    }
}

/// The key type and curves each JWS signature algorithm is defined for (RFC 7518 §3.1,
/// RFC 8037 §3.1, RFC 8812 §3.2, RFC 9864), whether or not we verify it. A key labelled with one
/// of these for another type or curve is refused, not skipped: that is the shape of an
/// algorithm-confusion attack (a public key offered as an HMAC secret).
fn defined_for(alg: &[u8]) -> Option<(KeyType, &'static [&'static [u8]])> {
    Some(match alg {
        b"HS256" | b"HS384" | b"HS512" => (KeyType::Oct, &[]),
        b"RS256" | b"RS384" | b"RS512" | b"PS256" | b"PS384" | b"PS512" => (KeyType::Rsa, &[]),
        b"ES256" => (KeyType::Ec, &[b"P-256"]),
        b"ES384" => (KeyType::Ec, &[b"P-384"]),
        b"ES512" => (KeyType::Ec, &[b"P-521"]),
        b"ES256K" => (KeyType::Ec, &[b"secp256k1"]),
        b"EdDSA" => (KeyType::Okp, &[b"Ed25519", b"Ed448"]),
        b"Ed25519" => (KeyType::Okp, &[b"Ed25519"]),
        b"Ed448" => (KeyType::Okp, &[b"Ed448"]),
        _ => return None,
    })
}

/// The members of one JWK we read; everything else (`x5c`, `x5t`, `x5u`, …) is ignored.
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

fn parse_jwk(raw: &[u8]) -> Result<Jwk, Refusal> {
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
            return Err(Refusal::Skip(SkipReason::DuplicateMember));
        }
        Ok(())
    })?;

    let mut kty_buf = [0u8; SHORT_MEMBER_LEN];
    let kty = text(raw, required(m.kty)?, &mut kty_buf)?;
    let kty = KeyType::from_jose(kty).ok_or(SkipReason::Unsupported)?;
    if !meant_for_verification(raw, &m)? {
        return Err(SkipReason::NotForSignatures.into());
    }
    let mut alg_buf = [0u8; SHORT_MEMBER_LEN];
    let alg = m.alg.map(|v| text(raw, v, &mut alg_buf)).transpose()?;
    let mut crv_buf = [0u8; SHORT_MEMBER_LEN];
    let crv = m.crv.map(|v| text(raw, v, &mut crv_buf)).transpose()?;
    // Checked before anything else can skip the key, so a contradiction is never hidden.
    if let Some(alg) = alg
        && let Some((kty_of_alg, curves)) = defined_for(alg)
    {
        let curve_fits = curves.is_empty() || crv.is_none_or(|c| curves.contains(&c));
        if kty_of_alg != kty || !curve_fits {
            return Err(Refusal::Fatal(JwksErrorKind::AlgorithmMismatch));
        }
    }
    // The algorithm the key is bound to: its own `alg`, or its type's usual one.
    let algorithm = match alg {
        Some(alg) => Algorithm::from_jose(alg).ok_or(SkipReason::Unsupported)?,
        None => match kty {
            KeyType::Oct => Algorithm::Hs256,
            KeyType::Okp => Algorithm::EdDsa,
            KeyType::Ec | KeyType::Rsa => return Err(SkipReason::Unsupported.into()),
        },
    };

    let (material, private) = match kty {
        KeyType::Okp => {
            if required(crv)? != b"Ed25519" {
                return Err(SkipReason::Unsupported.into());
            }
            let mut x_buf = [0u8; SHORT_MEMBER_LEN];
            let x = text(raw, required(m.x)?, &mut x_buf)?;
            let mut public = [0u8; 32];
            match Base64UrlUnpadded::decode(x, &mut public) {
                Ok(decoded) if decoded.len() == 32 => {}
                _ => return Err(SkipReason::InvalidKey.into()),
            }
            (Material::Ed25519(ed25519_key(&public)?), m.d.is_some())
        }
        KeyType::Oct => {
            let mut k_text = Zeroizing::new([0u8; MAX_K_TEXT_LEN]);
            let k = text(raw, required(m.k)?, &mut k_text[..])?;
            if k.len() * 3 / 4 > MAX_HMAC_KEY_LEN {
                return Err(SkipReason::MemberTooLarge.into());
            }
            let mut secret = Zeroizing::new([0u8; MAX_HMAC_KEY_LEN]);
            let secret = Base64UrlUnpadded::decode(k, &mut secret[..])
                .map_err(|_| SkipReason::InvalidKey)?;
            (Material::Hs256(hmac_key(secret)?), false)
        }
        KeyType::Ec | KeyType::Rsa => return Err(SkipReason::Unsupported.into()),
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
    let key = Key { kid, material };
    if key.algorithm() != algorithm {
        return Err(SkipReason::Unsupported.into());
    }
    Ok((key, private))
}

fn required<T>(member: Option<T>) -> Result<T, SkipReason> {
    member.ok_or(SkipReason::MissingMember)
}

/// `use` (RFC 7517 §4.2) and `key_ops` (§4.3) both allow signature verification.
fn meant_for_verification(raw: &[u8], m: &JwkMembers) -> Result<bool, Refusal> {
    if let Some(use_) = m.use_
        && text(raw, use_, &mut [0u8; SHORT_MEMBER_LEN])? != b"sig"
    {
        return Ok(false);
    }
    if let Some(ops) = m.key_ops {
        if ops.kind != Kind::Array {
            return Err(SkipReason::InvalidMember.into());
        }
        let mut verify = false;
        json::nested_elements(&raw[ops.start..ops.end], 4, |op| {
            if op.kind != Kind::String {
                return Err(Refusal::Skip(SkipReason::InvalidMember));
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
fn text<'b>(raw: &[u8], value: Value, buf: &'b mut [u8]) -> Result<&'b [u8], SkipReason> {
    if value.kind != Kind::String {
        return Err(SkipReason::InvalidMember);
    }
    let (start, end) = value.inner();
    let len = json::unescape_into(&raw[start..end], buf).ok_or(SkipReason::MemberTooLarge)?;
    Ok(&buf[..len])
}
