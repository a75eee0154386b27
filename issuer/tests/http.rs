//! The token endpoint's HTTP contract, end to end on loopback with real HTTP clients:
//! RFC 6749 §4.4 (client credentials), §2.3.1 (client authentication), §5.1 and §5.2 (responses),
//! RFC 8707 (resource), RFC 9068 (the tokens), RFC 8414 (metadata).

mod common;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use common::{ISSUER, SECRET, core_verifier};
use serde_json::{Value, json};
use tollgate::Scratch;
use tollgate_issuer::{Config, Issuer, Running, secrets, serve};

const ODD_ID: &str = "svc:with spaces";
const ODD_SECRET: &str = "p@ss:w%rd+plus";

fn ed_seed(n: u8) -> String {
    Base64UrlUnpadded::encode_string(&[n; 32])
}

fn hs_secret() -> String {
    Base64UrlUnpadded::encode_string(b"an-hs256-secret-of-at-least-32-bytes!!")
}

/// A config with two EdDSA keys (the second active), an HS256 key, and four clients.
fn config_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let hash = secrets::hash_secret(SECRET.as_bytes());
        let odd = secrets::hash_secret(ODD_SECRET.as_bytes());
        format!(
            r#"
issuer = "{ISSUER}"
secret_cache_seconds = 0

[[keys]]
kid = "old"
private_key = "{old}"

[[keys]]
kid = "new"
private_key = "{new}"
active = true

[[keys]]
kid = "hs"
algorithm = "HS256"
private_key = "{hs}"

[[clients]]
id = "svc"
secret_hash = "{hash}"
scopes = ["items:read", "items:write", "admin"]
default_scopes = ["items:read"]
audiences = ["api://items", "api://other"]
token_lifetime = 120

[[clients]]
id = "{ODD_ID}"
secret_hash = "{odd}"
scopes = ["items:read"]
default_scopes = ["items:read"]
audiences = ["api://items"]

[[clients]]
id = "hs-client"
secret_hash = "{hash}"
scopes = ["items:read"]
default_scopes = ["items:read"]
audiences = ["api://items"]
signing_key = "hs"

[[clients]]
id = "grounded"
secret_hash = "{hash}"
audiences = ["api://items"]
grant_types = []
"#,
            old = ed_seed(1),
            new = ed_seed(2),
            hs = hs_secret(),
        )
    })
}

struct Server {
    running: Option<Running>,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}

fn start() -> Server {
    let config = Config::from_toml(config_text(), Path::new(".")).unwrap();
    let running = serve(Arc::new(Issuer::new(config)), "127.0.0.1:0", 2).unwrap();
    let base = format!("http://{}", running.addr());
    Server {
        running: Some(running),
        base,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    )
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        Base64::encode_string(format!("{}:{}", enc(id), enc(secret)).as_bytes())
    )
}

/// POSTs a raw form body to /token.
fn post(s: &Server, authorization: Option<&str>, body: &str) -> Reply {
    let mut req = agent()
        .post(format!("{}/token", s.base))
        .header("Content-Type", "application/x-www-form-urlencoded");
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    reply(req.send(body).unwrap())
}

fn get(s: &Server, path: &str) -> Reply {
    reply(agent().get(format!("{}{path}", s.base)).call().unwrap())
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(header).unwrap()).unwrap()
}

#[test]
fn basic_authentication_gets_a_bearer_token_per_rfc6749_5_1() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    assert_eq!(r.header("Pragma"), Some("no-cache"));
    assert!(
        r.header("Content-Type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 120);
    assert_eq!(r.body["scope"], "items:read");
    // RFC 6749 §4.4.3: no refresh token for client credentials.
    assert!(r.body.get("refresh_token").is_none());
}

#[test]
fn tokens_follow_rfc9068() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&scope=items:write",
    );
    let token = r.body["access_token"].as_str().unwrap();
    assert_eq!(
        header_of(token),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "new"})
    );
    let c = claims(token);
    assert_eq!(c["iss"], ISSUER);
    assert_eq!(c["sub"], "svc");
    assert_eq!(c["client_id"], "svc");
    assert_eq!(c["aud"], "api://items");
    assert_eq!(c["scope"], "items:write");
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 120);
    assert!(c["jti"].as_str().unwrap().len() >= 22);
}

#[test]
fn body_credentials_work_as_client_secret_post() {
    let s = start();
    let r = post(
        &s,
        None,
        &format!("grant_type=client_credentials&client_id=svc&client_secret={SECRET}"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn basic_credentials_are_form_urlencoded_per_rfc6749_2_3_1() {
    let s = start();
    let r = post(
        &s,
        Some(&basic(ODD_ID, ODD_SECRET)),
        "grant_type=client_credentials",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        claims(r.body["access_token"].as_str().unwrap())["client_id"],
        ODD_ID
    );
}

#[test]
fn both_authentication_methods_at_once_are_an_invalid_request() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        &format!("grant_type=client_credentials&client_id=svc&client_secret={SECRET}"),
    );
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

#[test]
fn a_wrong_basic_secret_is_401_with_a_basic_challenge() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", "wrong")),
        "grant_type=client_credentials",
    );
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some("Basic realm=\"tollgate\"")
    );
}

