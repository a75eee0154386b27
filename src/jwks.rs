//! Loading a JWKS document (RFC 7517 §5) into a [`KeySet`], and the [`LoadReport`] of what was
//! kept and what was skipped.
//!
//! Keys that are unsupported, malformed or missing members are skipped and counted, never fatal
//! to the set. What a skip would hide stays an error: a key labelled with an algorithm of another
//! key type or curve, two usable keys with one `kid` and algorithm, more keys than the set holds,
//! and a document that brings no usable key. The README explains each choice.

use base64ct::{Base64UrlUnpadded, Encoding};
use zeroize::Zeroizing;

#[cfg(feature = "rsa")]
use crate::alg::rsa;
use crate::alg::{Algorithm, Material, eddsa, hmac};
use crate::error::{JwksError, JwksErrorKind, SkipReason};
use crate::json::{self, JsonError, Kind, Value};
use crate::keys::{Key, KeySet, Kid, MAX_KID_LEN};

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

impl SkippedKey {
    /// The skipped key's `kid` as written in `jwks`, the document the report is about (see
    /// [`jwk_kid`]).
    pub fn kid<'d>(&self, jwks: &'d [u8]) -> Option<&'d [u8]> {
        jwk_kid(jwks, self.key_index)
    }
}

/// The `kid` of `keys[key_index]` in a JWKS document, as written: the JSON text between the
/// quotes with its escapes (`\u0007` stays six characters), so any bytes a JSON string may
/// hold, non-ASCII UTF-8 included. `None` when there is no such key, the key has no string
/// `kid` or its members cannot be read. For naming skipped keys in logs: the report keeps
/// indexes, not copies, so it stays small; the document is read again only when asked.
pub fn jwk_kid(jwks: &[u8], key_index: u16) -> Option<&[u8]> {
    // A document `add_jwks` refuses (two `keys` members, say) had no kid loaded.
    let raw = keys_array(jwks).ok()?;
    // Counted wide: a saturating u16 would match every entry past 65535.
    let (mut index, mut found) = (0usize, None);
    json::nested_elements(raw, 2, |entry| {
        if index == usize::from(key_index) && entry.kind == Kind::Object {
            found = Some(entry);
        }
        index += 1;
        Ok::<(), JsonError>(())
    })
    .ok()?;
    let entry = found?;
    let jwk = &raw[entry.start..entry.end];
    let kid = JwkMembers::read(jwk)
        .ok()?
        .kid
        .filter(|v| v.kind == Kind::String)?;
    let (start, end) = kid.inner();
    Some(&jwk[start..end])
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

impl KeySet {
    /// Loads a JWKS document into a new set. See [`KeySet::add_jwks`].
    pub fn from_jwks(jwks: &[u8]) -> Result<(Self, LoadReport), JwksError> {
        let mut set = KeySet::new();
        let report = set.add_jwks(jwks)?;
        Ok((set, report))
    }

    /// Adds the usable keys of a JWKS document (RFC 7517 §5), all or nothing: on error the set is
    /// as it was.
    ///
    /// Each key is bound to its `alg`, or without one to its type's usual algorithm (OKP →
    /// EdDSA, oct → HS256, P-256 → ES256, P-384 → ES384, RSA → RS256). Keys that are unsupported,
    /// not meant for signatures or malformed are skipped and reported; see [`JwksErrorKind`] for
    /// what fails the load instead.
    pub fn add_jwks(&mut self, jwks: &[u8]) -> Result<LoadReport, JwksError> {
        let before = self.len();
        self.add_jwks_entries(jwks).map_err(|mut e| {
            // Nothing stays loaded: the report of an error only says what was skipped.
            self.truncate(before);
            e.report.loaded = 0;
            e.report.private_members_ignored = 0;
            e
        })
    }

    fn add_jwks_entries(&mut self, jwks: &[u8]) -> Result<LoadReport, JwksError> {
        let raw = keys_array(jwks)?;
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
                    self.push(key).map_err(|kind| fatal(kind, report))?;
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
}

/// The text of the document's one `keys` array (RFC 7517 §5); a second `keys` member, or none
/// that is an array, refuses the document.
fn keys_array(jwks: &[u8]) -> Result<&[u8], JwksError> {
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
    match keys_array {
        Some(v) if v.kind == Kind::Array => Ok(&jwks[v.start..v.end]),
        _ => Err(JwksError::set(JwksErrorKind::NotAKeySet)),
    }
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

/// The algorithm a key without `alg` is bound to: its type's usual one (`None`: a curve or type
/// we have no usual algorithm for).
fn usual_algorithm(kty: KeyType, crv: &[u8]) -> Option<Algorithm> {
    Some(match (kty, crv) {
        (KeyType::Oct, _) => Algorithm::Hs256,
        (KeyType::Rsa, _) => Algorithm::Rs256,
        (KeyType::Okp, b"Ed25519") => Algorithm::EdDsa,
        (KeyType::Ec, b"P-256") => Algorithm::Es256,
        (KeyType::Ec, b"P-384") => Algorithm::Es384,
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
    y: Option<Value>,
    k: Option<Value>,
    n: Option<Value>,
    e: Option<Value>,
    d: Option<Value>,
}

impl JwkMembers {
    fn read(raw: &[u8]) -> Result<Self, Refusal> {
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
                (b"y", &mut m.y),
                (b"k", &mut m.k),
                (b"n", &mut m.n),
                (b"e", &mut m.e),
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
        Ok(m)
    }
}

const SHORT_MEMBER_LEN: usize = 64;
/// Longest `k` we read: the base64url of [`MAX_HMAC_KEY_LEN`](hmac::MAX_HMAC_KEY_LEN) bytes.
const MAX_K_TEXT_LEN: usize = hmac::MAX_HMAC_KEY_LEN.div_ceil(3) * 4;

fn parse_jwk(raw: &[u8]) -> Result<Jwk, Refusal> {
    let m = JwkMembers::read(raw)?;
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
    let algorithm = match (alg, kty) {
        (Some(alg), _) => Algorithm::from_jose(alg),
        (None, KeyType::Oct | KeyType::Rsa) => usual_algorithm(kty, b""),
        (None, KeyType::Okp | KeyType::Ec) => usual_algorithm(kty, required(crv)?),
    };
    let algorithm = algorithm
        .filter(|a| a.is_enabled())
        .ok_or(SkipReason::Unsupported)?;

    // Read before the material: a key skipped for its `kid` must not first cost an RSA key's
    // Montgomery set-up, or a document could buy that work once per entry.
    let kid = m.kid.map(|v| kid(raw, v)).transpose()?;
    let material = match kty {
        KeyType::Okp => okp_material(raw, &m, required(crv)?)?,
        KeyType::Oct => oct_material(raw, &m)?,
        #[cfg(any(feature = "p256", feature = "p384"))]
        KeyType::Ec => ec_material(raw, &m, required(crv)?)?,
        #[cfg(not(any(feature = "p256", feature = "p384")))]
        KeyType::Ec => return Err(SkipReason::Unsupported.into()),
        #[cfg(feature = "rsa")]
        KeyType::Rsa => rsa_material(raw, &m)?,
        #[cfg(not(feature = "rsa"))]
        KeyType::Rsa => return Err(SkipReason::Unsupported.into()),
    };
    let key = Key::new(kid, algorithm, material).ok_or(SkipReason::Unsupported)?;
    let private = kty != KeyType::Oct && m.d.is_some();
    Ok((key, private))
}

/// An `OKP` key (RFC 8037 §2): `x` is the 32-byte Ed25519 public key.
fn okp_material(raw: &[u8], m: &JwkMembers, crv: &[u8]) -> Result<Material, SkipReason> {
    if crv != b"Ed25519" {
        return Err(SkipReason::Unsupported);
    }
    let mut public = [0u8; 32];
    decode_exact(raw, required(m.x)?, &mut public)?;
    Ok(Material::Ed25519(eddsa::public_key(&public)?))
}

/// An `oct` key (RFC 7518 §6.4): `k` is the secret, decoded into memory wiped afterwards.
fn oct_material(raw: &[u8], m: &JwkMembers) -> Result<Material, SkipReason> {
    let mut k_text = Zeroizing::new([0u8; MAX_K_TEXT_LEN]);
    let k = text(raw, required(m.k)?, &mut k_text[..])?;
    if k.len() * 3 / 4 > hmac::MAX_HMAC_KEY_LEN {
        return Err(SkipReason::MemberTooLarge);
    }
    let mut secret = Zeroizing::new([0u8; hmac::MAX_HMAC_KEY_LEN]);
    let secret =
        Base64UrlUnpadded::decode(k, &mut secret[..]).map_err(|_| SkipReason::InvalidKey)?;
    Ok(Material::Hmac(hmac::secret(secret)?))
}

/// An `EC` key (RFC 7518 §6.2): `x` and `y` are the full-length big-endian coordinates of a
/// point that must lie on the curve. `x5c`, `x5t` and `x5t#S256` are never read.
#[cfg(any(feature = "p256", feature = "p384"))]
fn ec_material(raw: &[u8], m: &JwkMembers, crv: &[u8]) -> Result<Material, SkipReason> {
    match crv {
        #[cfg(feature = "p256")]
        b"P-256" => {
            use crate::alg::ecdsa::p256::{COORDINATE_LEN, public_key};
            let (x, y) = coordinates::<COORDINATE_LEN>(raw, m)?;
            Ok(Material::P256(public_key(&x, &y)?))
        }
        #[cfg(feature = "p384")]
        b"P-384" => {
            use crate::alg::ecdsa::p384::{COORDINATE_LEN, public_key};
            let (x, y) = coordinates::<COORDINATE_LEN>(raw, m)?;
            Ok(Material::P384(public_key(&x, &y)?))
        }
        _ => Err(SkipReason::Unsupported),
    }
}

#[cfg(any(feature = "p256", feature = "p384"))]
fn coordinates<const N: usize>(
    raw: &[u8],
    m: &JwkMembers,
) -> Result<([u8; N], [u8; N]), SkipReason> {
    let (x, y) = (required(m.x)?, required(m.y)?);
    let mut out = ([0u8; N], [0u8; N]);
    decode_exact(raw, x, &mut out.0)?;
    decode_exact(raw, y, &mut out.1)?;
    Ok(out)
}

/// Longest `n` we read: the base64url of a 4096-bit modulus, rounded up to whole quanta; the
/// decoded bytes then reach the size check, which names a larger key as such.
#[cfg(feature = "rsa")]
const MAX_N_TEXT_LEN: usize = (rsa::MAX_MODULUS_BITS / 8).div_ceil(3) * 4;
#[cfg(feature = "rsa")]
const MAX_N_LEN: usize = MAX_N_TEXT_LEN / 4 * 3;

/// An `RSA` key (RFC 7518 §6.3.1): `n` and `e`, big-endian and minimal. Only these two are read;
/// `x5c`, `x5t` and `x5t#S256` never find or supply a key. Moduli below 2048 bits are skipped as
/// too short (§3.3).
#[cfg(feature = "rsa")]
fn rsa_material(raw: &[u8], m: &JwkMembers) -> Result<Material, SkipReason> {
    let mut n_text = [0u8; MAX_N_TEXT_LEN];
    let n_text = text(raw, required(m.n)?, &mut n_text)?;
    let mut n = [0u8; MAX_N_LEN];
    let n = Base64UrlUnpadded::decode(n_text, &mut n).map_err(|_| SkipReason::InvalidKey)?;
    let mut e_text = [0u8; SHORT_MEMBER_LEN];
    let e_text = text(raw, required(m.e)?, &mut e_text)?;
    let mut e = [0u8; 8];
    let e = Base64UrlUnpadded::decode(e_text, &mut e).map_err(|_| SkipReason::InvalidKey)?;
    Ok(Material::Rsa(rsa::public_key(n, e)?))
}

/// Decodes a base64url member that must be exactly `out.len()` bytes (canonical, unpadded).
fn decode_exact(raw: &[u8], value: Value, out: &mut [u8]) -> Result<(), SkipReason> {
    let mut encoded = [0u8; 2 * SHORT_MEMBER_LEN + 4];
    let encoded = text(raw, value, &mut encoded)?;
    let want = out.len();
    match Base64UrlUnpadded::decode(encoded, out) {
        Ok(decoded) if decoded.len() == want => Ok(()),
        _ => Err(SkipReason::InvalidKey),
    }
}

fn kid(raw: &[u8], value: Value) -> Result<Kid, SkipReason> {
    let mut kid = Kid::new();
    kid.resize_default(MAX_KID_LEN).ok();
    let len = text(raw, value, &mut kid)?.len();
    kid.truncate(len);
    Ok(kid)
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
