//! The pieces of an end-to-end run, each started on a free loopback port and stopped on drop:
//! an echo backend, the issuer, and nginx with the module. In the style of nginx-tests: a
//! configuration template, requests, and assertions on status and headers.
#![allow(dead_code)]

#[path = "../../../tests/support/key_encodings.rs"]
pub mod key_encodings;
pub mod origin;
pub use origin::*;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Value, json};
use tollgate_issuer::keys::SigningKey;
use tollgate_issuer::token::{Grant, mint};
use tollgate_issuer::{Config, Issuer, Running, secrets, serve};

pub const ISSUER: &str = "https://issuer.e2e";
pub const CLIENT: &str = "svc";
pub const SECRET: &str = "e2e-secret";
pub const HS_CLIENT: &str = "hs-svc";
pub const HS_SECRET_B64: &str = "ZTJlLWhzMjU2LXNlY3JldC1vZi1hdC1sZWFzdC0zMi1ieXRlcyEh";

/// Ed25519 seeds of the issuer's keys: `k1` is published first, `k2` is the rotation target.
pub fn seed(kid: &str) -> [u8; 32] {
    match kid {
        "k1" => [11; 32],
        "k2" => [22; 32],
        _ => [99; 32],
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The module and the nginx binary, or `None` (with a message) when they are not built; in CI a
/// missing piece is a failure, never a skip.
pub fn nginx_and_module() -> Option<(PathBuf, PathBuf)> {
    let module = std::env::var_os("TOLLGATE_NGINX_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("build/nginx/objs/ngx_http_tollgate_module.so"));
    let nginx = std::env::var_os("NGINX")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/sbin/nginx".into());
    if module.is_file() && nginx.is_file() {
        return Some((module, nginx));
    }
    let message = format!(
        "nginx end-to-end tests need {} and {} (run `make nginx-test`)",
        nginx.display(),
        module.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("skipping: {message}");
    None
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("tollgate-e2e-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Workers may run as nobody: let them in.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// An HTTP backend answering every request with the request's path and headers as JSON.
pub struct Backend {
    pub port: u16,
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend {
    pub fn start() -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (server.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                if let Ok(Some(request)) = s.recv_timeout(Duration::from_millis(100)) {
                    let headers: serde_json::Map<String, Value> = request
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.field.as_str().as_str().to_ascii_lowercase(),
                                json!(h.value.as_str()),
                            )
                        })
                        .collect();
                    let body = json!({"path": request.url(), "headers": headers}).to_string();
                    let _ = request.respond(tiny_http::Response::from_string(body));
                }
            }
        });
        Backend {
            port,
            server,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The issuer, in process: keys `k1` (active) and `k2`, an EdDSA client and an HS256 client.
pub struct IssuerServer {
    pub base: String,
    running: Option<Running>,
}

fn issuer_config(active: &str) -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| secrets::hash_secret(SECRET.as_bytes()));
    let b64 = |s: [u8; 32]| Base64UrlUnpadded::encode_string(&s);
    format!(
        r#"
issuer = "{ISSUER}"

[[keys]]
kid = "k1"
private_key = "{k1}"
active = {k1_active}

[[keys]]
kid = "k2"
private_key = "{k2}"
active = {k2_active}

[[keys]]
kid = "hs1"
algorithm = "HS256"
private_key = "{HS_SECRET_B64}"

[[clients]]
id = "{CLIENT}"
secret_hash = "{hash}"
scopes = ["items:read", "items:write"]
default_scopes = ["items:read"]
audiences = ["api://items", "api://other"]

[[clients]]
id = "{HS_CLIENT}"
secret_hash = "{hash}"
scopes = ["items:read"]
default_scopes = ["items:read"]
audiences = ["api://items"]
signing_key = "hs1"
"#,
        k1 = b64(seed("k1")),
        k2 = b64(seed("k2")),
        k1_active = active == "k1",
        k2_active = active == "k2",
    )
}

impl IssuerServer {
    /// An issuer signing with `active` (`k1` or `k2`).
    pub fn start(active: &str) -> Self {
        let config = Config::from_toml(&issuer_config(active), Path::new(".")).unwrap();
        let running = serve(Arc::new(Issuer::new(config)), "127.0.0.1:0", 2).unwrap();
        IssuerServer {
            base: format!("http://{}", running.addr()),
            running: Some(running),
        }
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }

    /// A token from the token endpoint for `client`, with extra form parameters.
    pub fn token(&self, client: &str, extra: &str) -> String {
        let basic = base64ct::Base64::encode_string(format!("{client}:{SECRET}").as_bytes());
        let mut r = ureq::post(self.token_url())
            .header("Authorization", format!("Basic {basic}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!("grant_type=client_credentials{extra}"))
            .unwrap();
        let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub fn jwks(&self) -> String {
        ureq::get(format!("{}/.well-known/jwks.json", self.base))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    }
}

impl Drop for IssuerServer {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}

/// The public JWKS of some of the issuer's Ed25519 keys.
pub fn jwks_of(kids: &[&str]) -> String {
    let keys: Vec<Value> = kids
        .iter()
        .map(|kid| ed_key(kid).public_jwk().unwrap())
        .collect();
    json!({ "keys": keys }).to_string()
}

pub fn ed_key(kid: &str) -> SigningKey {
    SigningKey::from_inline(kid, "EdDSA", &Base64UrlUnpadded::encode_string(&seed(kid))).unwrap()
}

pub fn unix_now() -> u64 {
    tollgate_issuer::server::unix_now()
}

/// A token signed by `kid` as the issuer would, but issued at `iat` by `issuer` for `audience`.
pub fn mint_at(kid: &str, issuer: &str, audience: &str, scopes: &[&str], iat: u64) -> String {
    let grant = Grant {
        client_id: CLIENT.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        audiences: vec![audience.into()],
        lifetime: 300,
    };
    mint(issuer, &ed_key(kid), &grant, iat)
}

/// A token with any header and claims, signed by `kid`.
pub fn sign_raw(kid: &str, header: &Value, claims: &Value) -> String {
    sign_raw_with(&ed_key(kid), header, claims)
}

/// A token with any header and claims, signed by `key`.
pub fn sign_raw_with(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(&key.sign(input.as_bytes()))
    )
}

/// An HS256 token "signed" with `secret` (for the algorithm-confusion attack).
pub fn hs256_with(secret: &[u8], header: &Value, claims: &Value) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes())
    )
}

/// nginx with the module, from a configuration template whose `{server}` block is filled in.
pub struct Gateway {
    pub port: u16,
    pub dir: PathBuf,
    nginx: PathBuf,
    module: PathBuf,
    /// `http {}` directives besides the server (log formats, maps, …).
    http: String,
    server: String,
    single_process: bool,
    workers: usize,
    child: Option<Child>,
}

/// The `http {}` preamble: temp paths inside the test directory, logs at info.
fn preamble(module: &Path, dir: &Path, single_process: bool, workers: usize) -> String {
    let d = dir.display();
    format!(
        "load_module {module};\n\
         daemon off;\n\
         {master}\
         worker_processes {workers};\n\
         error_log {d}/error.log info;\n\
         pid {d}/nginx.pid;\n\
         events {{ worker_connections 512; }}\n",
        module = module.display(),
        master = if single_process {
            "master_process off;\n"
        } else {
            ""
        },
    )
}

fn http_block(dir: &Path, servers: &str) -> String {
    let d = dir.display();
    format!(
        "http {{\n\
         access_log {d}/access.log;\n\
         client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;\n\
         uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
         {servers}\n}}\n"
    )
}

