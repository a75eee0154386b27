//! Client secrets: stored only as Argon2id PHC hashes, checked without timing leaks.
//!
//! Argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane) costs tens of milliseconds per
//! check, which is the point for a stolen hash and the bottleneck for a token endpoint. A secret
//! that verified is remembered for a while as an HMAC under a per-process key, so a client asking
//! again skips Argon2; a wrong or unknown secret always pays the full cost (see `gate` for how
//! that cost is bounded).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, CustomizedPasswordHasher, Params, PasswordHasher, Version};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::keys::random;

/// Hashes a secret with Argon2id and the default (OWASP) parameters, with a random salt.
pub fn hash_secret(secret: &[u8]) -> String {
    Argon2::default()
        .hash_password(secret)
        .expect("Argon2id with default parameters hashes any secret")
        .to_string()
}

/// The Argon2id configurations OWASP's Password Storage Cheat Sheet lists as equivalent minimums
/// (memory in KiB, passes), all with one lane. A hash at or above one of them is not weak.
pub const OWASP_MINIMUMS: [(u32, u32); 5] = [
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

/// More memory than this per check is refused: every concurrent verification holds it.
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;

/// The cost parameters of a usable hash, and whether they are below OWASP's minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strength {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    pub weak: bool,
}

impl std::fmt::Display for Strength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "m={},t={},p={}", self.m_kib, self.t, self.p)
    }
}

/// Checks that a PHC string is an Argon2id hash that some secret can verify against, and says
/// how strong it is. An `Err` names why no secret could ever match it.
pub fn check_hash(phc: &str) -> Result<Strength, String> {
    let hash = PasswordHash::new(phc).map_err(|e| format!("not a PHC string ({e})"))?;
    if hash.algorithm.as_str() != "argon2id" {
        return Err(format!("{} is not Argon2id", hash.algorithm.as_str()));
    }
    let (Some(salt), Some(output)) = (&hash.salt, &hash.hash) else {
        return Err("the PHC string has no salt or no hash".into());
    };
    let params = Params::try_from(&hash).map_err(|e| format!("invalid parameters ({e})"))?;
    if params.m_cost() > MAX_MEMORY_KIB {
        return Err(format!(
            "m={} KiB is more than {MAX_MEMORY_KIB} KiB per check",
            params.m_cost()
        ));
    }
    // Everything but the cost through the real code path, at the cheapest cost: salt length,
    // version and output length are what make a hash unverifiable.
    let cheap = Params::new(Params::MIN_M_COST, 1, 1, Some(output.len()))
        .map_err(|e| format!("invalid output length ({e})"))?;
    Argon2::default()
        .hash_password_customized(b"", salt, Some("argon2id"), hash.version, cheap)
        .map_err(|e| format!("cannot be verified ({e})"))?;
    let (m_kib, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
    let weak = !OWASP_MINIMUMS
        .iter()
        .any(|&(m0, t0)| m_kib >= m0 && t >= t0);
    Ok(Strength { m_kib, t, p, weak })
}

/// A hash of a random secret with `params`: what an unknown client is checked against, so that
/// it costs the same as a wrong secret for a known one.
pub fn decoy_hash(params: Params) -> String {
    let secret = Zeroizing::new(random::<32>());
    Argon2::from(params)
        .hash_password(&*secret)
        .expect("Argon2id hashes any secret with checked parameters")
        .to_string()
}

/// The Argon2 parameters most of `hashes` use (the first among equals); without any, the
/// OWASP defaults. The decoy for unknown clients is made with them.
pub fn usual_params<'a>(hashes: impl Iterator<Item = &'a str>) -> Params {
    let all: Vec<Params> = hashes.filter_map(params_of).collect();
    let key = |p: &Params| (p.m_cost(), p.t_cost(), p.p_cost());
    let mut best: Option<(usize, &Params)> = None;
    for p in &all {
        let count = all.iter().filter(|q| key(q) == key(p)).count();
        if best.is_none_or(|(most, _)| count > most) {
            best = Some((count, p));
        }
    }
    best.map(|(_, p)| p.clone()).unwrap_or_default()
}

