//! The gateway end to end: the issuer, nginx with the module and an echo backend on loopback,
//! driven by real clients (curl, the `oauth2` crate, ureq). One behaviour per test.

use std::process::Command;

use serde_json::json;
use tollgate_nginx_tests::*;

/// The standard gateway: server-level policy, inherited by the locations.
const SERVER: &str = r#"
    auth_jwt "api";
    auth_jwt_key_file {dir}/jwks.json;
    auth_jwt_issuer https://issuer.e2e;
    auth_jwt_audience api://items;
    auth_jwt_type at+jwt;
    auth_jwt_leeway 5s;

    proxy_set_header X-Client-Id $jwt_claim_client_id;
    proxy_set_header X-Scope $jwt_claim_scope;
    proxy_set_header X-Aud $jwt_claim_aud;
    proxy_set_header X-Kid $jwt_header_kid;

    location /api/ {
        auth_jwt_require_scope items:read;
        proxy_pass http://127.0.0.1:{backend};
    }
    location /write/ {
        auth_jwt_require_scope items:write;
        proxy_pass http://127.0.0.1:{backend};
    }
    location /tenant/ {
        auth_jwt_require $jwt_claim_tenant error=403;
        proxy_pass http://127.0.0.1:{backend};
    }
    location /query/ {
        auth_jwt "api" token=$arg_access_token;
        proxy_pass http://127.0.0.1:{backend};
    }
    location /public/ {
        auth_jwt off;
        return 200 "public\n";
    }
"#;

struct Env {
    issuer: IssuerServer,
    _backend: Backend,
    gateway: Gateway,
}

/// Issuer, backend and a started gateway trusting `trusted` keys of the issuer.
fn env(trusted: &[&str]) -> Option<Env> {
    env_with("gw", SERVER, "", &[("jwks.json", jwks_of(trusted))])
}

/// Issuer, backend and a started gateway named `name` with `server` (`{backend}` is the
/// backend's port), `http` at http level and `key_files` written into its directory.
fn env_with(name: &str, server: &str, http: &str, key_files: &[(&str, String)]) -> Option<Env> {
    let (module, nginx) = nginx_and_module()?;
    let issuer = IssuerServer::start("k1");
    let backend = Backend::start();
    let server = server.replace("{backend}", &backend.port.to_string());
    let mut gateway = Gateway::configure(&module, &nginx, name, &server).with_http(http);
    for (file, contents) in key_files {
        std::fs::write(gateway.dir.join(file), contents).unwrap();
    }
    gateway.start();
    Some(Env {
        issuer,
        _backend: backend,
        gateway,
    })
}

fn challenge(r: &Reply) -> &str {
    r.header("WWW-Authenticate").unwrap_or("")
}

