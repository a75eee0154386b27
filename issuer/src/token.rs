//! Access tokens per RFC 9068: a JWS with `typ: at+jwt` and the claims of §2.2.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Value, json};

use crate::keys::{SigningKey, random};

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub audiences: Vec<String>,
    pub lifetime: u64,
}

/// Signs an RFC 9068 access token for `grant`, issued at `now` (unix seconds).
pub fn mint(issuer: &str, key: &SigningKey, grant: &Grant, now: u64) -> String {
    let header = json!({"alg": key.alg(), "typ": "at+jwt", "kid": key.kid()});
    let aud = match grant.audiences.as_slice() {
        [one] => Value::String(one.clone()),
        many => json!(many),
    };
    let mut claims = json!({
        "iss": issuer,
        "sub": grant.client_id,
        "client_id": grant.client_id,
        "aud": aud,
        "iat": now,
        "exp": now + grant.lifetime,
        "jti": Base64UrlUnpadded::encode_string(&random::<16>()),
    });
    if !grant.scopes.is_empty() {
        claims["scope"] = Value::String(grant.scopes.join(" "));
    }
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", Base64UrlUnpadded::encode_string(&signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate::{KeySet, Policy, Scratch, Verifier};

    fn grant() -> Grant {
        Grant {
            client_id: "svc".into(),
            scopes: vec!["a".into(), "b".into()],
            audiences: vec!["api".into()],
            lifetime: 300,
        }
    }

    fn verifier(jwks: &str) -> Verifier {
        let (keys, _) = KeySet::from_jwks(jwks.as_bytes()).unwrap();
        let policy = Policy::builder()
            .issuer("https://i.example")
            .audience("api")
            .token_type("at+jwt")
            .scope("b")
            .build()
            .unwrap();
        Verifier::new(keys, policy)
    }

    #[test]
    fn an_eddsa_token_verifies_with_the_core() {
        let (private, public) = crate::keys::generate_ed25519("k");
        let key = SigningKey::from_private_jwk("k", "EdDSA", &private).unwrap();
        let token = mint("https://i.example", &key, &grant(), 1_800_000_000);
        let v = verifier(&json!({"keys": [public]}).to_string());
        let mut scratch = Scratch::new();
        let c = v
            .verify(token.as_bytes(), 1_800_000_000, &mut scratch)
            .unwrap();
        assert_eq!(
            (c.sub(), c.client_id(), c.scope()),
            (Some("svc"), Some("svc"), Some("a b"))
        );
        assert_eq!(c.exp(), Some(1_800_000_300));
        assert_eq!(c.jti().map(str::len), Some(22));
    }

    #[test]
    fn an_hs256_token_verifies_with_the_core() {
        let jwk = crate::keys::generate_hs256("h");
        let key = SigningKey::from_private_jwk("h", "HS256", &jwk).unwrap();
        let token = mint("https://i.example", &key, &grant(), 1_800_000_000);
        let v = verifier(&json!({"keys": [jwk]}).to_string());
        assert!(
            v.verify(token.as_bytes(), 1_800_000_000, &mut Scratch::new())
                .is_ok()
        );
    }

    #[test]
    fn several_audiences_become_an_array_and_jti_is_unique() {
        let (private, _) = crate::keys::generate_ed25519("k");
        let key = SigningKey::from_private_jwk("k", "EdDSA", &private).unwrap();
        let mut g = grant();
        g.audiences.push("other".into());
        let a = mint("https://i.example", &key, &g, 1);
        let b = mint("https://i.example", &key, &g, 1);
        assert_ne!(a, b);
        let payload = a.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap();
        assert_eq!(claims["aud"], json!(["api", "other"]));
    }
}
