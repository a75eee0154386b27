//! Client secrets: stored only as Argon2id PHC hashes, checked without timing leaks.
//!
//! Argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane) costs tens of milliseconds per
//! check, which is the point for a stolen hash and the bottleneck for a token endpoint. A secret
//! that verified is remembered for a while as an HMAC under a per-process key, so a client asking
//! again skips Argon2; a wrong or unknown secret always pays the full cost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::keys::random;

/// Hashes a secret with Argon2id and the default (OWASP) parameters, with a random salt.
pub fn hash_secret(secret: &[u8]) -> String {
    Argon2::default()
        .hash_password(secret)
        .expect("Argon2id with default parameters hashes any secret")
        .to_string()
}

/// Checks that a PHC string is an Argon2id hash this issuer can verify.
pub fn parse_hash(phc: &str) -> Result<(), String> {
    let hash = PasswordHash::new(phc).map_err(|e| format!("not a PHC string ({e})"))?;
    if hash.algorithm.as_str() != "argon2id" {
        return Err(format!("{} is not Argon2id", hash.algorithm.as_str()));
    }
    Ok(())
}

/// Verifies client secrets, with a cache of recent successes.
pub struct SecretVerifier {
    /// A hash of a random secret with the same parameters as the first client's, checked
    /// when the client is unknown so that an unknown client costs the same as a wrong secret.
    decoy: String,
    cache_key: Zeroizing<[u8; 32]>,
    ttl: Duration,
    cache: Mutex<HashMap<String, Remembered>>,
}

/// A secret that verified: its HMAC, and until when it is trusted.
struct Remembered {
    tag: Zeroizing<[u8; 32]>,
    until: Instant,
}

impl SecretVerifier {
    pub fn new(first_hash: Option<&str>, ttl: Duration) -> Self {
        let decoy_secret = Zeroizing::new(random::<32>());
        let params = first_hash
            .and_then(|h| PasswordHash::new(h).ok())
            .and_then(|h| argon2::Params::try_from(&h).ok())
            .unwrap_or_default();
        let decoy = Argon2::from(params)
            .hash_password(&*decoy_secret)
            .expect("Argon2id hashes any secret")
            .to_string();
        SecretVerifier {
            decoy,
            cache_key: Zeroizing::new(random::<32>()),
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn tag(&self, client_id: &str, secret: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&*self.cache_key).expect("any key length");
        mac.update(&(client_id.len() as u64).to_be_bytes());
        mac.update(client_id.as_bytes());
        mac.update(secret);
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// Whether `secret` is the secret of the client whose stored hash is `hash` (`None`: no such
    /// client, which is checked against the decoy and always fails).
    pub fn verify(&self, client_id: &str, hash: Option<&str>, secret: &[u8]) -> bool {
        let Some(hash) = hash else {
            let _ = Argon2::default().verify_password(secret, self.decoy.as_str());
            return false;
        };
        let tag = self.tag(client_id, secret);
        if !self.ttl.is_zero() {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(known) = cache.get(client_id)
                && Instant::now() < known.until
                && bool::from(known.tag.ct_eq(&*tag))
            {
                return true;
            }
        }
        let ok = Argon2::default().verify_password(secret, hash).is_ok();
        if ok && !self.ttl.is_zero() {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let until = Instant::now() + self.ttl;
            cache.insert(client_id.to_string(), Remembered { tag, until });
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_secret_verifies_and_a_wrong_one_does_not() {
        let hash = hash_secret(b"s3cret");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let v = SecretVerifier::new(Some(&hash), Duration::ZERO);
        assert!(v.verify("c", Some(&hash), b"s3cret"));
        assert!(!v.verify("c", Some(&hash), b"s3cre"));
        assert!(!v.verify("c", None, b"s3cret"));
    }

    #[test]
    fn the_cache_only_remembers_the_right_secret() {
        let hash = hash_secret(b"right");
        let v = SecretVerifier::new(Some(&hash), Duration::from_secs(60));
        assert!(v.verify("c", Some(&hash), b"right"));
        assert!(v.verify("c", Some(&hash), b"right"));
        assert!(!v.verify("c", Some(&hash), b"wrong"));
        assert!(!v.verify("other", Some(&hash), b"wrong"));
    }

    #[test]
    fn only_argon2id_hashes_are_accepted() {
        assert!(parse_hash(&hash_secret(b"x")).is_ok());
        assert!(parse_hash("plain-text-secret").is_err());
        assert!(
            parse_hash("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA").is_err()
        );
    }
}
