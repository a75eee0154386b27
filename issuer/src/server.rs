//! The token endpoint (RFC 6749 §4.4, §5), the JWKS and the RFC 8414 metadata, and a small
//! synchronous HTTP runtime around them.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::config::{Client, Config, is_scope_char};
use crate::form::{Form, basic_credentials};
use crate::secrets::SecretVerifier;
use crate::token::{Grant, mint};

/// Largest request body read; bigger ones get 413.
pub const MAX_BODY: usize = 8 * 1024;
pub const TOKEN_PATH: &str = "/token";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
const REALM: &str = "tollgate";

/// What the handler needs from an HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path, query removed.
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    /// The body, or `None` when it was longer than [`MAX_BODY`].
    pub body: Option<&'a [u8]>,
}

/// A response, and what the log line may say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// The authenticated client, for the log (never a secret or a token).
    pub client_id: Option<String>,
    /// The OAuth error code, for the log.
    pub error: Option<&'static str>,
}

impl Response {
    fn json(status: u16, body: &Value) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: body.to_string(),
            client_id: None,
            error: None,
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// RFC 6749 §5.2: `{"error": code, "error_description": …}`, never cached.
    fn oauth_error(status: u16, code: &'static str, description: &str) -> Self {
        let mut r = Self::json(
            status,
            &json!({"error": code, "error_description": description}),
        )
        .header("Cache-Control", "no-store")
        .header("Pragma", "no-cache");
        r.error = Some(code);
        r
    }
}

/// The authorization server: configuration, keys, clients.
pub struct Issuer {
    config: Config,
    secrets: SecretVerifier,
    jwks: String,
    metadata: String,
}

impl Issuer {
    pub fn new(config: Config) -> Self {
        let secrets = SecretVerifier::new(
            config.clients.first().map(|c| c.secret_hash.as_str()),
            Duration::from_secs(config.secret_cache_seconds),
        );
        let keys: Vec<Value> = config.keys.iter().filter_map(|k| k.public_jwk()).collect();
        let jwks = json!({ "keys": keys }).to_string();
        let metadata = json!({
            "issuer": config.issuer,
            "token_endpoint": format!("{}{TOKEN_PATH}", config.issuer),
            "jwks_uri": format!("{}{JWKS_PATH}", config.issuer),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": [],
            "scopes_supported": scopes_supported(&config.clients),
        })
        .to_string();
        Issuer {
            config,
            secrets,
            jwks,
            metadata,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The published key set (public Ed25519 keys only).
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// Answers one request at `now` (unix seconds).
    pub fn handle(&self, req: &Request<'_>, now: u64) -> Response {
        let allowed = match req.path {
            TOKEN_PATH => "POST",
            JWKS_PATH | METADATA_PATH | "/healthz" => "GET, HEAD",
            _ => return Response::json(404, &json!({"error": "not_found"})),
        };
        if !allowed.split(", ").any(|m| m == req.method) {
            return Response::json(405, &json!({"error": "method_not_allowed"}))
                .header("Allow", allowed);
        }
        let cacheable = |body: &str| Response {
            status: 200,
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("Cache-Control", "public, max-age=300".into()),
            ],
            body: body.into(),
            client_id: None,
            error: None,
        };
        match req.path {
            JWKS_PATH => cacheable(&self.jwks),
            METADATA_PATH => cacheable(&self.metadata),
            "/healthz" => Response::json(200, &json!({"status": "ok"})),
            _ => self.token(req, now),
        }
    }

    /// `POST /token`: RFC 6749 §4.4.2 request, §5.1 success, §5.2 errors.
    fn token(&self, req: &Request<'_>, now: u64) -> Response {
        let Some(body) = req.body else {
            return Response::json(
                413,
                &json!({"error": "invalid_request", "error_description": "request body too large"}),
            );
        };
        let form_type = req
            .content_type
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Response::oauth_error(
                400,
                "invalid_request",
                "Content-Type must be application/x-www-form-urlencoded",
            );
        }
        let form = Form::parse(body);
        match self.authorize(req, &form, now) {
            Ok(response) => response,
            Err(response) => response,
        }
    }

