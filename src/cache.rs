//! A cache of recently verified tokens: a client presents the same token on every request for
//! its lifetime, so a gateway can skip the signature and the parsing the second time.
//!
//! Safe because it is exact: an entry is the whole token, compared byte for byte, filled only
//! after a full verification by the same verifier. What depends on the time (`exp`, `nbf`,
//! `iat`) is checked again on every hit; everything else a policy checks is decided by the token
//! alone. Caller-owned memory, no allocation; one set of slots per thread.

use crate::error::Error;
use crate::verify::{Claims, Scratch, Verifier, check_time};

/// Longest token a cache slot holds; longer tokens are verified every time.
pub const MAX_CACHED_TOKEN_LEN: usize = 1024;

/// One cached token with its claims (about 15 KiB).
#[derive(Clone)]
pub struct CacheSlot {
    /// Address of the verifier that filled the slot; 0 when empty.
    owner: usize,
    token_len: u16,
    /// `exp`, or `i64::MAX` without one: the soonest to expire is evicted first.
    expires: i64,
    token: [u8; MAX_CACHED_TOKEN_LEN],
    claims: Scratch,
}

impl Default for CacheSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for CacheSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CacheSlot")
            .field("filled", &(self.owner != 0))
            .finish_non_exhaustive()
    }
}

impl CacheSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        CacheSlot {
            owner: 0,
            token_len: 0,
            expires: 0,
            token: [0; MAX_CACHED_TOKEN_LEN],
            claims: Scratch::new(),
        }
    }

    /// Empties the slot.
    pub fn clear(&mut self) {
        self.owner = 0;
        self.token_len = 0;
        self.claims.forget_claims();
    }

    fn holds(&self, owner: usize, token: &[u8]) -> bool {
        self.owner == owner
            && usize::from(self.token_len) == token.len()
            // Tokens of one client share their header: compare the signature end first.
            && self.token[..token.len()].ends_with(&token[token.len().saturating_sub(16)..])
            && &self.token[..token.len()] == token
    }
}

impl Verifier {
    /// [`verify`](Verifier::verify), remembering tokens that verified in `slots` and answering
    /// from them when the same token comes again: then only `exp`, `nbf` and `iat` are checked.
    ///
    /// Use the slots with this verifier only (a slot records which verifier filled it, by
    /// address; [`CacheSlot::clear`] them if a verifier is replaced by one at the same address).
    /// The claims are always in `scratch`, so a slot can be reused while they are read.
    pub fn verify_cached<'s>(
        &self,
        token: &[u8],
        now: i64,
        slots: &mut [CacheSlot],
        scratch: &'s mut Scratch,
    ) -> Result<Claims<'s>, Error> {
        let owner = self as *const Verifier as usize;
        if let Some(slot) = slots.iter_mut().find(|s| s.holds(owner, token)) {
            scratch.copy_claims_from(&slot.claims);
            if let Err(e) = check_time(self.policy(), scratch, now) {
                slot.clear();
                scratch.forget_claims();
                return Err(e);
            }
            return Ok(Claims::of(scratch));
        }
        let claims = self.verify(token, now, scratch)?;
        if token.len() <= MAX_CACHED_TOKEN_LEN
            && let Some(victim) = eviction_candidate(slots)
        {
            victim.owner = owner;
            victim.token_len = token.len() as u16;
            victim.token[..token.len()].copy_from_slice(token);
            victim.expires = claims.exp().unwrap_or(i64::MAX);
            victim.claims.copy_claims_from(claims.scratch());
            debug_assert!(victim.claims.holds_claims());
        }
        Ok(claims)
    }
}

/// An empty slot, or else the one whose token expires soonest.
fn eviction_candidate(slots: &mut [CacheSlot]) -> Option<&mut CacheSlot> {
    slots
        .iter_mut()
        .min_by_key(|s| if s.owner == 0 { i64::MIN } else { s.expires })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(expires: i64) -> CacheSlot {
        let mut s = CacheSlot::new();
        s.owner = 1;
        s.expires = expires;
        s
    }

    #[test]
    fn an_empty_slot_is_taken_first() {
        let mut slots = [filled(5), CacheSlot::new(), filled(1)];
        let victim = eviction_candidate(&mut slots).unwrap();
        assert_eq!(victim.owner, 0);
    }

    #[test]
    fn when_full_the_soonest_to_expire_goes() {
        let mut slots = [filled(500), filled(10), filled(400)];
        assert_eq!(eviction_candidate(&mut slots).unwrap().expires, 10);
    }

    #[test]
    fn a_cleared_slot_is_empty() {
        let mut s = filled(3);
        s.clear();
        assert_eq!(s.owner, 0);
    }
}
