//! ES256, RS256 and PS256 from the issuer: keys made as `tollgate keygen` makes them, tokens from
//! the token endpoint, checked by the core against the published JWKS and by an independent
//! library (jsonwebtoken) for the signature formats of RFC 7518 §3.3 (PKCS#1 v1.5), §3.4
//! (`R || S`) and §3.5 (PSS).

mod common;

use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::{CLIENT, ISSUER, SECRET, Server, core_verifier, hash, token_request};
use serde_json::Value;
use tollgate::{Algorithm, KeySet, Scratch};
use tollgate_issuer::keys::{self, RsaScheme};

/// The private JWKs of one ES256, one RS256 and one PS256 key, written once (RSA key generation
/// takes a moment) under the build tree's temporary directory, which `cargo clean` empties.
struct Keys {
    dir: std::path::PathBuf,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("issuer-algorithm-keys");
        std::fs::create_dir_all(&dir).unwrap();
        let (es, _) = keys::generate_es256("es");
        let (rs, _) = keys::generate_rsa("rs", RsaScheme::Rs256, 2048).unwrap();
        let (ps, _) = keys::generate_rsa("ps", RsaScheme::Ps256, 2048).unwrap();
        for (name, jwk) in [("es", es), ("rs", rs), ("ps", ps)] {
            std::fs::write(dir.join(format!("{name}.jwk")), jwk.to_string()).unwrap();
        }
        Keys { dir }
    })
}

/// An issuer signing with the key `active` (es, rs or ps) and publishing all three.
fn server(active: &str) -> Server {
    let dir = &keys().dir;
    let key = |kid: &str, alg: &str| {
        format!(
            "[[keys]]\nkid = \"{kid}\"\nalgorithm = \"{alg}\"\nactive = {}\n\
             private_key_file = \"{}\"\n",
            kid == active,
            dir.join(format!("{kid}.jwk")).display()
        )
    };
    let text = format!(
        "issuer = \"{ISSUER}\"\n{}{}{}\
         [[clients]]\nid = \"{CLIENT}\"\nsecret_hash = \"{}\"\naudiences = [\"api://items\"]\n",
        key("es", "ES256"),
        key("rs", "RS256"),
        key("ps", "PS256"),
        hash(SECRET)
    );
    Server::start(&text)
}

fn get(server: &Server, path: &str) -> Value {
    let reply = server.exchange(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
    assert_eq!(reply.status, 200);
    reply.json()
}

fn issued_token(server: &Server) -> String {
    let reply = server.exchange(&token_request(CLIENT, SECRET));
    assert_eq!(
        reply.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["access_token"].as_str().unwrap().to_string()
}

fn part(token: &str, i: usize) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(token.split('.').nth(i).unwrap()).unwrap()
}

/// The core's verdict on `token` with the issuer's published JWKS.
fn verified_by_the_core(server: &Server, token: &str) -> Result<String, tollgate::Error> {
    let jwks = get(server, "/.well-known/jwks.json").to_string();
    let verifier = core_verifier(&jwks);
    let now = tollgate_issuer::server::unix_now() as i64;
    let mut scratch = Box::new(Scratch::new());
    verifier
        .verify(token.as_bytes(), now, &mut scratch)
        .map(|claims| claims.sub().unwrap_or_default().to_string())
}

/// jsonwebtoken's verdict on `token` with the published JWK of its kid.
fn verified_by_jsonwebtoken(server: &Server, token: &str, alg: jsonwebtoken::Algorithm) -> bool {
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(get(server, "/.well-known/jwks.json")).unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&["api://items"]);
    validation.set_issuer(&[ISSUER]);
    jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
}

fn header(token: &str) -> Value {
    serde_json::from_slice(&part(token, 0)).unwrap()
}

#[test]
fn an_es256_token_from_the_token_endpoint_verifies_with_the_published_jwks() {
    let s = server("es");
    let token = issued_token(&s);
    assert_eq!(header(&token)["alg"], "ES256");
    assert_eq!(verified_by_the_core(&s, &token).as_deref(), Ok(CLIENT));
}

#[test]
fn an_rs256_token_from_the_token_endpoint_verifies_with_the_published_jwks() {
    let s = server("rs");
    let token = issued_token(&s);
    assert_eq!(header(&token)["alg"], "RS256");
    assert_eq!(verified_by_the_core(&s, &token).as_deref(), Ok(CLIENT));
}