#[test]
fn the_client_credentials_flow_with_curl() {
    let Some(e) = env(&["k1"]) else { return };
    let out = Command::new("curl")
        .args([
            "-sf",
            "-u",
            &format!("{CLIENT}:{SECRET}"),
            "-d",
            "grant_type=client_credentials",
        ])
        .arg(e.issuer.token_url())
        .output()
        .unwrap();
    assert!(out.status.success(), "curl token");
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = response["access_token"].as_str().unwrap();
    let out = Command::new("curl")
        .args([
            "-s",
            "-w",
            "\n%{http_code}",
            "-H",
            &format!("Authorization: Bearer {token}"),
        ])
        .arg(e.gateway.url("/api/items"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    assert_eq!(code, "200");
    let echoed: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(echoed["path"], "/api/items");
    assert_eq!(echoed["headers"]["x-client-id"], CLIENT);
}

#[test]
fn the_client_credentials_flow_with_an_oauth2_client_library() {
    use oauth2::basic::BasicClient;
    use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};

    let Some(e) = env(&["k1"]) else { return };
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = BasicClient::new(ClientId::new(CLIENT.into()))
        .set_client_secret(ClientSecret::new(SECRET.into()))
        .set_token_uri(TokenUrl::new(e.issuer.token_url()).unwrap())
        .exchange_client_credentials()
        .add_scope(Scope::new("items:read".into()))
        .request(&http)
        .unwrap()
        .access_token()
        .secret()
        .clone();
    let api = http
        .get(e.gateway.url("/api/items"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(api.status(), 200);
}

#[test]
fn claims_are_forwarded_to_the_backend() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(
        CLIENT,
        "&scope=items:read+items:write&resource=api://items&resource=api://other",
    );
    let r = get_bearer(&e.gateway.url("/api/items"), &token);
    assert_eq!(r.status, 200);
    assert_eq!(r.backend_header("x-client-id").as_deref(), Some(CLIENT));
    assert_eq!(
        r.backend_header("x-scope").as_deref(),
        Some("items:read items:write")
    );
    // An array claim is joined with commas.
    assert_eq!(
        r.backend_header("x-aud").as_deref(),
        Some("api://items,api://other")
    );
    assert_eq!(r.backend_header("x-kid").as_deref(), Some("k1"));
}

#[test]
fn claims_reach_log_format_and_map() {
    let Some(mut e) = env_with(
        "logmap",
        "auth_jwt \"api\"; auth_jwt_key_file {dir}/jwks.json; auth_jwt_audience api://items;\n\
         access_log {dir}/claims.log claims;\n\
         location / { proxy_set_header X-Tier $tier; proxy_pass http://127.0.0.1:{backend}; }",
        "log_format claims '$jwt_claim_client_id $jwt_header_kid $tier $status';\n\
         map $jwt_claim_scope $tier { ~items:write writer; default reader; }",
        &[("jwks.json", jwks_of(&["k1"]))],
    ) else {
        return;
    };
    let (issuer, gw) = (&e.issuer, &mut e.gateway);
    let writer = issuer.token(CLIENT, "&scope=items:write");
    let r = get_bearer(&gw.url("/x"), &writer);
    assert_eq!(r.backend_header("x-tier").as_deref(), Some("writer"));
    let reader = issuer.token(CLIENT, "");
    assert_eq!(
        get_bearer(&gw.url("/x"), &reader)
            .backend_header("x-tier")
            .as_deref(),
        Some("reader")
    );
    assert_eq!(get(&gw.url("/x"), &[]).status, 401);
    gw.stop();
    let log = std::fs::read_to_string(gw.dir.join("claims.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines,
        ["svc k1 writer 200", "svc k1 reader 200", "- - reader 401"]
    );
}

#[test]
fn no_token_is_401_with_a_bearer_challenge_and_no_error() {
    let Some(e) = env(&["k1"]) else { return };
    let r = get(&e.gateway.url("/api/items"), &[]);
    assert_eq!(r.status, 401);
    assert_eq!(challenge(&r), r#"Bearer realm="api""#);
}

#[test]
fn another_scheme_is_401_with_no_error() {
    let Some(e) = env(&["k1"]) else { return };
    let r = get(
        &e.gateway.url("/api/items"),
        &[("Authorization", "Basic c3ZjOmUyZQ==")],
    );
    assert_eq!(r.status, 401);
    assert_eq!(challenge(&r), r#"Bearer realm="api""#);
}

#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "");
    let r = get(
        &e.gateway.url("/api/items"),
        &[("Authorization", &format!("bEaReR {token}"))],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn a_malformed_authorization_header_is_400_invalid_request() {
    let Some(e) = env(&["k1"]) else { return };
    for header in [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer a\"b",
        "Bearer ==a",
    ] {
        let r = get(&e.gateway.url("/api/items"), &[("Authorization", header)]);
        assert_eq!(r.status, 400, "{header:?}");
        assert!(
            challenge(&r).contains(r#"error="invalid_request""#),
            "{header:?}"
        );
    }
}

#[test]
fn a_bad_signature_is_401_invalid_token() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "");
    let (input, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", "A".repeat(86));
    let r = get_bearer(&e.gateway.url("/api/items"), &forged);
    assert_eq!(r.status, 401);
    assert_eq!(
        challenge(&r),
        r#"Bearer realm="api", error="invalid_token", error_description="signature does not verify""#
    );
}

#[test]
fn an_expired_token_is_401_invalid_token() {
    let Some(e) = env(&["k1"]) else { return };
    let token = mint_at(
        "k1",
        ISSUER,
        "api://items",
        &["items:read"],
        unix_now() - 3600,
    );
    let r = get_bearer(&e.gateway.url("/api/items"), &token);
    assert_eq!(r.status, 401);
    assert!(
        challenge(&r).contains(r#"error_description="token has expired""#),
        "{}",
        challenge(&r)
    );
}

#[test]
fn a_token_within_the_leeway_passes() {
    let Some(e) = env(&["k1"]) else { return };
    // Expired three seconds ago; auth_jwt_leeway is 5s.
    let token = mint_at(
        "k1",
        ISSUER,
        "api://items",
        &["items:read"],
        unix_now() - 303,
    );
    assert_eq!(get_bearer(&e.gateway.url("/api/items"), &token).status, 200);
}

#[test]
fn a_token_for_another_audience_is_401() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "&audience=api://other");
    let r = get_bearer(&e.gateway.url("/api/items"), &token);
    assert_eq!(r.status, 401);
    assert!(challenge(&r).contains("audience not accepted"));
}

#[test]
fn a_token_from_another_issuer_is_401() {
    let Some(e) = env(&["k1"]) else { return };
    let token = mint_at(
        "k1",
        "https://evil.e2e",
        "api://items",
        &["items:read"],
        unix_now(),
    );
    let r = get_bearer(&e.gateway.url("/api/items"), &token);
    assert_eq!(r.status, 401);
    assert!(challenge(&r).contains("issuer not accepted"));
}

#[test]
fn a_missing_scope_is_403_insufficient_scope_naming_the_scope() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "&scope=items:read");
    let r = get_bearer(&e.gateway.url("/write/x"), &token);
    assert_eq!(r.status, 403);
    assert_eq!(
        challenge(&r),
        r#"Bearer realm="api", error="insufficient_scope", error_description="token lacks a required scope", scope="items:write""#
    );
    let writer = e.issuer.token(CLIENT, "&scope=items:write");
    assert_eq!(get_bearer(&e.gateway.url("/write/x"), &writer).status, 200);
}

#[test]
fn alg_none_is_401() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "");
    let payload = token.split('.').nth(1).unwrap();
    let header = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(
        br#"{"alg":"none","typ":"at+jwt"}"#,
    );
    let none = format!("{header}.{payload}.");
    let r = get_bearer(&e.gateway.url("/api/items"), &none);
    assert_eq!(r.status, 401);
    assert!(challenge(&r).contains("alg none"), "{}", challenge(&r));
}

#[test]
fn hs256_signed_with_the_public_key_bytes_is_401() {
    // The algorithm confusion an open-source nginx JWT module that only checks `alg` against a
    // list accepts: the attacker HMACs with the published Ed25519 key.
    let Some(e) = env(&["k1"]) else { return };
    let public = ed_key("k1").public_jwk().unwrap();
    let x = public["x"].as_str().unwrap();
    let raw = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode_vec(x).unwrap();
    let now = unix_now();
    let claims = json!({
        "iss": ISSUER, "sub": CLIENT, "client_id": CLIENT, "aud": "api://items",
        "iat": now, "exp": now + 300, "scope": "items:read items:write",
    });
    let jwks_text = std::fs::read(e.gateway.dir.join("jwks.json")).unwrap();
    for secret in [raw.as_slice(), x.as_bytes(), jwks_text.as_slice()] {
        let forged = hs256_with(
            secret,
            &json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"}),
            &claims,
        );
        let r = get_bearer(&e.gateway.url("/api/items"), &forged);
        assert_eq!(r.status, 401);
        assert!(
            challenge(&r).contains("no key matches"),
            "{}",
            challenge(&r)
        );
    }
}

#[test]
fn auth_jwt_require_fails_with_its_configured_status() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "");
    assert_eq!(get_bearer(&e.gateway.url("/tenant/x"), &token).status, 403);
    let now = unix_now();
    let with_tenant = sign_raw(
        "k1",
        &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "k1"}),
        &json!({"iss": ISSUER, "sub": CLIENT, "aud": "api://items", "iat": now, "exp": now + 60, "tenant": "acme"}),
    );
    assert_eq!(
        get_bearer(&e.gateway.url("/tenant/x"), &with_tenant).status,
        200
    );
}