    fn authorize(&self, req: &Request<'_>, form: &Form, now: u64) -> Result<Response, Response> {
        let grant_type = form.single("grant_type")?;
        let client = self.authenticate(req, form)?;
        let grant_type = grant_type.ok_or_else(|| {
            Response::oauth_error(400, "invalid_request", "grant_type is required")
        })?;
        if grant_type != "client_credentials" {
            return Err(Response::oauth_error(
                400,
                "unsupported_grant_type",
                "only client_credentials is supported",
            ));
        }
        if !client.client_credentials_allowed {
            return Err(Response::oauth_error(
                400,
                "unauthorized_client",
                "this client may not use client_credentials",
            ));
        }
        let scopes = self.scopes(client, form.single("scope")?)?;
        let audiences = audiences(client, form)?;
        let grant = Grant {
            client_id: client.id.clone(),
            scopes,
            audiences,
            lifetime: client.token_lifetime,
        };
        let key = &self.config.keys[client.signing_key];
        let token = mint(&self.config.issuer, key, &grant, now);
        let mut body = json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": grant.lifetime,
        });
        // RFC 6749 §5.1: scope is returned, the client may not have asked for what it got.
        if !grant.scopes.is_empty() {
            body["scope"] = Value::String(grant.scopes.join(" "));
        }
        let mut response = Response::json(200, &body)
            .header("Cache-Control", "no-store")
            .header("Pragma", "no-cache");
        response.client_id = Some(client.id.clone());
        Ok(response)
    }

    /// RFC 6749 §2.3.1: Basic, or `client_id` and `client_secret` in the body, never both.
    fn authenticate<'c>(&'c self, req: &Request<'_>, form: &Form) -> Result<&'c Client, Response> {
        let unauthorized = |basic: bool, description: &str| {
            let r = Response::oauth_error(401, "invalid_client", description);
            if basic {
                r.header("WWW-Authenticate", format!("Basic realm=\"{REALM}\""))
            } else {
                r
            }
        };
        let basic = req.authorization.and_then(basic_credentials);
        let in_body = form.contains("client_id") || form.contains("client_secret");
        let (id, secret, basic_used) = match (basic, in_body) {
            (Some(_), true) => {
                return Err(Response::oauth_error(
                    400,
                    "invalid_request",
                    "client credentials in both the Authorization header and the body",
                ));
            }
            (Some(Err(())), false) => {
                return Err(unauthorized(true, "malformed Basic credentials"));
            }
            (Some(Ok((id, secret))), false) => (id, secret, true),
            (None, true) => {
                let id = form.single("client_id")?;
                let secret = form.single("client_secret")?;
                match (id, secret) {
                    (Some(id), Some(secret)) => (id.to_string(), secret.to_string(), false),
                    _ => {
                        return Err(unauthorized(
                            false,
                            "client_id and client_secret are both required",
                        ));
                    }
                }
            }
            (None, false) => return Err(unauthorized(true, "client authentication required")),
        };
        // An unknown client gets the same answer, and through the decoy hash the same cost, as a
        // wrong secret.
        let client = self.config.clients.iter().find(|c| c.id == id);
        let hash = client.map(|c| c.secret_hash.as_str());
        match client {
            Some(client) if self.secrets.verify(&id, hash, secret.as_bytes()) => Ok(client),
            _ => Err(unauthorized(basic_used, "client authentication failed")),
        }
    }

    /// The granted scopes: a subset of the client's, or its defaults (RFC 6749 §3.3).
    fn scopes(&self, client: &Client, requested: Option<&str>) -> Result<Vec<String>, Response> {
        let invalid = |d: &str| Response::oauth_error(400, "invalid_scope", d);
        let Some(requested) = requested else {
            if client.default_scopes.is_empty() && !client.scopes.is_empty() {
                return Err(invalid(
                    "scope is required: this client has no default scopes",
                ));
            }
            return Ok(client.default_scopes.clone());
        };
        let requested: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
        if !requested.iter().all(|s| s.bytes().all(is_scope_char)) {
            return Err(invalid("a scope is not a scope-token"));
        }
        grant(&requested, &client.scopes, |s| {
            invalid(&format!("scope {s} is not allowed for this client"))
        })
    }
}