#[test]
fn an_unknown_client_gets_the_same_answer_as_a_wrong_secret() {
    let s = start();
    let unknown = post(
        &s,
        Some(&basic("nobody", SECRET)),
        "grant_type=client_credentials",
    );
    let wrong = post(
        &s,
        Some(&basic("svc", "wrong")),
        "grant_type=client_credentials",
    );
    assert_eq!((unknown.status, &unknown.body), (wrong.status, &wrong.body));
}

#[test]
fn a_wrong_body_secret_is_401_invalid_client() {
    let s = start();
    let r = post(
        &s,
        None,
        "grant_type=client_credentials&client_id=svc&client_secret=wrong",
    );
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    assert_eq!(r.header("WWW-Authenticate"), None);
}

#[test]
fn no_client_authentication_is_401_with_a_challenge() {
    let s = start();
    let r = post(&s, None, "grant_type=client_credentials");
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    assert!(r.header("WWW-Authenticate").is_some());
}

#[test]
fn a_client_id_without_a_secret_is_invalid_client() {
    let s = start();
    let r = post(&s, None, "grant_type=client_credentials&client_id=svc");
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
}

#[test]
fn malformed_basic_credentials_are_invalid_client() {
    let s = start();
    let r = post(
        &s,
        Some("Basic !!!not-base64"),
        "grant_type=client_credentials",
    );
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
}

#[test]
fn a_missing_grant_type_is_an_invalid_request() {
    let s = start();
    let r = post(&s, Some(&basic("svc", SECRET)), "scope=items:read");
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

#[test]
fn another_grant_type_is_unsupported() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=password&username=a&password=b",
    );
    assert_eq!((r.status, r.error()), (400, "unsupported_grant_type"));
}

#[test]
fn a_client_without_the_grant_is_unauthorized_client() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("grounded", SECRET)),
        "grant_type=client_credentials",
    );
    assert_eq!((r.status, r.error()), (400, "unauthorized_client"));
}

#[test]
fn a_repeated_parameter_is_an_invalid_request_per_rfc6749_3_2() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&scope=items:read&scope=admin",
    );
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

#[test]
fn a_requested_scope_subset_is_granted() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&scope=items:write+items:read+items:write",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["scope"], "items:write items:read");
}

#[test]
fn a_scope_beyond_the_clients_is_invalid_scope() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&scope=items:read+delete",
    );
    assert_eq!((r.status, r.error()), (400, "invalid_scope"));
}

#[test]
fn no_scope_gets_the_clients_default_scopes_per_rfc6749_3_3() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials",
    );
    assert_eq!(r.body["scope"], "items:read");
}

#[test]
fn an_allowed_audience_is_granted_and_others_are_invalid_target() {
    let s = start();
    let ok = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&audience=api://other",
    );
    assert_eq!(
        claims(ok.body["access_token"].as_str().unwrap())["aud"],
        "api://other"
    );
    let bad = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&audience=api://evil",
    );
    assert_eq!((bad.status, bad.error()), (400, "invalid_target"));
}

#[test]
fn resource_parameters_name_several_audiences_per_rfc8707() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&resource=api://items&resource=api://other",
    );
    assert_eq!(
        claims(r.body["access_token"].as_str().unwrap())["aud"],
        json!(["api://items", "api://other"])
    );
    let both = post(
        &s,
        Some(&basic("svc", SECRET)),
        "grant_type=client_credentials&resource=api://items&audience=api://items",
    );
    assert_eq!((both.status, both.error()), (400, "invalid_request"));
}