#[test]
fn the_token_can_come_from_a_variable() {
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "");
    assert_eq!(
        get(
            &e.gateway.url(&format!("/query/x?access_token={token}")),
            &[]
        )
        .status,
        200
    );
    let r = get(&e.gateway.url("/query/x"), &[]);
    assert_eq!((r.status, challenge(&r)), (401, r#"Bearer realm="api""#));
}

#[test]
fn auth_jwt_off_lets_a_location_through() {
    let Some(e) = env(&["k1"]) else { return };
    let r = get(&e.gateway.url("/public/"), &[]);
    assert_eq!((r.status, r.body.as_str()), (200, "public\n"));
}

#[test]
fn hs256_tokens_verify_against_a_shared_secret_key_file() {
    let jwk = json!({"keys": [{"kty": "oct", "kid": "hs1", "alg": "HS256", "k": HS_SECRET_B64}]});
    let Some(e) = env_with(
        "hs",
        "auth_jwt \"api\"; auth_jwt_key_file {dir}/hs.json; auth_jwt_audience api://items;\n\
         location / { proxy_pass http://127.0.0.1:{backend}; }",
        "",
        &[("hs.json", jwk.to_string())],
    ) else {
        return;
    };
    let (issuer, gw) = (&e.issuer, &e.gateway);
    let token = issuer.token(HS_CLIENT, "");
    assert_eq!(get_bearer(&gw.url("/x"), &token).status, 200);
    // An EdDSA token from the same issuer has no key here.
    let ed = issuer.token(CLIENT, "");
    assert_eq!(get_bearer(&gw.url("/x"), &ed).status, 401);
}

#[test]
fn several_key_files_are_merged() {
    let hs = json!({"keys": [{"kty": "oct", "kid": "hs1", "k": HS_SECRET_B64}]});
    let Some(e) = env_with(
        "twofiles",
        "auth_jwt \"api\"; auth_jwt_key_file {dir}/ed.json; auth_jwt_key_file {dir}/hs.json;\n\
         auth_jwt_audience api://items;\n\
         location / { proxy_pass http://127.0.0.1:{backend}; }",
        "",
        &[("ed.json", jwks_of(&["k1"])), ("hs.json", hs.to_string())],
    ) else {
        return;
    };
    let (issuer, gw) = (&e.issuer, &e.gateway);
    assert_eq!(
        get_bearer(&gw.url("/x"), &issuer.token(CLIENT, "")).status,
        200
    );
    assert_eq!(
        get_bearer(&gw.url("/x"), &issuer.token(HS_CLIENT, "")).status,
        200
    );
}

#[test]
fn rejections_log_the_reason_at_info_and_never_the_token() {
    let Some(e) = env(&["k1"]) else { return };
    let token = mint_at(
        "k1",
        ISSUER,
        "api://items",
        &["items:read"],
        unix_now() - 3600,
    );
    assert_eq!(get_bearer(&e.gateway.url("/api/items"), &token).status, 401);
    let log = e.gateway.error_log();
    let line = log
        .lines()
        .find(|l| l.contains("tollgate: token rejected"))
        .expect("a rejection line");
    assert!(
        line.contains("[info]") && line.contains("expired"),
        "{line}"
    );
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !log.contains(signature) && !log.contains(&token[..30]),
        "the token reached the log"
    );
    assert!(!log.contains("[error]"), "{log}");
}

