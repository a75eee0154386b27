//! Verifying a token into caller-provided scratch memory.

use core::ffi::c_void;

use tollgate::{Cache, CacheSlot, Scratch};

use crate::boundary::{arg, arg_mut, bytes, caller_memory, guard, infallible};
use crate::claims::tollgate_claims;
use crate::handles::tollgate_verifier;
use crate::status::tollgate_status;

/// Bytes of scratch memory one verification needs (an upper bound that holds across versions).
pub const TOLLGATE_SCRATCH_SIZE: usize = 16384;
/// Alignment of scratch memory.
pub const TOLLGATE_SCRATCH_ALIGN: usize = 8;

const _: () = {
    assert!(size_of::<Scratch>() <= TOLLGATE_SCRATCH_SIZE);
    assert!(align_of::<Scratch>() <= TOLLGATE_SCRATCH_ALIGN);
};

/// Verifies `token` (`token_len` bytes, not NUL-terminated) at `now` (unix seconds) in `scratch`,
/// which must be at least `TOLLGATE_SCRATCH_SIZE` bytes aligned to `TOLLGATE_SCRATCH_ALIGN`; its
/// prior contents do not matter. Allocates nothing.
///
/// On success `*claims` (when `claims` is not NULL) points into `scratch`: the claims stay valid
/// until the scratch is reused or released. One scratch per concurrent verification; the
/// verifier itself may be shared by any number of threads.
///
/// Returns `TOLLGATE_STATUS_OK` or the reason the token is rejected (1–21).
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_verify(
    verifier: *const tollgate_verifier,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: *mut c_void,
    scratch_len: usize,
    claims: *mut *const tollgate_claims,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes a live verifier; it is only read.
        let verifier = unsafe { arg(verifier) }?;
        // SAFETY: the caller passes `token_len` readable bytes.
        let token = unsafe { bytes(token, token_len) }?;
        let scratch = scratch_arg(scratch, scratch_len)?;
        verifier.verifier.verify(token, now, scratch)?;
        point_at_claims(claims, scratch);
        Ok(())
    })
}

/// The scratch argument of a verification, checked.
fn scratch_arg<'a>(
    scratch: *mut c_void,
    scratch_len: usize,
) -> Result<&'a mut Scratch, tollgate_status> {
    let scratch = caller_memory::<Scratch>(scratch.cast(), scratch_len, TOLLGATE_SCRATCH_SIZE)?;
    // SAFETY: checked for NULL, size and alignment; the caller gives this thread exclusive use
    // of the memory for the call. `Scratch` holds only integers and bytes, any bit pattern is
    // valid, and verification reads nothing it has not written in this call.
    Ok(unsafe { &mut *scratch })
}

/// Hands the claims (the scratch itself) back through an optional out-parameter.
fn point_at_claims(claims: *mut *const tollgate_claims, scratch: &Scratch) {
    if !claims.is_null() {
        // SAFETY: non-NULL; the caller provides a writable pointer slot.
        unsafe { claims.write((scratch as *const Scratch).cast()) };
    }
}

/// Most slots a cache may have.
pub const TOLLGATE_CACHE_MAX_SLOTS: usize = 4096;

/// Recently verified tokens of one verifier, with their claims. Used by one thread at a time.
pub struct tollgate_cache {
    /// `'static` stands for the C contract: the verifier outlives the cache and is not changed.
    cache: Cache<'static, Vec<CacheSlot>>,
}

/// Creates a cache of `slots` verified tokens (each about 15 KiB; at most
/// `TOLLGATE_CACHE_MAX_SLOTS`) for `verifier`, which must outlive it. A client presents the same
/// token until it expires; with a cache, a repeated token costs a comparison instead of a
/// signature check: `exp`, `nbf` and `iat` are still checked on every hit.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_cache_new(
    verifier: *const tollgate_verifier,
    slots: usize,
    out: *mut *mut tollgate_cache,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes a live verifier that outlives the cache and is not changed
        // meanwhile (documented above); the cache borrows it for that long.
        let verifier: &'static tollgate_verifier = unsafe { arg(verifier) }?;
        if out.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        if slots == 0 || slots > TOLLGATE_CACHE_MAX_SLOTS {
            return Err(tollgate_status::InvalidArgument);
        }
        let mut v = Vec::new();
        v.try_reserve_exact(slots)
            .map_err(|_| tollgate_status::OutOfMemory)?;
        v.resize_with(slots, CacheSlot::new);
        let cache = Box::new(tollgate_cache {
            cache: Cache::new(&verifier.verifier, v),
        });
        // SAFETY: checked non-NULL above; the caller provides a writable pointer slot.
        unsafe { out.write(Box::into_raw(cache)) };
        Ok(())
    })
}

/// Releases a cache. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_cache_free(cache: *mut tollgate_cache) {
    infallible((), || {
        if !cache.is_null() {
            // SAFETY: the caller passes a cache from `tollgate_cache_new`, never used again.
            drop(unsafe { Box::from_raw(cache) });
        }
    })
}

/// `tollgate_verify` through `cache`, with the cache's verifier: a token verified before is
/// answered from the cache after its time claims are checked again; a token that verifies is
/// remembered. The claims are always written to `scratch`, as with `tollgate_verify`.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_verify_cached(
    cache: *mut tollgate_cache,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: *mut c_void,
    scratch_len: usize,
    claims: *mut *const tollgate_claims,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes a live cache that no other thread uses during the call.
        let cache = unsafe { arg_mut(cache) }?;
        // SAFETY: the caller passes `token_len` readable bytes.
        let token = unsafe { bytes(token, token_len) }?;
        let scratch = scratch_arg(scratch, scratch_len)?;
        cache.cache.verify(token, now, scratch)?;
        point_at_claims(claims, scratch);
        Ok(())
    })
}
