//! `tollgate serve` as an operator runs it: SIGHUP reloads configuration and keys atomically, a
//! broken configuration keeps the running one, key rotation end to end, startup checks of the
//! secret hashes, and logs that name what matters and never a secret.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use serde_json::Value;
use tollgate::{KeySet, Policy, Scratch, Verifier};
use tollgate_issuer::{keys, secrets};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");
const ISSUER: &str = "https://issuer.rotation.test";
const SECRET: &str = "rotation-secret";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tollgate-reload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a new Ed25519 private JWK to `dir/kid.jwk`.
fn new_key(dir: &Path, kid: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let (private, _) = keys::generate_ed25519(kid);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(dir.join(format!("{kid}.jwk")))
        .unwrap();
    file.write_all(private.to_string().as_bytes()).unwrap();
}

/// A configuration with the keys `(kid, active)` from their files, and one client.
fn write_config(dir: &Path, keys: &[(&str, bool)], hash: &str) {
    let mut text = format!("issuer = \"{ISSUER}\"\n");
    for (kid, active) in keys {
        text += &format!(
            "[[keys]]\nkid = \"{kid}\"\nprivate_key_file = \"{kid}.jwk\"\nactive = {active}\n"
        );
    }
    text += &format!(
        "[[clients]]\nid = \"svc\"\nsecret_hash = \"{hash}\"\naudiences = [\"api://items\"]\ntoken_lifetime = 600\n"
    );
    std::fs::write(dir.join("issuer.toml"), text).unwrap();
}

/// `tollgate serve` on a free port, its log lines collected; SIGTERM on drop.
struct Served {
    child: Child,
    base: String,
    lines: Receiver<String>,
    log: Vec<String>,
}

