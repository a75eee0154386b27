//! The token endpoint (RFC 6749 §4.4, §5), the JWKS and the RFC 8414 metadata: what the issuer
//! answers to a request that HTTP has already framed and bounded (see `server`).

use std::time::Duration;

use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::config::{Client, Config, is_scope_char};
use crate::form::{Credentials, Form, basic_credentials};
use crate::gate::Gate;
use crate::peer::Peer;
use crate::secrets::{self, SecretCache};
use crate::token::{Grant, mint};

pub const TOKEN_PATH: &str = "/token";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const HEALTH_PATH: &str = "/healthz";
const REALM: &str = "tollgate";

/// What the handler needs from an HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who sent it: one peer gets only its share of the Argon2 checks.
    pub peer: Peer,
    pub method: &'a str,
    /// The path, query removed.
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
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
    pub fn json(status: u16, body: &Value) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: body.to_string(),
            client_id: None,
            error: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// RFC 6749 §5.2: `{"error": code, "error_description": …}`, never cached.
    pub fn oauth_error(status: u16, code: &'static str, description: &str) -> Self {
        let mut r = Self::json(
            status,
            &json!({"error": code, "error_description": description}),
        )
        .header("Cache-Control", "no-store")
        .header("Pragma", "no-cache");
        r.error = Some(code);
        r
    }

    /// The server cannot take the request now: 503 with `Retry-After`.
    pub fn unavailable(description: &str) -> Self {
        Self::oauth_error(503, "temporarily_unavailable", description).header("Retry-After", "1")
    }
}

/// One configuration of the authorization server: keys, clients, and what derives from them.
/// A reload builds a new one and swaps it in whole.
pub struct Issuer {
    config: Config,
    jwks: String,
    metadata: String,
    /// Checked when the client is unknown, with the clients' usual Argon2 parameters.
    decoy: String,
    /// A reload carries it over (see [`Issuer::reloaded`]).
    cache: SecretCache,
}

impl Issuer {
    pub fn new(config: Config) -> Self {
        let decoy = secrets::decoy_hash(decoy_params(&config.clients));
        let cache = SecretCache::new(Duration::from_secs(config.secret_cache_seconds));
        Self::with(config, decoy, cache)
    }

    /// The configuration that replaces `previous` on a reload. Secrets verified under
    /// `previous` stay cached for clients whose id and hash are unchanged (the cache's tags bind
    /// both, so a changed hash never matches), and the decoy is kept when its parameters are:
    /// a reload, or a storm of them, sends nobody back through Argon2.
    pub fn reloaded(config: Config, previous: &Issuer) -> Self {
        let params = decoy_params(&config.clients);
        let decoy = match secrets::params_of(&previous.decoy) {
            Some(p) if p == params => previous.decoy.clone(),
            _ => secrets::decoy_hash(params),
        };
        let ids: Vec<&str> = config.clients.iter().map(|c| c.id.as_str()).collect();
        let cache = previous
            .cache
            .carried_over(Duration::from_secs(config.secret_cache_seconds), &ids);
        Self::with(config, decoy, cache)
    }