/// The audiences: `audience` (once) or `resource` (RFC 8707, repeatable), within the client's.
fn audiences(client: &Client, form: &Form) -> Result<Vec<String>, Response> {
    let invalid_target = |d: &str| Response::oauth_error(400, "invalid_target", d);
    let audience = form.single("audience")?;
    let resources = form.all("resource");
    let requested: Vec<&str> = match (audience, resources.is_empty()) {
        (Some(_), false) => {
            return Err(Response::oauth_error(
                400,
                "invalid_request",
                "use audience or resource, not both",
            ));
        }
        (Some(a), true) => vec![a],
        (None, false) => resources,
        (None, true) => return Ok(vec![client.audiences[0].clone()]),
    };
    grant(&requested, &client.audiences, |a| {
        invalid_target(&format!("audience {a} is not allowed for this client"))
    })
}

/// `requested`, each once in the order asked, when all are `allowed`; else `refuse(the first not)`.
fn grant(
    requested: &[&str],
    allowed: &[String],
    refuse: impl Fn(&str) -> Response,
) -> Result<Vec<String>, Response> {
    let mut granted: Vec<String> = Vec::new();
    for &r in requested {
        if !allowed.iter().any(|a| a == r) {
            return Err(refuse(r));
        }
        if !granted.iter().any(|g| g == r) {
            granted.push(r.to_string());
        }
    }
    Ok(granted)
}

/// RFC 6749 §3.2: a parameter sent twice is `invalid_request`.
impl From<crate::form::Repeated> for Response {
    fn from(r: crate::form::Repeated) -> Self {
        Response::oauth_error(
            400,
            "invalid_request",
            &format!("parameter {} is repeated", r.0),
        )
    }
}

fn scopes_supported(clients: &[Client]) -> Vec<&str> {
    let mut all: Vec<&str> = clients
        .iter()
        .flat_map(|c| c.scopes.iter().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A running server: its address, and a way to stop it.
pub struct Running {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting work, lets the workers finish their current request, and joins them.
    pub fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        for _ in &self.workers {
            self.server.unblock();
        }
        for w in self.workers {
            let _ = w.join();
        }
    }
}

/// Starts `workers` request threads on `listen` (port 0 picks a free port).
pub fn serve(issuer: Arc<Issuer>, listen: &str, workers: usize) -> std::io::Result<Running> {
    let server = tiny_http::Server::http(listen).map_err(std::io::Error::other)?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| std::io::Error::other("not an IP listener"))?;
    let server = Arc::new(server);
    let stopping = Arc::new(AtomicBool::new(false));
    let workers = (0..workers.max(1))
        .map(|_| {
            let (server, issuer, stopping) = (server.clone(), issuer.clone(), stopping.clone());
            std::thread::spawn(move || {
                while !stopping.load(Ordering::SeqCst) {
                    match server.recv_timeout(Duration::from_millis(250)) {
                        Ok(Some(request)) => answer(&issuer, request),
                        Ok(None) => {}
                        Err(e) => eprintln!("tollgate: accept error: {e}"),
                    }
                }
            })
        })
        .collect();
    Ok(Running {
        addr,
        server,
        stopping,
        workers,
    })
}

fn header<'r>(request: &'r tiny_http::Request, name: &'static str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

fn answer(issuer: &Issuer, mut request: tiny_http::Request) {
    let started = Instant::now();
    let mut body = Vec::new();
    let declared_too_large = request.body_length().is_some_and(|n| n > MAX_BODY);
    let fits = !declared_too_large
        && request
            .as_reader()
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body)
            .is_ok()
        && body.len() <= MAX_BODY;
    let method = request.method().as_str().to_string();
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("");
    let req = Request {
        method: &method,
        path,
        content_type: header(&request, "Content-Type"),
        authorization: header(&request, "Authorization"),
        body: fits.then_some(body.as_slice()),
    };
    let response = issuer.handle(&req, unix_now());
    // One line per request; never a secret or a token.
    eprintln!(
        "tollgate: {method} {path} {} {}us client={} error={}",
        response.status,
        started.elapsed().as_micros(),
        response.client_id.as_deref().unwrap_or("-"),
        response.error.unwrap_or("-"),
    );
    let mut http =
        tiny_http::Response::from_string(response.body).with_status_code(response.status);
    for (name, value) in response.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            http.add_header(h);
        }
    }
    if method == "HEAD" {
        let _ = request.respond(http.with_data(std::io::empty(), Some(0)));
    } else {
        let _ = request.respond(http);
    }
}
