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
//!
//! From Rust (the rlib the tests and benches use), every function that takes a pointer is
//! `unsafe`: the library checks what a pointer can be checked for (NULL, alignment, size,
//! overlap, a prepared scratch's mark), never that it points to what it should, so safe code
//! must not be able to hand it one (say, uninitialised memory as a prepared scratch):
//!
//! ```compile_fail,E0133
//! let mut claims = core::ptr::null();
//! let scratch = 8 as *mut tollgate_ffi::tollgate_scratch;
//! tollgate_ffi::tollgate_verify_in(core::ptr::null(), b"a.b.c".as_ptr(), 5, 0, scratch, &mut claims);
//! ```
#![deny(clippy::undocumented_unsafe_blocks, missing_docs)]
// The C names are the API.
#![allow(non_camel_case_types)]
// Their pointer contracts are the conventions above and each function's doc, as in the header;
// a `# Safety` section per function would repeat them in every C declaration.
#![allow(clippy::missing_safety_doc)]

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
