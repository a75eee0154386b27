//! Remote key sets (`auth_jwt_key_request`): nginx fetches the key set with a subrequest from a
//! JWKS origin that counts its fetches and fails on demand; keys follow the origin without a
//! reload, workers share one fetch, failures keep the last good set. One behaviour per test.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tollgate_nginx_tests::*;

/// A gateway whose keys come from `/_jwks`, proxied to the origin; `{extra}` adds directives.
fn server(origin: &Origin, backend: u16, extra: &str) -> String {
    format!(
        "auth_jwt \"api\";\n\
         auth_jwt_key_request /_jwks;\n\
         auth_jwt_issuer {ISSUER}; auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         {extra}\n\
         add_header X-Jwt-Status $jwt_status always;\n\
         location = /_jwks {{ internal; proxy_pass {url};\n\
             proxy_connect_timeout 1s; proxy_read_timeout 1s; }}\n\
         location / {{ proxy_pass http://127.0.0.1:{backend}; }}",
        url = origin.url()
    )
}

struct Env {
    origin: Origin,
    _backend: Backend,
    gateway: Gateway,
}

/// An origin publishing `kids`, a backend, and a started gateway with `extra` directives.
fn env(name: &str, kids: &[&str], extra: &str, workers: usize) -> Option<Env> {
    env_with(name, kids, extra, workers, |_| {})
}

fn env_with(
    name: &str,
    kids: &[&str],
    extra: &str,
    workers: usize,
    before_start: impl FnOnce(&Origin),
) -> Option<Env> {
    let (module, nginx) = nginx_and_module()?;
    let origin = Origin::start(&rotating_jwks(kids));
    let backend = Backend::start();
    before_start(&origin);
    let mut gateway =
        Gateway::configure(&module, &nginx, name, &server(&origin, backend.port, extra))
            .with_workers(workers);
    gateway.start();
    Some(Env {
        origin,
        _backend: backend,
        gateway,
    })
}

impl Env {
    fn get(&self, token: &str) -> Reply {
        get_bearer(&self.gateway.url("/items"), token)
    }

    fn status(&self, token: &str) -> u16 {
        self.get(token).status
    }
}

