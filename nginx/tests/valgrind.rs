//! The module under valgrind: a single-process nginx serves several hundred requests of every
//! kind, accepted and rejected — variables before the access phase, subrequests, internal
//! redirects, claims with control bytes — and valgrind must report zero errors.

use serde_json::json;
use tollgate_nginx_tests::*;

const ROUNDS: usize = 25;

/// A request (URL and headers) and the status it must get.
type Case = (String, Vec<(&'static str, String)>, u16);

#[test]
fn every_kind_of_request_runs_clean_under_valgrind() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    if !valgrind_available() {
        return;
    }
    let backend = Backend::start();
    let issuer = IssuerServer::start("k1");
    let server = format!(
        "large_client_header_buffers 4 16k;\n\
         auth_jwt \"api\"; auth_jwt_key_file {{dir}}/jwks.json; auth_jwt_issuer {ISSUER};\n\
         auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         proxy_set_header X-Client-Id $jwt_claim_client_id;\n\
         proxy_set_header X-Aud $jwt_claim_aud;\n\
         location /api/ {{ auth_jwt_require_scope items:read; proxy_pass http://127.0.0.1:{b}; }}\n\
         location /write/ {{ auth_jwt_require_scope items:write; proxy_pass http://127.0.0.1:{b}; }}\n\
         location /query/ {{ auth_jwt \"api\" token=$arg_t; proxy_pass http://127.0.0.1:{b}; }}\n\
         location /nocache/ {{ auth_jwt_cache off; proxy_pass http://127.0.0.1:{b}; }}\n\
         location /public/ {{ auth_jwt off; return 200; }}\n\
         access_log {{dir}}/verdicts.log verdicts;\n\
         root {{dir}};\n\
         location /rewrite/ {{ if ($jwt_claim_role = guest) {{ return 403; }}\n\
             set $who $jwt_claim_sub; proxy_set_header X-Who $who;\n\
             proxy_pass http://127.0.0.1:{b}; }}\n\
         location /ar/ {{ auth_jwt off; auth_request /_jwt; auth_request_set $s $jwt_claim_sub;\n\
             proxy_set_header X-S $s; proxy_pass http://127.0.0.1:{b}; }}\n\
         location = /_jwt {{ internal; return 204; }}\n\
         location /any/ {{ satisfy any; deny all; proxy_pass http://127.0.0.1:{b}; }}\n\
         location /payload/ {{ proxy_set_header X-P $jwt_payload; proxy_set_header X-V $jwt_claim_v;\n\
             proxy_set_header X-O $jwt_claim_o; proxy_pass http://127.0.0.1:{b}; }}\n\
         location /tf/ {{ try_files /nope/$jwt_claim_sub @q; }}\n\
         location @q {{ auth_jwt \"api\" token=$arg_t; proxy_set_header X-S $jwt_claim_sub;\n\
             proxy_pass http://127.0.0.1:{b}; }}\n\
         location /req/ {{ auth_jwt_require $jwt_claim_flag; proxy_pass http://127.0.0.1:{b}; }}",
        b = backend.port
    );
    let mut gw = Gateway::configure_with(&module, &nginx, "valgrind", &server, true)
        .with_http("log_format verdicts '$jwt_status $jwt_claim_sub $status';");
    let mut jwks: serde_json::Value = serde_json::from_str(&jwks_of(&["k1"])).unwrap();
    jwks["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "oct", "kid": "hs1", "k": HS_SECRET_B64}));
    std::fs::write(gw.dir.join("jwks.json"), jwks.to_string()).unwrap();
    let log = gw.start_under_valgrind();

    let now = unix_now();
    let ed = issuer.token(
        CLIENT,
        "&scope=items:read+items:write&resource=api://items&resource=api://other",
    );
    let hs = issuer.token(HS_CLIENT, "");
    let expired = mint_at("k1", ISSUER, "api://items", &["items:read"], now - 3600);
    let (input, _) = ed.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", "A".repeat(86));
    let claims =
        json!({"iss": ISSUER, "sub": CLIENT, "aud": "api://items", "iat": now, "exp": now + 60});
    let none = format!("eyJhbGciOiJub25lIn0.{}.", input.split('.').nth(1).unwrap());
    let confused = hs256_with(&[1u8; 32], &json!({"alg": "HS256", "kid": "k1"}), &claims);
    let read_only = issuer.token(CLIENT, "&scope=items:read");
    let guest = token_with(&json!({"role": "guest"}));
    let tricky = token_with(&json!({"v": "a\r\nX-Injected: 1", "o": {"k": [1, 2]}, "flag": false}));
    let spread = sign_json(
        "k1",
        r#"{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}"#,
        &format!(
            "{{\r\n \"iss\": \"{ISSUER}\",\r\n \"aud\": \"api://items\", \"exp\": {},\n \"o\": {{ \"k\" : [ 1 ] }} }}",
            now + 60
        ),
    );
    let bearer = |t: &str| vec![("Authorization", format!("Bearer {t}"))];

    let cases: Vec<Case> = vec![
        (
            gw.url("/api/x"),
            vec![("Authorization", format!("Bearer {ed}"))],
            200,
        ),
        (
            gw.url("/api/x"),
            vec![("Authorization", format!("Bearer {hs}"))],
            200,
        ),
        (
            gw.url("/nocache/x"),
            vec![("Authorization", format!("Bearer {ed}"))],
            200,
        ),
        (
            gw.url("/nocache/x"),
            vec![("Authorization", format!("Bearer {expired}"))],
            401,
        ),
        (
            gw.url("/write/x"),
            vec![("Authorization", format!("Bearer {ed}"))],
            200,
        ),
        (
            gw.url("/write/x"),
            vec![("Authorization", format!("Bearer {read_only}"))],
            403,
        ),
        (gw.url("/api/x"), vec![], 401),
        (
            gw.url("/api/x"),
            vec![("Authorization", "Bearer a b".into())],
            400,
        ),
        (
            gw.url("/api/x"),
            vec![("Authorization", format!("Bearer {forged}"))],
            401,
        ),
        (
            gw.url("/api/x"),
            vec![("Authorization", format!("Bearer {expired}"))],
            401,
        ),
        (
            gw.url("/api/x"),
            vec![("Authorization", format!("Bearer {none}"))],
            401,
        ),
        (
            gw.url("/api/x"),
            vec![("Authorization", format!("Bearer {confused}"))],
            401,
        ),
        (
            gw.url("/api/x"),
            vec![("Authorization", format!("Bearer {}", "x".repeat(9000)))],
            401,
        ),
        (gw.url(&format!("/query/x?t={ed}")), vec![], 200),
        (gw.url("/public/"), vec![], 200),
        (gw.url("/rewrite/x"), bearer(&guest), 403),
        (gw.url("/rewrite/x"), bearer(&ed), 200),
        (gw.url("/rewrite/x"), vec![], 401),
        (gw.url("/ar/x"), bearer(&ed), 200),
        (gw.url("/ar/x"), bearer(&expired), 401),
        (
            gw.url("/ar/x"),
            vec![("Authorization", "Bearer a b".into())],
            401,
        ),
        (
            gw.url("/any/x"),
            vec![("Authorization", "Bearer a b".into())],
            401,
        ),
        (gw.url("/any/x"), bearer(&hs), 200),
        (gw.url("/payload/x"), bearer(&tricky), 200),
        (gw.url("/payload/x"), bearer(&spread), 200),
        (gw.url(&format!("/tf/x?t={hs}")), bearer(&ed), 200),
        (gw.url("/tf/x"), bearer(&ed), 401),
        (gw.url("/req/x"), bearer(&tricky), 401),
        (
            gw.url("/req/x"),
            bearer(&token_with(&json!({"flag": [0]}))),
            200,
        ),
    ];
    let mut total = 0;
    for _ in 0..ROUNDS {
        for (i, (url, headers, expected)) in cases.iter().enumerate() {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            assert_eq!(get(url, &headers).status, *expected, "case {i}");
            total += 1;
        }
    }
    gw.stop();
    assert_valgrind_clean(&log, &format!("after {total} requests"));
    assert!(total >= 700);
}

/// Polls `f` until it holds, for at most `seconds` (valgrind makes everything slow).
fn eventually(seconds: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Key requests under valgrind: a cold start with the origin down, the first fetch, unknown
/// kids, an early refresh, a subrequest that waits, a retired key, every kind of failed fetch,
/// and clients that leave while their request waits for a fetch. Zero errors.
#[test]
fn key_requests_run_clean_under_valgrind() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    if !valgrind_available() {
        return;
    }
    let backend = Backend::start();
    let origin = Origin::start(&rotating_jwks(&["r1"]));
    origin.set_mode(Mode::Down);
    let server = format!(
        "auth_jwt \"api\"; auth_jwt_key_request /_jwks; auth_jwt_issuer {ISSUER};\n\
         auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;\n\
         proxy_set_header X-Sub $jwt_claim_sub;\n\
         location = /_jwks {{ internal; proxy_pass {url}; proxy_read_timeout 2s; }}\n\
         location / {{ proxy_pass http://127.0.0.1:{b}; }}\n\
         location /ar/ {{ auth_jwt off; auth_request /_auth; proxy_pass http://127.0.0.1:{b}; }}\n\
         location = /_auth {{ internal; auth_jwt \"api\"; auth_jwt_cache off; return 204; }}",
        url = origin.url(),
        b = backend.port
    );
    let mut gw = Gateway::configure_with(&module, &nginx, "valgrind-keys", &server, true);
    let log = gw.start_under_valgrind();
    let url = gw.url("/items");
    let (r1, r2) = (rotating_token("r1"), rotating_token("r2"));
    let status = |token: &str| get_bearer(&url, token).status;
    let leave_while_waiting = |token: &str| {
        use std::io::Write;
        let mut c = std::net::TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
        let request =
            format!("GET /items HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {token}\r\n\r\n");
        c.write_all(request.as_bytes()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
    };

    // No keys yet: 503, a client leaving while it waits, then the origin comes up.
    assert_eq!(status(&r1), 503);
    origin.set_mode(Mode::Hang);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    leave_while_waiting(&r1);
    origin.set_mode(Mode::Serve);
    eventually(60, "the first set", || status(&r1) == 200);
    assert_eq!(get(&url, &[]).status, 401);

    // Unknown kids, then an early refresh that brings r2, through auth_request too.
    for i in 0..20 {
        assert_eq!(status(&rotating_token(&format!("x{i}"))), 401);
    }
    origin.set_jwks(&rotating_jwks(&["r1", "r2"]));
    eventually(60, "r2 after a refresh", || status(&r2) == 200);
    assert_eq!(get_bearer(&gw.url("/ar/x"), &r2).status, 200);

    // r1 retired: refused after the refresh, cached or not.
    origin.set_jwks(&rotating_jwks(&["r2"]));
    eventually(60, "r1 refused", || status(&r1) == 401);

    // Every failure keeps r2 working; an early refresh that hangs, and a client leaving it.
    for mode in [
        Mode::Status500,
        Mode::Garbage,
        Mode::TooLarge,
        Mode::Down,
        Mode::Hang,
    ] {
        origin.set_mode(mode);
        for _ in 0..8 {
            assert_eq!(status(&r2), 200, "{mode:?}");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    leave_while_waiting(&rotating_token("y"));
    assert_eq!(status(&r2), 200);
    origin.set_mode(Mode::Serve);
    origin.set_jwks(&rotating_jwks(&["r3"]));
    eventually(60, "r3 after the failures", || {
        status(&rotating_token("r3")) == 200
    });

    let error_log = gw.error_log();
    gw.stop();
    assert_valgrind_clean(&log, "");
    for path in [
        "ended with its request",
        "failed: HTTP 500",
        "JWKS is not valid JSON",
        "larger than 256 KiB",
        "failed: HTTP 502",
        "failed: HTTP 504",
    ] {
        assert!(
            error_log.contains(path),
            "the run went through \"{path}\":\n{error_log}"
        );
    }
}
