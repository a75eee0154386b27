//! Any bytes as a JWKS: loads or fails cleanly, and a failed load leaves the set unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate::KeySet;

fuzz_target!(|jwks: &[u8]| {
    let mut keys = KeySet::new();
    keys.add_hs256(Some("existing"), &[7u8; 32]).unwrap();
    match keys.add_jwks(jwks) {
        Ok(report) => assert_eq!(keys.len(), 1 + usize::from(report.loaded)),
        Err(_) => assert_eq!(keys.len(), 1),
    }
});
