//! RS256, PS256 and ES256 through nginx, with a key file shaped like an identity provider's
//! published JWKS (Azure AD, Keycloak, Google: `x5c`, `x5t`, `use`, some keys with `alg` and
//! some without), the RSA → HS256 confusion attack (RFC 8725 §2.1), algorithms swapped on one
//! kid, and the key file's skipped keys at `nginx -t`. One behaviour per test.

use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Value, json};
use tollgate_issuer::keys::{RsaScheme, SigningKey, generate_es256, generate_rsa};
use tollgate_issuer::token::{Grant, mint};
use tollgate_nginx_tests::key_encodings::rsa_public_encodings;
use tollgate_nginx_tests::*;

/// The identity provider: private JWKs of its keys, made once per test run.
struct Provider {
    /// RSA, published without `alg` (so bound to RS256), as Azure AD and Google publish.
    rs: Value,
    /// RSA, published with `alg: PS256`.
    ps: Value,
    /// P-256, published with `alg: ES256`.
    es: Value,
}

fn provider() -> &'static Provider {
    static PROVIDER: OnceLock<Provider> = OnceLock::new();
    PROVIDER.get_or_init(|| Provider {
        rs: generate_rsa("rsa-1", RsaScheme::Rs256, 2048).unwrap().0,
        ps: generate_rsa("rsa-pss", RsaScheme::Ps256, 2048).unwrap().0,
        es: generate_es256("ec-1").0,
    })
}

/// The public half of a private JWK: what a JWKS publishes.
fn public(private: &Value) -> Value {
    let mut jwk = private.clone();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        jwk.as_object_mut().unwrap().remove(member);
    }
    jwk
}

/// A signing key of the provider under `alg`, whatever its JWK says (to forge swaps).
fn signer(private: &Value, alg: &str) -> SigningKey {
    let mut jwk = private.clone();
    jwk.as_object_mut().unwrap().remove("alg");
    SigningKey::from_private_jwk(private["kid"].as_str().unwrap(), alg, &jwk).unwrap()
}

/// An X.509 chain entry: the gateway must ignore it (never trusted to find or supply a key).
const X5C: &str = "MIIBszCCAVmgAwIBAgIUXq0xY29ydGlmaWNhdGUtbm90LXBhcnNlZC1ieS10b2xsZ2F0ZQ==";

/// The provider's key file: an encryption key first (skipped), the RS256 key without `alg` and
/// with `x5c`/`x5t`, the PS256 key, the ES256 key, and a P-521 key (skipped).
fn idp_jwks() -> String {
    let p = provider();
    let mut rs = public(&p.rs);
    rs.as_object_mut().unwrap().remove("alg");
    rs["x5c"] = json!([X5C]);
    rs["x5t"] = json!("bm90LWEtdGh1bWJwcmludA");
    let mut encryption = public(&p.rs);
    encryption["kid"] = json!("enc-1");
    encryption["use"] = json!("enc");
    encryption["alg"] = json!("RSA-OAEP");
    let p521 = json!({"kty": "EC", "crv": "P-521", "kid": "ec-521", "use": "sig",
        "alg": "ES512", "x": "AQ", "y": "AQ"});
    json!({"keys": [encryption, rs, public(&p.ps), public(&p.es), p521]}).to_string()
}

/// The modulus of the RS256 key as published (base64url text, and bytes).
fn modulus() -> (String, Vec<u8>) {
    let n = provider().rs["n"].as_str().unwrap().to_string();
    let bytes = Base64UrlUnpadded::decode_vec(&n).unwrap();
    (n, bytes)
}