#[test]
fn nginx_t_fails_on_a_bad_key_file_naming_the_problem() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let server = "auth_jwt \"api\"; auth_jwt_key_file {dir}/jwks.json; location / { return 204; }";
    let gw = Gateway::configure(&module, &nginx, "badjwks", server);
    let path = gw.dir.join("jwks.json");
    for (jwks, expected) in [
        (
            r#"{"keys":[{"kty":"oct","alg":"EdDSA","k":"AAAA"}]}"#,
            "keys[0]: key alg does not fit its type (jwks_algorithm_mismatch)",
        ),
        (
            r#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#,
            "JWKS has no usable signature verification key (jwks_no_usable_key)",
        ),
        ("not json", "JWKS is not valid JSON (jwks_json)"),
    ] {
        std::fs::write(&path, jwks).unwrap();
        let (ok, said) = gw.test_config();
        assert!(!ok, "{jwks}");
        assert!(said.contains(expected), "{said}");
    }
    std::fs::remove_file(&path).unwrap();
    let (ok, said) = gw.test_config();
    assert!(!ok && said.contains("jwks.json"), "{said}");
    std::fs::write(&path, jwks_of(&["k1"])).unwrap();
    assert!(gw.test_config().0);
}

#[test]
fn nginx_t_refuses_auth_jwt_without_keys_and_bad_directives() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    for (server, expected) in [
        (
            "auth_jwt \"api\"; location / { return 204; }",
            "needs auth_jwt_key_file or auth_jwt_key_request",
        ),
        (
            "auth_jwt \"a\\\"b\"; location / { return 204; }",
            "invalid character in realm",
        ),
        (
            "auth_jwt_type encrypted; location / { return 204; }",
            "only signed tokens",
        ),
        (
            "auth_jwt_require $http_x error=500; location / { return 204; }",
            "invalid parameter \"error=500\"",
        ),
        (
            "auth_jwt \"api\"; auth_jwt_key_file {dir}/jwks.json; auth_jwt_leeway 1h; location / { return 204; }",
            "exceeds the limit of 300 seconds",
        ),
    ] {
        let gw = Gateway::configure(&module, &nginx, "directives", server);
        std::fs::write(gw.dir.join("jwks.json"), jwks_of(&["k1"])).unwrap();
        let (ok, said) = gw.test_config();
        assert!(!ok, "{server}");
        assert!(said.contains(expected), "{server}: {said}");
    }
}

