//! What the issuer's HTTP suites share: an in-process server with a configuration of one's
//! choosing, raw-socket requests, and token helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use tollgate::{KeySet, Policy, Verifier};
use tollgate_issuer::{Config, Issuer, Running, secrets, serve};

pub const ISSUER: &str = "https://issuer.test";
pub const CLIENT: &str = "svc";
pub const SECRET: &str = "s3cret-for-tests";
pub const OTHER: &str = "other";

/// What a gateway in front of this issuer verifies with: the published `jwks`, the issuer, the
/// audience `api://items` and RFC 9068's `at+jwt`.
pub fn core_verifier(jwks: &str) -> Verifier {
    let (keys, _) = KeySet::from_jwks(jwks.as_bytes()).unwrap();
    let policy = Policy::builder()
        .issuer(ISSUER)
        .audience("api://items")
        .token_type("at+jwt")
        .build()
        .unwrap();
    Verifier::new(keys, policy)
}

pub fn hash(secret: &str) -> String {
    static SVC: OnceLock<String> = OnceLock::new();
    if secret == SECRET {
        return SVC
            .get_or_init(|| secrets::hash_secret(SECRET.as_bytes()))
            .clone();
    }
    secrets::hash_secret(secret.as_bytes())
}

/// A configuration with one EdDSA key and clients `svc` and `other` (both with [`SECRET`]),
/// plus `extra` TOML at the top level (say, a `[limits]` table) and `clients` appended.
pub fn config_text(extra: &str, clients: &str) -> String {
    format!(
        r#"
issuer = "{ISSUER}"
{extra}

[[keys]]
kid = "k1"
private_key = "{seed}"

[[clients]]
id = "{CLIENT}"
secret_hash = "{hash}"
scopes = ["items:read"]
default_scopes = ["items:read"]
audiences = ["api://items"]

[[clients]]
id = "{OTHER}"
secret_hash = "{hash}"
scopes = ["items:read"]
default_scopes = ["items:read"]
audiences = ["api://items"]
{clients}
"#,
        seed = Base64UrlUnpadded::encode_string(&[1; 32]),
        hash = hash(SECRET),
    )
}

pub fn config(text: &str) -> Config {
    Config::from_toml(text, Path::new(".")).unwrap()
}

pub fn issuer(text: &str) -> Arc<Issuer> {
    Arc::new(Issuer::new(config(text)))
}

/// An in-process server, stopped on drop.
pub struct Server {
    pub running: Option<Running>,
    pub addr: SocketAddr,
}

impl Server {
    pub fn start(text: &str) -> Self {
        let running = serve(issuer(text), "127.0.0.1:0", 2).unwrap();
        Server {
            addr: running.addr(),
            running: Some(running),
        }
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    pub fn connect(&self) -> Raw {
        Raw::connect(self.addr)
    }

    /// A connection from another peer (a loopback address other than 127.0.0.1).
    pub fn connect_from(&self, from: [u8; 4]) -> Raw {
        Raw::connect_from(self.addr, from)
    }

    /// A whole request on a new connection, and its response.
    pub fn exchange(&self, request: &[u8]) -> Reply {
        let mut raw = self.connect();
        raw.send(request);
        raw.reply().expect("a response")
    }

    pub fn healthz(&self) -> Reply {
        self.exchange(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    }

    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        Base64::encode_string(format!("{id}:{secret}").as_bytes())
    )
}

/// A token request with Basic credentials, as raw HTTP/1.1.
pub fn token_request(id: &str, secret: &str) -> Vec<u8> {
    let body = "grant_type=client_credentials";
    format!(
        "POST /token HTTP/1.1\r\nHost: t\r\nAuthorization: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        basic(id, secret),
        body.len()
    )
    .into_bytes()
}

/// A response as read off the socket.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// A raw TCP connection to the server.
pub struct Raw {
    pub stream: TcpStream,
    buffered: Vec<u8>,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Self {
        Self::wrap(TcpStream::connect(addr).unwrap())
    }

    /// A connection from another loopback address (say 127.0.0.2): another peer to the server.
    pub fn connect_from(addr: SocketAddr, from: [u8; 4]) -> Self {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket.bind(&SocketAddr::from((from, 0)).into()).unwrap();
        socket.connect(&addr.into()).unwrap();
        Self::wrap(socket.into())
    }

    fn wrap(stream: TcpStream) -> Self {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Raw {
            stream,
            buffered: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends what it can; a server that closed or reset the connection ends it quietly.
    pub fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    fn fill(&mut self) -> Option<usize> {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk) {
            Ok(n) => {
                self.buffered.extend_from_slice(&chunk[..n]);
                Some(n)
            }
            Err(_) => None,
        }
    }

    /// The next response, or `None` when the connection closes (or times out) first.
    pub fn reply(&mut self) -> Option<Reply> {
        let end = loop {
            if let Some(i) = find(&self.buffered, b"\r\n\r\n") {
                break i;
            }
            if self.fill()? == 0 {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buffered[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while self.buffered.len() < end + 4 + length {
            if self.fill()? == 0 {
                return None;
            }
        }
        let body = self.buffered[end + 4..end + 4 + length].to_vec();
        self.buffered.drain(..end + 4 + length);
        Some(Reply {
            status,
            headers,
            body,
        })
    }

    /// Whether the server closes the connection (EOF or reset) within `within`, reading and
    /// dropping anything it still sends.
    pub fn closes_within(&mut self, within: Duration) -> bool {
        self.stream.set_read_timeout(Some(within)).unwrap();
        let until = Instant::now() + within;
        let mut chunk = [0u8; 8192];
        while Instant::now() < until {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return false;
                }
                Err(_) => return true,
            }
        }
        false
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The median and the 99th percentile of some durations, in milliseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.99))
}
