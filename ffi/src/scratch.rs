//! Scratch memory from the caller: checked, and initialised before Rust holds a reference to it.
//!
//! A verification needs a `Scratch` it can write. The caller's memory may never have been
//! written (fresh from `malloc`), and a Rust reference to uninitialised memory is undefined
//! behaviour, so `tollgate_verify` initialises the scratch on every call (a 16 KiB write).
//! `tollgate_scratch_init` does that once instead: the `tollgate_scratch` handle it returns is
//! initialised memory, and the `_in` calls take it as it is.

use core::ffi::c_void;

use tollgate::Scratch;

use crate::boundary::{caller_memory, disjoint, guard, write_out};
use crate::status::tollgate_status;

/// Bytes of scratch memory one verification needs (an upper bound that holds across versions).
pub const TOLLGATE_SCRATCH_SIZE: usize = 16384;
/// Alignment of scratch memory.
pub const TOLLGATE_SCRATCH_ALIGN: usize = 8;

const _: () = {
    assert!(size_of::<Scratch>() <= TOLLGATE_SCRATCH_SIZE);
    assert!(align_of::<Scratch>() <= TOLLGATE_SCRATCH_ALIGN);
};

/// Scratch memory prepared by `tollgate_scratch_init`, for any number of verifications one
/// after another. Its address is that of the memory it was made in.
pub struct tollgate_scratch {
    _scratch: [u8; 0],
}

/// Prepares `mem` (`mem_len` bytes, at least `TOLLGATE_SCRATCH_SIZE`, aligned to
/// `TOLLGATE_SCRATCH_ALIGN`; its contents do not matter) as scratch for `tollgate_verify_in`
/// and `tollgate_verify_cached_in`, which then skip the initialisation `tollgate_verify` does
/// on every call. `*out` is `mem` itself; the memory stays the caller's (nothing to free) and
/// must be used by one verification at a time.
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_scratch_init(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut tollgate_scratch,
) -> tollgate_status {
    guard(|| {
        if out.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        let scratch = ScratchArg::Raw(mem, mem_len).get(&[out_region(out)])?;
        let handle: *mut Scratch = scratch;
        // SAFETY: checked non-NULL above; the caller provides a writable pointer slot outside
        // the scratch.
        unsafe { write_out(out, handle.cast::<tollgate_scratch>()) }
    })
}

/// The scratch argument of a verification, as the caller passed it.
#[derive(Clone, Copy)]
pub(crate) enum ScratchArg {
    /// Memory of the given length, in any state.
    Raw(*mut c_void, usize),
    /// A handle from `tollgate_scratch_init`.
    Prepared(*mut tollgate_scratch),
}

/// An address range a call reads or writes, for the overlap check.
pub(crate) type Region = (*const u8, usize);

/// The address range of a value.
pub(crate) fn region<T: ?Sized>(value: &T) -> Region {
    (
        (value as *const T).cast::<u8>(),
        core::mem::size_of_val(value),
    )
}

/// The address range of an optional out-parameter (empty when NULL).
pub(crate) fn out_region<T>(out: *mut T) -> Region {
    let len = if out.is_null() { 0 } else { size_of::<T>() };
    (out.cast_const().cast(), len)
}

impl ScratchArg {
    /// The scratch, checked for NULL, size and alignment, and refused when any of `others` (the
    /// call's other arguments) lies inside it. Raw memory is initialised through the raw
    /// pointer before any reference to it exists.
    pub(crate) fn get<'a>(self, others: &[Region]) -> Result<&'a mut Scratch, tollgate_status> {
        let scratch = match self {
            ScratchArg::Raw(mem, len) => {
                caller_memory::<Scratch>(mem.cast(), len, TOLLGATE_SCRATCH_SIZE)?
            }
            ScratchArg::Prepared(handle) => {
                if handle.is_null() {
                    return Err(tollgate_status::NullArgument);
                }
                if !(handle as usize).is_multiple_of(align_of::<Scratch>()) {
                    return Err(tollgate_status::Misaligned);
                }
                handle.cast::<Scratch>()
            }
        };
        let inside = |&(p, n): &Region| !disjoint(p, n, scratch.cast(), TOLLGATE_SCRATCH_SIZE);
        if others.iter().any(inside) {
            return Err(tollgate_status::InvalidArgument);
        }
        if let ScratchArg::Raw(..) = self {
            // SAFETY: checked for NULL, size and alignment, and no other argument lies in it;
            // the caller gives this thread exclusive use of the memory for the call. Writing a
            // whole `Scratch` makes every byte of it initialised, whatever the memory held.
            unsafe { scratch.write(Scratch::new()) };
        }
        // SAFETY: initialised — just above, or by `tollgate_scratch_init` for a prepared
        // handle, after which only whole verifications write to it — aligned, and used by
        // nothing else during the call.
        Ok(unsafe { &mut *scratch })
    }
}
