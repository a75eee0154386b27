//! Memory on the request path: what one request can make the module hold is bounded by its
//! configuration, not by the client, and running out of memory fails closed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use tollgate_nginx_tests::*;

const POLICY: &str = "auth_jwt_key_file {dir}/jwks.json; auth_jwt_issuer https://issuer.e2e;\n\
                      auth_jwt_audience api://items;\n";

/// A gateway named `name` with `server` and `http` (`{backend}` filled in) and the issuer's
/// `k1` as its key file; not started.
fn gateway(name: &str, server: &str, http: &str, backend: u16) -> Option<Gateway> {
    let (module, nginx) = nginx_and_module()?;
    let fill = |t: &str| t.replace("{backend}", &backend.to_string());
    let gw = Gateway::configure(&module, &nginx, name, &fill(server)).with_http(&fill(http));
    std::fs::write(gw.dir.join("jwks.json"), jwks_of(&["k1"])).unwrap();
    Some(gw)
}

/// `fail_scratch.c` built as a preload library in `dir`, failing scratch allocations once
/// `flag` exists.
fn fail_scratch_library(dir: &Path, flag: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fail_scratch.c");
    let library = dir.join("fail_scratch.so");
    let out = Command::new("cc")
        .args([
            "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o",
        ])
        .arg(&library)
        .arg(format!("-DFLAG=\"{}\"", flag.display()))
        .arg(&source)
        .arg("-ldl")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    library
}

/// A token signed by the right key over other claims: the signature does not verify.
fn forged(token: &str) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", "A".repeat(86))
}

#[test]
fn a_scratch_that_cannot_be_allocated_never_lets_a_request_in() {
    // The `if` asks for the verdict in the rewrite phase; nginx's script engine takes a failed
    // variable as empty and goes on, so the access phase must not find a verdict half made.
    let backend = Backend::start();
    let Some(mut gw) = gateway(
        "nomem",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location / {{\n\
                 if ($jwt_claim_role = guest) {{ return 403; }}\n\
                 proxy_pass http://127.0.0.1:{{backend}};\n\
             }}"
        ),
        "",
        backend.port,
    ) else {
        return;
    };
    let flag = gw.dir.join("fail-scratch");
    let library = fail_scratch_library(&gw.dir, &flag);
    gw.start_with(&["env", &format!("LD_PRELOAD={}", library.display())]);
    // From the first request on: a worker reuses the scratches of finished requests.
    std::fs::write(&flag, "").unwrap();
    let url = gw.url("/x");
    let valid = token_with(&json!({"role": "admin"}));
    for token in [forged(&valid), valid.clone()] {
        let status = get_bearer(&url, &token).status;
        assert_eq!(status, 500, "without a scratch nothing is verified");
    }
    std::fs::remove_file(&flag).unwrap();
    assert_eq!(get_bearer(&url, &forged(&valid)).status, 401);
    assert_eq!(get_bearer(&url, &valid).status, 200);
}

/// How many scratches the module allocated, from its debug trace.
fn scratches_allocated(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("tollgate: scratch") && l.ends_with("allocated"))
        .count()
}

#[test]
fn a_sliced_download_holds_one_scratch_not_one_per_slice() {
    // Each slice is a subrequest that reads $jwt_claim_sub for proxy_set_header. Every
    // scratch a request uses is held until it ends (the claims are still referenced), so a
    // verdict per slice would hold 16 KiB per slice: 100 MB for a 6 GB file in 1 MiB slices.
    let files = free_port();
    let Some(mut gw) = gateway(
        "slice",
        &format!(
            "auth_jwt \"api\"; {POLICY}\n\
             location /big/ {{\n\
                 error_log {{dir}}/debug.log debug;\n\
                 slice 1k;\n\
                 proxy_set_header Range $slice_range;\n\
                 proxy_set_header X-Sub $jwt_claim_sub;\n\
                 proxy_pass http://127.0.0.1:{files}/;\n\
             }}"
        ),
        &format!("server {{ listen 127.0.0.1:{files}; root {{dir}}/www; }}"),
        0,
    ) else {
        return;
    };
    let body: String = (0..64 * 1024)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    std::fs::create_dir_all(gw.dir.join("www")).unwrap();
    std::fs::write(gw.dir.join("www/file"), &body).unwrap();
    gw.start();

    let r = get_bearer(&gw.url("/big/file"), &token_with(&json!({"sub": "alice"})));
    assert_eq!(r.status, 200);
    assert!(r.body == body, "the 64 slices make the file");
    gw.stop();
    let log = std::fs::read_to_string(gw.dir.join("debug.log")).unwrap();
    assert!(
        log.contains("tollgate: token of"),
        "no debug trace: nginx built without --with-debug?"
    );
    assert_eq!(scratches_allocated(&log), 1, "one verdict for the request");
}
