//! What the fuzz targets share: a verifier over the published test keys, built once.
use std::sync::OnceLock;

use tollgate::{KeySet, Policy, Verifier};

/// The `hs1` secret of `tests/vectors/test.jwks`.
pub const TEST_HS256_SECRET: &[u8] = b"tollgate-test-hs256-secret-of-40-bytes!!";

/// The verifier most vectors use: every test key (EdDSA, HS256, ES256, ES384, RS256…PS512), the
/// standard policy.
pub fn test_verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let (mut keys, _) =
            KeySet::from_jwks(include_bytes!("../../tests/vectors/test.jwks")).unwrap();
        keys.add_jwks(include_bytes!("../../tests/vectors/ec.jwks"))
            .unwrap();
        let policy = Policy::builder()
            .issuer("https://issuer.example")
            .audience("api://items")
            .token_type("at+jwt")
            .build()
            .unwrap();
        Verifier::new(keys, policy)
    })
}
