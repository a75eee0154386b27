//! Key rotation the way operators do it: rewrite the key file, reload nginx (SIGHUP), while
//! requests keep coming. No request may fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tollgate_nginx_tests::*;

/// Replaces the key file atomically, so a reload never reads half of it.
fn write_jwks(gateway: &Gateway, kids: &[&str]) {
    let tmp = gateway.dir.join("jwks.json.tmp");
    std::fs::write(&tmp, jwks_of(kids)).unwrap();
    std::fs::rename(tmp, gateway.dir.join("jwks.json")).unwrap();
}

/// Sends requests with `token` until stopped; counts them and the ones that did not get 200.
struct Load {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Load {
    fn start(url: String, token: String) -> Self {
        let (stop, sent, failed) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let (st, se, fa) = (stop.clone(), sent.clone(), failed.clone());
        let thread = std::thread::spawn(move || {
            // A fresh connection per request: during a graceful reload nginx may close idle
            // keep-alive connections, which HTTP allows and clients retry; that is not what
            // this test is about.
            let agent = ureq::Agent::new_with_config(
                ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .max_idle_connections(0)
                    .build(),
            );
            while !st.load(Ordering::SeqCst) {
                let ok = agent
                    .get(&url)
                    .header("Authorization", format!("Bearer {token}"))
                    .call()
                    .map(|r| r.status() == 200)
                    .unwrap_or(false);
                se.fetch_add(1, Ordering::SeqCst);
                if !ok {
                    fa.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Load {
            stop,
            sent,
            failed,
            thread: Some(thread),
        }
    }

    /// Stops and returns (sent, failed).
    fn finish(mut self) -> (usize, usize) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        (
            self.sent.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
        )
    }
}

fn wait_for_status(url: &str, token: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while get_bearer(url, token).status != status {
        assert!(Instant::now() < deadline, "the reload never took effect");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn rotating_keys_by_reload_fails_no_request() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let backend = Backend::start();
    // The issuer has moved on to k2; tokens signed by k1 are still in circulation.
    let issuer = IssuerServer::start("k2");
    let old = mint_at("k1", ISSUER, "api://items", &["items:read"], unix_now());
    let new = issuer.token(CLIENT, "");
    let server = format!(
        "auth_jwt \"api\"; auth_jwt_key_file {{dir}}/jwks.json; auth_jwt_issuer {ISSUER};\n\
         auth_jwt_audience api://items;\n\
         location / {{ proxy_pass http://127.0.0.1:{}; }}",
        backend.port
    );
    let mut gw = Gateway::configure(&module, &nginx, "reload", &server);
    write_jwks(&gw, &["k1"]);
    gw.start();
    let url = gw.url("/items");
    assert_eq!(get_bearer(&url, &old).status, 200);
    assert_eq!(get_bearer(&url, &new).status, 401, "k2 is not trusted yet");

    // Step 1: publish k2 beside k1, under load with the old token.
    let load_old = Load::start(url.clone(), old.clone());
    std::thread::sleep(Duration::from_millis(200));
    write_jwks(&gw, &["k1", "k2"]);
    gw.reload();
    wait_for_status(&url, &new, 200);

    // Step 2: retire k1, under load with the new token.
    let load_new = Load::start(url.clone(), new.clone());
    std::thread::sleep(Duration::from_millis(200));
    let (sent_old, failed_old) = load_old.finish();
    write_jwks(&gw, &["k2"]);
    gw.reload();
    wait_for_status(&url, &old, 401);
    std::thread::sleep(Duration::from_millis(200));
    let (sent_new, failed_new) = load_new.finish();

    assert_eq!(
        failed_old, 0,
        "{failed_old} of {sent_old} requests with the old key failed"
    );
    assert_eq!(
        failed_new, 0,
        "{failed_new} of {sent_new} requests with the new key failed"
    );
    assert!(
        sent_old > 50 && sent_new > 50,
        "too little load: {sent_old}, {sent_new}"
    );
    assert!(gw.error_log().contains("reconfiguring"), "nginx reloaded");
}
