//! The C ABI seen from Rust: status numbers and names mirror the core, and the boundary rules
//! hold for calls the C tests cannot make cheaply.

use std::ffi::{CStr, c_int};

use tollgate::{Error, JwksErrorKind, PolicyError, SkipReason};
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
        .chain(SkipReason::ALL.iter().map(|&r| r.into()))
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

/// The report names each skipped key with a status of its own (120–128), numbered as the core's
/// `SkipReason`, so a gateway can log why a key of a JWKS was not loaded.
#[test]
fn skip_statuses_share_number_name_and_description_with_the_core() {
    for &r in SkipReason::ALL {
        let s = tollgate_status::from(r);
        assert_eq!(s as u16, r.number(), "{r:?}");
        assert_eq!(name(s), format!("jwks_skip_{}", r.name()), "{r:?}");
        assert_eq!(description_of(s as c_int), r.description(), "{r:?}");
    }
}

/// A JWKS with skipped keys: the report names each (index and reason), on success and when
/// nothing usable is left.
#[test]
fn the_jwks_report_names_each_skipped_key_and_why() {
    let jwks = br#"{"keys":[{"kty":"EC"},{"kty":"oct","k":"AAAA"},
        {"kty":"oct","kid":"ok","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}"#;
    let only_skipped = br#"{"keys":[{"kty":"EC"},{"kty":"oct","k":"AAAA"}]}"#;
    let mut keys = std::ptr::null_mut();
    // SAFETY: a fresh key set, live inputs and a writable report.
    unsafe {
        assert_eq!(tollgate_keyset_new(&mut keys), tollgate_status::Ok);
        for (doc, status, loaded) in [
            (&jwks[..], tollgate_status::Ok, 1),
            (&only_skipped[..], tollgate_status::JwksNoUsableKey, 0),
        ] {
            let mut report = std::mem::MaybeUninit::<tollgate_jwks_report>::uninit();
            let rc = tollgate_keyset_add_jwks(keys, doc.as_ptr(), doc.len(), report.as_mut_ptr());
            assert_eq!(rc, status);
            let report = report.assume_init();
            assert_eq!(
                (report.loaded, report.skipped, report.skipped_listed),
                (loaded, 2, 2)
            );
            let skipped: Vec<(u16, tollgate_status)> = report.skipped_keys[..2]
                .iter()
                .map(|s| (s.key_index, s.reason))
                .collect();
            assert_eq!(
                skipped,
                [
                    (0, tollgate_status::JwksSkipMissingMember),
                    (1, tollgate_status::JwksSkipKeyTooShort)
                ]
            );
        }
        tollgate_keyset_free(keys);
    }
}

/// More skipped keys than the report has room for: every one is counted, the first
/// `TOLLGATE_JWKS_REPORT_MAX_SKIPS` are named in document order, and nothing is written past
/// the report, on success and on failure.
#[test]
fn a_report_names_the_first_skipped_keys_and_counts_the_rest() {
    #[repr(C)]
    struct Fenced {
        report: std::mem::MaybeUninit<tollgate_jwks_report>,
        fence: [u8; 64],
    }
    let unusable = vec![r#"{"kty":"EC"}"#; 20].join(",");
    let usable = r#"{"kty":"oct","kid":"ok","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}"#;
    let with_one = format!(r#"{{"keys":[{unusable},{usable}]}}"#);
    let without = format!(r#"{{"keys":[{unusable}]}}"#);
    let mut keys = std::ptr::null_mut();
    // SAFETY: a fresh key set, live inputs and a writable report.
    unsafe {
        assert_eq!(tollgate_keyset_new(&mut keys), tollgate_status::Ok);
        for (doc, status) in [
            (&with_one, tollgate_status::Ok),
            (&without, tollgate_status::JwksNoUsableKey),
        ] {
            let mut out = Fenced {
                report: std::mem::MaybeUninit::uninit(),
                fence: [0xa5; 64],
            };
            let rc =
                tollgate_keyset_add_jwks(keys, doc.as_ptr(), doc.len(), out.report.as_mut_ptr());
            assert_eq!(rc, status);
            assert_eq!(out.fence, [0xa5; 64], "written past the report");
            let report = out.report.assume_init();
            assert_eq!(report.skipped, 20);
            assert_eq!(
                usize::from(report.skipped_listed),
                TOLLGATE_JWKS_REPORT_MAX_SKIPS
            );
            for (i, s) in report.skipped_keys.iter().enumerate() {
                assert_eq!(usize::from(s.key_index), i);
                assert_eq!(s.reason, tollgate_status::JwksSkipMissingMember);
            }
        }
        tollgate_keyset_free(keys);
    }
}

/// A report placed over the JWKS text it describes is refused before anything is read or
/// written: the text is read while the set changes and the report written after.
#[test]
fn a_report_inside_the_jwks_text_is_refused() {
    let doc = br#"{"keys":[{"kty":"EC"},{"kty":"oct","kid":"ok","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}"#;
    #[repr(C, align(8))]
    struct Aligned([u8; 256]);
    let mut text = Aligned([b' '; 256]);
    text.0[..doc.len()].copy_from_slice(doc);
    let before = text.0;
    let mut keys = std::ptr::null_mut();
    // SAFETY: a fresh key set; the report pointer is aligned and inside a live buffer.
    unsafe {
        assert_eq!(tollgate_keyset_new(&mut keys), tollgate_status::Ok);
        let base = text.0.as_mut_ptr();
        let rc = tollgate_keyset_add_jwks(keys, base, 256, base.cast::<tollgate_jwks_report>());
        assert_eq!(rc, tollgate_status::InvalidArgument);
        assert_eq!(text.0, before);
        assert_eq!(tollgate_keyset_len(keys), 0);
        tollgate_keyset_free(keys);
    }
}
