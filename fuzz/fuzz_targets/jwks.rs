//! Any bytes as a JWKS (seeded with OKP, oct, EC and RSA sets shaped like identity providers'):
//! loads or fails cleanly, counts every key it sees, and a failed load leaves the set unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate::KeySet;

fuzz_target!(|jwks: &[u8]| {
    let mut keys = KeySet::new();
    keys.add_hs256(Some("existing"), &[7u8; 32]).unwrap();
    match keys.add_jwks(jwks) {
        Ok(report) => {
            assert_eq!(keys.len(), 1 + usize::from(report.loaded));
            assert!(report.skipped_keys().count() <= usize::from(report.skipped));
        }
        Err(e) => {
            assert_eq!(keys.len(), 1);
            assert_eq!(e.report.loaded, 0);
        }
    }
});
