//! Any bytes as a token, against the shared test keys of every algorithm (seeded with EdDSA,
//! HS256, ES256, ES384 and RS256…PS512 tokens): never panics, never accepts a forgery.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate_fuzz::test_verifier;
use tollgate::Scratch;

fuzz_target!(|token: &[u8]| {
    let mut scratch = Scratch::new();
    if let Ok(claims) = test_verifier().verify(token, 1_750_000_000, &mut scratch) {
        let _ = (claims.sub(), claims.aud().count(), claims.iter().count());
    }
});
