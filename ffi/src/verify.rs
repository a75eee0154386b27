//! Verifying a token into caller-provided scratch memory.

use core::ffi::c_void;

use tollgate::{Cache, CacheSlot, Scratch};

use crate::boundary::{
    Region, apart, arg, arg_mut, bytes, clear_of, guard, infallible, out_region, raw_region,
    region, write_out,
};
use crate::claims::tollgate_claims;
use crate::handles::tollgate_verifier;
use crate::scratch::{ScratchArg, tollgate_scratch};
use crate::status::tollgate_status;

/// Verifies `token` (`token_len` bytes, not NUL-terminated) at `now` (unix seconds) in `scratch`,
/// which must be at least `TOLLGATE_SCRATCH_SIZE` bytes aligned to `TOLLGATE_SCRATCH_ALIGN`; its
/// prior contents do not matter (it may be fresh from `malloc`: it is initialised on every
/// call; see `tollgate_scratch_init` to do that once). Allocates nothing.
///
/// On success `*claims` (when `claims` is not NULL) points into `scratch`: the claims stay valid
/// until the scratch is reused or released. One scratch per concurrent verification; the
/// verifier itself may be shared by any number of threads. The token, the verifier and `claims`
/// must not overlap the first `TOLLGATE_SCRATCH_SIZE` bytes of `scratch`, nor each other
/// (`TOLLGATE_STATUS_INVALID_ARGUMENT`).
///
/// Returns `TOLLGATE_STATUS_OK` or the reason the token is rejected (1–21).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_verify(
    verifier: *const tollgate_verifier,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: *mut c_void,
    scratch_len: usize,
    claims: *mut *const tollgate_claims,
) -> tollgate_status {
    let scratch = ScratchArg::Raw(scratch, scratch_len);
    guard(|| verify(verifier, token, token_len, now, scratch, claims))
}

/// `tollgate_verify` in scratch prepared by `tollgate_scratch_init`, without initialising it
/// again: for a caller that verifies many tokens in the same scratch. Memory that
/// `tollgate_scratch_init` did not prepare (by this version of the library) is refused
/// (`TOLLGATE_STATUS_INVALID_ARGUMENT`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_verify_in(
    verifier: *const tollgate_verifier,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: *mut tollgate_scratch,
    claims: *mut *const tollgate_claims,
) -> tollgate_status {
    let scratch = ScratchArg::Prepared(scratch);
    guard(|| verify(verifier, token, token_len, now, scratch, claims))
}

fn verify(
    verifier: *const tollgate_verifier,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: ScratchArg,
    claims: *mut *const tollgate_claims,
) -> Result<(), tollgate_status> {
    // SAFETY: the caller passes a live verifier; it is only read.
    let verifier = unsafe { arg(verifier) }?;
    // SAFETY: the caller passes `token_len` readable bytes.
    let token = unsafe { bytes(token, token_len) }?;
    let inputs = [region(token), region(verifier)];
    let out = out_region(claims);
    // The claims pointer is written after the inputs were read: outside them, so it does not
    // change the verifier other threads read. Inputs may share bytes: they are only read.
    clear_of(out, &inputs)?;
    let scratch = scratch.get(&[inputs[0], inputs[1], out])?;
    verifier.verifier.verify(token, now, scratch)?;
    point_at_claims(claims, scratch);
    Ok(())
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
    /// Where the slots live, to keep caller memory apart from them.
    slots: Region,
}

/// Creates a cache of `slots` verified tokens (each about 15 KiB; at most
/// `TOLLGATE_CACHE_MAX_SLOTS`) for `verifier`, which must outlive it. A client presents the same
/// token until it expires; with a cache, a repeated token costs a comparison instead of a
/// signature check: `exp`, `nbf` and `iat` are still checked on every hit.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_cache_new(
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
        apart(&[raw_region(verifier), out_region(out)])?;
        let mut v = Vec::new();
        v.try_reserve_exact(slots)
            .map_err(|_| tollgate_status::OutOfMemory)?;
        v.resize_with(slots, CacheSlot::new);
        // The slots' heap buffer stays put when the Vec moves into the cache.
        let slots_region = region(&v[..]);
        let cache = Box::into_raw(Box::new(tollgate_cache {
            cache: Cache::new(&verifier.verifier, v),
            slots: slots_region,
        }));
        // SAFETY: checked non-NULL above; the caller provides a writable pointer slot, outside
        // the verifier.
        unsafe { write_out(out, cache) }
    })
}

/// Releases a cache. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_cache_free(cache: *mut tollgate_cache) {
    infallible((), || {
        if !cache.is_null() {
            // SAFETY: the caller passes a cache from `tollgate_cache_new`, never used again.
            drop(unsafe { Box::from_raw(cache) });
        }
    })
}

/// `tollgate_verify` through `cache`, with the cache's verifier: a token verified before is
/// answered from the cache after its time claims are checked again; a token that verifies is
/// remembered. The claims are always written to `scratch`, as with `tollgate_verify`, under the
/// same rules.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_verify_cached(
    cache: *mut tollgate_cache,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: *mut c_void,
    scratch_len: usize,
    claims: *mut *const tollgate_claims,
) -> tollgate_status {
    let scratch = ScratchArg::Raw(scratch, scratch_len);
    guard(|| verify_cached(cache, token, token_len, now, scratch, claims))
}

/// `tollgate_verify_cached` in scratch prepared by `tollgate_scratch_init`: a repeated token
/// then costs a comparison and a copy of its claims, nothing more.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_verify_cached_in(
    cache: *mut tollgate_cache,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: *mut tollgate_scratch,
    claims: *mut *const tollgate_claims,
) -> tollgate_status {
    let scratch = ScratchArg::Prepared(scratch);
    guard(|| verify_cached(cache, token, token_len, now, scratch, claims))
}

fn verify_cached(
    cache: *mut tollgate_cache,
    token: *const u8,
    token_len: usize,
    now: i64,
    scratch: ScratchArg,
    claims: *mut *const tollgate_claims,
) -> Result<(), tollgate_status> {
    // SAFETY: the caller passes a live cache that no other thread uses during the call.
    let cache = unsafe { arg_mut(cache) }?;
    // SAFETY: the caller passes `token_len` readable bytes.
    let token = unsafe { bytes(token, token_len) }?;
    let inputs = [
        region(token),
        region(cache.cache.verifier()),
        region(&*cache),
        cache.slots,
    ];
    let out = out_region(claims);
    clear_of(out, &inputs)?;
    // A token that verifies is copied into a slot.
    clear_of(inputs[3], &inputs[..1])?;
    let scratch = scratch.get(&[inputs[0], inputs[1], inputs[2], inputs[3], out])?;
    cache.cache.verify(token, now, scratch)?;
    point_at_claims(claims, scratch);
    Ok(())
}
