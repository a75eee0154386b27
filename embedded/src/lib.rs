//! Tollgate's core on a microcontroller: the shared token vectors compiled into a firmware,
//! verified on the target, with the stack and instructions of each verification measured.
//!
//! The binaries (`src/bin/`) are thin entry points over this library. `unsafe` lives only in
//! [`stack`], which paints memory below the stack pointer, and in [`counter`]'s calibration
//! loop.
#![no_std]
#![deny(unsafe_code)]

use static_cell::ConstStaticCell;
use tollgate::{Scratch, Verifier};

pub mod counter;
pub mod footprint;
pub mod stack;
pub mod suite;
pub mod vectors;

/// Exit status for a run where every verdict was the expected one.
pub const EXIT_OK: i32 = 0;
/// Exit status for a run with at least one unexpected verdict or failed setup.
pub const EXIT_MISMATCH: i32 = 1;

/// The caller's scratch: a static, so its 14 KiB never count against the stack.
static SCRATCH: ConstStaticCell<Scratch> = ConstStaticCell::new(Scratch::new());
/// The verifier of the key set and policy in use, filled in place (`vectors::load`). Empty
/// until then: no keys, so it rejects every token. All zeros, so it sits in `.bss` rather than
/// as a 24 KiB image in flash.
static VERIFIER: ConstStaticCell<Verifier> = ConstStaticCell::new(Verifier::empty());
