//! RSA signatures (RS256/384/512, PS256/384/512) between Tollgate's test signer and
//! independent implementations.

mod support;

use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey, EncodingKey, Header, Validation};
use support::rsa::*;
use support::*;

const RSA_ALGS: [(&str, JwtAlg); 6] = [
    ("RS256", JwtAlg::RS256),
    ("RS384", JwtAlg::RS384),
    ("RS512", JwtAlg::RS512),
    ("PS256", JwtAlg::PS256),
    ("PS384", JwtAlg::PS384),
    ("PS512", JwtAlg::PS512),
];

fn jsonwebtoken_accepts(token: &str, key: &RsaTestKey, alg: JwtAlg) -> bool {
    let decoding = DecodingKey::from_rsa_raw_components(&key.n, &key.e);
    let mut v = Validation::new(alg);
    v.set_required_spec_claims::<&str>(&[]);
    v.validate_exp = false;
    v.validate_aud = false;
    jsonwebtoken::decode::<serde_json::Value>(token, &decoding, &v).is_ok()
}

#[test]
fn the_test_signer_makes_tokens_jsonwebtoken_accepts() {
    // The vectors' RSA tokens come from this signer; an independent verifier vouches for it.
    for bits in [2048, 3072, 4096] {
        let key = rsa_test_key(bits);
        for (alg, jwt_alg) in RSA_ALGS {
            let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt"}}"#);
            let token = key.token(alg, &header, &Claims::standard().json());
            assert!(jsonwebtoken_accepts(&token, &key, jwt_alg), "{alg} {bits}");
        }
    }
}

#[test]
fn jsonwebtoken_signs_with_the_published_keys() {
    for bits in [2048, 3072, 4096] {
        let key = rsa_test_key(bits);
        let encoding = EncodingKey::from_rsa_der(&key.pkcs1_der);
        let token = jsonwebtoken::encode(
            &Header::new(JwtAlg::PS256),
            &serde_json::json!({"sub": "x"}),
            &encoding,
        )
        .unwrap();
        assert!(jsonwebtoken_accepts(&token, &key, JwtAlg::PS256), "{bits}");
    }
}
