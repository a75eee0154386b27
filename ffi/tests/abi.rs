//! The C ABI seen from Rust: status numbers and names mirror the core, and the boundary rules
//! hold for calls the C tests cannot make cheaply.

use std::ffi::{CStr, c_int};

use tollgate::{Error, JwksErrorKind, PolicyError};
use tollgate_ffi::*;

fn name_of(number: c_int) -> &'static str {
    // SAFETY: tollgate_status_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(tollgate_status_name(number)) }
        .to_str()
        .unwrap()
}

fn name(s: tollgate_status) -> &'static str {
    name_of(s as c_int)
}

fn description_of(number: c_int) -> &'static str {
    // SAFETY: tollgate_status_str returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(tollgate_status_str(number)) }
        .to_str()
        .unwrap()
}

fn description(s: tollgate_status) -> &'static str {
    description_of(s as c_int)
}

fn error_code_of(number: c_int) -> &'static str {
    // SAFETY: tollgate_status_error_code returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(tollgate_status_error_code(number)) }
        .to_str()
        .unwrap()
}

/// Every status there is.
fn every_status() -> Vec<tollgate_status> {
    Error::ALL
        .iter()
        .map(|&e| e.into())
        .chain(JwksErrorKind::ALL.iter().map(|&e| e.into()))
        .chain(PolicyError::ALL.iter().map(|&e| e.into()))
        .chain([
            tollgate_status::Ok,
            tollgate_status::NullArgument,
            tollgate_status::InvalidUtf8,
            tollgate_status::BufferTooSmall,
            tollgate_status::Misaligned,
            tollgate_status::NotFound,
            tollgate_status::NoClaims,
            tollgate_status::InvalidArgument,
            tollgate_status::OutOfMemory,
            tollgate_status::InternalError,
        ])
        .collect()
}

#[test]
fn token_statuses_share_number_name_and_description_with_the_core() {
    for &e in Error::ALL {
        let s = tollgate_status::from(e);
        assert_eq!(s as u16, e.number(), "{e:?}");
        assert_eq!(name(s), e.name());
        assert_eq!(description(s), e.description());
        let expected_http = e.error_code().http_status();
        assert_eq!(tollgate_status_http_status(s as c_int), expected_http);
    }
}

#[test]
fn jwks_and_policy_statuses_share_numbers_with_the_core() {
    for &e in JwksErrorKind::ALL {
        let s = tollgate_status::from(e);
        assert_eq!(s as u16, e.number());
        assert_eq!(name(s), format!("jwks_{}", e.name()));
        assert_eq!(description(s), e.description());
        assert_eq!(tollgate_status_http_status(s as c_int), 500);
    }
    for &e in PolicyError::ALL {
        let s = tollgate_status::from(e);
        assert_eq!(s as u16, e.number());
        assert_eq!(name(s), format!("policy_{}", e.name()));
    }
}

#[test]
fn status_names_are_unique() {
    let all = every_status();
    let mut names: Vec<&str> = all.iter().map(|&s| name(s)).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len());
}

#[test]
fn the_header_declares_every_status() {
    let header = include_str!("../../include/tollgate.h");
    for &e in Error::ALL {
        let line = format!(
            "TOLLGATE_STATUS_{} = {},",
            e.name().to_ascii_uppercase(),
            e.number()
        );
        assert!(header.contains(&line), "missing {line}");
    }
}

#[test]
fn caller_memory_constants_cover_the_types() {
    assert!(std::mem::size_of::<tollgate::Scratch>() <= TOLLGATE_SCRATCH_SIZE);
    assert_eq!(
        std::mem::align_of::<tollgate::Scratch>(),
        TOLLGATE_SCRATCH_ALIGN
    );
}

#[test]
fn every_status_number_reads_back_as_its_status() {
    for s in every_status() {
        assert_eq!(tollgate_status::from_number(s as c_int), Some(s));
        assert_ne!(name(s), "unknown_status");
    }
}

#[test]
fn a_number_that_is_no_status_has_a_defined_answer() {
    // C may pass any int; 65537 would be `malformed` if it were truncated to 16 bits.
    let known: Vec<c_int> = every_status().iter().map(|&s| s as c_int).collect();
    let unknown = (-300..=1000).filter(|n| !known.contains(n)).chain([
        65536,
        65537,
        c_int::MAX,
        c_int::MIN,
        -1,
    ]);
    for n in unknown {
        assert_eq!(tollgate_status::from_number(n), None, "{n}");
        assert_eq!(name_of(n), "unknown_status", "{n}");
        assert_eq!(description_of(n), "unknown status", "{n}");
        assert_eq!(error_code_of(n), "", "{n}");
        assert_eq!(tollgate_status_http_status(n), 500, "{n}");
    }
}