#[test]
fn optional_whitespace_around_the_token_is_ignored() {
    // RFC 9110 §5.6.3: OWS is SP or HTAB; nginx trims only spaces from a header value's end.
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "");
    for around in [
        format!("Bearer {token}\t"),
        format!("Bearer {token} \t "),
        format!("Bearer \t{token}"),
        format!("Bearer  {token}"),
    ] {
        let response = raw_get(e.gateway.port, "/api/items", around.as_bytes());
        assert_eq!(raw_status(&response), 200, "{around:?}");
    }
}

/// A server whose only rule is `auth_jwt_require $jwt_claim_flag`, and one checking the claim
/// through a map (any text).
const REQUIRE: &str = r#"
    auth_jwt "api";
    auth_jwt_key_file {dir}/jwks.json;
    auth_jwt_issuer https://issuer.e2e;
    auth_jwt_audience api://items;
    location /claim/ { auth_jwt_require $jwt_claim_flag; proxy_pass http://127.0.0.1:{backend}; }
    location /text/ { auth_jwt_require "$flag_text"; proxy_pass http://127.0.0.1:{backend}; }
"#;

#[test]
fn auth_jwt_require_fails_on_absent_empty_zero_false_and_null_claims() {
    let Some(e) = env_with(
        "require",
        REQUIRE,
        "map $jwt_claim_flag $flag_text { default $jwt_claim_flag; }",
        &[("jwks.json", jwks_of(&["k1"]))],
    ) else {
        return;
    };
    // Each JSON type, and what auth_jwt_require $jwt_claim_flag answers.
    for (flag, passes) in [
        (json!(true), true),
        (json!(false), false),
        (json!(null), false),
        (json!(1), true),
        (json!(0), false),
        (json!(0.0), false),
        (json!(-0.0), false),
        (json!(0.5), true),
        (json!("yes"), true),
        (json!("false"), true),
        (json!(""), false),
        (json!("0"), false),
        (json!([]), false),
        (json!(["a"]), true),
        (json!([0]), true),
        (json!([""]), true),
        (json!({}), false),
        (json!({"a": 1}), true),
    ] {
        let token = token_with(&json!({ "flag": flag }));
        let status = get_bearer(&e.gateway.url("/claim/x"), &token).status;
        assert_eq!(status, if passes { 200 } else { 401 }, "flag: {flag}");
    }
    let absent = token_with(&json!({}));
    assert_eq!(get_bearer(&e.gateway.url("/claim/x"), &absent).status, 401);
    // Any other value is text: it fails when empty or "0" (NGINX Plus's rule).
    for (flag, passes) in [
        (json!("yes"), true),
        (json!(false), true),
        (json!("0"), false),
        (json!(""), false),
    ] {
        let token = token_with(&json!({ "flag": flag }));
        let status = get_bearer(&e.gateway.url("/text/x"), &token).status;
        assert_eq!(status, if passes { 200 } else { 401 }, "text flag: {flag}");
    }
}

/// Okta issues scopes as a JSON array in `scp`, Azure AD as a space-separated string in `scp`;
/// `auth_jwt_require_scope` reads RFC 9068's `scope`. The README's map reads both forms (an
/// array's variable joins its elements with ","), and fails closed on anything else.
#[test]
fn scopes_in_scp_as_okta_and_azure_ad_issue_them_are_required_through_a_map() {
    let Some(e) = env_with(
        "scp",
        r#"
        auth_jwt "api";
        auth_jwt_key_file {dir}/jwks.json;
        auth_jwt_issuer https://issuer.e2e;
        auth_jwt_audience api://items;
        location /scp/ {
            auth_jwt_require $scp_items_read error=403;
            proxy_pass http://127.0.0.1:{backend};
        }"#,
        r#"map $jwt_claim_scp $scp_items_read { "~(^|[ ,])items:read([ ,]|$)" 1; default 0; }"#,
        &[("jwks.json", jwks_of(&["k1"]))],
    ) else {
        return;
    };
    for (scp, status) in [
        (json!(["items:read", "items:write"]), 200),
        (json!(["items:write", "items:read"]), 200),
        (json!("openid items:read profile"), 200),
        (json!("items:read"), 200),
        (json!(["items:readonly"]), 403),
        (json!("items:read:all other"), 403),
        (json!(["items"]), 403),
        (json!(""), 403),
        (json!(null), 403),
        (json!({"items:read": true}), 403),
        // The limit the README states: "," splits a scope name too (RFC 6749 §3.3 allows it).
        (json!("items:read,admin"), 200),
        (json!(["items:read,admin"]), 200),
    ] {
        let token = token_with(&json!({ "scp": scp }));
        assert_eq!(
            get_bearer(&e.gateway.url("/scp/x"), &token).status,
            status,
            "scp: {scp}"
        );
    }
    let without = token_with(&json!({}));
    assert_eq!(get_bearer(&e.gateway.url("/scp/x"), &without).status, 403);
}

#[test]
fn jwt_status_names_the_verdict_for_logs_and_maps() {
    let Some(mut e) = env_with(
        "status",
        &format!(
            "{SERVER}\n access_log {{dir}}/status.log status;\n\
             location /mapped/ {{ proxy_set_header X-Verdict $verdict;\n\
                 proxy_pass http://127.0.0.1:{{backend}}; }}"
        ),
        "log_format status '$request_uri $jwt_status $status';\n\
         map $jwt_status $verdict { ok accepted; default rejected; }",
        &[("jwks.json", jwks_of(&["k1"]))],
    ) else {
        return;
    };
    let gw = &mut e.gateway;
    let good = e.issuer.token(CLIENT, "");
    let reader = e.issuer.token(CLIENT, "&scope=items:read");
    let expired = mint_at(
        "k1",
        ISSUER,
        "api://items",
        &["items:read"],
        unix_now() - 3600,
    );
    let (input, _) = good.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", "A".repeat(86));
    let r = get_bearer(&gw.url("/mapped/x"), &good);
    assert_eq!(r.backend_header("x-verdict").as_deref(), Some("accepted"));
    for (path, authorization) in [
        ("/api/1", Some(good.as_str())),
        ("/api/2", Some(expired.as_str())),
        ("/api/3", Some(forged.as_str())),
        ("/api/4", None),
        ("/write/5", Some(reader.as_str())),
        ("/tenant/6", Some(good.as_str())),
    ] {
        match authorization {
            Some(token) => get_bearer(&gw.url(path), token),
            None => get(&gw.url(path), &[]),
        };
    }
    get(&gw.url("/api/7"), &[("Authorization", "Bearer a b")]);
    gw.stop();
    let log = std::fs::read_to_string(gw.dir.join("status.log")).unwrap();
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "/mapped/x ok 200",
            "/api/1 ok 200",
            "/api/2 expired 401",
            "/api/3 bad_signature 401",
            "/api/4 missing_token 401",
            "/write/5 insufficient_scope 403",
            "/tenant/6 require_failed 403",
            "/api/7 malformed_header 400",
        ]
    );
}

