//! The issuer's configuration: one TOML file with the issuer URL, the listen address, signing
//! keys and clients. Every problem is reported with the field it concerns.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::keys::SigningKey;
use crate::secrets;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The `iss` of every token and the RFC 8414 `issuer`: an http(s) URL.
    pub issuer: String,
    /// Address to listen on (`--listen` overrides it).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Threads of the async runtime that serves HTTP (Argon2 runs on its own pool).
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// How long a verified client secret is remembered (0 turns the cache off).
    #[serde(default = "default_secret_cache_seconds")]
    pub secret_cache_seconds: u64,
    /// Timeouts and limits of the HTTP server.
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
}

/// `[limits]`: what a slow or greedy peer may hold. Every field has a default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// From a request's first byte to the end of its header (408 after).
    pub header_timeout_seconds: u64,
    /// For the whole body once the header is in (408 after); also for sending a response.
    pub body_timeout_seconds: u64,
    /// A kept-alive connection with no request in progress is closed after this.
    pub idle_timeout_seconds: u64,
    /// On SIGTERM or SIGINT, in-flight requests get this long before connections are cut.
    pub shutdown_seconds: u64,
    /// Open connections; beyond it idle ones are closed and new ones get 503.
    pub max_connections: usize,
    /// Client authentications waiting for an Argon2 slot; beyond it, 503.
    pub max_queued_verifications: usize,
    /// Open connections from one peer (an IPv4 address or an IPv6 /64); beyond it, 503.
    /// Default: a quarter of `max_connections`. Behind a proxy every client is the proxy: raise
    /// it to `max_connections`.
    pub max_connections_per_peer: Option<usize>,
    /// Client authentications one peer may have running or waiting for Argon2; beyond it, 503.
    /// Default: half of `max_queued_verifications` (at least 1).
    pub max_verifications_per_peer: Option<usize>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            header_timeout_seconds: 10,
            body_timeout_seconds: 10,
            idle_timeout_seconds: 30,
            shutdown_seconds: 5,
            max_connections: 512,
            max_queued_verifications: 32,
            max_connections_per_peer: None,
            max_verifications_per_peer: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    pub kid: String,
    /// `EdDSA`, `ES256`, `RS256` or `PS256` (published in the JWKS) or `HS256` (a shared
    /// secret, never published).
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    /// The key that signs tokens; exactly one key is active (a lone key is active anyway).
    #[serde(default)]
    pub active: bool,
    /// A private JWK file (`OKP` or `EC` with `d`, `oct` with `k`, `RSA` with `d`, `p`, `q`),
    /// relative to the config file.
    pub private_key_file: Option<PathBuf>,
    /// Or the key inline: an Ed25519 seed, HS256 secret or P-256 scalar in base64url (RSA keys
    /// only come from files).
    pub private_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    /// Argon2id PHC string (`tollgate hash-secret`).
    pub secret_hash: String,
    /// Scopes the client may ask for.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Scopes granted when the request names none (RFC 6749 §3.3).
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// Audiences the client may ask for (`audience` or `resource`); the first is the default.
    pub audiences: Vec<String>,
    /// Token lifetime in seconds.
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime: u64,
    /// The `kid` of the key this client's tokens are signed with; the active key by default.
    pub signing_key: Option<String>,
    /// Grants the client may use; only `client_credentials` exists here.
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<String>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_workers() -> usize {
    4
}
fn default_secret_cache_seconds() -> u64 {
    300
}
fn default_algorithm() -> String {
    "EdDSA".into()
}
fn default_token_lifetime() -> u64 {
    300
}
fn default_grant_types() -> Vec<String> {
    vec!["client_credentials".into()]
}

/// A configuration problem, with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

fn err(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

/// A client, validated.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    pub audiences: Vec<String>,
    pub token_lifetime: u64,
    /// Index into [`Config::keys`].
    pub signing_key: usize,
    pub client_credentials_allowed: bool,
}

/// The server's limits, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub max_connections: usize,
    pub max_queued_verifications: usize,
    pub max_connections_per_peer: usize,
    pub max_verifications_per_peer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from_config(&LimitsConfig::default()).expect("the defaults are valid")
    }
}

