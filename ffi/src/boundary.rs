//! The one place the rules of the boundary are written: panics are caught, pointers checked,
//! caller memory checked for size and alignment.

use core::panic::AssertUnwindSafe;
use std::panic::catch_unwind;

use crate::status::tollgate_status;

/// Runs an export's body; a panic becomes `TOLLGATE_STATUS_INTERNAL_ERROR`.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), tollgate_status>) -> tollgate_status {
    // Handles are not touched after a caught panic except to free them, so observing a
    // half-updated one is not possible through the API.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => tollgate_status::Ok,
        Ok(Err(status)) => status,
        Err(_) => tollgate_status::InternalError,
    }
}

/// Runs an infallible export's body; a panic returns `fallback`.
pub(crate) fn infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A shared reference from a pointer argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing mutates for `'a`.
pub(crate) unsafe fn arg<'a, T>(ptr: *const T) -> Result<&'a T, tollgate_status> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid for `'a`.
    unsafe { ptr.as_ref() }.ok_or(tollgate_status::NullArgument)
}

/// A mutable reference from a pointer argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn arg_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, tollgate_status> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid and unaliased for `'a`.
    unsafe { ptr.as_mut() }.ok_or(tollgate_status::NullArgument)
}

/// A byte slice from a pointer-and-length argument. NULL is refused whatever the length.
///
/// # Safety
/// A non-NULL `ptr` points to `len` readable bytes that nothing mutates for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], tollgate_status> {
    if ptr.is_null() {
        return Err(tollgate_status::NullArgument);
    }
    fits(ptr, len)?;
    // SAFETY: non-NULL, length within isize::MAX and not past the end of the address space, and
    // the caller guarantees `len` readable bytes.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// Refuses `len` bytes at `ptr` that no object can be: more than `isize::MAX`, or wrapping past
/// the end of the address space.
pub(crate) fn fits(ptr: *const u8, len: usize) -> Result<(), tollgate_status> {
    if len > isize::MAX as usize || (ptr as usize).checked_add(len).is_none() {
        return Err(tollgate_status::InvalidArgument);
    }
    Ok(())
}

/// A UTF-8 string from a pointer-and-length argument.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize) -> Result<&'a str, tollgate_status> {
    // SAFETY: the caller's guarantee is passed on.
    let b = unsafe { bytes(ptr, len) }?;
    core::str::from_utf8(b).map_err(|_| tollgate_status::InvalidUtf8)
}

/// Checks caller memory for a `T`: non-NULL, at least the documented size (never less than
/// `size_of::<T>()`), aligned.
pub(crate) fn caller_memory<T>(
    mem: *mut u8,
    len: usize,
    documented: usize,
) -> Result<*mut T, tollgate_status> {
    if mem.is_null() {
        return Err(tollgate_status::NullArgument);
    }
    if len < documented.max(core::mem::size_of::<T>()) {
        return Err(tollgate_status::BufferTooSmall);
    }
    fits(mem, len)?;
    if !(mem as usize).is_multiple_of(core::mem::align_of::<T>()) {
        return Err(tollgate_status::Misaligned);
    }
    Ok(mem.cast::<T>())
}

/// An address range a call reads or writes, for the overlap checks: a start and a length.
pub(crate) type Region = (*const u8, usize);

/// The address range of a value.
pub(crate) fn region<T: ?Sized>(value: &T) -> Region {
    (
        (value as *const T).cast::<u8>(),
        core::mem::size_of_val(value),
    )
}

/// The address range a pointer argument names (empty when NULL). Addresses only: nothing is
/// read.
pub(crate) fn raw_region<T>(ptr: *const T) -> Region {
    let len = if ptr.is_null() { 0 } else { size_of::<T>() };
    (ptr.cast(), len)
}

/// The address range of an optional out-parameter (empty when NULL).
pub(crate) fn out_region<T>(out: *mut T) -> Region {
    raw_region(out.cast_const())
}

/// Whether two ranges share no byte. Addresses only: nothing is read.
pub(crate) fn disjoint((a, a_len): Region, (b, b_len): Region) -> bool {
    let (a, b) = (a as usize, b as usize);
    a_len == 0 || b_len == 0 || a.saturating_add(a_len) <= b || b.saturating_add(b_len) <= a
}

/// Refuses any of `others` that shares a byte with `area` (memory the call writes as a whole:
/// a scratch, a handle being built).
pub(crate) fn clear_of(area: Region, others: &[Region]) -> Result<(), tollgate_status> {
    if others.iter().all(|&other| disjoint(area, other)) {
        Ok(())
    } else {
        Err(tollgate_status::InvalidArgument)
    }
}

/// Refuses arguments of one call that share a byte: a write through one would change another
/// while it is in use, or overwrite an output already written.
pub(crate) fn apart(regions: &[Region]) -> Result<(), tollgate_status> {
    for (i, &a) in regions.iter().enumerate() {
        clear_of(a, &regions[i + 1..])?;
    }
    Ok(())
}

/// Writes an out-parameter (only ever on success).
///
/// # Safety
/// A non-NULL `out` points to writable memory for a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> Result<(), tollgate_status> {
    if out.is_null() {
        return Err(tollgate_status::NullArgument);
    }
    // SAFETY: non-NULL, and the caller guarantees it is writable for a `T`; `T` is a plain C
    // value, so nothing is dropped by overwriting it.
    unsafe { out.write(value) };
    Ok(())
}
