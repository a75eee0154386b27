//! `tollgate`: make keys, hash client secrets, run the token endpoint, fetch, inspect and verify
//! tokens.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use clap::{Parser, Subcommand, ValueEnum};
use tollgate::{KeySet, Policy, Scratch, Verifier};
use tollgate_issuer::explain::{self, Flags};
use tollgate_issuer::{Config, Issuer, Running, keys, secrets, serve};

#[derive(Parser)]
#[command(
    name = "tollgate",
    version,
    about = "Tollgate: OAuth 2.0 client-credentials tokens, issued and verified"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Algorithm {
    #[value(name = "EdDSA")]
    EdDsa,
    #[value(name = "HS256")]
    Hs256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "PS256")]
    Ps256,
}

#[derive(Clone, Copy, ValueEnum)]
enum AuthMethod {
    /// HTTP Basic (client_secret_basic).
    Basic,
    /// client_id and client_secret in the body (client_secret_post).
    Post,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a signing key: the private JWK goes to a file (mode 0600), the public JWK (or, for
    /// HS256, nothing) to standard output. The key is bound to its algorithm (the JWK's `alg`).
    Keygen {
        /// Key ID to put in the JWK.
        #[arg(long)]
        kid: String,
        /// EdDSA (Ed25519), ES256 (P-256), RS256 or PS256 (RSA), or HS256 (a shared secret).
        #[arg(long, value_enum, default_value = "EdDSA")]
        algorithm: Algorithm,
        /// RSA modulus size for RS256 and PS256 [default: 2048].
        #[arg(long, value_parser = rsa_bits)]
        bits: Option<usize>,
        /// Where to write the private JWK.
        #[arg(long, short)]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Hash a client secret for the config file (Argon2id, OWASP parameters). The secret is read
    /// from standard input unless given (arguments show up in `ps`), or generated with --generate.
    HashSecret {
        /// The secret (prefer standard input).
        secret: Option<String>,
        /// Generate a random secret; prints it, then its hash.
        #[arg(long, conflicts_with = "secret")]
        generate: bool,
    },
    /// Run the token endpoint, JWKS and metadata. SIGHUP rereads the configuration and key
    /// files (a broken one is logged and the running one kept); SIGTERM and SIGINT stop.
    Serve {
        /// The TOML configuration (see examples/issuer.toml).
        #[arg(long)]
        config: PathBuf,
        /// Listen address, overriding the config (127.0.0.1:0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Fetch an access token with the client-credentials grant; prints the token.
    Token {
        /// The token endpoint, e.g. http://127.0.0.1:8080/token.
        #[arg(long)]
        token_url: String,
        #[arg(long)]
        client_id: String,
        /// The client secret (or the TOLLGATE_CLIENT_SECRET environment variable).
        #[arg(long, env = "TOLLGATE_CLIENT_SECRET", hide_env_values = true)]
        client_secret: String,
        /// Space-separated scopes to ask for.
        #[arg(long)]
        scope: Option<String>,
        /// The audience (API) the token is for.
        #[arg(long)]
        audience: Option<String>,
        #[arg(long, value_enum, default_value = "basic")]
        auth: AuthMethod,
        /// Print the whole token response as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decode a token's header and claims WITHOUT verifying anything.
    Inspect {
        /// The token; read from standard input when absent.
        token: Option<String>,
    },
    /// Verify a token: exit 0 and the claims as JSON when valid, exit 1 and the reason when not,
    /// exit 2 for usage errors or an unreadable or invalid JWKS.
    Verify {
        /// A JWKS file with the verification keys.
        #[arg(long)]
        jwks: PathBuf,
        /// Required issuer (iss).
        #[arg(long)]
        issuer: Option<String>,
        /// Accepted audience (repeatable; any one is enough). Without it, a token that names an
        /// audience is rejected (RFC 7519 §4.1.3).
        #[arg(long)]
        audience: Vec<String>,
        /// Accept whatever audience the token names, for inspection-style checks; everything
        /// else is still verified.
        #[arg(long, conflicts_with = "audience")]
        any_audience: bool,
        /// Required header typ, e.g. at+jwt.
        #[arg(long = "type")]
        typ: Option<String>,
        /// Required scope (repeatable; all are required).
        #[arg(long)]
        scope: Vec<String>,
        /// Required claim (repeatable).
        #[arg(long)]
        require_claim: Vec<String>,
        /// Seconds of clock skew tolerated (at most 300).
        #[arg(long, default_value_t = 0)]
        leeway: u32,
        /// The time to verify at, in unix seconds (default: now).
        #[arg(long)]
        now: Option<i64>,
        /// The token (a `Bearer ` prefix is fine); read from standard input when absent.
        token: Option<String>,
    },
}

/// A failure and the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Keygen {
            kid,
            algorithm,
            bits,
            out,
            force,
        } => keygen(&kid, algorithm, bits, &out, force),
        Command::HashSecret { secret, generate } => hash_secret(secret, generate),
        Command::Serve { config, listen } => run_server(&config, listen),
        Command::Token {
            token_url,
            client_id,
            client_secret,
            scope,
            audience,
            auth,
            json,
        } => fetch_token(
            &token_url,
            &client_id,
            &client_secret,
            scope,
            audience,
            auth,
            json,
        ),
        Command::Inspect { token } => inspect(token),
        Command::Verify {
            jwks,
            issuer,
            audience,
            any_audience,
            typ,
            scope,
            require_claim,
            leeway,
            now,
            token,
        } => {
            let flags = Flags {
                issuer,
                audiences: audience,
                any_audience,
                typ,
                scopes: scope,
                required_claims: require_claim,
                leeway,
                now: now.unwrap_or_else(|| tollgate_issuer::server::unix_now() as i64),
            };
            verify(&jwks, &flags, token)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// `--bits`: the RSA sizes the core verifies.
fn rsa_bits(text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(bits @ (2048 | 3072 | 4096)) => Ok(bits),
        _ => Err("an RSA key has 2048, 3072 or 4096 bits".into()),
    }
}

fn keygen(
    kid: &str,
    algorithm: Algorithm,
    bits: Option<usize>,
    out: &Path,
    force: bool,
) -> Result<(), Failure> {
    if bits.is_some() && !matches!(algorithm, Algorithm::Rs256 | Algorithm::Ps256) {
        return Err(usage(
            "tollgate keygen: --bits is for RSA keys (--algorithm RS256 or PS256)",
        ));
    }
    let rsa = |scheme| {
        keys::generate_rsa(kid, scheme, bits.unwrap_or(2048))
            .map(|(private, public)| (private, Some(public)))
            .map_err(|e| usage(format!("tollgate keygen: {e}")))
    };
    let (mut private, public) = match algorithm {
        Algorithm::EdDsa => {
            let (private, public) = keys::generate_ed25519(kid);
            (private, Some(public))
        }
        Algorithm::Hs256 => (keys::generate_hs256(kid), None),
        Algorithm::Es256 => {
            let (private, public) = keys::generate_es256(kid);
            (private, Some(public))
        }
        Algorithm::Rs256 => rsa(keys::RsaScheme::Rs256)?,
        Algorithm::Ps256 => rsa(keys::RsaScheme::Ps256)?,
    };
    let text = zeroize::Zeroizing::new(serde_json::to_string_pretty(&private).expect("JSON"));
    keys::wipe_private_members(&mut private);
    write_private_file(out, &text, force)?;
    if let Some(public) = public {
        println!("{public}");
    }
    eprintln!(
        "tollgate keygen: wrote the private key to {} (keep it secret)",
        out.display()
    );
    Ok(())
}

/// Writes a private key to a new file of mode 0600. With `force`, an existing `out` is replaced
/// by renaming a new file over it: a symlink there is replaced, not followed (a planted link
/// must not redirect the key onto another file), and the old file's readers keep the old text.
fn write_private_file(out: &Path, text: &str, force: bool) -> Result<(), Failure> {
    let failed = |what: &str, e: std::io::Error| {
        usage(format!(
            "tollgate keygen: cannot {what} {}: {e}",
            out.display()
        ))
    };
    let create = |path: &Path| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path)
    };
    let write = |mut file: std::fs::File| {
        writeln!(file, "{text}")?;
        file.sync_all()
    };
    if !force {
        let file = create(out).map_err(|e| failed("create", e))?;
        return write(file).map_err(|e| failed("write", e));
    }
    let name = out.file_name().ok_or_else(|| {
        usage(format!(
            "tollgate keygen: {} does not name a file",
            out.display()
        ))
    })?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(
        ".{}.tmp",
        Base64UrlUnpadded::encode_string(&keys::random::<9>())
    ));
    let temporary = out.with_file_name(temporary_name);
    let file = create(&temporary).map_err(|e| failed("create a file beside", e))?;
    let result = write(file)
        .map_err(|e| failed("write", e))
        .and_then(|()| std::fs::rename(&temporary, out).map_err(|e| failed("replace", e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn hash_secret(secret: Option<String>, generate: bool) -> Result<(), Failure> {
    let secret = if generate {
        let s = Base64UrlUnpadded::encode_string(&keys::random::<32>());
        println!("secret: {s}");
        s
    } else {
        match secret {
            Some(s) => s,
            None => read_stdin()?,
        }
    };
    if secret.is_empty() {
        return Err(usage("tollgate hash-secret: the secret is empty"));
    }
    let hash = secrets::hash_secret(secret.as_bytes());
    if generate {
        println!("secret_hash: {hash}");
    } else {
        println!("{hash}");
    }
    Ok(())
}

/// The most read from standard input: a token is at most `tollgate::MAX_TOKEN_LEN` bytes, a
/// secret far less; the rest is room for a `Bearer ` prefix and whitespace.
const MAX_STDIN: usize = 64 * 1024;

fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_STDIN as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| usage(format!("tollgate: cannot read standard input: {e}")))?;
    if text.len() > MAX_STDIN {
        return Err(usage(format!(
            "tollgate: standard input is longer than {MAX_STDIN} bytes"
        )));
    }
    Ok(text.trim().to_string())
}

fn run_server(path: &Path, listen: Option<String>) -> Result<(), Failure> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config::load(path)
        .map_err(|e| usage(format!("tollgate serve: {}: {e}", path.display())))?;
    for warning in &config.warnings {
        tracing::warn!("{}: {warning}", path.display());
    }
    let listen = listen.unwrap_or_else(|| config.listen.clone());
    let workers = config.workers;
    // Signals are caught before the address is printed: whoever reads it may signal at once.
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("tollgate serve: {e}")))?;
    let mut handlers = signals
        .block_on(async { Signals::new() })
        .map_err(|e| usage(format!("tollgate serve: cannot handle signals: {e}")))?;
    let issuer = Arc::new(Issuer::new(config));
    let running = serve(issuer.clone(), &listen, workers)
        .map_err(|e| usage(format!("tollgate serve: cannot listen on {listen}: {e}")))?;
    println!("listening on http://{}", running.addr());
    let _ = std::io::stdout().flush();
    log_configuration("serving", running.addr(), &issuer);
    signals.block_on(async {
        loop {
            match handlers.next().await {
                Signal::Reload => reload(path, &running),
                Signal::Stop(name) => {
                    tracing::info!("{name}: stopping");
                    break;
                }
            }
        }
    });
    running.stop();
    tracing::info!("stopped");
    Ok(())
}

