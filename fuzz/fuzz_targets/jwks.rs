//! Any bytes as a JWKS (seeded with OKP, oct, EC and RSA sets shaped like identity providers'):
//! loads or fails cleanly, counts every key it sees, and a failed load leaves the set unchanged.
//! A skipped key's kid, read back from the document for a log line, lies inside the document.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tollgate::{KeySet, LoadReport};

fn kids_lie_in(jwks: &[u8], report: &LoadReport) {
    for skipped in report.skipped_keys() {
        if let Some(kid) = skipped.kid(jwks) {
            let start = kid.as_ptr() as usize - jwks.as_ptr() as usize;
            assert!(start + kid.len() <= jwks.len());
        }
    }
    let _ = tollgate::jwk_kid(jwks, u16::MAX);
}

fuzz_target!(|jwks: &[u8]| {
    let mut keys = KeySet::new();
    keys.add_hs256(Some("existing"), &[7u8; 32]).unwrap();
    match keys.add_jwks(jwks) {
        Ok(report) => {
            assert_eq!(keys.len(), 1 + usize::from(report.loaded));
            assert!(report.skipped_keys().count() <= usize::from(report.skipped));
            kids_lie_in(jwks, &report);
        }
        Err(e) => {
            assert_eq!(keys.len(), 1);
            assert_eq!(e.report.loaded, 0);
            kids_lie_in(jwks, &e.report);
        }
    }
});