#[test]
fn a_wrong_content_type_is_an_invalid_request() {
    let s = start();
    let r = reply(
        agent()
            .post(format!("{}/token", s.base))
            .header("Content-Type", "application/json")
            .header("Authorization", basic("svc", SECRET))
            .send(r#"{"grant_type":"client_credentials"}"#)
            .unwrap(),
    );
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

#[test]
fn an_oversized_body_is_413() {
    let s = start();
    let big = format!("grant_type=client_credentials&pad={}", "x".repeat(70_000));
    let r = post(&s, Some(&basic("svc", SECRET)), &big);
    assert_eq!(r.status, 413);
}

#[test]
fn the_wrong_method_is_405_with_allow() {
    let s = start();
    let r = get(&s, "/token");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
    let r = reply(
        agent()
            .post(format!("{}/.well-known/jwks.json", s.base))
            .send("")
            .unwrap(),
    );
    assert_eq!(r.status, 405);
}

#[test]
fn an_unknown_path_is_404() {
    let s = start();
    assert_eq!(get(&s, "/nope").status, 404);
}

#[test]
fn malformed_bodies_never_get_a_500() {
    let s = start();
    for body in [
        "",
        "=",
        "&&&",
        "grant_type",
        "%",
        "%zz=%%",
        "grant_type=%ff%fe",
        "a=b=c",
        "\u{0}\u{1}",
        "grant_type=client_credentials&scope=%00",
        "grant_type=client_credentials&scope=\"",
    ] {
        for auth in [None, Some(basic("svc", SECRET))] {
            let r = post(&s, auth.as_deref(), body);
            assert!((400..500).contains(&r.status), "{body:?} gave {}", r.status);
            assert!(!r.error().is_empty(), "{body:?}");
        }
    }
}

#[test]
fn the_jwks_publishes_every_ed25519_public_key_and_no_secret() {
    let s = start();
    let r = get(&s, "/.well-known/jwks.json");
    assert_eq!(r.status, 200);
    let keys = r.body["keys"].as_array().unwrap();
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, ["old", "new"]);
    for k in keys {
        assert_eq!(
            (
                k["kty"].as_str(),
                k["crv"].as_str(),
                k["alg"].as_str(),
                k["use"].as_str()
            ),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
        );
        assert!(k.get("d").is_none() && k.get("k").is_none());
    }
}

#[test]
fn metadata_follows_rfc8414() {
    let s = start();
    let m = get(&s, "/.well-known/oauth-authorization-server").body;
    assert_eq!(m["issuer"], ISSUER);
    assert_eq!(m["token_endpoint"], format!("{ISSUER}/token"));
    assert_eq!(m["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(m["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
}

/// RFC 8414 §2: the signing algorithms are those of `private_key_jwt` and `client_secret_jwt`
/// client authentication, which this server does not offer; listing any would be a false promise.
#[test]
fn metadata_lists_no_client_assertion_algorithms() {
    let s = start();
    let m = get(&s, "/.well-known/oauth-authorization-server").body;
    assert!(
        m.get("token_endpoint_auth_signing_alg_values_supported")
            .is_none()
    );
}

#[test]
fn every_issued_token_verifies_with_the_published_jwks() {
    let s = start();
    let jwks = get(&s, "/.well-known/jwks.json").body.to_string();
    let verifier = core_verifier(&jwks);
    for scope in ["", "&scope=admin", "&scope=items:read+items:write"] {
        let r = post(
            &s,
            Some(&basic("svc", SECRET)),
            &format!("grant_type=client_credentials{scope}"),
        );
        let token = r.body["access_token"].as_str().unwrap();
        let now = claims(token)["iat"].as_i64().unwrap();
        assert!(
            verifier
                .verify(token.as_bytes(), now, &mut Scratch::new())
                .is_ok()
        );
    }
}

#[test]
fn hs256_tokens_verify_with_the_shared_secret_only() {
    let s = start();
    let r = post(
        &s,
        Some(&basic("hs-client", SECRET)),
        "grant_type=client_credentials",
    );
    let token = r.body["access_token"].as_str().unwrap();
    assert_eq!(header_of(token)["alg"], "HS256");
    let now = claims(token)["iat"].as_i64().unwrap();
    let published = get(&s, "/.well-known/jwks.json").body.to_string();
    assert_eq!(
        core_verifier(&published)
            .verify(token.as_bytes(), now, &mut Scratch::new())
            .unwrap_err(),
        tollgate::Error::UnknownKey
    );
    let shared = json!({"keys": [{"kty": "oct", "kid": "hs", "k": hs_secret()}]}).to_string();
    assert!(
        core_verifier(&shared)
            .verify(token.as_bytes(), now, &mut Scratch::new())
            .is_ok()
    );
}

#[test]
fn an_oauth2_client_library_gets_a_token_that_jsonwebtoken_verifies() {
    use oauth2::basic::BasicClient;
    use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};

    let s = start();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(ODD_ID.into()))
            .set_client_secret(ClientSecret::new(ODD_SECRET.into()))
            .set_auth_type(auth)
            .set_token_uri(TokenUrl::new(format!("{}/token", s.base)).unwrap());
        let response = client
            .exchange_client_credentials()
            .add_scope(Scope::new("items:read".into()))
            .request(&http)
            .expect("oauth2 client-credentials exchange");
        let token = response.access_token().secret();
        assert_eq!(response.scopes().unwrap()[0].as_str(), "items:read");

        // An independent verifier with the published key.
        let jwks: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(get(&s, "/.well-known/jwks.json").body).unwrap();
        let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&["api://items"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap();
        assert_eq!(data.claims["client_id"], ODD_ID);
        assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
    }
}