#[test]
fn a_ps256_token_from_the_token_endpoint_verifies_with_the_published_jwks() {
    let s = server("ps");
    let token = issued_token(&s);
    assert_eq!(header(&token)["alg"], "PS256");
    assert_eq!(verified_by_the_core(&s, &token).as_deref(), Ok(CLIENT));
}

/// RFC 7517 §4.2/§4.4: each published key says `use: sig` and its one `alg`, and the core binds
/// it to exactly that algorithm; no private member is published.
#[test]
fn the_published_jwks_binds_each_key_to_its_algorithm() {
    let s = server("es");
    let jwks = get(&s, "/.well-known/jwks.json");
    for key in jwks["keys"].as_array().unwrap() {
        assert_eq!(key["use"], "sig", "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    let (set, report) = KeySet::from_jwks(jwks.to_string().as_bytes()).unwrap();
    assert_eq!((report.loaded, report.skipped), (3, 0));
    let bound: Vec<(Algorithm, Option<&str>)> = set.iter().collect();
    assert_eq!(
        bound,
        [
            (Algorithm::Es256, Some("es")),
            (Algorithm::Rs256, Some("rs")),
            (Algorithm::Ps256, Some("ps")),
        ]
    );
}

/// RFC 8414 §2 allows more metadata: the algorithms of the tokens, in key order.
#[test]
fn the_metadata_lists_the_signing_algorithms() {
    let s = server("rs");
    let metadata = get(&s, "/.well-known/oauth-authorization-server");
    assert_eq!(
        metadata["access_token_signing_alg_values_supported"],
        serde_json::json!(["ES256", "RS256", "PS256"])
    );
}

/// RFC 7518 §3.4: the JWS signature is the 64-byte `R || S` (IEEE P1363), not DER, as an
/// independent implementation reads it.
#[test]
fn es256_signatures_are_64_bytes_of_r_and_s() {
    let s = server("es");
    let token = issued_token(&s);
    assert_eq!(part(&token, 2).len(), 64);
    assert!(verified_by_jsonwebtoken(
        &s,
        &token,
        jsonwebtoken::Algorithm::ES256
    ));
}

/// RFC 7518 §3.3: RSASSA-PKCS1-v1_5 is deterministic and as long as the modulus; an independent
/// implementation verifies it.
#[test]
fn rs256_signatures_are_pkcs1_v1_5() {
    let s = server("rs");
    let token = issued_token(&s);
    assert_eq!(part(&token, 2).len(), 256);
    assert!(verified_by_jsonwebtoken(
        &s,
        &token,
        jsonwebtoken::Algorithm::RS256
    ));
    let key = tollgate_issuer::keys::SigningKey::from_private_jwk(
        "rs",
        "RS256",
        &serde_json::from_slice(&std::fs::read(keys().dir.join("rs.jwk")).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(key.sign(b"input"), key.sign(b"input"));
}

/// RFC 7518 §3.5: RSASSA-PSS with a random salt; an independent implementation verifies it, and
/// the same input signs differently each time.
#[test]
fn ps256_signatures_are_pss_with_a_random_salt() {
    let s = server("ps");
    let token = issued_token(&s);
    assert_eq!(part(&token, 2).len(), 256);
    assert!(verified_by_jsonwebtoken(
        &s,
        &token,
        jsonwebtoken::Algorithm::PS256
    ));
    let key = tollgate_issuer::keys::SigningKey::from_private_jwk(
        "ps",
        "PS256",
        &serde_json::from_slice(&std::fs::read(keys().dir.join("ps.jwk")).unwrap()).unwrap(),
    )
    .unwrap();
    assert_ne!(key.sign(b"input"), key.sign(b"input"));
}

/// One key, one algorithm: a token whose header is rewritten from RS256 to PS256 (same kid,
/// same signature) does not verify.
#[test]
fn a_token_relabelled_with_another_rsa_algorithm_is_rejected() {
    let s = server("rs");
    let token = issued_token(&s);
    let mut h = header(&token);
    h["alg"] = "PS256".into();
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        Base64UrlUnpadded::encode_string(h.to_string().as_bytes()),
        parts[1],
        parts[2]
    );
    assert_eq!(
        verified_by_the_core(&s, &forged),
        Err(tollgate::Error::UnknownKey)
    );
}
