//! Scratch memory from the caller: checked, and initialised before Rust holds a reference to it.
//!
//! A verification needs a `Scratch` it can write. The caller's memory may never have been
//! written (fresh from `malloc`), and a Rust reference to uninitialised memory is undefined
//! behaviour, so `tollgate_verify` initialises the scratch on every call (a 16 KiB write).
//! `tollgate_scratch_init` does that once instead: the `tollgate_scratch` handle it returns is
//! initialised memory, marked as prepared by this library, and the `_in` calls take it as it is
//! once they find the mark.

use core::ffi::c_void;

use tollgate::Scratch;

use crate::boundary::{Region, caller_memory, clear_of, fits, guard, out_region, write_out};
use crate::status::tollgate_status;

/// Bytes of scratch memory one verification needs (an upper bound that holds across versions).
pub const TOLLGATE_SCRATCH_SIZE: usize = 16384;
/// Alignment of scratch memory.
pub const TOLLGATE_SCRATCH_ALIGN: usize = 8;

/// Where prepared scratch carries its mark: its last eight bytes, past the `Scratch`, so
/// `tollgate_verify` in the same memory leaves the mark alone.
const MARK_OFFSET: usize = TOLLGATE_SCRATCH_SIZE - size_of::<u64>();

const _: () = {
    assert!(size_of::<Scratch>() <= MARK_OFFSET);
    assert!(align_of::<Scratch>() <= TOLLGATE_SCRATCH_ALIGN);
    assert!(MARK_OFFSET.is_multiple_of(align_of::<u64>()));
};

/// The mark of scratch prepared by this build: a constant folded with this version and the
/// `Scratch` layout (FNV-1a), so memory prepared by another version of the library, or never
/// prepared, is refused rather than taken for a `Scratch`.
const PREPARED: u64 = {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let mut i = 0;
    while i < version.len() {
        hash = (hash ^ version[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash ^ ((size_of::<Scratch>() as u64) << 32) ^ 0x7363_7261_7463_6821
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
/// must be used by one verification at a time. The last 8 bytes of the first
/// `TOLLGATE_SCRATCH_SIZE` mark it as prepared: the `_in` calls refuse memory without the mark.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_scratch_init(
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
        // SAFETY: `get` checked the memory's size (at least TOLLGATE_SCRATCH_SIZE) and
        // alignment, and that `out` lies outside it; the mark is past the `Scratch`, so no
        // reference covers it.
        unsafe { mark(handle.cast()).write(PREPARED) };
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

/// The mark of scratch memory that starts at `scratch`.
///
/// # Safety
/// `scratch` points to at least `TOLLGATE_SCRATCH_SIZE` bytes.
unsafe fn mark(scratch: *mut u8) -> *mut u64 {
    // SAFETY: within the TOLLGATE_SCRATCH_SIZE bytes the caller guarantees.
    unsafe { scratch.add(MARK_OFFSET) }.cast()
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
                if !(handle as usize).is_multiple_of(TOLLGATE_SCRATCH_ALIGN) {
                    return Err(tollgate_status::Misaligned);
                }
                fits(handle.cast_const().cast(), TOLLGATE_SCRATCH_SIZE)?;
                // SAFETY: a handle names TOLLGATE_SCRATCH_SIZE bytes, aligned (checked). The
                // mark is read through a raw pointer, by value and volatile, so nothing is
                // assumed about memory that was never prepared; after `tollgate_scratch_init`
                // it is initialised.
                if unsafe { mark(handle.cast()).read_volatile() } != PREPARED {
                    return Err(tollgate_status::InvalidArgument);
                }
                handle.cast::<Scratch>()
            }
        };
        clear_of((scratch.cast_const().cast(), TOLLGATE_SCRATCH_SIZE), others)?;
        if let ScratchArg::Raw(..) = self {
            // SAFETY: checked for NULL, size and alignment, and no other argument lies in it;
            // the caller gives this thread exclusive use of the memory for the call. Writing a
            // whole `Scratch` makes every byte of it initialised, whatever the memory held.
            unsafe { scratch.write(Scratch::new()) };
        }
        // SAFETY: initialised — just above, or by `tollgate_scratch_init` for a prepared
        // handle (its mark is there), after which only whole verifications write to it —
        // aligned, and used by nothing else during the call.
        Ok(unsafe { &mut *scratch })
    }
}
