//! A cache of recently verified tokens: a client presents the same token on every request for
//! its lifetime, so a gateway can skip the signature and the parsing the second time.
//!
//! Safe because it is exact: an entry is the whole token, compared byte for byte, filled only
//! after a full verification by the cache's own verifier. What depends on the time (`exp`,
//! `nbf`, `iat`) is checked again on every hit; everything else a policy checks is decided by
//! the token alone. Caller-owned memory, no allocation; one cache per thread.
//!
//! A [`Cache`] borrows its verifier for as long as it lives, and empties the slots it is given,
//! so a slot can only ever answer for the verifier that filled it. A verifier cannot be replaced
//! while a cache borrows it, not even by one built at the same address:
//!
//! ```compile_fail,E0506
//! # use tollgate::{Cache, CacheSlot, KeySet, Policy, Scratch, Verifier};
//! # let keys = || KeySet::new();
//! let mut verifier = Verifier::new(keys(), Policy::default());
//! let mut slots = [CacheSlot::new()];
//! let mut cache = Cache::new(&verifier, &mut slots[..]);
//! verifier = Verifier::new(keys(), Policy::default()); // error: `verifier` is borrowed
//! cache.verify(b"a.b.c", 0, &mut Scratch::new());
//! ```
//!
//! Nor changed in place: new keys or a new policy would leave the slots answering for the old.
//!
//! ```compile_fail,E0502
//! # use tollgate::{Cache, CacheSlot, Scratch, Verifier};
//! let mut verifier = Verifier::empty();
//! let mut slots = [CacheSlot::new()];
//! let mut cache = Cache::new(&verifier, &mut slots[..]);
//! let _ = verifier.load_jwks(b"{\"keys\":[]}"); // error: `verifier` is borrowed
//! let _ = verifier.set_policy(|p| {
//!     p.issuer("https://other.example");
//! });
//! cache.verify(b"a.b.c", 0, &mut Scratch::new());
//! ```

use crate::claims::Claims;
use crate::error::Error;
use crate::policy::check_time;
use crate::scratch::Scratch;
use crate::verify::Verifier;

/// Longest token a cache slot holds; longer tokens are verified every time.
pub const MAX_CACHED_TOKEN_LEN: usize = 1024;

/// Storage for one cached token with its claims (about 15 KiB). Slots do nothing on their own:
/// a [`Cache`] fills and reads them.
#[derive(Clone)]
pub struct CacheSlot {
    filled: bool,
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
            .field("filled", &self.filled)
            .finish_non_exhaustive()
    }
}

impl CacheSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        CacheSlot {
            filled: false,
            token_len: 0,
            expires: 0,
            token: [0; MAX_CACHED_TOKEN_LEN],
            claims: Scratch::new(),
        }
    }

    /// Empties the slot.
    pub fn clear(&mut self) {
        self.filled = false;
        self.token_len = 0;
        self.claims.forget_claims();
    }

    fn holds(&self, token: &[u8]) -> bool {
        self.filled
            && usize::from(self.token_len) == token.len()
            // Tokens of one client share their header: compare the signature end first.
            && self.token[..token.len()].ends_with(&token[token.len().saturating_sub(16)..])
            && &self.token[..token.len()] == token
    }
}

/// Recently verified tokens of one verifier, kept in caller-provided slots `S` (an array, a
/// `&mut [CacheSlot]`, a `Vec<CacheSlot>`: anything that is `AsMut<[CacheSlot]>`).
///
/// The cache borrows its verifier, so the verifier outlives it and cannot change under it.
pub struct Cache<'v, S> {
    verifier: &'v Verifier,
    slots: S,
}

impl<S> core::fmt::Debug for Cache<'_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

impl<'v, S: AsMut<[CacheSlot]>> Cache<'v, S> {
    /// A cache for `verifier` in `slots`, which it empties first: whatever they held belonged
    /// to another cache.
    pub fn new(verifier: &'v Verifier, mut slots: S) -> Self {
        slots.as_mut().iter_mut().for_each(CacheSlot::clear);
        Cache { verifier, slots }
    }

    /// The verifier this cache answers for.
    pub fn verifier(&self) -> &'v Verifier {
        self.verifier
    }

    /// Gives the slots back. A new cache empties them before use.
    pub fn into_slots(self) -> S {
        self.slots
    }

    /// [`Verifier::verify`], remembering tokens that verified and answering from the slots when
    /// the same token comes again: then only `exp`, `nbf` and `iat` are checked.
    ///
    /// The claims are always in `scratch`, so a slot can be reused while they are read.
    pub fn verify<'s>(
        &mut self,
        token: &[u8],
        now: i64,
        scratch: &'s mut Scratch,
    ) -> Result<Claims<'s>, Error> {
        let slots = self.slots.as_mut();
        if let Some(slot) = slots.iter_mut().find(|s| s.holds(token)) {
            scratch.copy_claims_from(&slot.claims);
            if let Err(e) = check_time(self.verifier.policy(), scratch, now) {
                slot.clear();
                scratch.forget_claims();
                return Err(e);
            }
            return Ok(Claims::of(scratch));
        }
        let claims = self.verifier.verify(token, now, scratch)?;
        if token.len() <= MAX_CACHED_TOKEN_LEN
            && let Some(victim) = eviction_candidate(slots)
        {
            victim.filled = true;
            victim.token_len = token.len() as u16;
            victim.token[..token.len()].copy_from_slice(token);
            victim.expires = claims.exp().unwrap_or(i64::MAX);
            victim.claims.copy_claims_from(claims.scratch());
            debug_assert!(victim.claims.holds_claims());
        }
        Ok(claims)
    }
}

impl Verifier {
    /// A [`Cache`] of this verifier's verdicts in `slots`. See [`Cache::new`].
    pub fn cache<S: AsMut<[CacheSlot]>>(&self, slots: S) -> Cache<'_, S> {
        Cache::new(self, slots)
    }
}

/// An empty slot, or else the one whose token expires soonest.
fn eviction_candidate(slots: &mut [CacheSlot]) -> Option<&mut CacheSlot> {
    slots
        .iter_mut()
        .min_by_key(|s| if s.filled { s.expires } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(expires: i64) -> CacheSlot {
        let mut s = CacheSlot::new();
        s.filled = true;
        s.expires = expires;
        s
    }

    #[test]
    fn an_empty_slot_is_taken_first() {
        let mut slots = [filled(5), CacheSlot::new(), filled(1)];
        let victim = eviction_candidate(&mut slots).unwrap();
        assert!(!victim.filled);
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
        assert!(!s.filled);
    }

    #[test]
    fn a_new_cache_empties_the_slots_it_is_given() {
        let verifier = Verifier::new(crate::KeySet::new(), crate::Policy::default());
        let cache = Cache::new(&verifier, [filled(5), filled(7)]);
        assert!(cache.into_slots().iter().all(|s| !s.filled));
    }
}