impl Gateway {
    /// Writes the configuration for `server` (a `server {}` body; `{port}` and `{dir}` are
    /// filled in) without starting nginx.
    pub fn configure(module: &Path, nginx: &Path, name: &str, server: &str) -> Self {
        Self::configure_with(module, nginx, name, server, false)
    }

    pub fn configure_with(
        module: &Path,
        nginx: &Path,
        name: &str,
        server: &str,
        single_process: bool,
    ) -> Self {
        let mut gateway = Gateway {
            port: 0,
            dir: temp_dir(name),
            nginx: nginx.into(),
            module: module.into(),
            http: String::new(),
            server: server.into(),
            single_process,
            workers: 1,
            child: None,
        };
        gateway.write_config();
        gateway
    }

    /// Adds `http {}` directives (with `{dir}` filled in) before the server block.
    pub fn with_http(mut self, http: &str) -> Self {
        self.http = http.to_string();
        self.write_config();
        self
    }

    /// Runs `workers` worker processes instead of one.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self.write_config();
        self
    }

    /// Writes nginx.conf for a newly picked free port.
    fn write_config(&mut self) {
        self.port = free_port();
        let dir = &self.dir;
        let fill = |t: &str| {
            t.replace("{port}", &self.port.to_string())
                .replace("{dir}", &dir.display().to_string())
        };
        let conf = format!(
            "{}{}",
            preamble(&self.module, dir, self.single_process, self.workers),
            http_block(
                dir,
                &format!(
                    "{}\nserver {{\n listen 127.0.0.1:{};\n{}\n}}",
                    fill(&self.http),
                    self.port,
                    fill(&self.server)
                )
            )
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    }

    fn args(&self) -> Vec<String> {
        vec![
            "-p".into(),
            self.dir.display().to_string(),
            "-c".into(),
            self.dir.join("nginx.conf").display().to_string(),
        ]
    }

    /// `nginx -t`: whether the configuration is accepted, and what nginx said.
    pub fn test_config(&self) -> (bool, String) {
        let out = Command::new(&self.nginx)
            .arg("-t")
            .args(self.args())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Starts nginx (optionally under a wrapper such as valgrind) and waits until it answers.
    pub fn start_with(&mut self, wrapper: &[&str]) {
        // The free port may be taken between picking it and nginx binding it: pick again.
        for _ in 0..5 {
            match self.try_start(wrapper) {
                Ok(()) => return,
                Err(e) if e.contains("Address already in use") => self.write_config(),
                Err(e) => panic!("{e}"),
            }
        }
        panic!("no free port for nginx after 5 tries");
    }

    fn try_start(&mut self, wrapper: &[&str]) -> Result<(), String> {
        let mut cmd = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(&self.nginx);
                c
            }
            None => Command::new(&self.nginx),
        };
        let child = cmd
            .args(self.args())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline =
            Instant::now() + Duration::from_secs(if wrapper.is_empty() { 10 } else { 60 });
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let mut err = String::new();
                self.child
                    .take()
                    .unwrap()
                    .stderr
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                return Err(format!(
                    "nginx exited with {status}: {err}\n{}",
                    self.error_log()
                ));
            }
            assert!(Instant::now() < deadline, "nginx did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    pub fn start(&mut self) {
        self.start_with(&[]);
    }

    /// Starts nginx (configured with `master_process off`) under valgrind's memcheck, which
    /// writes its report to the file returned; [`assert_valgrind_clean`] reads it.
    pub fn start_under_valgrind(&mut self) -> PathBuf {
        let report = self.dir.join("valgrind.log");
        let log_arg = format!("--log-file={}", report.display());
        self.start_with(&[
            "valgrind",
            "--error-exitcode=99",
            "--leak-check=no",
            "--track-origins=yes",
            &log_arg,
        ]);
        report
    }

    fn master_pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// The peak resident memory of the running master (KiB): what reading the configuration
    /// took. From /proc, because a child's rusage also counts the test process it was spawned
    /// from (Linux carries the old address space's peak across exec).
    pub fn master_peak_rss(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.master_pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.master_pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// `nginx -s reload`: the master rereads the configuration and replaces its workers.
    pub fn reload(&self) {
        self.signal("-HUP");
    }

    /// Stops nginx (SIGTERM) and returns what it wrote on standard error.
    pub fn stop(&mut self) -> String {
        let Some(child) = self.child.take() else {
            return String::new();
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A response: status, headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The backend's view of the request (its echoed headers), for proxied requests.
    pub fn backend_header(&self, name: &str) -> Option<String> {
        let v: Value = serde_json::from_str(&self.body).ok()?;
        v["headers"][name].as_str().map(str::to_string)
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        )
    })
}