const SERVER: &str = r#"
    auth_jwt "api";
    auth_jwt_key_file {dir}/idp.jwks;
    auth_jwt_issuer https://issuer.e2e;
    auth_jwt_audience api://items;
    auth_jwt_type at+jwt;
    add_header X-Jwt-Status $jwt_status always;
    proxy_set_header X-Sub $jwt_claim_sub;
    proxy_set_header X-Scope $jwt_claim_scope;
    proxy_set_header X-Alg $jwt_header_alg;
    proxy_set_header X-Kid $jwt_header_kid;
    location / { proxy_pass http://127.0.0.1:{backend}; }
"#;

struct Env {
    _backend: Backend,
    gateway: Gateway,
}

/// A backend and a started gateway trusting the provider's key file.
fn env(name: &str) -> Option<Env> {
    let (module, nginx) = nginx_and_module()?;
    let backend = Backend::start();
    let server = SERVER.replace("{backend}", &backend.port.to_string());
    let mut gateway = Gateway::configure(&module, &nginx, name, &server);
    std::fs::write(gateway.dir.join("idp.jwks"), idp_jwks()).unwrap();
    gateway.start();
    Some(Env {
        _backend: backend,
        gateway,
    })
}

impl Env {
    fn get(&self, token: &str) -> Reply {
        get_bearer(&self.gateway.url("/items"), token)
    }
}

fn grant() -> Grant {
    Grant {
        client_id: CLIENT.into(),
        scopes: vec!["items:read".into()],
        audiences: vec!["api://items".into()],
        lifetime: 300,
    }
}

/// A valid token from `key`, as the provider issues it.
fn issued(key: &SigningKey) -> String {
    mint(ISSUER, key, &grant(), unix_now())
}

fn claims() -> Value {
    let now = unix_now();
    json!({"iss": ISSUER, "sub": CLIENT, "client_id": CLIENT, "aud": "api://items",
        "iat": now, "exp": now + 300, "scope": "items:read"})
}

/// `token` with its header's `alg` replaced and the signature kept.
fn relabelled(token: &str, alg: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut header: Value =
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(parts[0]).unwrap()).unwrap();
    header["alg"] = json!(alg);
    format!(
        "{}.{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        parts[1],
        parts[2]
    )
}

fn assert_passes(e: &Env, token: &str, alg: &str, kid: &str) {
    let r = e.get(token);
    assert_eq!(r.status, 200, "{alg}: {:?}", r.header("X-Jwt-Status"));
    assert_eq!(r.backend_header("x-sub").as_deref(), Some(CLIENT), "{alg}");
    assert_eq!(
        r.backend_header("x-scope").as_deref(),
        Some("items:read"),
        "{alg}"
    );
    assert_eq!(r.backend_header("x-alg").as_deref(), Some(alg));
    assert_eq!(r.backend_header("x-kid").as_deref(), Some(kid), "{alg}");
}

fn assert_rejected(e: &Env, token: &str, what: &str) {
    let r = e.get(token);
    assert_eq!(r.status, 401, "{what}");
    assert!(
        r.header("WWW-Authenticate")
            .unwrap_or("")
            .contains("error=\"invalid_token\""),
        "{what}: {:?}",
        r.header("WWW-Authenticate")
    );
}

/// RFC 7518 §3.3; a key published without `alg` (and with an `x5c` chain the gateway ignores)
/// is bound to RS256, the algorithm RFC 9068 §2.1 requires of every authorization server.
#[test]
fn an_rs256_token_passes_with_a_key_published_without_alg() {
    let Some(e) = env("alg-rs256") else { return };
    let token = issued(&signer(&provider().rs, "RS256"));
    assert_passes(&e, &token, "RS256", "rsa-1");
}

/// RFC 7518 §3.5: a PS256 token needs a key whose JWK says `PS256`.
#[test]
fn a_ps256_token_passes_with_a_key_that_says_ps256() {
    let Some(e) = env("alg-ps256") else { return };
    let token = issued(&signer(&provider().ps, "PS256"));
    assert_passes(&e, &token, "PS256", "rsa-pss");
}

/// RFC 7518 §3.4: ES256 with the 64-byte `R || S` signature.
#[test]
fn an_es256_token_passes() {
    let Some(e) = env("alg-es256") else { return };
    let token = issued(&signer(&provider().es, "ES256"));
    assert_passes(&e, &token, "ES256", "ec-1");
}