/// Polls `f` until it holds, for at most `seconds`.
fn eventually(seconds: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !f() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn jwt_status(r: &Reply) -> &str {
    r.header("X-Jwt-Status").unwrap_or("")
}

#[test]
fn the_first_request_waits_for_the_first_fetch_and_verifies() {
    let Some(e) = env("kr-first", &["r1"], "", 1) else {
        return;
    };
    let r = e.get(&rotating_token("r1"));
    assert_eq!(r.status, 200, "{}", e.gateway.error_log());
    assert_eq!(jwt_status(&r), "ok");
    assert_eq!(e.origin.fetches(), 1);
    assert!(
        e.gateway.error_log().contains(
            "tollgate: key request \"/_jwks\": HTTP 200, 1 keys loaded, 0 skipped: the key set changed"
        ),
        "the change is logged at notice with the URI, the status and the count:\n{}",
        e.gateway.error_log()
    );
    let jwks: serde_json::Value = serde_json::from_str(&rotating_jwks(&["r1"])).unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap();
    assert!(!e.gateway.error_log().contains(x), "never a key");
}

#[test]
fn a_key_added_at_the_origin_verifies_after_one_refresh_without_reload() {
    let Some(e) = env("kr-added", &["r1"], "auth_jwt_key_refresh_interval 1s;", 1) else {
        return;
    };
    assert_eq!(e.status(&rotating_token("r1")), 200);
    e.origin.set_jwks(&rotating_jwks(&["r1", "r2"]));
    // Within the interval of the first fetch an unknown key is refused at once...
    let r = e.get(&rotating_token("r2"));
    assert_eq!((r.status, jwt_status(&r)), (401, "unknown_key"));
    assert_eq!(e.origin.fetches(), 1, "no fetch within the interval");
    std::thread::sleep(Duration::from_millis(1100));
    // ...after it, the token with the new key starts an early refresh and waits for it.
    let r = e.get(&rotating_token("r2"));
    assert_eq!(r.status, 200, "{}", e.gateway.error_log());
    assert_eq!(e.origin.fetches(), 2, "one refresh");
    assert_eq!(e.status(&rotating_token("r1")), 200, "the old key stays");
    assert!(
        !e.gateway.error_log().contains("reconfiguring"),
        "no reload"
    );
}

#[test]
fn a_retired_keys_tokens_are_refused_after_the_refresh_even_when_cached() {
    let Some(e) = env(
        "kr-retired",
        &["r1", "r2"],
        "auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;",
        1,
    ) else {
        return;
    };
    let old = rotating_token("r1");
    // Verified, then answered from the token cache.
    assert_eq!(e.status(&old), 200);
    assert_eq!(e.status(&old), 200);
    e.origin.set_jwks(&rotating_jwks(&["r2"]));
    eventually(10, "the retired key's token is refused", || {
        e.status(&old) == 401
    });
    let r = e.get(&old);
    assert_eq!((r.status, jwt_status(&r)), (401, "unknown_key"));
    assert_eq!(e.status(&rotating_token("r2")), 200);
}

#[test]
fn a_thousand_random_kids_cause_at_most_two_fetches_across_four_workers() {
    let Some(e) = env("kr-random", &["r1"], "", 4) else {
        return;
    };
    assert_eq!(e.status(&rotating_token("r1")), 200);
    for i in 0..1000 {
        let r = e.get(&rotating_token(&format!("random-{i}")));
        assert_eq!(
            (r.status, jwt_status(&r)),
            (401, "unknown_key"),
            "request {i}"
        );
    }
    assert!(e.origin.fetches() <= 2, "{} fetches", e.origin.fetches());
}

#[test]
fn four_workers_make_one_fetch_per_interval() {
    let Some(e) = env(
        "kr-workers",
        &["r1"],
        "auth_jwt_key_cache 2s; auth_jwt_key_refresh_interval 1s;",
        4,
    ) else {
        return;
    };
    let url = e.gateway.url("/items");
    let token = rotating_token("r1");
    let (stop, sent, failed) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let start = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (url, token) = (url.clone(), token.clone());
            let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
            std::thread::spawn(move || {
                // A connection per request, so the requests spread over the workers.
                let agent = ureq::Agent::new_with_config(
                    ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .max_idle_connections(0)
                        .build(),
                );
                while !stop.load(Ordering::SeqCst) {
                    let ok = agent
                        .get(&url)
                        .header("Authorization", format!("Bearer {token}"))
                        .call()
                        .map(|r| r.status() == 200)
                        .unwrap_or(false);
                    sent.fetch_add(1, Ordering::SeqCst);
                    if !ok {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(6));
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    let seconds = start.elapsed().as_secs_f64();
    let (sent, failed) = (sent.load(Ordering::SeqCst), failed.load(Ordering::SeqCst));
    assert_eq!(failed, 0, "{failed} of {sent} failed");
    // The first fetch, then one per 2 s: four workers fetching alone would make four times that.
    let most = 2 + (seconds / 2.0).ceil() as usize;
    assert!(
        e.origin.fetches() <= most,
        "{} fetches in {seconds:.1} s (at most {most})",
        e.origin.fetches()
    );
    let log = e.gateway.error_log();
    let workers: std::collections::HashSet<&str> = log
        .lines()
        .filter(|l| l.contains("keys in use from key requests"))
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert!(
        workers.len() >= 2,
        "several workers used the one fetched set: {workers:?}"
    );
}

#[test]
fn a_failing_origin_leaves_the_old_keys_working() {
    let Some(e) = env(
        "kr-failing",
        &["r1"],
        "auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;",
        1,
    ) else {
        return;
    };
    let token = rotating_token("r1");
    assert_eq!(e.status(&token), 200);
    let cases = [
        (Mode::Down, "HTTP 502"),
        (Mode::Status500, "HTTP 500: the status is not 200"),
        (Mode::Garbage, "HTTP 200: JWKS is not valid JSON, jwks_json"),
        (Mode::TooLarge, "the key set is larger than 256 KiB"),
        (Mode::Hang, "HTTP 504"),
    ];
    for (mode, reason) in cases {
        e.origin.set_mode(mode);
        let failures = |log: &str| {
            log.lines()
                .filter(|l| l.contains("[warn]") && l.contains(reason))
                .count()
        };
        eventually(15, &format!("a failed fetch logged for {mode:?}"), || {
            assert_eq!(e.status(&token), 200, "{mode:?}: {}", e.gateway.error_log());
            failures(&e.gateway.error_log()) > 0
        });
        assert!(
            e.gateway.error_log().contains("the keys in use stay"),
            "{mode:?}"
        );
        for _ in 0..5 {
            assert_eq!(e.status(&token), 200, "{mode:?}");
        }
    }
    // A key set of keys that verify nothing: an X25519 key is for key agreement.
    e.origin.set_mode(Mode::Serve);
    e.origin.set_jwks(
        r#"{"keys":[{"kty":"OKP","crv":"X25519","kid":"enc","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}]}"#,
    );
    eventually(15, "a set without a usable key is a failure", || {
        assert_eq!(e.status(&token), 200, "{}", e.gateway.error_log());
        e.gateway.error_log().contains("HTTP 200: no usable key")
    });
    e.origin.set_jwks(&rotating_jwks(&["r2"]));
    eventually(15, "the origin recovers and its new set is used", || {
        e.status(&rotating_token("r2")) == 200
    });
    let log = e.gateway.error_log();
    assert!(!log.contains("[alert]") && !log.contains("[crit]"), "{log}");
}

#[test]
fn a_cold_start_with_the_origin_down_is_503_with_retry_after_then_recovers() {
    let Some(e) = env_with(
        "kr-cold",
        &["r1"],
        "auth_jwt_key_cache 10s; auth_jwt_key_refresh_interval 1s;",
        1,
        |o| o.set_mode(Mode::Down),
    ) else {
        return;
    };
    let token = rotating_token("r1");
    let r = e.get(&token);
    assert_eq!(r.status, 503, "{}", e.gateway.error_log());
    assert_eq!(jwt_status(&r), "keys_unavailable");
    let retry: u64 = r
        .header("Retry-After")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "Retry-After: {retry}");
    assert!(
        r.header("WWW-Authenticate").is_none(),
        "not the token's fault"
    );
    assert!(
        e.gateway
            .error_log()
            .contains("key request \"/_jwks\" failed: HTTP 502"),
        "{}",
        e.gateway.error_log()
    );
    e.origin.set_mode(Mode::Serve);
    eventually(20, "the gateway recovers", || e.status(&token) == 200);
}

#[test]
fn a_request_without_a_token_is_401_even_without_keys() {
    let Some(e) = env_with("kr-none", &["r1"], "", 1, |o| o.set_mode(Mode::Down)) else {
        return;
    };
    let r = get(&e.gateway.url("/items"), &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("WWW-Authenticate"), Some("Bearer realm=\"api\""));
}

#[test]
fn the_fetch_carries_none_of_the_clients_request() {
    let Some(e) = env("kr-headers", &["r1"], "", 1) else {
        return;
    };
    let token = rotating_token("r1");
    let r = get(
        &e.gateway.url("/items?x=1"),
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Cookie", "session=secret"),
            ("Range", "bytes=0-1"),
            ("If-None-Match", "\"abc\""),
            ("X-Forwarded-For", "10.0.0.1"),
        ],
    );
    assert_eq!(r.status, 200);
    let heads = e.origin.heads();
    assert_eq!(heads.len(), 1);
    let head = heads[0].to_ascii_lowercase();
    assert!(head.starts_with("get /jwks http/1."), "{head}");
    for leaked in [
        "authorization",
        "cookie",
        "range",
        "if-none-match",
        "x-forwarded-for",
        token.as_str(),
    ] {
        assert!(
            !head.contains(&leaked.to_ascii_lowercase()),
            "{leaked} reached the origin: {head}"
        );
    }
}

#[test]
fn a_client_leaving_during_the_first_fetch_does_not_wedge_it() {
    let (Some((module, nginx)), backend) = (nginx_and_module(), Backend::start()) else {
        return;
    };
    let origin = Origin::start(&rotating_jwks(&["r1"]));
    origin.set_mode(Mode::Hang);
    // Left alone, the hanging fetch would hold the first fetch for 10 s: longer than a request
    // waits for keys.
    let server = server(&origin, backend.port, "")
        .replace("proxy_read_timeout 1s;", "proxy_read_timeout 10s;");
    let mut gw = Gateway::configure(&module, &nginx, "kr-abort", &server);
    gw.start();
    let token = rotating_token("r1");
    {
        use std::io::Write;
        let mut c = std::net::TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
        c.write_all(
            format!("GET /items HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {token}\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    origin.set_mode(Mode::Serve);
    eventually(5, "the abandoned fetch is logged", || {
        gw.error_log().contains("ended with its request")
    });
    let started = Instant::now();
    assert_eq!(
        get_bearer(&gw.url("/items"), &token).status,
        200,
        "{}",
        gw.error_log()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "a new fetch at once, not the old one's timeout"
    );
}

#[test]
fn a_reload_with_the_origin_down_keeps_the_fetched_keys() {
    let Some(e) = env("kr-reload", &["r1"], "", 2) else {
        return;
    };
    let token = rotating_token("r1");
    assert_eq!(e.status(&token), 200);
    e.origin.set_mode(Mode::Down);
    e.gateway.reload();
    eventually(10, "the new workers run", || {
        e.gateway
            .error_log()
            .matches("start worker process")
            .count()
            >= 4
    });
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..20 {
        assert_eq!(e.status(&token), 200, "{}", e.gateway.error_log());
    }
}

#[test]
fn key_requests_and_key_files_merge() {
    let (Some((module, nginx)), backend) = (nginx_and_module(), Backend::start()) else {
        return;
    };
    let origin = Origin::start(&rotating_jwks(&["r1"]));
    let extra = "auth_jwt_key_file {dir}/files.json;";
    let mut gw = Gateway::configure(
        &module,
        &nginx,
        "kr-merge",
        &server(&origin, backend.port, extra),
    );
    std::fs::write(gw.dir.join("files.json"), jwks_of(&["k1"])).unwrap();
    gw.start();
    let url = gw.url("/items");
    assert_eq!(get_bearer(&url, &rotating_token("r1")).status, 200);
    assert_eq!(
        get_bearer(&url, &token_with(&serde_json::json!({}))).status,
        200
    );
}

#[test]
fn nginx_t_refuses_bad_key_request_configurations() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let cases = [
        (
            "auth_jwt \"api\"; auth_jwt_key_request jwks;",
            "auth_jwt_key_request \"jwks\" is not a URI starting with \"/\"",
        ),
        (
            "auth_jwt \"api\"; auth_jwt_key_request /_jwks; auth_jwt_key_cache 10s; auth_jwt_key_refresh_interval 1m;",
            "auth_jwt_key_refresh_interval (60s) exceeds auth_jwt_key_cache (10s)",
        ),
        (
            "auth_jwt \"api\"; auth_jwt_key_request /_jwks; auth_jwt_key_cache 0;",
            "\"auth_jwt_key_cache\" of \"0\" is not a time of at least 1s",
        ),
        (
            "auth_jwt \"api\"; auth_jwt_key_request /_jwks; auth_jwt_key_refresh_interval x;",
            "\"auth_jwt_key_refresh_interval\" of \"x\" is not a time of at least 1s",
        ),
        (
            "auth_jwt \"api\";",
            "needs auth_jwt_key_file or auth_jwt_key_request",
        ),
    ];
    for (server, message) in cases {
        let gw = Gateway::configure(
            &module,
            &nginx,
            "kr-conf",
            &format!("{server}\nlocation / {{ return 204; }}"),
        );
        let (ok, out) = gw.test_config();
        assert!(!ok, "accepted: {server}");
        assert!(out.contains(message), "{server}: {out}");
    }
}

#[test]
fn a_key_location_with_proxy_cache_serves_the_set_from_its_cache() {
    let (Some((module, nginx)), backend) = (nginx_and_module(), Backend::start()) else {
        return;
    };
    let origin = Origin::start(&rotating_jwks(&["r1"]));
    let server = server(
        &origin,
        backend.port,
        "auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;",
    )
    .replace(
        "proxy_read_timeout 1s;",
        "proxy_read_timeout 1s; proxy_cache jwks; proxy_cache_valid 200 1m;",
    );
    let mut gw = Gateway::configure(&module, &nginx, "kr-cache", &server)
        .with_http("proxy_cache_path {dir}/jwks keys_zone=jwks:1m;");
    gw.start();
    let url = gw.url("/items");
    let token = rotating_token("r1");
    assert_eq!(get_bearer(&url, &token).status, 200);
    // Refreshes after the key cache time are answered from nginx's cache, a file.
    origin.set_mode(Mode::Down);
    eventually(10, "a refresh answered by the cache", || {
        assert_eq!(get_bearer(&url, &token).status, 200);
        gw.error_log().contains("HTTP 200, unchanged")
    });
    assert_eq!(origin.fetches(), 1);
    assert!(!gw.error_log().contains("failed"), "{}", gw.error_log());
}

#[test]
fn repeated_key_requests_merge_their_sets() {
    let (Some((module, nginx)), backend) = (nginx_and_module(), Backend::start()) else {
        return;
    };
    let (a, b) = (
        Origin::start(&rotating_jwks(&["ra"])),
        Origin::start(&rotating_jwks(&["rb"])),
    );
    let server = format!(
        "{}\nauth_jwt_key_request /_jwks_b;\n\
         location = /_jwks_b {{ internal; proxy_pass {}; }}",
        server(&a, backend.port, ""),
        b.url()
    );
    let mut gw = Gateway::configure(&module, &nginx, "kr-two", &server);
    gw.start();
    let url = gw.url("/items");
    assert_eq!(get_bearer(&url, &rotating_token("ra")).status, 200);
    assert_eq!(get_bearer(&url, &rotating_token("rb")).status, 200);
    assert_eq!((a.fetches(), b.fetches()), (1, 1));
}

// ---------------------------------------------------------------------------------------------
// Attacks on the fetch: clients that leave mid-fetch, an identity provider that never finishes.

/// An origin for the attacks below: each connection gets a thread of its own, which reads the
/// request head, counts it, and hands the connection to `answer` (with the stop flag, for
/// answers that last).
struct Scripted {
    port: u16,
    fetches: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Scripted {
    fn start(
        answer: impl Fn(&mut std::net::TcpStream, &AtomicBool) + Send + Sync + 'static,
    ) -> Self {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (fetches, stop) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (fe, sp, answer) = (fetches.clone(), stop.clone(), Arc::new(answer));
        std::thread::spawn(move || {
            while !sp.load(Ordering::SeqCst) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let (fe, sp, answer) = (fe.clone(), sp.clone(), answer.clone());
                std::thread::spawn(move || {
                    conn.set_nonblocking(false).unwrap();
                    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let (mut head, mut buf) = (Vec::new(), [0u8; 4096]);
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    fe.fetch_add(1, Ordering::SeqCst);
                    answer(&mut conn, &sp);
                });
            }
        });
        Scripted {
            port,
            fetches,
            stop,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/jwks", self.port)
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A 200 with `jwks`, after `delay`.
fn answer_after(conn: &mut std::net::TcpStream, delay: Duration, jwks: &str) {
    use std::io::Write;
    std::thread::sleep(delay);
    let _ = conn.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{jwks}",
            jwks.len()
        )
        .as_bytes(),
    );
}

/// A gateway on `origin` with `extra` directives.
fn gateway_on(name: &str, origin_url: &str, backend: u16, extra: &str) -> Option<Gateway> {
    let (module, nginx) = nginx_and_module()?;
    let server = format!(
        "auth_jwt \"api\";\n\
         auth_jwt_key_request /_jwks;\n\
         auth_jwt_issuer {ISSUER}; auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         {extra}\n\
         add_header X-Jwt-Status $jwt_status always;\n\
         location = /_jwks {{ internal; proxy_pass {origin_url}; proxy_read_timeout 5s; }}\n\
         location / {{ proxy_pass http://127.0.0.1:{backend}; }}"
    );
    let mut gw = Gateway::configure(&module, &nginx, name, &server);
    gw.start();
    Some(gw)
}

/// Sends a request with `token` and closes the connection after `after`, before any answer.
fn send_and_leave(port: u16, token: &str, after: Duration) {
    use std::io::Write;
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(
        format!("GET /items HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {token}\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    std::thread::sleep(after);
}

#[test]
fn clients_leaving_mid_fetch_buy_at_most_one_fetch_a_second() {
    // Envoy's refetch storms, by another road: every fetch is started by some request, and
    // ends with it. A client that leaves must not free the next fetch to start at once.
    let backend = Backend::start();
    let origin = Scripted::start(|c, _| {
        answer_after(c, Duration::from_millis(800), &rotating_jwks(&["r1"]))
    });
    let Some(gw) = gateway_on(
        "kr-leave-storm",
        &origin.url(),
        backend.port,
        "auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;",
    ) else {
        return;
    };
    assert_eq!(
        get_bearer(&gw.url("/items"), &rotating_token("r1")).status,
        200
    );
    std::thread::sleep(Duration::from_millis(2200));
    // The set has expired: each of these starts a refresh, waits for it (its key is unknown)
    // and leaves.
    let started = Instant::now();
    for i in 0..20 {
        send_and_leave(
            gw.port,
            &rotating_token(&format!("leave-{i}")),
            Duration::from_millis(60),
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let most = 1 + 2 + seconds.ceil() as usize;
    assert!(
        origin.fetches() <= most,
        "{} fetches in {seconds:.1} s (at most {most}):\n{}",
        origin.fetches(),
        gw.error_log()
    );
}

/// An origin that answers each fetch after `delay` with the key set held in the returned
/// cell (r1 at first), which a test swaps to rotate the provider's keys.
fn slow_origin(delay: Duration) -> (Scripted, Arc<std::sync::Mutex<String>>) {
    let jwks = Arc::new(std::sync::Mutex::new(rotating_jwks(&["r1"])));
    let served = jwks.clone();
    let origin = Scripted::start(move |c, _| {
        let body = served.lock().unwrap().clone();
        answer_after(c, delay, &body)
    });
    (origin, jwks)
}

#[test]
fn a_client_leaving_mid_refresh_does_not_hold_back_the_next_one() {
    // A client that leaves during a refresh is not the identity provider failing: counted as a
    // failure, every such client would double the back-off (up to 5 minutes), and a few requests
    // would keep a retired key in use for as long.
    let backend = Backend::start();
    let (origin, jwks) = slow_origin(Duration::from_millis(400));
    let Some(gw) = gateway_on(
        "kr-leave-backoff",
        &origin.url(),
        backend.port,
        "auth_jwt_key_cache 1m; auth_jwt_key_refresh_interval 1s;",
    ) else {
        return;
    };
    assert_eq!(
        get_bearer(&gw.url("/items"), &rotating_token("r1")).status,
        200
    );
    *jwks.lock().unwrap() = rotating_jwks(&["r1", "r2"]);
    // Each unknown key starts an early refresh (once a second) and waits for it; the client
    // leaves before it ends.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        send_and_leave(
            gw.port,
            &rotating_token("nobody"),
            Duration::from_millis(150),
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        origin.fetches() >= 3,
        "the attack ran: {} fetches",
        origin.fetches()
    );
    // A client that stays gets the new key within the refresh interval and a fetch.
    let started = Instant::now();
    eventually(4, "the new key verifies", || {
        get_bearer(&gw.url("/items"), &rotating_token("r2")).status == 200
    });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{}",
        gw.error_log()
    );
}

#[test]
fn a_fetch_that_never_finishes_is_given_up_and_the_next_one_starts() {
    // A slow drip keeps proxy_read_timeout from firing: one byte before each timeout. Without
    // a limit of its own, the fetch would hold its worker's refreshes forever and the keys in
    // use would never change again.
    let backend = Backend::start();
    let drip = Arc::new(AtomicBool::new(false));
    let dripping = drip.clone();
    let origin = Scripted::start(move |c, stop| {
        use std::io::Write;
        if !dripping.load(Ordering::SeqCst) {
            return answer_after(c, Duration::ZERO, &rotating_jwks(&["r1", "r2"]));
        }
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n");
        while !stop.load(Ordering::SeqCst) && c.write_all(b" ").is_ok() {
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let Some(gw) = gateway_on(
        "kr-drip",
        &origin.url(),
        backend.port,
        "auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;",
    ) else {
        return;
    };
    let token = rotating_token("r1");
    assert_eq!(get_bearer(&gw.url("/items"), &token).status, 200);
    drip.store(true, Ordering::SeqCst);
    eventually(5, "a dripping refresh", || {
        let r = std::panic::catch_unwind(|| get_bearer(&gw.url("/items"), &token).status);
        assert_eq!(r.ok(), Some(200), "{}", gw.error_log());
        origin.fetches() >= 2
    });
    let dripping_since = Instant::now();
    drip.store(false, Ordering::SeqCst);
    eventually(
        15,
        "the stuck fetch is given up and another fetches",
        || {
            let r = std::panic::catch_unwind(|| get_bearer(&gw.url("/items"), &token).status);
            assert_eq!(r.ok(), Some(200), "{}", gw.error_log());
            origin.fetches() >= 3
        },
    );
    assert!(
        dripping_since.elapsed() < Duration::from_secs(13),
        "{:?}",
        dripping_since.elapsed()
    );
    assert!(
        gw.error_log().contains("did not finish within 10 s"),
        "{}",
        gw.error_log()
    );
}

#[test]
fn a_key_set_over_the_limit_ends_its_fetch_not_the_clients_connection() {
    // 50 MB without a Content-Length to refuse it by: the limit is found while reading. The
    // client whose request started the refresh keeps its connection, and the origin is cut
    // off long before it has sent it all.
    let backend = Backend::start();
    let (huge, sent) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let (serving_huge, counting) = (huge.clone(), sent.clone());
    let origin = Scripted::start(move |c, stop| {
        use std::io::Write;
        if !serving_huge.load(Ordering::SeqCst) {
            return answer_after(c, Duration::ZERO, &rotating_jwks(&["r1"]));
        }
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
        while !stop.load(Ordering::SeqCst)
            && counting.load(Ordering::SeqCst) < 50 << 20
            && c.write_all(chunk.as_bytes()).is_ok()
        {
            counting.fetch_add(0x10000, Ordering::SeqCst);
        }
        let _ = c.write_all(b"0\r\n\r\n");
    });
    let Some(gw) = gateway_on(
        "kr-huge",
        &origin.url(),
        backend.port,
        "auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;",
    ) else {
        return;
    };
    let token = rotating_token("r1");
    assert_eq!(get_bearer(&gw.url("/items"), &token).status, 200);
    huge.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(2200));
    // Two requests on one connection: the first starts the refresh, the second is read when
    // the refresh's subrequest is over.
    let request = |last: &str| {
        format!("GET /items HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {token}\r\n{last}\r\n")
    };
    let replies = raw_request(
        gw.port,
        format!("{}{}", request(""), request("Connection: close\r\n")).as_bytes(),
    );
    let replies = String::from_utf8_lossy(&replies);
    assert_eq!(
        replies.matches("HTTP/1.1 200 OK").count(),
        2,
        "{replies}\n{}",
        gw.error_log()
    );
    assert!(
        gw.error_log()
            .contains("the key set is larger than 256 KiB"),
        "{}",
        gw.error_log()
    );
    assert!(
        sent.load(Ordering::SeqCst) < 16 << 20,
        "the origin sent {} bytes",
        sent.load(Ordering::SeqCst)
    );
    assert_eq!(get_bearer(&gw.url("/items"), &token).status, 200);
}

#[test]
fn a_reload_without_a_master_process_is_refused_with_key_requests() {
    // Without a master (master_process off, as under valgrind) nginx reloads in the one
    // process and never starts a worker again: the key requests' per-worker state would belong
    // to the old configuration, and its zone be unmapped when its size changes.
    let (Some((module, nginx)), backend) = (nginx_and_module(), Backend::start()) else {
        return;
    };
    let origin = Origin::start(&rotating_jwks(&["r1"]));
    let mut gw = Gateway::configure_with(
        &module,
        &nginx,
        "kr-single",
        &server(&origin, backend.port, ""),
        true,
    );
    gw.start();
    let token = rotating_token("r1");
    assert_eq!(get_bearer(&gw.url("/items"), &token).status, 200);
    let conf = gw.dir.join("nginx.conf");
    let text = std::fs::read_to_string(&conf).unwrap().replace(
        "auth_jwt_key_request /_jwks;",
        "auth_jwt_key_request /_jwks; auth_jwt_key_request /_jwks?second;",
    );
    std::fs::write(&conf, text).unwrap();
    gw.reload();
    eventually(10, "the reload is refused", || {
        gw.error_log()
            .contains("auth_jwt_key_request cannot be reloaded without a master process")
    });
    for _ in 0..5 {
        assert_eq!(
            get_bearer(&gw.url("/items"), &token).status,
            200,
            "{}",
            gw.error_log()
        );
    }
}

#[test]
fn a_verdict_made_before_a_refresh_is_made_again_under_the_new_keys() {
    // Identity by address is not identity: a request verified under the old set, then held up
    // (here by limit_req, after the rewrite phase made its verdict and started the refresh)
    // while the provider drops a compromised key, must be checked again under the new set —
    // even if the new verifier were allocated where the old one was.
    let backend = Backend::start();
    let (origin, jwks) = slow_origin(Duration::from_millis(100));
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let server = format!(
        "auth_jwt \"api\"; auth_jwt_key_request /_jwks;\n\
         auth_jwt_issuer {ISSUER}; auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;\n\
         add_header X-Jwt-Status $jwt_status always;\n\
         location = /_jwks {{ internal; proxy_pass {url}; }}\n\
         location = /other {{ auth_jwt off; limit_req zone=ip burst=5;\n\
             proxy_pass http://127.0.0.1:{port}; }}\n\
         location / {{ limit_req zone=ip burst=5; proxy_pass http://127.0.0.1:{port}; }}",
        url = origin.url(),
        port = backend.port
    );
    let mut gw = Gateway::configure(&module, &nginx, "kr-verdict", &server)
        .with_http("limit_req_zone $binary_remote_addr zone=ip:1m rate=1r/s;");
    gw.start();
    let old = rotating_token("r1");
    assert_eq!(get_bearer(&gw.url("/items"), &old).status, 200);
    *jwks.lock().unwrap() = rotating_jwks(&["r2"]);
    std::thread::sleep(Duration::from_millis(2200));
    // Takes the limit's one request a second without a refresh, so the next is delayed.
    assert_eq!(get(&gw.url("/other"), &[]).status, 200);
    let started = Instant::now();
    let r = get_bearer(&gw.url("/items"), &old);
    assert!(
        started.elapsed() > Duration::from_millis(500),
        "delayed by limit_req"
    );
    assert_eq!(
        (r.status, jwt_status(&r)),
        (401, "unknown_key"),
        "{}",
        gw.error_log()
    );
    assert!(gw.error_log().contains("1 keys loaded"), "the set changed");
}

#[test]
fn satisfy_any_with_no_keys_is_503_even_for_an_allowed_address() {
    // A cold start with the provider down: "no keys" is neither a pass nor a "no" that another
    // access module outvotes; it is the gateway's failure, 503, whoever asks. Once there are
    // keys, `satisfy any` combines the module's answer with `allow` as usual.
    let Some(e) = env_with(
        "kr-satisfy",
        &["r1"],
        "satisfy any; allow 127.0.0.1; deny all;\n\
         auth_jwt_key_cache 10s; auth_jwt_key_refresh_interval 1s;",
        1,
        |o| o.set_mode(Mode::Down),
    ) else {
        return;
    };
    let r = e.get(&rotating_token("r1"));
    assert_eq!((r.status, jwt_status(&r)), (503, "keys_unavailable"));
    e.origin.set_mode(Mode::Serve);
    eventually(10, "keys arrive", || e.status(&rotating_token("r1")) == 200);
    let r = e.get(&rotating_token("nobody"));
    assert_eq!(
        (r.status, jwt_status(&r)),
        (200, "unknown_key"),
        "allow wins"
    );
}

#[test]
fn an_auth_request_subrequest_waits_for_the_first_fetch_and_fails_closed() {
    // auth_request's subrequest to a location with key requests starts the first fetch itself
    // (its own subrequest) and waits for it; without a token it is 401, never a pass.
    let (Some((module, nginx)), backend) = (nginx_and_module(), Backend::start()) else {
        return;
    };
    let origin = Origin::start(&rotating_jwks(&["r1"]));
    let server = format!(
        "auth_jwt_issuer {ISSUER}; auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         location = /_jwks {{ internal; proxy_pass {url}; proxy_read_timeout 1s; }}\n\
         location = /_auth {{ internal; auth_jwt \"api\"; auth_jwt_key_request /_jwks;\n\
             return 204; }}\n\
         location / {{ auth_request /_auth; proxy_pass http://127.0.0.1:{port}; }}",
        url = origin.url(),
        port = backend.port
    );
    let mut gw = Gateway::configure(&module, &nginx, "kr-auth-request", &server);
    gw.start();
    assert_eq!(get(&gw.url("/items"), &[]).status, 401);
    assert_eq!(
        get_bearer(&gw.url("/items"), &rotating_token("r1")).status,
        200,
        "{}",
        gw.error_log()
    );
    assert_eq!(
        get_bearer(&gw.url("/items"), &rotating_token("nobody")).status,
        401
    );
    assert_eq!(origin.fetches(), 1);
}

#[test]
fn an_admitted_request_keeps_the_claims_it_was_admitted_with_when_the_keys_change() {
    // A request admitted under the old set, whose headers to the backend are made only once
    // its body has arrived, after a refresh dropped its key: the backend must not get it
    // without the identity it was admitted with (an empty X-Sub, an empty role).
    let Some(e) = env(
        "kr-admitted",
        &["r1"],
        "auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;\n\
         proxy_set_header X-Sub $jwt_claim_sub; proxy_set_header X-Status $jwt_status;",
        1,
    ) else {
        return;
    };
    let token = rotating_token("r1");
    assert_eq!(
        e.get(&token).backend_header("x-sub").as_deref(),
        Some(CLIENT)
    );
    e.origin.set_jwks(&rotating_jwks(&["r2"]));
    std::thread::sleep(Duration::from_millis(2200));
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", e.gateway.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(
        format!(
            "POST /items HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {token}\r\n\
             Content-Length: 5\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    // The request started the refresh and was admitted; the refresh ends while its body waits.
    eventually(5, "the refresh", || {
        e.gateway
            .error_log()
            .contains("0 skipped: the key set changed")
            && e.origin.fetches() >= 2
    });
    std::thread::sleep(Duration::from_millis(200));
    c.write_all(b"hello").unwrap();
    let mut reply = String::new();
    let _ = c.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (
            v["headers"]["x-sub"].as_str(),
            v["headers"]["x-status"].as_str()
        ),
        (Some(CLIENT), Some("ok")),
        "{}",
        e.gateway.error_log()
    );
    // The next request with the retired key is refused.
    assert_eq!(e.status(&token), 401);
}

#[test]
fn a_reload_adding_a_key_request_keeps_the_fetched_keys_with_the_origin_down() {
    // Another number of key requests is another size of zone, so nginx gives the new
    // configuration a new one; the sets the old one holds must come along, or the provider
    // being down at that reload is a 503 for every request.
    let Some(e) = env("kr-reload-more", &["r1"], "", 1) else {
        return;
    };
    let token = rotating_token("r1");
    assert_eq!(e.status(&token), 200);
    e.origin.set_mode(Mode::Down);
    let conf = e.gateway.dir.join("nginx.conf");
    let text = std::fs::read_to_string(&conf).unwrap().replace(
        "auth_jwt_key_request /_jwks;",
        "auth_jwt_key_request /_jwks; auth_jwt_key_request /_jwks?second;",
    );
    std::fs::write(&conf, text).unwrap();
    e.gateway.reload();
    eventually(10, "the new workers run", || {
        e.gateway
            .error_log()
            .matches("start worker process")
            .count()
            >= 2
    });
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..10 {
        assert_eq!(e.status(&token), 200, "{}", e.gateway.error_log());
    }
    assert!(
        e.gateway
            .error_log()
            .contains("tollgate: 1 key sets kept across the reload"),
        "{}",
        e.gateway.error_log()
    );
}

/// What the valgrind run's origin answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Serve,
    Slow,
    Huge,
    Drip,
}

#[test]
fn the_attack_paths_run_clean_under_valgrind() {
    // The paths above, in one single-process nginx under valgrind: an oversized chunked set
    // stopped at the limit, clients leaving mid-fetch, a dripping fetch given up at its
    // deadline, then a new set. Zero errors.
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    if !valgrind_available() {
        return;
    }
    let backend = Backend::start();
    let state = Arc::new(std::sync::Mutex::new((
        Answer::Serve,
        rotating_jwks(&["r1"]),
    )));
    let answering = state.clone();
    let origin = Scripted::start(move |c, stop| {
        use std::io::Write;
        let (answer, jwks) = answering.lock().unwrap().clone();
        match answer {
            Answer::Serve => answer_after(c, Duration::ZERO, &jwks),
            Answer::Slow => answer_after(c, Duration::from_millis(1500), &jwks),
            Answer::Huge => {
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
                for _ in 0..64 {
                    if stop.load(Ordering::SeqCst) || c.write_all(chunk.as_bytes()).is_err() {
                        break;
                    }
                }
            }
            Answer::Drip => {
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n");
                while !stop.load(Ordering::SeqCst) && c.write_all(b" ").is_ok() {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    });
    let set = |answer: Answer| state.lock().unwrap().0 = answer;
    let server = format!(
        "auth_jwt \"api\"; auth_jwt_key_request /_jwks; auth_jwt_issuer {ISSUER};\n\
         auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         auth_jwt_key_cache 1s; auth_jwt_key_refresh_interval 1s;\n\
         location = /_jwks {{ internal; proxy_pass {url}; proxy_read_timeout 5s; }}\n\
         location / {{ proxy_pass http://127.0.0.1:{b}; }}",
        url = origin.url(),
        b = backend.port
    );
    let mut gw = Gateway::configure_with(&module, &nginx, "kr-valgrind", &server, true);
    let log = gw.start_under_valgrind();
    let url = gw.url("/items");
    let r1 = rotating_token("r1");
    let fresh = |token: &str| {
        raw_request(
            gw.port,
            format!(
                "GET /items HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {token}\r\n\
                 Connection: close\r\n\r\n"
            )
            .as_bytes(),
        )
    };
    eventually(60, "the first set", || raw_status(&fresh(&r1)) == 200);

    set(Answer::Huge);
    eventually(60, "an oversized set refused", || {
        assert_eq!(raw_status(&fresh(&r1)), 200);
        gw.error_log().contains("larger than 256 KiB")
    });

    set(Answer::Slow);
    std::thread::sleep(Duration::from_millis(1100));
    eventually(60, "a fetch abandoned by its client", || {
        send_and_leave(
            gw.port,
            &rotating_token("leaving"),
            Duration::from_millis(300),
        );
        gw.error_log().contains("ended with its request")
    });

    set(Answer::Drip);
    std::thread::sleep(Duration::from_millis(1100));
    eventually(60, "a dripping fetch given up", || {
        assert_eq!(raw_status(&fresh(&r1)), 200);
        std::thread::sleep(Duration::from_millis(500));
        gw.error_log().contains("did not finish within 10 s")
    });

    *state.lock().unwrap() = (Answer::Serve, rotating_jwks(&["r2"]));
    eventually(60, "the new set", || {
        raw_status(&fresh(&rotating_token("r2"))) == 200
    });
    assert_eq!(get_bearer(&url, &r1).status, 401);

    gw.stop();
    assert_valgrind_clean(&log, "");
}

/// RFC 7517 §5: a verifier skips keys it cannot use; when a provider's whole set is such keys,
/// the operator learns each key's reason from the error log, by index and kid, never its other
/// members.
#[test]
fn a_fetched_set_without_a_usable_key_names_each_skipped_key_and_why() {
    let x25519 = "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";
    let unusable = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"X25519","kid":"agree","x":"{x25519}"}},
                     {{"kty":"oct","kid":"short","alg":"HS256","k":"c2hvcnQ"}}]}}"#
    );
    let Some(e) = env_with("kr-unusable", &["r1"], "", 1, |o| o.set_jwks(&unusable)) else {
        return;
    };
    assert_eq!(e.status(&rotating_token("r1")), 503);
    let log = e.gateway.error_log();
    assert!(log.contains("HTTP 200: no usable key"), "{log}");
    for key in [
        "keys[0] (kid \"agree\") skipped: ",
        "keys[1] (kid \"short\") skipped: ",
    ] {
        assert!(
            log.contains(&format!("tollgate: key request \"/_jwks\": {key}")),
            "{key} in:\n{log}"
        );
    }
    assert!(
        log.contains("(jwks_skip_"),
        "the stable reason name:\n{log}"
    );
    assert!(
        !log.contains(x25519) && !log.contains("c2hvcnQ"),
        "never a key"
    );
}