/// GET `url` with extra headers.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = agent().get(url);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let mut r = req.call().unwrap();
    Reply {
        status: r.status().as_u16(),
        headers: r
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// GET `url` with `Authorization: Bearer token`.
pub fn get_bearer(url: &str, token: &str) -> Reply {
    get(url, &[("Authorization", &format!("Bearer {token}"))])
}

/// A token with a header and claims given as raw JSON text (any whitespace, any escapes),
/// signed by `kid` with EdDSA.
pub fn sign_json(kid: &str, header: &str, claims: &str) -> String {
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(claims.as_bytes())
    );
    format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(&ed_key(kid).sign(input.as_bytes()))
    )
}

/// A token signed by `k1` for the standard gateway's policy (issuer, `api://items`, `at+jwt`),
/// valid for a minute, with `extra` claims (a JSON object) added.
pub fn token_with(extra: &Value) -> String {
    let now = unix_now();
    let mut claims = json!({
        "iss": ISSUER, "sub": CLIENT, "client_id": CLIENT, "aud": "api://items",
        "iat": now, "exp": now + 60, "scope": "items:read",
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    sign_raw(
        "k1",
        &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "k1"}),
        &claims,
    )
}

/// A backend that records the exact bytes of every request head it receives (so nothing a
/// parser would normalise is hidden) and answers `200 ok`.
pub struct RawBackend {
    pub port: u16,
    heads: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RawBackend {
    pub fn start() -> Self {
        use std::io::Write;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, st) = (heads.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                conn.set_nonblocking(false).unwrap();
                conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                h.lock().unwrap().push(head);
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
                );
            }
        });
        RawBackend {
            port,
            heads,
            stop,
            thread: Some(thread),
        }
    }

    /// The request heads received so far, oldest first.
    pub fn heads(&self) -> Vec<Vec<u8>> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for RawBackend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends `request` (exact bytes) to `port` and returns every byte of the response.