impl Limits {
    fn from_config(c: &LimitsConfig) -> Result<Self, ConfigError> {
        let seconds = |name: &str, value: u64, max: u64| {
            if (1..=max).contains(&value) {
                Ok(Duration::from_secs(value))
            } else {
                Err(err(
                    format!("limits.{name}"),
                    format!("must be between 1 and {max}"),
                ))
            }
        };
        if !(1..=65_536).contains(&c.max_connections) {
            return Err(err("limits.max_connections", "must be between 1 and 65536"));
        }
        if c.max_queued_verifications > 4096 {
            return Err(err(
                "limits.max_queued_verifications",
                "must be at most 4096",
            ));
        }
        let max_connections_per_peer = c
            .max_connections_per_peer
            .unwrap_or(c.max_connections.div_ceil(4));
        if !(1..=c.max_connections).contains(&max_connections_per_peer) {
            return Err(err(
                "limits.max_connections_per_peer",
                "must be between 1 and max_connections",
            ));
        }
        let max_verifications_per_peer = c
            .max_verifications_per_peer
            .unwrap_or((c.max_queued_verifications / 2).max(1));
        if max_verifications_per_peer == 0 {
            return Err(err(
                "limits.max_verifications_per_peer",
                "must be at least 1",
            ));
        }
        Ok(Limits {
            header_timeout: seconds("header_timeout_seconds", c.header_timeout_seconds, 3600)?,
            body_timeout: seconds("body_timeout_seconds", c.body_timeout_seconds, 3600)?,
            idle_timeout: seconds("idle_timeout_seconds", c.idle_timeout_seconds, 3600)?,
            shutdown_timeout: seconds("shutdown_seconds", c.shutdown_seconds, 60)?,
            max_connections: c.max_connections,
            max_queued_verifications: c.max_queued_verifications,
            max_connections_per_peer,
            max_verifications_per_peer,
        })
    }
}