/// SIGHUP: the configuration and key files again; on any error the running one stays.
fn reload(path: &Path, running: &Running) {
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(
                "reload failed, still serving the previous configuration: {}: {e}",
                path.display()
            );
            return;
        }
    };
    for warning in &config.warnings {
        tracing::warn!("{}: {warning}", path.display());
    }
    let old = running.issuer();
    let (was, now) = (old.config(), &config);
    if was.listen != now.listen || was.workers != now.workers || was.limits != now.limits {
        tracing::warn!("listen, workers and [limits] change only with a restart");
    }
    for (i, key) in now.keys.iter().enumerate() {
        let before = was.keys.iter().find(|k| k.kid() == key.kid());
        if before.is_some_and(|before| !before.same_key(key)) {
            tracing::warn!(
                "keys[{i}]: the key with kid {:?} changed but its kid did not: gateways holding \
                 the old JWKS reject the new tokens and the old tokens stop verifying where the \
                 new one is fetched; rotate with a new kid (README, \"Reload and key rotation\")",
                key.kid()
            );
        }
    }
    let issuer = running.replace(config);
    log_configuration("reloaded", running.addr(), &issuer);
}

fn log_configuration(what: &str, addr: std::net::SocketAddr, issuer: &Issuer) {
    let (active, published) = issuer.key_ids();
    tracing::info!(
        "{what}: http://{addr}, issuer {}, signing key {active:?}, published keys {published:?}, {} client(s)",
        issuer.config().issuer,
        issuer.config().clients.len(),
    );
}