/// RFC 8725 §2.1, and the weakness DESIGN.md names in a peer module: an HS256 token MACed with
/// the bytes of the RSA public key (PEM and DER in PKCS#1 and SubjectPublicKeyInfo form, the
/// modulus, its base64url text, the JWK and the whole key file) under the RSA key's kid. The
/// key is bound to RS256, so no HS256 key exists for that kid.
#[test]
fn hs256_maced_with_the_rsa_public_key_is_401() {
    let Some(e) = env("alg-confusion") else {
        return;
    };
    let decode = |member: &str| {
        Base64UrlUnpadded::decode_vec(provider().rs[member].as_str().unwrap()).unwrap()
    };
    let jwk = idp_jwks();
    let published: Value = serde_json::from_str(&jwk).unwrap();
    let mut secrets = rsa_public_encodings(
        &decode("n"),
        &decode("e"),
        &published["keys"][1].to_string(),
    );
    secrets.push(("key file", jwk.into_bytes()));
    for kid in ["rsa-1", "rsa-pss"] {
        for (what, secret) in &secrets {
            let forged = hs256_with(
                secret,
                &json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}),
                &claims(),
            );
            let r = e.get(&forged);
            assert_eq!(r.status, 401, "{kid}: {what}");
            assert_eq!(
                r.header("X-Jwt-Status"),
                Some("unknown_key"),
                "{kid}: {what}"
            );
        }
    }
}

/// One key, one algorithm: a token's `alg` swapped between RS256, PS256 and ES256 on the same
/// kid is 401, whether the signature is kept (relabelled) or genuinely made by the same key
/// under the other algorithm (an RSA key bound to RS256 signing PSS, and the reverse).
#[test]
fn alg_swapped_between_rs256_ps256_and_es256_on_one_kid_is_401() {
    let Some(e) = env("alg-swap") else { return };
    let p = provider();
    let tokens = [
        ("rsa-1", "RS256", issued(&signer(&p.rs, "RS256"))),
        ("rsa-pss", "PS256", issued(&signer(&p.ps, "PS256"))),
        ("ec-1", "ES256", issued(&signer(&p.es, "ES256"))),
    ];
    for (kid, bound, token) in &tokens {
        for alg in ["RS256", "PS256", "ES256"].iter().filter(|a| *a != bound) {
            assert_rejected(
                &e,
                &relabelled(token, alg),
                &format!("{kid} relabelled {alg}"),
            );
        }
    }
    let pss_by_rs256_key = issued(&signer(&p.rs, "PS256"));
    assert_rejected(&e, &pss_by_rs256_key, "PS256 signed by the RS256 key");
    let pkcs1_by_ps256_key = issued(&signer(&p.ps, "RS256"));
    assert_rejected(&e, &pkcs1_by_ps256_key, "RS256 signed by the PS256 key");
    for (kid, bound, token) in &tokens {
        assert_eq!(e.get(token).status, 200, "{kid} {bound} still passes");
    }
}

/// A key file whose every key is unusable is refused at `nginx -t`, naming the file, each key
/// and its reason, and showing no key material.
#[test]
fn a_key_file_of_only_unusable_keys_is_refused_at_nginx_t_naming_file_and_reasons() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let (n_text, _) = modulus();
    // 1024 bits: RFC 7518 §3.3 requires 2048 or more.
    let short_modulus = Base64UrlUnpadded::encode_string(&[0xc3; 128]);
    let unusable = json!({"keys": [
        {"kty": "RSA", "kid": "enc-1", "use": "enc", "n": n_text, "e": "AQAB"},
        {"kty": "RSA", "kid": "legacy-1024", "n": short_modulus, "e": "AQAB"},
        {"kty": "EC", "crv": "P-521", "kid": "ec-521", "x": "AQ", "y": "AQ"},
        // The error log does not escape: a kid that is not printable ASCII is not shown.
        {"kty": "EC", "crv": "P-521", "kid": "clé\r\nforged line", "x": "AQ", "y": "AQ"},
    ]});
    let gw = Gateway::configure(
        &module,
        &nginx,
        "alg-unusable",
        "auth_jwt \"api\"; auth_jwt_key_file {dir}/unusable.jwks;\n\
         location / { return 204; }",
    );
    let path = gw.dir.join("unusable.jwks");
    std::fs::write(&path, unusable.to_string()).unwrap();
    let (ok, said) = gw.test_config();
    assert!(!ok, "{said}");
    let file = format!("key file \"{}\"", path.display());
    for expected in [
        format!("{file}: JWKS has no usable signature verification key (jwks_no_usable_key)"),
        format!(
            "{file}: keys[0] (kid \"enc-1\") skipped: key is not meant for verifying \
             signatures (jwks_skip_not_for_signatures)"
        ),
        format!(
            "{file}: keys[1] (kid \"legacy-1024\") skipped: key is shorter than its \
             algorithm allows (jwks_skip_key_too_short)"
        ),
        format!(
            "{file}: keys[2] (kid \"ec-521\") skipped: key type, curve or algorithm not \
             verified here (jwks_skip_unsupported)"
        ),
        format!(
            "{file}: keys[3] (kid not shown: not short printable ASCII) skipped: key type, \
             curve or algorithm not verified here (jwks_skip_unsupported)"
        ),
    ] {
        assert!(said.contains(&expected), "missing {expected:?} in {said}");
    }
    assert!(!said.contains("forged line"), "{said}");
    assert!(!said.contains(&n_text[..24]), "key material logged: {said}");
}