/// The configuration, validated and with its keys loaded.
#[derive(Debug)]
pub struct Config {
    pub issuer: String,
    pub listen: String,
    pub workers: usize,
    pub secret_cache_seconds: u64,
    pub limits: Limits,
    pub keys: Vec<SigningKey>,
    pub active_key: usize,
    pub clients: Vec<Client>,
    /// Problems worth a warning at startup that do not stop it (weak secret hashes).
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads and validates a configuration file; key files are relative to it.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| err("", format!("cannot read {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut config = Self::from_toml(&text, base)?;
        let inline = toml::from_str::<ConfigFile>(&text)
            .is_ok_and(|f| f.keys.iter().any(|k| k.private_key.is_some()));
        if let Some(mode) = readable_by_others(path).filter(|_| inline) {
            config.warnings.push(format!(
                "{} holds a private key inline and is readable by other users (mode {mode:03o}): \
                 chmod 600 it",
                path.display()
            ));
        }
        Ok(config)
    }

    /// Parses and validates TOML text; key files are relative to `base`.
    pub fn from_toml(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        Self::validate(file, base)
    }

    fn validate(file: ConfigFile, base: &Path) -> Result<Self, ConfigError> {
        let issuer = file.issuer;
        let scheme_ok = issuer.starts_with("https://") || issuer.starts_with("http://");
        if !scheme_ok || issuer.contains(['?', '#']) || issuer.ends_with('/') {
            return Err(err(
                "issuer",
                "must be an http(s) URL without query, fragment or trailing slash (RFC 8414 §2)",
            ));
        }
        if file.workers == 0 || file.workers > 256 {
            return Err(err("workers", "must be between 1 and 256"));
        }
        let limits = Limits::from_config(&file.limits)?;
        if file.keys.is_empty() {
            return Err(err("keys", "at least one signing key is required"));
        }

        let mut keys = Vec::new();
        let mut key_warnings = Vec::new();
        let mut kids = HashSet::new();
        for (i, k) in file.keys.iter().enumerate() {
            let field = |name: &str| format!("keys[{i}].{name}");
            if k.kid.is_empty() || !kids.insert(k.kid.as_str()) {
                return Err(err(field("kid"), "must be non-empty and unique"));
            }
            let key = match (&k.private_key_file, &k.private_key) {
                (Some(path), None) => {
                    let path = base.join(path);
                    if let Some(mode) = readable_by_others(&path) {
                        key_warnings.push(format!(
                            "{}: {} is readable by other users (mode {mode:03o}): chmod 600 it",
                            field("private_key_file"),
                            path.display()
                        ));
                    }
                    // The file's text and the parsed members hold the private key: wiped after.
                    let text = std::fs::read_to_string(&path)
                        .map(Zeroizing::new)
                        .map_err(|e| {
                            err(
                                field("private_key_file"),
                                format!("cannot read {}: {e}", path.display()),
                            )
                        })?;
                    let mut jwk: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                        err(
                            field("private_key_file"),
                            format!("{} is not JSON: {e}", path.display()),
                        )
                    })?;
                    let key = SigningKey::from_private_jwk(&k.kid, &k.algorithm, &jwk);
                    crate::keys::wipe_private_members(&mut jwk);
                    key.map_err(|m| err(field("private_key_file"), m))?
                }
                (None, Some(inline)) => SigningKey::from_inline(&k.kid, &k.algorithm, inline)
                    .map_err(|m| err(field("private_key"), m))?,
                _ => {
                    return Err(err(
                        field("private_key_file"),
                        "give exactly one of private_key_file and private_key",
                    ));
                }
            };
            keys.push(key);
        }
        let active: Vec<usize> = file
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.active)
            .map(|(i, _)| i)
            .collect();
        let active_key = match (active.as_slice(), keys.len()) {
            ([only], _) => *only,
            ([], 1) => 0,
            _ => return Err(err("keys", "exactly one key must have active = true")),
        };

        let mut clients = Vec::new();
        let mut warnings = key_warnings;
        let mut ids = HashSet::new();
        for (i, c) in file.clients.into_iter().enumerate() {
            let field = |name: &str| format!("clients[{i}].{name}");
            if c.id.is_empty() || !ids.insert(c.id.clone()) {
                return Err(err(field("id"), "must be non-empty and unique"));
            }
            let strength = secrets::check_hash(&c.secret_hash).map_err(|m| {
                err(
                    field("secret_hash"),
                    format!("{m}; make one with `tollgate hash-secret`"),
                )
            })?;
            if strength.weak {
                warnings.push(format!(
                    "{}: client {:?}: Argon2id {strength} is below the OWASP minimum \
                     (m=19456,t=2,p=1 or equivalent); rehash it with `tollgate hash-secret`",
                    field("secret_hash"),
                    c.id
                ));
            }
            for scope in c.scopes.iter().chain(&c.default_scopes) {
                if scope.is_empty() || !scope.bytes().all(is_scope_char) {
                    return Err(err(
                        field("scopes"),
                        format!("{scope:?} is not a scope-token (RFC 6749 §3.3)"),
                    ));
                }
            }
            if let Some(s) = c.default_scopes.iter().find(|s| !c.scopes.contains(s)) {
                return Err(err(
                    field("default_scopes"),
                    format!("{s:?} is not in scopes"),
                ));
            }
            if c.audiences.is_empty() || c.audiences.iter().any(String::is_empty) {
                return Err(err(
                    field("audiences"),
                    "at least one non-empty audience (RFC 9068 §2.2: aud)",
                ));
            }
            if !(1..=86_400).contains(&c.token_lifetime) {
                return Err(err(
                    field("token_lifetime"),
                    "must be between 1 and 86400 seconds",
                ));
            }
            let signing_key = match &c.signing_key {
                None => active_key,
                Some(kid) => keys
                    .iter()
                    .position(|k| k.kid() == kid)
                    .ok_or_else(|| err(field("signing_key"), format!("no key has kid {kid:?}")))?,
            };
            if let Some(g) = c.grant_types.iter().find(|g| *g != "client_credentials") {
                return Err(err(
                    field("grant_types"),
                    format!("{g:?} is not supported; only client_credentials"),
                ));
            }
            clients.push(Client {
                client_credentials_allowed: !c.grant_types.is_empty(),
                id: c.id,
                secret_hash: c.secret_hash,
                scopes: c.scopes,
                default_scopes: c.default_scopes,
                audiences: c.audiences,
                token_lifetime: c.token_lifetime,
                signing_key,
            });
        }
        // An unknown client is checked against a decoy with the parameters most clients use;
        // a client with others costs another time, which tells an attacker that it exists.
        let usual = secrets::usual_params(clients.iter().map(|c| c.secret_hash.as_str()));
        for (i, c) in clients.iter().enumerate() {
            let Some(p) = secrets::params_of(&c.secret_hash) else {
                continue;
            };
            let shape = |p: &argon2::Params| (p.m_cost(), p.t_cost(), p.p_cost());
            if shape(&p) != shape(&usual) {
                warnings.push(format!(
                    "clients[{i}].secret_hash: client {:?}: Argon2id m={},t={},p={} differs from \
                     the m={},t={},p={} of most clients, so a wrong secret for it takes another \
                     time than an unknown client's and tells that it exists; rehash it with \
                     `tollgate hash-secret`",
                    c.id,
                    p.m_cost(),
                    p.t_cost(),
                    p.p_cost(),
                    usual.m_cost(),
                    usual.t_cost(),
                    usual.p_cost(),
                ));
            }
        }
        Ok(Config {
            issuer,
            listen: file.listen,
            workers: file.workers,
            secret_cache_seconds: file.secret_cache_seconds,
            limits,
            keys,
            active_key,
            clients,
            warnings,
        })
    }
}