enum Signal {
    Reload,
    Stop(&'static str),
}

struct Signals {
    hangup: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            hangup: signal(SignalKind::hangup())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.hangup.recv() => Signal::Reload,
            _ = self.terminate.recv() => Signal::Stop("SIGTERM"),
            _ = self.interrupt.recv() => Signal::Stop("SIGINT"),
        }
    }
}

fn fetch_token(
    token_url: &str,
    client_id: &str,
    client_secret: &str,
    scope: Option<String>,
    audience: Option<String>,
    auth: AuthMethod,
    json: bool,
) -> Result<(), Failure> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build(),
    );
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    if let Some(s) = &scope {
        form.push(("scope", s));
    }
    if let Some(a) = &audience {
        form.push(("audience", a));
    }
    let mut request = agent.post(token_url);
    match auth {
        AuthMethod::Basic => {
            // RFC 6749 §2.3.1: each part form-urlencoded before joining and base64.
            let encode =
                |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", encode(client_id), encode(client_secret));
            request = request.header(
                "Authorization",
                format!("Basic {}", Base64::encode_string(pair.as_bytes())),
            );
        }
        AuthMethod::Post => {
            form.push(("client_id", client_id));
            form.push(("client_secret", client_secret));
        }
    }
    let mut response = request
        .send_form(form)
        .map_err(|e| usage(format!("tollgate token: {token_url}: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| usage(format!("tollgate token: reading the response: {e}")))?;
    let parsed: serde_json::Value = serde_json::from_str(&body)
        .map_err(|_| usage(format!("tollgate token: HTTP {status}, not JSON")))?;
    if status != 200 {
        let code = parsed["error"].as_str().unwrap_or("unknown_error");
        let description = parsed["error_description"].as_str().unwrap_or("");
        return Err(Failure {
            code: 1,
            message: format!("tollgate token: HTTP {status} {code}: {description}"),
        });
    }
    if json {
        println!("{parsed}");
    } else {
        let token = parsed["access_token"]
            .as_str()
            .ok_or_else(|| usage("tollgate token: the response has no access_token"))?;
        println!("{token}");
    }
    Ok(())
}

/// The token from the argument or standard input; a pasted `Bearer ` prefix is dropped.
fn token_or_stdin(token: Option<String>) -> Result<String, Failure> {
    let token = match token {
        Some(t) => t,
        None => read_stdin()?,
    };
    Ok(explain::strip_bearer(&token).to_string())
}

fn inspect(token: Option<String>) -> Result<(), Failure> {
    let token = token_or_stdin(token)?;
    let decode = |part: &str, what: &str| -> Result<serde_json::Value, Failure> {
        let bytes = Base64UrlUnpadded::decode_vec(part).map_err(|_| Failure {
            code: 1,
            message: format!("tollgate inspect: the {what} is not base64url"),
        })?;
        serde_json::from_slice(&bytes).map_err(|_| Failure {
            code: 1,
            message: format!("tollgate inspect: the {what} is not JSON"),
        })
    };
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Failure {
            code: 1,
            message: "tollgate inspect: not a compact JWS (three dot-separated parts)".into(),
        });
    };
    let header = decode(header, "header")?;
    let claims = decode(payload, "payload")?;
    println!("UNVERIFIED: nothing below has been checked; use `tollgate verify` to trust it.");
    let shown = |v: &serde_json::Value| {
        explain::terminal_safe_json(&serde_json::to_string_pretty(v).expect("JSON"))
    };
    println!("header: {}", shown(&header));
    println!("claims: {}", shown(&claims));
    Ok(())
}

