//! What the C boundary costs: the same HS256 token verified through `Verifier::verify`, through
//! `tollgate_verify` (which initialises its scratch on every call) and through
//! `tollgate_verify_in` (scratch prepared once), in the same run. The C entry points are called
//! through opaque function pointers, as a C program calls them, so the optimizer cannot inline
//! them away.

use std::ffi::c_void;
use std::hint::black_box;
use std::path::PathBuf;

use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::Criterion;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tollgate::{KeySet, Policy, Scratch, Verifier};
use tollgate_ffi::*;

const SECRET: &[u8] = b"tollgate-test-hs256-secret-of-40-bytes!!";

fn token(now: i64) -> String {
    let header = r#"{"alg":"HS256","typ":"at+jwt","kid":"hs1"}"#;
    let payload = format!(
        r#"{{"iss":"https://issuer.example","sub":"client-1","aud":"api://items","client_id":"client-1","iat":{},"exp":{},"jti":"3f1c9a2e-7b7d-4f4e-9d43-2a1b5c6d7e8f","scope":"items:read items:write"}}"#,
        now - 10,
        now + 290
    );
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(payload.as_bytes())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes())
    )
}

type VerifyFn = unsafe extern "C" fn(
    *const tollgate_verifier,
    *const u8,
    usize,
    i64,
    *mut c_void,
    usize,
    *mut *const tollgate_claims,
) -> tollgate_status;

fn main() {
    let now = 1_750_000_000;
    let token = token(now);
    let jwks = format!(
        r#"{{"keys":[{{"kty":"oct","kid":"hs1","k":"{}"}}]}}"#,
        Base64UrlUnpadded::encode_string(SECRET)
    );
    let (keys, _) = KeySet::from_jwks(jwks.as_bytes()).unwrap();
    let policy = Policy::builder()
        .issuer("https://issuer.example")
        .audience("api://items")
        .token_type("at+jwt")
        .build()
        .unwrap();
    let rust_verifier = Verifier::new(keys, policy);
    let mut rust_scratch = Box::new(Scratch::new());

    let (mut c_keys, mut c_policy, mut c_verifier) = (
        std::ptr::null_mut(),
        std::ptr::null_mut(),
        std::ptr::null_mut(),
    );
    // SAFETY: every pointer is to a live local or a handle just made, with its length.
    unsafe {
        assert_eq!(tollgate_keyset_new(&mut c_keys), tollgate_status::Ok);
        assert_eq!(
            tollgate_keyset_add_jwks(c_keys, jwks.as_ptr(), jwks.len(), std::ptr::null_mut()),
            tollgate_status::Ok
        );
        assert_eq!(tollgate_policy_new(&mut c_policy), tollgate_status::Ok);
        for (set, value) in [
            (
                tollgate_policy_set_issuer as unsafe extern "C" fn(_, _, _) -> _,
                "https://issuer.example",
            ),
            (tollgate_policy_add_audience, "api://items"),
            (tollgate_policy_set_type, "at+jwt"),
        ] {
            assert_eq!(
                set(c_policy, value.as_ptr(), value.len()),
                tollgate_status::Ok
            );
        }
        assert_eq!(
            tollgate_verifier_new(c_keys, c_policy, &mut c_verifier),
            tollgate_status::Ok
        );
    }
    let mut c_scratch = vec![0u64; TOLLGATE_SCRATCH_SIZE / 8];
    let verify: VerifyFn = black_box(tollgate_verify);
    let mut claims = std::ptr::null();
    let call_c = |claims: &mut *const tollgate_claims, scratch: &mut [u64]| {
        // SAFETY: a live verifier, the token's bytes, a scratch of TOLLGATE_SCRATCH_SIZE.
        unsafe {
            verify(
                c_verifier,
                black_box(token.as_ptr()),
                token.len(),
                now,
                scratch.as_mut_ptr().cast(),
                TOLLGATE_SCRATCH_SIZE,
                claims,
            )
        }
    };
    assert_eq!(call_c(&mut claims, &mut c_scratch), tollgate_status::Ok);
    assert!(
        rust_verifier
            .verify(token.as_bytes(), now, &mut rust_scratch)
            .is_ok()
    );

    type VerifyInFn = unsafe extern "C" fn(
        *const tollgate_verifier,
        *const u8,
        usize,
        i64,
        *mut tollgate_scratch,
        *mut *const tollgate_claims,
    ) -> tollgate_status;
    let mut prepared_mem = vec![0u64; TOLLGATE_SCRATCH_SIZE / 8];
    let mut prepared = std::ptr::null_mut();
    // SAFETY: TOLLGATE_SCRATCH_SIZE bytes of aligned memory, and a slot for the handle.
    let prepared_status = unsafe {
        tollgate_scratch_init(
            prepared_mem.as_mut_ptr().cast(),
            TOLLGATE_SCRATCH_SIZE,
            &mut prepared,
        )
    };
    assert_eq!(prepared_status, tollgate_status::Ok);
    let verify_in: VerifyInFn = black_box(tollgate_verify_in);
    let call_c_in = |claims: &mut *const tollgate_claims| {
        // SAFETY: a live verifier, the token's bytes, a scratch from tollgate_scratch_init.
        unsafe {
            verify_in(
                c_verifier,
                black_box(token.as_ptr()),
                token.len(),
                now,
                prepared,
                claims,
            )
        }
    };
    assert_eq!(call_c_in(&mut claims), tollgate_status::Ok);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("boundary");
    group.bench_function("rust_verify", |b| {
        b.iter(|| {
            rust_verifier
                .verify(black_box(token.as_bytes()), now, &mut rust_scratch)
                .is_ok()
        })
    });
    group.bench_function("c_verify", |b| {
        b.iter(|| call_c(&mut claims, &mut c_scratch))
    });
    group.bench_function("c_verify_in", |b| b.iter(|| call_c_in(&mut claims)));
    group.finish();
    c.final_summary();

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let mean = |bench: &str| -> Option<f64> {
        let path = target
            .join("criterion/boundary")
            .join(bench)
            .join("new/estimates.json");
        let text = std::fs::read_to_string(path).ok()?;
        let at = text.find("\"mean\"")?;
        let rest = &text[at..];
        let start = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
        rest[start..].split([',', '}']).next()?.trim().parse().ok()
    };
    if let (Some(r), Some(c), Some(p)) =
        (mean("rust_verify"), mean("c_verify"), mean("c_verify_in"))
    {
        println!(
            "\nC boundary: rust {r:.0} ns, C ABI {c:.0} ns ({:+.1}%), prepared scratch {p:.0} ns \
             ({:+.1}%)",
            (c / r - 1.0) * 100.0,
            (p / r - 1.0) * 100.0
        );
    }
    drop(prepared_mem);
    // SAFETY: handles made above, not used again.
    unsafe {
        tollgate_verifier_free(c_verifier);
        tollgate_policy_free(c_policy);
        tollgate_keyset_free(c_keys);
    }
}