/// The parameters of a PHC string, if it has valid ones.
pub fn params_of(phc: &str) -> Option<Params> {
    PasswordHash::new(phc)
        .ok()
        .and_then(|h| Params::try_from(&h).ok())
}

/// Whether `secret` matches `phc`. Costs a full Argon2id run: call it off the async reactor.
pub fn verify(secret: &[u8], phc: &str) -> bool {
    verify_in(secret, phc, &mut Vec::new())
}

/// [`verify`] in the caller's working memory, grown as the hash needs and wiped afterwards: a
/// thread that keeps it pays for its pages once, not on every check.
pub fn verify_in(secret: &[u8], phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(hash.algorithm.as_str()),
        Params::try_from(&hash),
    ) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut computed = Zeroizing::new(vec![0u8; expected.len()]);
    let done = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        secret,
        salt,
        &mut computed,
        &mut memory[..blocks],
    );
    memory[..blocks].iter_mut().for_each(Zeroize::zeroize);
    done.is_ok() && bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
}

/// Secrets that verified recently, as HMAC tags under a per-process key, one per client.
pub struct SecretCache {
    key: Zeroizing<[u8; 32]>,
    ttl: Duration,
    entries: Mutex<HashMap<String, Remembered>>,
}

/// A secret that verified: its tag, and when it verified.
struct Remembered {
    tag: Zeroizing<[u8; 32]>,
    verified: Instant,
}