/// A key file with usable and skipped keys loads; each skipped key is a notice naming it and
/// the reason (RFC 7517 §5), with no key material.
#[test]
fn a_key_file_with_skipped_keys_loads_with_a_notice_per_skipped_key() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let gw = Gateway::configure(
        &module,
        &nginx,
        "alg-skipped",
        &SERVER.replace("{backend}", "9"),
    );
    let path = gw.dir.join("idp.jwks");
    std::fs::write(&path, idp_jwks()).unwrap();
    let (ok, said) = gw.test_config();
    assert!(ok, "{said}");
    let file = format!("key file \"{}\"", path.display());
    for expected in [
        "[notice]".to_string(),
        format!(
            "{file}: keys[0] (kid \"enc-1\") skipped: key is not meant for verifying signatures"
        ),
        format!(
            "{file}: keys[4] (kid \"ec-521\") skipped: key type, curve or algorithm not \
             verified here"
        ),
    ] {
        assert!(said.contains(&expected), "missing {expected:?} in {said}");
    }
    assert_eq!(said.matches("skipped:").count(), 2, "{said}");
    let (n_text, _) = modulus();
    assert!(!said.contains(&n_text[..24]), "key material logged: {said}");
}

/// `auth_jwt_key_request`: the provider's RSA key set fetched once by a subrequest verifies an
/// RS256 token, and the fetched set binds keys as a key file does.
#[test]
fn an_rs256_token_verifies_with_a_key_set_fetched_by_key_request() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let origin = Origin::start(&idp_jwks());
    let backend = Backend::start();
    let server = format!(
        "auth_jwt \"api\";\n\
         auth_jwt_key_request /_jwks;\n\
         auth_jwt_issuer {ISSUER}; auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         add_header X-Jwt-Status $jwt_status always;\n\
         proxy_set_header X-Sub $jwt_claim_sub;\n\
         proxy_set_header X-Alg $jwt_header_alg;\n\
         location = /_jwks {{ internal; proxy_pass {url};\n\
             proxy_connect_timeout 1s; proxy_read_timeout 1s; }}\n\
         location / {{ proxy_pass http://127.0.0.1:{backend}; }}",
        url = origin.url(),
        backend = backend.port
    );
    let mut gateway = Gateway::configure(&module, &nginx, "alg-key-request", &server);
    gateway.start();
    let p = provider();
    let rs256 = issued(&signer(&p.rs, "RS256"));
    let r = get_bearer(&gateway.url("/items"), &rs256);
    assert_eq!(r.status, 200, "{:?}", r.header("X-Jwt-Status"));
    assert_eq!(r.backend_header("x-alg").as_deref(), Some("RS256"));
    let es256 = issued(&signer(&p.es, "ES256"));
    assert_eq!(get_bearer(&gateway.url("/items"), &es256).status, 200);
    let confused = hs256_with(
        p.rs["n"].as_str().unwrap().as_bytes(),
        &json!({"alg": "HS256", "typ": "at+jwt", "kid": "rsa-1"}),
        &claims(),
    );
    assert_eq!(get_bearer(&gateway.url("/items"), &confused).status, 401);
    assert_eq!(origin.fetches(), 1, "one fetch served every request");
}