pub fn raw_request(port: u16, request: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.write_all(request).unwrap();
    let mut response = Vec::new();
    let _ = conn.read_to_end(&mut response);
    response
}

/// A GET of `path` with `Authorization: <authorization>` as exact bytes, on its own connection.
pub fn raw_get(port: u16, path: &str, authorization: &[u8]) -> Vec<u8> {
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n").into_bytes();
    request.extend_from_slice(b"Authorization: ");
    request.extend_from_slice(authorization);
    request.extend_from_slice(b"\r\n\r\n");
    raw_request(port, &request)
}

/// The lines of a message head, split at any LF (a bare LF ends a line for many parsers), CR
/// removed at line ends.
pub fn head_lines(message: &[u8]) -> Vec<Vec<u8>> {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    message[..end]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect()
}

/// The head lines whose field name is `name` (case-insensitive).
pub fn header_lines(message: &[u8], name: &str) -> Vec<Vec<u8>> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head_lines(message)
        .into_iter()
        .filter(|l| l.to_ascii_lowercase().starts_with(prefix.as_bytes()))
        .collect()
}

/// The status code of a raw response.
pub fn raw_status(response: &[u8]) -> u16 {
    let line = head_lines(response).into_iter().next().unwrap_or_default();
    String::from_utf8_lossy(&line)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The body of a raw response (after the head).
pub fn raw_body(response: &[u8]) -> Vec<u8> {
    match response.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => response[i + 4..].to_vec(),
        None => Vec::new(),
    }
}

/// Whether valgrind can run here. CI installs it, so there its absence fails the test; elsewhere
/// the test is skipped with a message.
pub fn valgrind_available() -> bool {
    if Command::new("valgrind").arg("--version").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI needs valgrind");
    eprintln!("skipping: valgrind is not installed");
    false
}

/// Asserts that valgrind's `report` (of a stopped nginx) shows it ran nginx and found no error.
pub fn assert_valgrind_clean(report: &Path, what: &str) {
    let report = std::fs::read_to_string(report).unwrap();
    assert!(
        report.contains("Memcheck") && report.contains("nginx"),
        "valgrind ran nginx:\n{report}"
    );
    assert!(
        report.contains("ERROR SUMMARY: 0 errors from 0 contexts"),
        "valgrind found errors {what}:\n{report}"
    );
}
