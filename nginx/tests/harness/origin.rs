//! A JWKS origin for key request tests: it counts the requests it receives, records their heads,
//! serves whatever key set it is given, and can fail every way an identity provider can — down
//! (connections refused), 500, garbage, a body over the module's limit, or no answer at all.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Value, json};
use tollgate_issuer::keys::SigningKey;

use crate::{CLIENT, ISSUER, sign_raw_with, unix_now};

/// What the origin answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 200 with the current key set.
    Serve,
    /// 500 with a key set in the body (a status is a failure whatever the body).
    Status500,
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 with a valid key set padded past 256 KiB.
    TooLarge,
    /// Reads the request and never answers.
    Hang,
    /// Not listening: connections are refused.
    Down,
}

struct State {
    jwks: String,
    mode: Mode,
    heads: Vec<String>,
}

pub struct Origin {
    pub port: u16,
    state: Arc<Mutex<State>>,
    fetches: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Origin {
    /// An origin serving `jwks` on a free port.
    pub fn start(jwks: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            jwks: jwks.to_string(),
            mode: Mode::Serve,
            heads: Vec::new(),
        }));
        let fetches = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, fe, sp) = (state.clone(), fetches.clone(), stop.clone());
        let thread = std::thread::spawn(move || serve(listener, port, st, fe, sp));
        Origin {
            port,
            state,
            fetches,
            stop,
            thread: Some(thread),
        }
    }

    /// Publishes another key set.
    pub fn set_jwks(&self, jwks: &str) {
        self.state.lock().unwrap().jwks = jwks.to_string();
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    /// Requests received (answered or not) since it started.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// The heads of the requests received, oldest first.
    pub fn heads(&self) -> Vec<String> {
        self.state.lock().unwrap().heads.clone()
    }

    /// `proxy_pass` target of a key request location.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/jwks", self.port)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    listener: TcpListener,
    port: u16,
    state: Arc<Mutex<State>>,
    fetches: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) {
    let mut listener = Some(listener);
    let mut hanging: Vec<TcpStream> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let mode = state.lock().unwrap().mode;
        // Down: the port is closed; back up: bound again (std sets SO_REUSEADDR).
        if mode == Mode::Down {
            listener = None;
            hanging.clear();
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let l = listener.get_or_insert_with(|| {
            TcpListener::bind(("127.0.0.1", port)).expect("the origin's port again")
        });
        l.set_nonblocking(true).unwrap();
        let Ok((mut conn, _)) = l.accept() else {
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
        fetches.fetch_add(1, Ordering::SeqCst);
        let (mode, jwks) = {
            let mut s = state.lock().unwrap();
            s.heads.push(String::from_utf8_lossy(&head).into_owned());
            (s.mode, s.jwks.clone())
        };
        let (status, body) = match mode {
            Mode::Serve => ("200 OK", jwks),
            Mode::Status500 => ("500 Internal Server Error", jwks),
            Mode::Garbage => ("200 OK", "<html>not a key set</html>".to_string()),
            Mode::TooLarge => {
                let mut v: Value = serde_json::from_str(&jwks).unwrap();
                v["padding"] = json!("x".repeat(300 * 1024));
                ("200 OK", v.to_string())
            }
            Mode::Hang => {
                hanging.push(conn);
                continue;
            }
            Mode::Down => unreachable!(),
        };
        let _ = conn.write_all(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    }
}

/// An Ed25519 key of its own for `kid` (distinct kids, distinct keys).
pub fn rotating_key(kid: &str) -> SigningKey {
    let mut seed = [7u8; 32];
    for (i, b) in kid.bytes().enumerate() {
        seed[i % 32] ^= b.wrapping_mul(31).wrapping_add(i as u8);
    }
    SigningKey::from_inline(kid, "EdDSA", &Base64UrlUnpadded::encode_string(&seed)).unwrap()
}

/// The public JWKS of `rotating_key(kid)` for each kid.
pub fn rotating_jwks(kids: &[&str]) -> String {
    let keys: Vec<Value> = kids
        .iter()
        .map(|kid| rotating_key(kid).public_jwk().unwrap())
        .collect();
    json!({ "keys": keys }).to_string()
}

/// A token for the standard policy (issuer, `api://items`, `at+jwt`, `items:read`), valid for
/// five minutes, signed by `rotating_key(kid)`.
pub fn rotating_token(kid: &str) -> String {
    let now = unix_now();
    let claims = json!({
        "iss": ISSUER, "sub": CLIENT, "client_id": CLIENT, "aud": "api://items",
        "iat": now, "exp": now + 300, "scope": "items:read",
    });
    sign_raw_with(
        &rotating_key(kid),
        &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": kid}),
        &claims,
    )
}