fn verify(jwks_path: &Path, flags: &Flags, token: Option<String>) -> Result<(), Failure> {
    let jwks = std::fs::read(jwks_path).map_err(|e| {
        usage(format!(
            "tollgate verify: cannot read {}: {e}",
            jwks_path.display()
        ))
    })?;
    let (keys, report) = KeySet::from_jwks(&jwks).map_err(|e| {
        let mut message = format!("tollgate verify: {}: ", jwks_path.display());
        if let Some(i) = e.key_index {
            message.push_str(&format!("{}: ", explain::describe_jwk(&jwks, i)));
        }
        message.push_str(&format!("{} ({})", e.kind, e.kind.name()));
        for line in explain::skipped_keys(&jwks, &e.report) {
            message.push_str(&format!("\n  {line}"));
        }
        usage(message)
    })?;
    for line in explain::skipped_keys(&jwks, &report) {
        eprintln!("tollgate verify: note: {}: {line}", jwks_path.display());
    }
    if report.private_members_ignored > 0 {
        eprintln!(
            "tollgate verify: warning: {} carries private key material; only public keys were used",
            jwks_path.display()
        );
    }
    let token = token_or_stdin(token)?;
    let key_list: Vec<(String, Option<String>)> = keys
        .iter()
        .map(|(alg, kid)| (alg.as_str().to_string(), kid.map(str::to_string)))
        .collect();
    let policy = policy(flags, &token)
        .build()
        .map_err(|e| usage(format!("tollgate verify: {e} ({})", e.name())))?;
    let verifier = Verifier::new(keys, policy);
    let mut scratch = Box::new(Scratch::new());
    match verifier.verify(token.as_bytes(), flags.now, &mut scratch) {
        Ok(claims) => {
            println!("{}", explain::terminal_safe_json(claims.payload_json()));
            Ok(())
        }
        Err(e) => {
            let mut message = format!("{}: {}", e.name(), e.description());
            if let Some(why) = explain::explain(e, &token, flags, &key_list) {
                message = format!("{message}: {why}");
            }
            Err(Failure { code: 1, message })
        }
    }
}

/// The policy of the flags. `--any-audience` accepts the audience the token names: the
/// signature and every other check still apply.
fn policy(flags: &Flags, token: &str) -> tollgate::PolicyBuilder {
    let mut policy = Policy::builder().leeway(flags.leeway);
    if let Some(i) = &flags.issuer {
        policy = policy.issuer(i);
    }
    let token_audiences: Vec<String> = match (flags.any_audience, explain::decode_unverified(token))
    {
        (true, Some((_, claims))) => explain::audiences(&claims)
            .into_iter()
            .filter(|a| !a.is_empty() && a.len() <= tollgate::MAX_POLICY_VALUE_LEN)
            .take(tollgate::MAX_POLICY_AUDIENCES)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    for a in flags.audiences.iter().chain(&token_audiences) {
        policy = policy.audience(a);
    }
    if let Some(t) = &flags.typ {
        policy = policy.token_type(t);
    }
    for s in &flags.scopes {
        policy = policy.scope(s);
    }
    for c in &flags.required_claims {
        policy = policy.require_claim(c);
    }
    policy
}
