//! Verifying a token into caller-provided scratch memory.

use core::ffi::c_void;

use tollgate::Scratch;

use crate::boundary::{arg, bytes, caller_memory, guard};
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
        let scratch = caller_memory::<Scratch>(scratch.cast(), scratch_len, TOLLGATE_SCRATCH_SIZE)?;
        // SAFETY: checked for NULL, size and alignment; the caller gives this thread exclusive
        // use of the memory for the call. `Scratch` holds only integers and bytes, any bit pattern
        // is valid, and verification reads nothing it has not written in this call.
        let scratch = unsafe { &mut *scratch };
        verifier.verifier.verify(token, now, scratch)?;
        if !claims.is_null() {
            // SAFETY: non-NULL; the caller provides a writable pointer slot.
            unsafe { claims.write((scratch as *const Scratch).cast()) };
        }
        Ok(())
    })
}
