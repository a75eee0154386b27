//! The module under valgrind: a single-process nginx serves a few hundred requests of every
//! kind, accepted and rejected, and valgrind must report zero errors.

use std::process::Command;

use serde_json::json;
use tollgate_nginx_tests::*;

const ROUNDS: usize = 25;

/// A request (URL and headers) and the status it must get.
type Case = (String, Vec<(&'static str, String)>, u16);

fn valgrind() -> Option<&'static str> {
    if Command::new("valgrind").arg("--version").output().is_ok() {
        return Some("valgrind");
    }
    assert!(std::env::var_os("CI").is_none(), "CI needs valgrind");
    eprintln!("skipping: valgrind is not installed");
    None
}

#[test]
fn every_kind_of_request_runs_clean_under_valgrind() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let Some(valgrind) = valgrind() else { return };
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
         location /public/ {{ auth_jwt off; return 200; }}",
        b = backend.port
    );
    let mut gw = Gateway::configure_with(&module, &nginx, "valgrind", &server, true);
    let mut jwks: serde_json::Value = serde_json::from_str(&jwks_of(&["k1"])).unwrap();
    jwks["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "oct", "kid": "hs1", "k": HS_SECRET_B64}));
    std::fs::write(gw.dir.join("jwks.json"), jwks.to_string()).unwrap();
    let log = gw.dir.join("valgrind.log");
    let log_arg = format!("--log-file={}", log.display());
    gw.start_with(&[
        valgrind,
        "--error-exitcode=99",
        "--leak-check=no",
        "--track-origins=yes",
        &log_arg,
    ]);

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
    let report = std::fs::read_to_string(&log).unwrap();
    assert!(
        report.contains("Memcheck") && report.contains("nginx"),
        "valgrind ran nginx:\n{report}"
    );
    assert!(
        report.contains("ERROR SUMMARY: 0 errors from 0 contexts"),
        "valgrind found errors after {total} requests:\n{report}"
    );
    assert!(total >= 350);
}