/// The permission bits of a file that users other than its owner may read (through a symlink,
/// the target's), or `None`.
fn readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o044 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Where the TOML is wrong and why, without the line itself: the parser's own message quotes
/// it, and that line may hold an inline private key; the error goes to the log on a reload.
fn toml_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let place = e
        .span()
        .and_then(|span| text.get(..span.start))
        .map(|before| {
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(" at line {line}, column {column}")
        })
        .unwrap_or_default();
    err(
        "",
        format!("TOML parse error{place}: {}", e.message().trim_end()),
    )
}

/// RFC 6749 §3.3: `NQCHAR = %x21 / %x23-5B / %x5D-7E`.
pub fn is_scope_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};

    fn seed() -> String {
        Base64UrlUnpadded::encode_string(&[7u8; 32])
    }

    fn config(clients: &str) -> String {
        format!(
            "issuer = \"https://issuer.example\"\n[[keys]]\nkid = \"k1\"\nprivate_key = \"{}\"\n{clients}",
            seed()
        )
    }

    fn client(extra: &str) -> String {
        format!(
            "[[clients]]\nid = \"c1\"\nsecret_hash = \"{}\"\nscopes = [\"a\", \"b\"]\ndefault_scopes = [\"a\"]\naudiences = [\"api\"]\n{extra}",
            secrets::hash_secret(b"x")
        )
    }

    fn error(text: &str) -> ConfigError {
        Config::from_toml(text, Path::new(".")).unwrap_err()
    }

    #[test]
    fn a_valid_config_loads_with_defaults() {
        let c = Config::from_toml(&config(&client("")), Path::new(".")).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.clients[0].token_lifetime, 300);
        assert_eq!(c.active_key, 0);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            error(&config(&client("").replace("$argon2id", "$plain"))).field,
            "clients[0].secret_hash"
        );
        assert_eq!(
            error(&config(&client("token_lifetime = 0"))).field,
            "clients[0].token_lifetime"
        );
        assert_eq!(
            error(&config(&client("signing_key = \"nope\""))).field,
            "clients[0].signing_key"
        );
        assert_eq!(
            error(&config(&client("").replace(
                "default_scopes = [\"a\"]",
                "default_scopes = [\"z\"]"
            )))
            .field,
            "clients[0].default_scopes"
        );
        assert_eq!(
            error(&config(&client("").replace("[\"api\"]", "[]"))).field,
            "clients[0].audiences"
        );
        assert_eq!(
            error(&config(&client("grant_types = [\"password\"]"))).field,
            "clients[0].grant_types"
        );
        assert_eq!(
            error(&config("").replace("https://issuer.example", "issuer.example")).field,
            "issuer"
        );
        assert_eq!(
            error(&config("").replace(&seed(), "AAAA")).field,
            "keys[0].private_key"
        );
    }

    #[test]
    fn limits_have_defaults_and_bad_ones_name_their_field() {
        let c = Config::from_toml(&config(&client("")), Path::new(".")).unwrap();
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.limits.header_timeout, Duration::from_secs(10));
        let with = |limits: &str| {
            config(&client("")).replacen("[[keys]]", &format!("{limits}\n[[keys]]"), 1)
        };
        let c = Config::from_toml(&with("[limits]\nmax_connections = 7"), Path::new(".")).unwrap();
        assert_eq!(c.limits.max_connections, 7);
        assert_eq!(
            error(&with("[limits]\nheader_timeout_seconds = 0")).field,
            "limits.header_timeout_seconds"
        );
        assert_eq!(
            error(&with("[limits]\nshutdown_seconds = 61")).field,
            "limits.shutdown_seconds"
        );
        assert_eq!(
            error(&with("[limits]\nmax_connections = 0")).field,
            "limits.max_connections"
        );
        assert!(
            error(&with("[limits]\nbody_bytes = 1"))
                .message
                .contains("unknown field")
        );
    }

    #[test]
    fn a_weak_secret_hash_is_a_warning_naming_the_client() {
        let weak = argon2::PasswordHasher::hash_password(
            &argon2::Argon2::from(argon2::Params::new(4096, 1, 1, None).unwrap()),
            b"x",
        )
        .unwrap()
        .to_string();
        let text = config(&client(""));
        let weak_text = text.replace(&secrets_hash_of(&text), &weak);
        let c = Config::from_toml(&weak_text, Path::new(".")).unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("\"c1\"") && c.warnings[0].contains("m=4096,t=1,p=1"));
        let strong = Config::from_toml(&text, Path::new(".")).unwrap();
        assert!(strong.warnings.is_empty());
    }

    fn secrets_hash_of(text: &str) -> String {
        text.lines()
            .find_map(|l| l.strip_prefix("secret_hash = \""))
            .unwrap()
            .trim_end_matches('"')
            .to_string()
    }

    #[test]
    fn unknown_fields_and_bad_toml_are_reported_with_their_place() {
        let e = error(&config(&client("colour = \"red\"")));
        assert!(e.message.contains("unknown field `colour`"), "{e}");
        let e = error("issuer = ");
        assert!(e.message.contains("line 1"), "{e}");
    }

    /// The TOML parser quotes the line it stopped at, and a reload logs the error: a broken
    /// line holding an inline private key put the key in the log.
    #[test]
    fn a_toml_error_names_the_place_but_never_quotes_the_line() {
        let secret = "c2VjcmV0LXNlZWQtdGhhdC1tdXN0LW5vdC1iZS1sb2dnZWQ";
        let text = format!(
            "issuer = \"https://i.example\"\n[[keys]]\nkid = \"k1\"\nprivate_key = \"{secret}\n"
        );
        let e = error(&text).to_string();
        assert!(!e.contains(secret), "{e}");
        assert!(e.contains("line 4"), "{e}");
        let e = error(&format!(
            "issuer = \"https://i.example\"\nprivate_key = {secret}\n"
        ))
        .to_string();
        assert!(!e.contains(secret), "{e}");
    }

    /// A client whose hash has other Argon2 parameters than most is told apart from an unknown
    /// client by timing: a warning names it.
    #[test]
    fn a_client_with_unusual_argon2_parameters_is_a_warning() {
        let odd = argon2::PasswordHasher::hash_password(
            &argon2::Argon2::from(argon2::Params::new(47_104, 1, 1, None).unwrap()),
            b"x",
        )
        .unwrap()
        .to_string();
        let text = config(
            &(client("") + &client("").replace("c1", "c2") + &client("").replace("c1", "c3")),
        );
        let odd_text = text.replacen(&secrets_hash_of(&text), &odd, 1);
        let c = Config::from_toml(&odd_text, Path::new(".")).unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(
            c.warnings[0].starts_with("clients[0].secret_hash: client \"c1\"")
                && c.warnings[0].contains("m=47104,t=1,p=1")
                && c.warnings[0].contains("m=19456,t=2,p=1"),
            "{}",
            c.warnings[0]
        );
    }

    /// A careless chmod: a private key others can read is a warning naming the file.
    #[cfg(unix)]
    #[test]
    fn a_private_key_readable_by_others_is_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tollgate-config-mode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (jwk, _) = crate::keys::generate_ed25519("k1");
        let key = dir.join("k1.jwk");
        std::fs::write(&key, jwk.to_string()).unwrap();
        let text = "issuer = \"https://i.example\"\n[[keys]]\nkid = \"k1\"\nprivate_key_file = \"k1.jwk\"\n";
        let conf = dir.join("issuer.toml");
        std::fs::write(&conf, text).unwrap();
        for (mode, warned) in [(0o644, true), (0o640, true), (0o600, false)] {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
            let c = Config::load(&conf).unwrap();
            assert_eq!(
                c.warnings.iter().any(|w| w.contains("k1.jwk")),
                warned,
                "{mode:o}: {:?}",
                c.warnings
            );
        }
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
        let inline = config("");
        std::fs::write(&conf, &inline).unwrap();
        let c = Config::load(&conf).unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("inline")),
            "{:?}",
            c.warnings
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn several_keys_need_exactly_one_active() {
        let two = format!(
            "issuer = \"https://i.example\"\n[[keys]]\nkid = \"a\"\nprivate_key = \"{s}\"\n[[keys]]\nkid = \"b\"\nprivate_key = \"{s}\"\n",
            s = seed()
        );
        assert_eq!(error(&two).field, "keys");
        let one_active = two.replacen("kid = \"b\"\n", "kid = \"b\"\nactive = true\n", 1);
        assert_eq!(
            Config::from_toml(&one_active, Path::new("."))
                .unwrap()
                .active_key,
            1
        );
    }
}
