//! Every path nginx offers fails closed: claims are usable in every phase (verified on first
//! use, one verdict per request), subrequests are checked, internal redirects re-evaluate, and
//! error pages and named locations are guarded like any location.

use serde_json::json;
use tollgate_nginx_tests::*;

struct Env {
    _backend: Backend,
    gateway: Gateway,
}

/// A started gateway named `name`: `server` and `http` with `{backend}` filled in, the issuer's
/// `k1` in `{dir}/jwks.json`, and `files` (path relative to the gateway's directory, contents).
fn env(name: &str, server: &str, http: &str, files: &[(&str, &str)]) -> Option<Env> {
    let (module, nginx) = nginx_and_module()?;
    let backend = Backend::start();
    let fill = |t: &str| t.replace("{backend}", &backend.port.to_string());
    let mut gateway =
        Gateway::configure(&module, &nginx, name, &fill(server)).with_http(&fill(http));
    std::fs::write(gateway.dir.join("jwks.json"), jwks_of(&["k1"])).unwrap();
    for (path, contents) in files {
        let path = gateway.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    gateway.start();
    Some(Env {
        _backend: backend,
        gateway,
    })
}

/// The policy every location below inherits.
const POLICY: &str = "auth_jwt_key_file {dir}/jwks.json; auth_jwt_issuer https://issuer.e2e;\n\
                      auth_jwt_audience api://items;\n";

fn for_sub(sub: &str) -> String {
    token_with(&json!({"sub": sub}))
}

fn with_role(role: &str) -> String {
    token_with(&json!({"role": role}))
}

/// A token that is well formed and signed but expired, carrying `extra`.
fn expired_with(extra: &serde_json::Value) -> String {
    let now = unix_now();
    let mut claims = json!({
        "iss": ISSUER, "sub": CLIENT, "aud": "api://items", "iat": now - 600, "exp": now - 300,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    sign_raw("k1", &json!({"alg": "EdDSA", "kid": "k1"}), &claims)
}

#[test]
fn limit_req_keyed_by_a_claim_limits_each_client_separately() {
    let Some(e) = env(
        "limitreq",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location / {{ limit_req zone=per_sub; proxy_pass http://127.0.0.1:{{backend}}; }}"
        ),
        "limit_req_zone $jwt_claim_sub zone=per_sub:1m rate=1r/m;",
        &[],
    ) else {
        return;
    };
    let url = e.gateway.url("/x");
    let (alice, bob) = (for_sub("alice"), for_sub("bob"));
    assert_eq!(get_bearer(&url, &alice).status, 200);
    assert_eq!(
        get_bearer(&url, &alice).status,
        503,
        "alice's bucket is spent"
    );
    assert_eq!(
        get_bearer(&url, &bob).status,
        200,
        "bob has a bucket of his own"
    );
    assert_eq!(get_bearer(&url, &bob).status, 503);
    // No token, or a rejected one, gives an empty key (not limited) and the access phase's 401.
    for _ in 0..3 {
        assert_eq!(get(&url, &[]).status, 401);
        let expired = expired_with(&json!({"sub": "carol"}));
        assert_eq!(get_bearer(&url, &expired).status, 401);
    }
}

#[test]
fn if_in_the_rewrite_phase_sees_the_claims_of_a_valid_token_only() {
    let Some(e) = env(
        "ifrole",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location / {{\n\
                 if ($jwt_claim_role = guest) {{ return 403 \"guests stop here\\n\"; }}\n\
                 proxy_pass http://127.0.0.1:{{backend}};\n\
             }}"
        ),
        "",
        &[],
    ) else {
        return;
    };
    let url = e.gateway.url("/x");
    let r = get_bearer(&url, &with_role("guest"));
    assert_eq!((r.status, r.body.as_str()), (403, "guests stop here\n"));
    assert_eq!(get_bearer(&url, &with_role("admin")).status, 200);
    assert_eq!(get(&url, &[]).status, 401);
    let expired_guest = expired_with(&json!({"role": "guest"}));
    assert_eq!(get_bearer(&url, &expired_guest).status, 401);
}

#[test]
fn set_copies_the_claim_before_the_access_phase() {
    let Some(e) = env(
        "set",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location / {{\n\
                 set $who $jwt_claim_sub;\n\
                 proxy_set_header X-Who $who;\n\
                 proxy_pass http://127.0.0.1:{{backend}};\n\
             }}"
        ),
        "",
        &[],
    ) else {
        return;
    };
    let url = e.gateway.url("/x");
    let r = get_bearer(&url, &for_sub("alice"));
    assert_eq!(r.status, 200);
    assert_eq!(r.backend_header("x-who").as_deref(), Some("alice"));
    assert_eq!(get(&url, &[]).status, 401);
    let expired = expired_with(&json!({"sub": "alice"}));
    assert_eq!(get_bearer(&url, &expired).status, 401);
}

#[test]
fn a_map_of_a_claim_decides_in_the_rewrite_phase() {
    let Some(e) = env(
        "map",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location / {{\n\
                 if ($is_admin) {{ return 200 \"admin\\n\"; }}\n\
                 proxy_pass http://127.0.0.1:{{backend}};\n\
             }}"
        ),
        "map $jwt_claim_role $is_admin { admin 1; default \"\"; }",
        &[],
    ) else {
        return;
    };
    let url = e.gateway.url("/x");
    let r = get_bearer(&url, &with_role("admin"));
    assert_eq!((r.status, r.body.as_str()), (200, "admin\n"));
    let r = get_bearer(&url, &with_role("guest"));
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("\"path\""),
        "the guest went on to the backend"
    );
    assert_eq!(get(&url, &[]).status, 401);
    // A forged admin token never reaches the map.
    let admin = with_role("admin");
    let (input, _) = admin.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", "A".repeat(86));
    assert_eq!(get_bearer(&url, &forged).status, 401);
}

#[test]
fn return_in_a_protected_location_shows_claims_of_a_valid_token_only() {
    // `return` answers in the rewrite phase, before any access module (as with auth_basic):
    // the claims it shows come from a verified token, or are empty.
    let Some(e) = env(
        "return",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location / {{ return 200 \"sub=$jwt_claim_sub\\n\"; }}"
        ),
        "",
        &[],
    ) else {
        return;
    };
    let url = e.gateway.url("/x");
    assert_eq!(get_bearer(&url, &for_sub("alice")).body, "sub=alice\n");
    let expired = expired_with(&json!({"sub": "alice"}));
    assert_eq!(get_bearer(&url, &expired).body, "sub=\n");
}

#[test]
fn the_access_log_has_the_claims_and_the_verdict_of_each_request() {
    let Some(mut e) = env(
        "accesslog",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             access_log {{dir}}/verdicts.log verdicts;\n\
             location / {{ proxy_pass http://127.0.0.1:{{backend}}; }}"
        ),
        "log_format verdicts '$jwt_claim_sub $jwt_status $status';",
        &[],
    ) else {
        return;
    };
    let url = e.gateway.url("/x");
    assert_eq!(get_bearer(&url, &for_sub("alice")).status, 200);
    let expired = expired_with(&json!({"sub": "alice"}));
    assert_eq!(get_bearer(&url, &expired).status, 401);
    assert_eq!(get(&url, &[]).status, 401);
    e.gateway.stop();
    let log = std::fs::read_to_string(e.gateway.dir.join("verdicts.log")).unwrap();
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        ["alice ok 200", "- expired 401", "- missing_token 401"]
    );
}

#[test]
fn a_try_files_fallback_re_evaluates_the_claims_for_its_own_token() {
    // The first location reads $jwt_claim_sub (try_files) for the Authorization token; the
    // fallback takes its token from ?t=. What reaches the backend is the second token's only.
    let Some(e) = env(
        "tryfiles",
        &format!(
            "{POLICY}\n\
             root {{dir}}/www;\n\
             location /first/ {{\n\
                 auth_jwt \"api\";\n\
                 try_files /cache/$jwt_claim_sub.json @second;\n\
             }}\n\
             location @second {{\n\
                 auth_jwt \"api\" token=$arg_t;\n\
                 proxy_set_header X-Sub $jwt_claim_sub;\n\
                 proxy_set_header X-Payload $jwt_payload;\n\
                 proxy_pass http://127.0.0.1:{{backend}};\n\
             }}"
        ),
        "",
        &[("www/index.html", "")],
    ) else {
        return;
    };
    let (alice, bob) = (for_sub("alice"), for_sub("bob"));
    let r = get_bearer(&e.gateway.url(&format!("/first/x?t={bob}")), &alice);
    assert_eq!(r.status, 200);
    assert_eq!(r.backend_header("x-sub").as_deref(), Some("bob"));
    assert!(
        r.backend_header("x-payload")
            .unwrap()
            .contains("\"sub\":\"bob\"")
    );
    // Without a token for the fallback, the fallback answers 401.
    let r = get_bearer(&e.gateway.url("/first/x"), &alice);
    assert_eq!(r.status, 401);
}

#[test]
fn an_error_page_to_a_named_location_is_guarded() {
    let Some(e) = env(
        "errorpage",
        &format!(
            "{POLICY}\n\
             location /open/ {{ error_page 418 = @secret; return 418; }}\n\
             location /also-open/ {{ error_page 418 = /secret/page; return 418; }}\n\
             location @secret {{ auth_jwt \"api\"; proxy_pass http://127.0.0.1:{{backend}}; }}\n\
             location /secret/ {{ auth_jwt \"api\"; proxy_pass http://127.0.0.1:{{backend}}; }}"
        ),
        "",
        &[],
    ) else {
        return;
    };
    for path in ["/open/x", "/also-open/x"] {
        let url = e.gateway.url(path);
        let r = get(&url, &[]);
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.header("WWW-Authenticate"), Some(r#"Bearer realm="api""#));
        assert_eq!(get_bearer(&url, &for_sub("alice")).status, 200, "{path}");
    }
}

#[test]
fn auth_request_to_a_protected_location_fails_closed() {
    // The pattern people write: the check lives in an internal location that answers 204.
    let Some(e) = env(
        "authrequest",
        &format!(
            "{POLICY}\n\
             location /api/ {{\n\
                 auth_request /_jwt;\n\
                 auth_request_set $sub $jwt_claim_sub;\n\
                 proxy_set_header X-Sub $sub;\n\
                 proxy_pass http://127.0.0.1:{{backend}};\n\
             }}\n\
             location = /_jwt {{ internal; auth_jwt \"api\"; return 204; }}"
        ),
        "",
        &[],
    ) else {
        return;
    };
    let url = e.gateway.url("/api/x");
    let r = get(&url, &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("WWW-Authenticate"), Some(r#"Bearer realm="api""#));
    let expired = expired_with(&json!({"sub": "alice"}));
    let r = get_bearer(&url, &expired);
    assert_eq!(r.status, 401);
    assert!(
        r.header("WWW-Authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    let r = get_bearer(&url, &for_sub("alice"));
    assert_eq!(r.status, 200);
    assert_eq!(r.backend_header("x-sub").as_deref(), Some("alice"));
}

#[test]
fn an_ssi_include_of_a_protected_location_needs_a_token() {
    let Some(e) = env(
        "ssi",
        &format!(
            "{POLICY}\n\
             location /page/ {{ ssi on; alias {{dir}}/www/; }}\n\
             location /secret/ {{ auth_jwt \"api\"; alias {{dir}}/secret/; }}"
        ),
        "",
        &[
            (
                "www/index.html",
                "<p><!--# include virtual=\"/secret/data.txt\" --></p>\n",
            ),
            ("secret/data.txt", "TOP-SECRET"),
        ],
    ) else {
        return;
    };
    let url = e.gateway.url("/page/index.html");
    let r = get(&url, &[]);
    assert!(!r.body.contains("TOP-SECRET"), "{}", r.body);
    let expired = expired_with(&json!({}));
    assert!(!get_bearer(&url, &expired).body.contains("TOP-SECRET"));
    assert!(
        get_bearer(&url, &for_sub("alice"))
            .body
            .contains("TOP-SECRET")
    );
}

#[test]
fn with_satisfy_any_a_malformed_bearer_header_is_a_no_not_a_400() {
    let Some(e) = env(
        "satisfy",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location /by-address/ {{ satisfy any; allow 127.0.0.1; deny all;\n\
                 proxy_pass http://127.0.0.1:{{backend}}; }}\n\
             location /by-token/ {{ satisfy any; deny all;\n\
                 proxy_pass http://127.0.0.1:{{backend}}; }}"
        ),
        "",
        &[],
    ) else {
        return;
    };
    for header in ["Bearer a b", "Bearer ==a", "Bearer"] {
        let r = get(
            &e.gateway.url("/by-address/x"),
            &[("Authorization", header)],
        );
        assert_eq!(r.status, 200, "{header}: the address allows it");
        let r = get(&e.gateway.url("/by-token/x"), &[("Authorization", header)]);
        assert_eq!(r.status, 401, "{header}: nobody allows it");
        assert!(
            r.header("WWW-Authenticate")
                .unwrap()
                .contains(r#"error="invalid_request""#)
        );
    }
    assert_eq!(
        get_bearer(&e.gateway.url("/by-token/x"), &for_sub("alice")).status,
        200
    );
}

#[test]
fn a_subrequest_sees_no_claims_its_main_request_does_not_see() {
    // The main request asks for the verdict in /a/ (set), then `rewrite … last` takes it to /b/,
    // which has no auth_jwt: there its variables are empty. An SSI include of an open location
    // must not see the verdict made for /a/ either; under a protected page it sees the page's.
    let Some(e) = env(
        "subverdict",
        &format!(
            "{POLICY}\n\
             location /a/ {{ auth_jwt \"api\"; set $u $jwt_claim_sub; rewrite ^/a/(.*)$ /b/$1 last; }}\n\
             location /b/ {{ ssi on; alias {{dir}}/www/; }}\n\
             location /protected/ {{ auth_jwt \"api\"; ssi on; alias {{dir}}/www/; }}\n\
             location /echo/ {{ return 200 \"[$jwt_claim_sub $jwt_status]\"; }}"
        ),
        "",
        &[("www/page.html", "<!--# include virtual=\"/echo/\" -->\n")],
    ) else {
        return;
    };
    let alice = for_sub("alice");
    let r = get_bearer(&e.gateway.url("/a/page.html"), &alice);
    assert_eq!((r.status, r.body.as_str()), (200, "[ ]\n"));
    let r = get_bearer(&e.gateway.url("/protected/page.html"), &alice);
    assert_eq!((r.status, r.body.as_str()), (200, "[alice ok]\n"));
}