#[test]
fn nginx_itself_logs_a_too_long_authorization_header_at_info_with_the_token() {
    // The other reason for `notice`: a line over large_client_header_buffers (8k here).
    let Some(e) = env(&["k1"]) else { return };
    let long = format!("Bearer {}", "tok".repeat(3000));
    let response = raw_get(e.gateway.port, "/api/items", long.as_bytes());
    assert!(raw_status(&response) >= 400);
    let log = e.gateway.error_log();
    let line = log
        .lines()
        .find(|l| l.contains("too long header line"))
        .expect("nginx logs the long line");
    assert!(
        line.contains("[info]") && line.contains(&long[..1000]),
        "{line}"
    );
}

#[test]
fn nginx_itself_logs_a_duplicate_authorization_header_at_info_with_the_token() {
    // Why README.md recommends `error_log … notice` for a gateway: this line is nginx's own.
    let Some(e) = env(&["k1"]) else { return };
    let token = e.issuer.token(CLIENT, "");
    let request = format!(
        "GET /api/items HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let response = raw_request(e.gateway.port, request.as_bytes());
    assert_eq!(raw_status(&response), 400);
    let log = e.gateway.error_log();
    let line = log
        .lines()
        .find(|l| l.contains("duplicate header"))
        .expect("nginx logs the duplicate");
    assert!(
        line.contains("[info]") && line.contains(&token[..40]),
        "{line}"
    );
}
