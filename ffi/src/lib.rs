//! The C API of Tollgate: `include/tollgate.h` is generated from this crate by cbindgen.
//!
//! Conventions (also in README.md, "The C API"):
//! - Every fallible function returns [`tollgate_status`]; the rest cannot fail.
//! - Inputs are pointer plus length, never NUL-terminated. Pointer arguments must not be NULL
//!   (a NULL gives `TOLLGATE_STATUS_NULL_ARGUMENT`), except that `_free(NULL)` does nothing.
//! - Out-parameters are written only on success. The one exception is the JWKS report, which is
//!   a diagnostic and says so.
//! - A `const` handle is never mutated: a built verifier may be used from many threads at once.
//! - Every function catches panics (`TOLLGATE_STATUS_INTERNAL_ERROR`): none crosses into C.
//! - Verifying allocates nothing: the caller passes scratch memory, initialised by the library
//!   before Rust holds a reference to it (every call, or once with `tollgate_scratch_init`).
//!   Nothing else a call reads or writes may lie in the scratch. Key sets, policies and
//!   verifiers can live in caller memory too (`_init`), or on the heap (`_new`).
#![deny(clippy::undocumented_unsafe_blocks, missing_docs)]
// The C names are the API.
#![allow(non_camel_case_types)]
// These are C functions: their pointer contracts are stated in the header, as in C, and checked
// as far as a pointer can be (NULL, alignment, size) at the boundary.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod boundary;
mod claims;
mod handles;
mod scratch;
mod status;
mod verify;

pub use claims::*;
pub use handles::*;
pub use scratch::*;
pub use status::*;
pub use verify::*;

/// The library version, as a NUL-terminated string (e.g. `"0.1.0"`).
#[unsafe(no_mangle)]
pub extern "C" fn tollgate_version() -> *const core::ffi::c_char {
    const VERSION: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => panic!("version has a NUL"),
    };
    VERSION.as_ptr()
}
