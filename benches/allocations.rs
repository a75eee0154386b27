//! Heap allocations per verification, counted by a counting global allocator, for Tollgate and
//! jsonwebtoken on the same tokens. A separate binary from the timing benches, so the counting
//! allocator does not slow the libraries being timed.

#[path = "../tests/support/mod.rs"]
mod support;

use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey, Validation, decode};
use support::rsa::{RSA_TEST_KEYS, rsa_test_key};
use support::*;
use tollgate::{KeySet, Scratch, Verifier};

fn count(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

fn main() {
    let (claims, now) = today();
    let mut keys = KeySet::new();
    for file in ["test.jwks", "ec.jwks"] {
        keys.add_jwks(&std::fs::read(vectors_dir().join(file)).unwrap())
            .unwrap();
    }
    let verifier = Verifier::new(keys, policy_from(STANDARD_POLICY));
    let ec_key = |point: Vec<u8>| {
        let (x, y) = ec_x_y(&point);
        DecodingKey::from_ec_components(&x, &y).unwrap()
    };
    let mut scratch = Scratch::new();

    let validation = |alg| {
        let mut v = Validation::new(alg);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v
    };
    let mut cases = vec![
        (
            "HS256",
            hs_token(&claims),
            DecodingKey::from_secret(HS1_SECRET),
            validation(JwtAlg::HS256),
        ),
        (
            "EdDSA",
            ed_token(&claims),
            DecodingKey::from_ed_components(&b64(&ed_public(&ed1_seed()))).unwrap(),
            validation(JwtAlg::EdDSA),
        ),
        (
            "ES256",
            es256_token(&claims),
            ec_key(es256_point(&es256_key())),
            validation(JwtAlg::ES256),
        ),
        (
            "ES384",
            es384_token(&claims),
            ec_key(es384_point(&es384_key())),
            validation(JwtAlg::ES384),
        ),
    ];
    for (alg, kid, bits) in RSA_TEST_KEYS {
        let key = rsa_test_key(bits);
        let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{kid}"}}"#);
        let jwt_alg: JwtAlg = alg.parse().unwrap();
        cases.push((
            alg,
            key.token(alg, &header, &claims.json()),
            DecodingKey::from_rsa_raw_components(&key.n, &key.e),
            validation(jwt_alg),
        ));
    }
    println!(
        "heap allocations per verification (valid {}-byte HS256 token, the others alike):",
        cases[0].1.len()
    );
    for (alg, token, key, validation) in &cases {
        let ours = count(|| {
            verifier
                .verify(token.as_bytes(), now, &mut scratch)
                .unwrap();
        });
        let theirs = count(|| {
            decode::<serde_json::Value>(token, key, validation).unwrap();
        });
        println!("  {alg}: tollgate {ours}, jsonwebtoken {theirs}");
        assert_eq!(ours, 0, "tollgate allocated");
    }
}
