//! The C ABI seen from Rust: status numbers and names mirror the core, and the boundary rules
//! hold for calls the C tests cannot make cheaply.

use std::ffi::CStr;

use tollgate::{Error, JwksErrorKind, PolicyError};
use tollgate_ffi::*;

fn name(s: tollgate_status) -> &'static str {
    // SAFETY: tollgate_status_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(tollgate_status_name(s)) }
        .to_str()
        .unwrap()
}

fn description(s: tollgate_status) -> &'static str {
    // SAFETY: tollgate_status_str returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(tollgate_status_str(s)) }
        .to_str()
        .unwrap()
}

#[test]
fn token_statuses_share_number_name_and_description_with_the_core() {
    for &e in Error::ALL {
        let s = tollgate_status::from(e);
        assert_eq!(s as u16, e.number(), "{e:?}");
        assert_eq!(name(s), e.name());
        assert_eq!(description(s), e.description());
        let expected_http = e.error_code().http_status();
        assert_eq!(tollgate_status_http_status(s), expected_http);
    }
}

#[test]
fn jwks_and_policy_statuses_share_numbers_with_the_core() {
    for &e in JwksErrorKind::ALL {
        let s = tollgate_status::from(e);
        assert_eq!(s as u16, e.number());
        assert_eq!(name(s), format!("jwks_{}", e.name()));
        assert_eq!(description(s), e.description());
        assert_eq!(tollgate_status_http_status(s), 500);
    }
    for &e in PolicyError::ALL {
        let s = tollgate_status::from(e);
        assert_eq!(s as u16, e.number());
        assert_eq!(name(s), format!("policy_{}", e.name()));
    }
}

#[test]
fn status_names_are_unique() {
    let all: Vec<tollgate_status> = Error::ALL
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
        .collect();
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