impl SecretCache {
    /// A cache trusting a verified secret for `ttl` (zero turns it off).
    pub fn new(ttl: Duration) -> Self {
        SecretCache {
            key: Zeroizing::new(random::<32>()),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// This cache for a reloaded configuration with the clients `ids`: the same key, the
    /// entries of those clients, the new TTL (counted from when each secret verified). A client
    /// whose hash changed keeps an entry that can never match again; removed clients' go.
    pub fn carried_over(&self, ttl: Duration, ids: &[&str]) -> Self {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let kept = entries
            .iter()
            .filter(|(id, _)| ids.contains(&id.as_str()))
            .map(|(id, known)| {
                let remembered = Remembered {
                    tag: known.tag.clone(),
                    verified: known.verified,
                };
                (id.clone(), remembered)
            })
            .collect();
        SecretCache {
            key: self.key.clone(),
            ttl,
            entries: Mutex::new(kept),
        }
    }

    /// The tag binds the client, its stored hash and the secret: a changed hash never matches.
    fn tag(&self, client_id: &str, phc: &str, secret: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&*self.key).expect("any key length");
        for part in [client_id.as_bytes(), phc.as_bytes()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.update(secret);
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// Whether `secret` verified for this client and hash within the TTL.
    pub fn contains(&self, client_id: &str, phc: &str, secret: &[u8]) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let tag = self.tag(client_id, phc, secret);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(client_id).is_some_and(|known| {
            known.verified.elapsed() < self.ttl && bool::from(known.tag.ct_eq(&*tag))
        })
    }

    /// Remembers a secret that just verified. Entries are keyed by configured client ids only,
    /// so the map never grows past the number of clients.
    pub fn insert(&self, client_id: &str, phc: &str, secret: &[u8]) {
        if self.ttl.is_zero() {
            return;
        }
        let remembered = Remembered {
            tag: self.tag(client_id, phc, secret),
            verified: Instant::now(),
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(client_id.to_string(), remembered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phc(m: u32, t: u32, p: u32) -> String {
        Argon2::from(Params::new(m, t, p, None).unwrap())
            .hash_password(b"x")
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_hashed_secret_verifies_and_a_wrong_one_does_not() {
        let hash = hash_secret(b"s3cret");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(b"s3cret", &hash));
        assert!(!verify(b"s3cre", &hash));
    }

    /// The check in reused memory agrees with the argon2 crate's own verifier.
    #[test]
    fn verification_in_reused_memory_agrees_with_argon2() {
        use argon2::PasswordVerifier;
        let mut memory = Vec::new();
        for (m, t) in [(19_456, 2), (8, 1), (4_096, 3)] {
            let hash = phc(m, t, 1);
            for secret in [&b"x"[..], b"y", b""] {
                let theirs = Argon2::default()
                    .verify_password(secret, hash.as_str())
                    .is_ok();
                assert_eq!(
                    verify_in(secret, &hash, &mut memory),
                    theirs,
                    "m={m} {secret:?}"
                );
            }
        }
        assert!(
            memory.iter().all(|b| b.as_ref().iter().all(|w| *w == 0)),
            "wiped"
        );
        assert!(!verify_in(b"x", "not a hash", &mut memory));
    }

    #[test]
    fn the_cache_remembers_only_the_right_secret_for_the_same_hash() {
        let cache = SecretCache::new(Duration::from_secs(60));
        cache.insert("c", "hash-1", b"right");
        assert!(cache.contains("c", "hash-1", b"right"));
        assert!(!cache.contains("c", "hash-1", b"wrong"));
        assert!(!cache.contains("other", "hash-1", b"right"));
        assert!(
            !cache.contains("c", "hash-2", b"right"),
            "a changed hash is a changed secret"
        );
    }

    /// A reload keeps what was verified for clients still configured, under the same key, and
    /// forgets removed clients; a changed hash still never matches.
    #[test]
    fn a_carried_over_cache_keeps_only_configured_clients() {
        let cache = SecretCache::new(Duration::from_secs(60));
        cache.insert("kept", "hash-1", b"right");
        cache.insert("gone", "hash-1", b"right");
        let next = cache.carried_over(Duration::from_secs(60), &["kept"]);
        assert!(next.contains("kept", "hash-1", b"right"));
        assert!(!next.contains("kept", "hash-2", b"right"));
        assert!(!next.contains("gone", "hash-1", b"right"));
        assert_eq!(next.entries.lock().unwrap().len(), 1);
        let off = cache.carried_over(Duration::ZERO, &["kept"]);
        assert!(
            !off.contains("kept", "hash-1", b"right"),
            "a TTL of 0 turns it off"
        );
    }

    #[test]
    fn a_zero_ttl_cache_remembers_nothing() {
        let cache = SecretCache::new(Duration::ZERO);
        cache.insert("c", "h", b"s");
        assert!(!cache.contains("c", "h", b"s"));
    }

    #[test]
    fn only_argon2id_hashes_are_accepted() {
        assert!(check_hash(&hash_secret(b"x")).is_ok());
        assert!(check_hash("plain-text-secret").is_err());
        assert!(
            check_hash("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA").is_err()
        );
    }

    /// OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 or an equivalent configuration.
    #[test]
    fn hashes_below_the_owasp_minimum_are_weak() {
        assert!(!check_hash(&hash_secret(b"x")).unwrap().weak);
        assert!(!check_hash(&phc(7_168, 5, 1)).unwrap().weak);
        assert!(check_hash(&phc(19_455, 2, 1)).unwrap().weak);
        assert!(check_hash(&phc(19_456, 1, 1)).unwrap().weak);
        assert!(check_hash(&phc(4_096, 3, 1)).unwrap().weak);
    }

    #[test]
    fn hashes_that_can_never_verify_are_errors() {
        let good = hash_secret(b"x");
        // A salt shorter than Argon2's 8-byte minimum ("c2FsdA" is "salt").
        let short_salt =
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
        assert!(check_hash(short_salt).is_err(), "{short_salt}");
        // An Argon2 version that does not exist.
        assert!(check_hash(&good.replace("v=19", "v=99")).is_err());
        // Parameters Argon2 refuses: no passes; fewer than 8 KiB per lane.
        assert!(check_hash(&good.replace("t=2", "t=0")).is_err());
        assert!(check_hash(&good.replace("m=19456", "m=4")).is_err());
        // No hash part.
        let no_hash = good.rsplit_once('$').unwrap().0;
        assert!(check_hash(no_hash).is_err());
        // More memory per check than the issuer allows.
        assert!(check_hash(&good.replace("m=19456", "m=2097152")).is_err());
    }

    #[test]
    fn a_decoy_has_the_cost_it_was_given() {
        let params = params_of(&phc(8_192, 3, 1)).unwrap();
        let decoy = decoy_hash(params);
        assert!(decoy.contains("m=8192,t=3,p=1"), "{decoy}");
        assert!(!verify(b"anything", &decoy));
    }
}