impl Served {
    fn start(config: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--config", config.to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        Served {
            child,
            base,
            lines,
            log: Vec::new(),
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for a log line containing `text`, and returns it.
    fn wait_for(&mut self, text: &str) -> String {
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.log.push(line.clone());
                if line.contains(text) {
                    return line;
                }
            }
        }
        panic!("no log line with {text:?} in:\n{}", self.log.join("\n"));
    }

    fn reload(&mut self) -> String {
        self.signal("HUP");
        self.wait_for("reloaded: ")
    }

    fn token(&self) -> String {
        let basic = Base64::encode_string(format!("svc:{SECRET}").as_bytes());
        let mut r = ureq::post(format!("{}/token", self.base))
            .header("Authorization", format!("Basic {basic}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send("grant_type=client_credentials")
            .unwrap();
        let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    fn jwks(&self) -> String {
        ureq::get(format!("{}/.well-known/jwks.json", self.base))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    }

    /// SIGTERM, and everything logged until the exit.
    fn stop(mut self) -> (std::process::ExitStatus, Vec<String>) {
        self.signal("TERM");
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.log.push(line);
        }
        (status, std::mem::take(&mut self.log))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value =
        serde_json::from_slice(&base64ct::Base64UrlUnpadded::decode_vec(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_string()
}

/// What a gateway configured with `jwks` says of `token`, at the time it was issued.
fn gateway(jwks: &str, token: &str) -> Result<(), tollgate::Error> {
    let (keys, _) = KeySet::from_jwks(jwks.as_bytes()).unwrap();
    let policy = Policy::builder()
        .issuer(ISSUER)
        .audience("api://items")
        .token_type("at+jwt")
        .build()
        .unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64ct::Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap();
    let now = claims["iat"].as_i64().unwrap();
    Verifier::new(keys, policy)
        .verify(token.as_bytes(), now, &mut Scratch::new())
        .map(|_| ())
}

/// README, "Reload and key rotation", step by step: tokens issued at every step verify through
/// gateways holding the JWKS of that step or of the step before, and only retiring the old key
/// ends its tokens.
#[test]
fn key_rotation_end_to_end_with_sighup() {
    let dir = temp_dir("rotation");
    let hash = secrets::hash_secret(SECRET.as_bytes());
    new_key(&dir, "k1");
    write_config(&dir, &[("k1", true)], &hash);
    let mut served = Served::start(&dir.join("issuer.toml"));
    served.wait_for("serving");
    let jwks0 = served.jwks();
    let t0 = served.token();
    assert_eq!(kid_of(&t0), "k1");

    // 1. The next key, published but not signing.
    new_key(&dir, "k2");
    write_config(&dir, &[("k1", true), ("k2", false)], &hash);
    let line = served.reload();
    assert!(
        line.contains("\"k2\""),
        "the log names the published keys: {line}"
    );
    let jwks1 = served.jwks();
    let t1 = served.token();
    assert_eq!(kid_of(&t1), "k1");
    for t in [&t0, &t1] {
        assert_eq!(gateway(&jwks1, t), Ok(()));
    }
    assert_eq!(gateway(&jwks0, &t1), Ok(()), "a gateway not yet refreshed");

    // 2. Sign with the next key. Gateways that fetched after step 1 already know it.
    write_config(&dir, &[("k1", false), ("k2", true)], &hash);
    served.reload();
    let jwks2 = served.jwks();
    let t2 = served.token();
    assert_eq!(kid_of(&t2), "k2");
    for t in [&t0, &t1, &t2] {
        assert_eq!(gateway(&jwks2, t), Ok(()));
    }
    assert_eq!(
        gateway(&jwks1, &t2),
        Ok(()),
        "a gateway refreshed at step 1"
    );

    // 3. After the longest token lifetime: retire the old key.
    write_config(&dir, &[("k2", true)], &hash);
    served.reload();
    let jwks3 = served.jwks();
    let t3 = served.token();
    for t in [&t2, &t3] {
        assert_eq!(gateway(&jwks3, t), Ok(()));
    }
    for t in [&t0, &t1] {
        assert_eq!(
            gateway(&jwks3, t),
            Err(tollgate::Error::UnknownKey),
            "why step 3 waits for old tokens to expire"
        );
    }
    let (status, _) = served.stop();
    assert!(status.success());
}

/// A careless rotation: a new key written over the old file under the same kid. Tokens signed
/// before stop verifying wherever the new JWKS is fetched, and gateways still holding the old
/// one reject the new tokens: the reload says so, naming the kid.
#[test]
fn a_key_replaced_under_the_same_kid_is_a_warning_on_reload() {
    let dir = temp_dir("same-kid");
    let hash = secrets::hash_secret(SECRET.as_bytes());
    new_key(&dir, "k1");
    write_config(&dir, &[("k1", true)], &hash);
    let mut served = Served::start(&dir.join("issuer.toml"));
    served.wait_for("serving");
    served.reload();
    assert!(
        !served
            .log
            .iter()
            .any(|l| l.contains("kept its kid") || l.contains("its kid did not")),
        "an unchanged key is no news"
    );
    new_key(&dir, "k1");
    served.signal("HUP");
    let line = served.wait_for("its kid did not");
    assert!(line.contains("WARN") && line.contains("\"k1\""), "{line}");
    let (status, _) = served.stop();
    assert!(status.success());
}

/// A broken configuration on SIGHUP is logged with its reason; the running one keeps serving.
#[test]
fn a_broken_configuration_on_reload_keeps_the_old_one() {
    let dir = temp_dir("broken");
    let hash = secrets::hash_secret(SECRET.as_bytes());
    new_key(&dir, "k1");
    write_config(&dir, &[("k1", true)], &hash);
    let mut served = Served::start(&dir.join("issuer.toml"));
    served.wait_for("serving");
    let jwks = served.jwks();

    std::fs::write(dir.join("issuer.toml"), "issuer = \n").unwrap();
    served.signal("HUP");
    let line = served.wait_for("reload failed");
    assert!(line.contains("line 1"), "the reason is given: {line}");

    // A key file that vanished is as broken as bad TOML.
    write_config(&dir, &[("k1", true), ("gone", false)], &hash);
    served.signal("HUP");
    let line = served.wait_for("reload failed");
    assert!(line.contains("keys[1].private_key_file"), "{line}");

    assert_eq!(served.jwks(), jwks);
    assert_eq!(kid_of(&served.token()), "k1");
    let (status, _) = served.stop();
    assert!(status.success());
}

/// Startup logs the address, the issuer and the key ids; request lines carry method, path,
/// status, client and latency; no line carries a secret, a hash or a token.
#[test]
fn the_log_names_what_matters_and_never_a_secret() {
    let dir = temp_dir("log");
    let hash = secrets::hash_secret(SECRET.as_bytes());
    new_key(&dir, "k1");
    write_config(&dir, &[("k1", true)], &hash);
    let mut served = Served::start(&dir.join("issuer.toml"));
    let startup = served.wait_for("serving");
    assert!(startup.contains(&served.base), "{startup}");
    assert!(
        startup.contains(ISSUER) && startup.contains("\"k1\""),
        "{startup}"
    );

    let token = served.token();
    let wrong = ureq::post(format!("{}/token", served.base))
        .config()
        .http_status_as_error(false)
        .build()
        .header(
            "Authorization",
            format!("Basic {}", Base64::encode_string(b"svc:not-the-secret")),
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("grant_type=client_credentials")
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let (status, log) = served.stop();
    assert!(status.success());

    let requests: Vec<&String> = log.iter().filter(|l| l.contains("POST /token")).collect();
    assert_eq!(requests.len(), 2, "{log:#?}");
    assert!(requests[0].contains(" 200 client=svc "), "{}", requests[0]);
    assert!(requests[0].contains("ms"), "latency: {}", requests[0]);
    assert!(
        requests[1].contains(" 401 client=- error=invalid_client"),
        "{}",
        requests[1]
    );
    let all = log.join("\n");
    for secret in [
        SECRET,
        "not-the-secret",
        &hash,
        &token[..40],
        &token[token.len() - 40..],
    ] {
        assert!(!all.contains(secret), "{secret:?} in the log:\n{all}");
    }
    assert!(all.contains("stopped"), "{all}");
}

/// OWASP's minimum for Argon2id is m=19 MiB, t=2, p=1 (or an equivalent): a weaker hash is a
/// warning naming the client; a hash no secret can match stops the start.
#[test]
fn weak_hashes_warn_and_unverifiable_ones_refuse_to_start() {
    let dir = temp_dir("weak");
    new_key(&dir, "k1");
    let weak = "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$8KnN8w4wnpvu8mSG0dKDnbvwfUzCWMIAfS5jDv3FG9Y";
    assert!(secrets::check_hash(weak).unwrap().weak);
    write_config(&dir, &[("k1", true)], weak);
    let mut served = Served::start(&dir.join("issuer.toml"));
    let line = served.wait_for("OWASP");
    assert!(line.contains("WARN") && line.contains("\"svc\""), "{line}");
    assert!(line.contains("m=4096,t=1,p=1"), "{line}");
    drop(served);

    let unverifiable = weak.replace("v=19", "v=99");
    write_config(&dir, &[("k1", true)], &unverifiable);
    let out = Command::new(BIN)
        .args([
            "serve",
            "--config",
            dir.join("issuer.toml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("clients[0].secret_hash"), "{stderr}");
}

/// SIGTERM with slow clients connected: the process exits within the shutdown deadline.
#[test]
fn sigterm_with_slow_clients_stops_within_seconds() {
    use std::io::Write;
    let dir = temp_dir("sigterm");
    let hash = secrets::hash_secret(SECRET.as_bytes());
    new_key(&dir, "k1");
    write_config(&dir, &[("k1", true)], &hash);
    let mut served = Served::start(&dir.join("issuer.toml"));
    served.wait_for("serving");
    let addr = served.base.trim_start_matches("http://").to_string();
    let _slow: Vec<std::net::TcpStream> = (0..8)
        .map(|i| {
            let mut c = std::net::TcpStream::connect(&addr).unwrap();
            let partial: &[u8] = match i % 4 {
                0 => b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\nab",
                1 => b"GET /healthz HTTP/1.1\r\nHo",
                2 => b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
                _ => b"",
            };
            c.write_all(partial).unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (status, _) = served.stop();
    assert!(status.success());
    // The default shutdown deadline is 5 s.
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
}

/// Reloads racing requests: every token comes wholly from one configuration (its issuer and its
/// signing key belong together), and every request is answered.
#[test]
fn reloads_racing_requests_never_mix_two_configurations() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let config = |issuer: &str, seed: u8| {
        common::config_text("", "")
            .replace(common::ISSUER, issuer)
            .replace(
                &base64ct::Base64UrlUnpadded::encode_string(&[1; 32]),
                &base64ct::Base64UrlUnpadded::encode_string(&[seed; 32]),
            )
            .replace("kid = \"k1\"", &format!("kid = \"k{seed}\""))
    };
    let (a, b) = (config("https://a.test", 1), config("https://b.test", 2));
    let s = Arc::new(common::Server::start(&a));
    let running = Arc::new(AtomicBool::new(true));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (s, running) = (s.clone(), running.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while running.load(Ordering::SeqCst) {
                    let r = s.exchange(&common::token_request(common::CLIENT, common::SECRET));
                    assert_eq!(r.status, 200);
                    let token = r.json()["access_token"].as_str().unwrap().to_string();
                    let payload = token.split('.').nth(1).unwrap();
                    let claims: Value = serde_json::from_slice(
                        &base64ct::Base64UrlUnpadded::decode_vec(payload).unwrap(),
                    )
                    .unwrap();
                    seen.push((claims["iss"].as_str().unwrap().to_string(), kid_of(&token)));
                }
                seen
            })
        })
        .collect();
    for i in 0..40 {
        let next = if i % 2 == 0 { &b } else { &a };
        s.running().replace(common::config(next));
        std::thread::sleep(Duration::from_millis(10));
    }
    running.store(false, Ordering::SeqCst);
    let seen: Vec<(String, String)> = clients
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert!(seen.len() > 10, "{}", seen.len());
    for (iss, kid) in &seen {
        assert!(
            matches!(
                (iss.as_str(), kid.as_str()),
                ("https://a.test", "k1") | ("https://b.test", "k2")
            ),
            "{iss} signed by {kid}"
        );
    }
}