    fn with(config: Config, decoy: String, cache: SecretCache) -> Self {
        let keys: Vec<Value> = config.keys.iter().filter_map(|k| k.public_jwk()).collect();
        let jwks = json!({ "keys": keys }).to_string();
        let mut algs: Vec<&str> = Vec::new();
        for key in &config.keys {
            if !algs.contains(&key.alg()) {
                algs.push(key.alg());
            }
        }
        let metadata = json!({
            "issuer": config.issuer,
            "token_endpoint": format!("{}{TOKEN_PATH}", config.issuer),
            "jwks_uri": format!("{}{JWKS_PATH}", config.issuer),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": [],
            "scopes_supported": scopes_supported(&config.clients),
            // Not registered by RFC 8414 (§2 allows more): the JWS algorithms of the access
            // tokens, so a resource server knows what to expect before the first token.
            "access_token_signing_alg_values_supported": algs,
        })
        .to_string();
        Issuer {
            config,
            jwks,
            metadata,
            decoy,
            cache,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The published key set (public keys only: Ed25519, P-256 and RSA).
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// The key ids: the active one, and every one published in the JWKS.
    pub fn key_ids(&self) -> (&str, Vec<&str>) {
        let active = self.config.keys[self.config.active_key].kid();
        let published = self
            .config
            .keys
            .iter()
            .filter(|k| k.public_jwk().is_some())
            .map(|k| k.kid())
            .collect();
        (active, published)
    }

    /// Answers one request at `now` (unix seconds); client secrets are checked through `gate`.
    pub async fn handle(&self, req: &Request<'_>, gate: &Gate, now: u64) -> Response {
        let allowed = match req.path {
            TOKEN_PATH => "POST",
            JWKS_PATH | METADATA_PATH | HEALTH_PATH => "GET, HEAD",
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
            HEALTH_PATH => Response::json(200, &json!({"status": "ok"})),
            _ => self.token(req, gate, now).await.unwrap_or_else(|r| r),
        }
    }

    /// `POST /token`: RFC 6749 §4.4.2 request, §5.1 success, §5.2 errors.
    async fn token(&self, req: &Request<'_>, gate: &Gate, now: u64) -> Result<Response, Response> {
        let form_type = req
            .content_type
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(Response::oauth_error(
                400,
                "invalid_request",
                "Content-Type must be application/x-www-form-urlencoded",
            ));
        }
        let form = Form::parse(req.body);
        let grant_type = form.single("grant_type")?;
        let client = self.authenticate(req, &form, gate).await?;
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
        let scopes = scopes(client, form.single("scope")?)?;
        let audiences = audiences(client, &form)?;
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
    ///
    /// Every reading of the credentials costs one Argon2 run (or a cache hit, which only the
    /// right secret can get), whether or not its client exists: an unknown id is checked against
    /// the decoy, and the answer is the same as for a wrong secret.
    async fn authenticate(
        &self,
        req: &Request<'_>,
        form: &Form,
        gate: &Gate,
    ) -> Result<&Client, Response> {
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
        let (readings, basic_used) = match (basic, in_body) {
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
            (Some(Ok(readings)), false) => (readings, true),
            (None, true) => match (form.single("client_id")?, form.single("client_secret")?) {
                (Some(id), Some(secret)) => (
                    vec![Credentials {
                        id: id.as_bytes().to_vec(),
                        secret: Zeroizing::new(secret.as_bytes().to_vec()),
                    }],
                    false,
                ),
                _ => {
                    return Err(unauthorized(
                        false,
                        "client_id and client_secret are both required",
                    ));
                }
            },
            (None, false) => return Err(unauthorized(true, "client authentication required")),
        };
        let clients: Vec<Option<&Client>> = readings.iter().map(|c| self.client(&c.id)).collect();
        // A cached secret first, for every reading: a client whose library sends the raw form
        // should not pay Argon2 for the decoded one on each request.
        for (reading, client) in readings.iter().zip(&clients) {
            let (id, hash) = match client {
                Some(c) => (c.id.as_str(), c.secret_hash.as_str()),
                None => ("", self.decoy.as_str()),
            };
            if self.cache.contains(id, hash, &reading.secret)
                && let Some(client) = client
            {
                return Ok(client);
            }
        }
        for (reading, client) in readings.into_iter().zip(clients) {
            let hash = client.map_or(&self.decoy, |c| &c.secret_hash).clone();
            let secret = reading.secret.clone();
            let check = gate.verify(req.peer, reading.secret, hash).map_err(|_| {
                Response::unavailable("too many client authentications in progress; retry shortly")
            })?;
            let ok = check.await;
            if let (true, Some(client)) = (ok, client) {
                self.cache.insert(&client.id, &client.secret_hash, &secret);
                return Ok(client);
            }
        }
        Err(unauthorized(basic_used, "client authentication failed"))
    }

    fn client(&self, id: &[u8]) -> Option<&Client> {
        self.config.clients.iter().find(|c| c.id.as_bytes() == id)
    }
}

/// The Argon2 parameters most clients' hashes use: an unknown client then costs what a known
/// one most likely costs.
fn decoy_params(clients: &[Client]) -> argon2::Params {
    secrets::usual_params(clients.iter().map(|c| c.secret_hash.as_str()))
}

/// The granted scopes: a subset of the client's, or its defaults (RFC 6749 §3.3).
fn scopes(client: &Client, requested: Option<&str>) -> Result<Vec<String>, Response> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{Argon2, Params, PasswordHasher};

    fn client(m: u32, t: u32) -> Client {
        let hash = Argon2::from(Params::new(m, t, 1, None).unwrap())
            .hash_password(b"x")
            .unwrap()
            .to_string();
        Client {
            id: "c".into(),
            secret_hash: hash,
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            audiences: vec!["a".into()],
            token_lifetime: 300,
            signing_key: 0,
            client_credentials_allowed: true,
        }
    }

    fn config(clients: Vec<Client>) -> Config {
        let text = format!(
            "issuer = \"https://i.example\"\n[[keys]]\nkid = \"k\"\nprivate_key = \"{}\"\n",
            <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(&[3; 32])
        );
        let mut config = Config::from_toml(&text, std::path::Path::new(".")).unwrap();
        config.clients = clients;
        config
    }

    /// A SIGHUP (or a storm of them) used to empty the cache and send every client back through
    /// Argon2, into 503s while a flood fills the queue. A reload now keeps what was verified for
    /// clients whose hash is unchanged, and the decoy when its parameters are.
    #[test]
    fn a_reload_keeps_the_cache_of_unchanged_clients_and_the_decoy() {
        let c = client(8, 1);
        let old = Issuer::new(config(vec![c.clone()]));
        old.cache.insert("c", &c.secret_hash, b"x");
        let same = Issuer::reloaded(config(vec![c.clone()]), &old);
        assert!(same.cache.contains("c", &c.secret_hash, b"x"));
        assert_eq!(same.decoy, old.decoy);
        let rehashed = client(8, 1);
        let changed = Issuer::reloaded(config(vec![rehashed.clone()]), &same);
        assert!(!changed.cache.contains("c", &rehashed.secret_hash, b"x"));
        let costlier = Issuer::reloaded(config(vec![client(16, 2)]), &same);
        assert_ne!(
            costlier.decoy, same.decoy,
            "the decoy follows the parameters"
        );
    }

    #[test]
    fn the_decoy_takes_the_parameters_most_clients_use() {
        let p = decoy_params(&[client(8, 3), client(16, 1), client(16, 1)]);
        assert_eq!((p.m_cost(), p.t_cost()), (16, 1));
        let p = decoy_params(&[client(8, 3), client(16, 1)]);
        assert_eq!((p.m_cost(), p.t_cost()), (8, 3), "the first among equals");
        assert_eq!(decoy_params(&[]).m_cost(), 19_456);
    }
}
