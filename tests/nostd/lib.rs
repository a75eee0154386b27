//! The whole request path — load a JWKS, build a policy, verify a token, read a claim — in a
//! `#![no_std]` crate with no allocator. If the core needed std or alloc, this would not link.
#![no_std]
#![forbid(unsafe_code)]

use core::panic::PanicInfo;

use tollgate::{KeySet, Policy, Scratch, Verifier};

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {}
}

/// Kept in the archive so its whole call graph is compiled and inspected.
#[used]
static REQUEST_PATH: fn(&[u8], &[u8], i64, &mut Scratch) -> u16 = request_path;

fn request_path(jwks: &[u8], token: &[u8], now: i64, scratch: &mut Scratch) -> u16 {
    let Ok((keys, _)) = KeySet::from_jwks(jwks) else {
        return 1;
    };
    let Ok(policy) = Policy::builder().issuer("https://issuer.example").audience("api").build() else {
        return 2;
    };
    match Verifier::new(keys, policy).verify(token, now, scratch) {
        Ok(claims) => claims.sub().map_or(3, |s| s.len() as u16),
        Err(e) => e.number(),
    }
}
