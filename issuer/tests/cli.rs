//! The `tollgate` command: exit codes, output, and a whole flow against `tollgate serve` with the
//! example configuration.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tollgate(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("TOLLGATE_CLIENT_SECRET")
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory per call: tests run in parallel and several ask for the same name.
fn temp_dir(name: &str) -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("tollgate-cli-{name}-{}-{call}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `tollgate serve` with the example config on a free port; stopped with SIGTERM on drop.
struct Served {
    child: Option<Child>,
    base: String,
    log: Option<std::process::ChildStderr>,
}

impl Served {
    fn start() -> Self {
        let config = repo().join("examples/issuer.toml");
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--config",
                config.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let log = child.stderr.take();
        Served {
            child: Some(child),
            base,
            log,
        }
    }

    /// Sends SIGTERM, waits, and returns the exit status and everything logged.
    fn stop(&mut self) -> (std::process::ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        let mut log = String::new();
        self.log.take().unwrap().read_to_string(&mut log).unwrap();
        (status, log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn fetch_jwks(base: &str, dir: &Path) -> PathBuf {
    let body = ureq::get(format!("{base}/.well-known/jwks.json"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let path = dir.join("jwks.json");
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn the_whole_flow_serve_token_verify_inspect() {
    let dir = temp_dir("flow");
    let mut served = Served::start();
    let token_url = format!("{}/token", served.base);

    let out = tollgate(
        &[
            "token",
            "--token-url",
            &token_url,
            "--client-id",
            "demo-client",
            "--client-secret",
            "demo-secret",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    assert_eq!(token.split('.').count(), 3);

    let out = tollgate(
        &[
            "token",
            "--token-url",
            &token_url,
            "--client-id",
            "demo-client",
            "--client-secret",
            "demo-secret",
            "--auth",
            "post",
            "--scope",
            "items:write",
            "--json",
        ],
        None,
    );
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["scope"], "items:write");

    let jwks = fetch_jwks(&served.base, &dir);
    let jwks = jwks.to_str().unwrap();
    let policy = [
        "--issuer",
        "http://127.0.0.1:8080",
        "--audience",
        "api://items",
        "--type",
        "at+jwt",
        "--scope",
        "items:read",
    ];
    let mut args = vec!["verify", "--jwks", jwks];
    args.extend(policy);
    args.push(&token);
    let out = tollgate(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["client_id"], "demo-client");

    // The token from standard input, as for tokens past the argument-length limit.
    let mut args = vec!["verify", "--jwks", jwks];
    args.extend(policy);
    let out = tollgate(&args, Some(&format!("{token}\n")));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Rejected: exit 1 and the reason.
    let out = tollgate(
        &[
            "verify",
            "--jwks",
            jwks,
            "--audience",
            "api://other",
            &token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "invalid_audience: audience not accepted: the token is for \"api://items\", not \"api://other\" (--audience)"
    );
    let out = tollgate(
        &[
            "verify",
            "--jwks",
            jwks,
            "--audience",
            "api://items",
            "--now",
            "4000000000",
            &token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let reason = text(&out.stderr);
    assert!(
        reason.starts_with("expired: token has expired: it expired at 20"),
        "{reason}"
    );
    assert!(
        reason.contains("Z (") && reason.contains(" seconds ago)"),
        "{reason}"
    );

    let out = tollgate(&["inspect", &token], None);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(shown.starts_with("UNVERIFIED"), "{shown}");
    assert!(shown.contains("\"typ\": \"at+jwt\"") && shown.contains("\"sub\": \"demo-client\""));

    let out = tollgate(
        &[
            "token",
            "--token-url",
            &token_url,
            "--client-id",
            "demo-client",
            "--client-secret",
            "nope",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("401 invalid_client"));

    let (status, log) = served.stop();
    assert!(status.success(), "serve stops cleanly on SIGTERM");
    // One line per request, and never a secret or a token.
    assert_eq!(
        log.lines().filter(|l| l.contains("POST /token ")).count(),
        3,
        "{log}"
    );
    assert!(log.contains("client=demo-client"));
    assert!(
        !log.contains("demo-secret") && !log.contains(&token[..40]),
        "{log}"
    );
    assert!(log.contains("SIGTERM: stopping"), "{log}");
}

/// A token from the example issuer, and its JWKS in a file.
fn issued_token(scope: &str) -> (Served, String, PathBuf) {
    let dir = temp_dir(&format!("explain-{scope}"));
    let served = Served::start();
    let out = tollgate(
        &[
            "token",
            "--token-url",
            &format!("{}/token", served.base),
            "--client-id",
            "demo-client",
            "--client-secret",
            "demo-secret",
            "--scope",
            scope,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let jwks = fetch_jwks(&served.base, &dir);
    (served, text(&out.stdout).trim().to_string(), jwks)
}

/// The issue's report: a valid token with an `aud`, checked without --audience, exited 1 with
/// no hint of the flag that was missing.
#[test]
fn verify_names_the_audience_flag_a_token_needs() {
    let (_served, token, jwks) = issued_token("items:read");
    let out = tollgate(&["verify", "--jwks", jwks.to_str().unwrap(), &token], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "invalid_audience: audience not accepted: the token is for \"api://items\"; accept it \
         with --audience \"api://items\", or skip the audience check with --any-audience"
    );
}

/// `--any-audience` accepts whatever audience the token names, and still checks the rest.
#[test]
fn verify_any_audience_skips_only_the_audience_check() {
    let (_served, token, jwks) = issued_token("items:read");
    let jwks = jwks.to_str().unwrap();
    let out = tollgate(&["verify", "--jwks", jwks, "--any-audience", &token], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["aud"], "api://items");
    let out = tollgate(
        &[
            "verify",
            "--jwks",
            jwks,
            "--any-audience",
            "--issuer",
            "https://other",
            &token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let out = tollgate(
        &[
            "verify",
            "--jwks",
            jwks,
            "--any-audience",
            "--audience",
            "x",
            &token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "the two flags conflict");
}

#[test]
fn verify_names_the_missing_scope() {
    let (_served, token, jwks) = issued_token("items:read");
    let out = tollgate(
        &[
            "verify",
            "--jwks",
            jwks.to_str().unwrap(),
            "--audience",
            "api://items",
            "--scope",
            "items:read",
            "--scope",
            "items:write",
            &token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "insufficient_scope: token lacks a required scope: missing scope \"items:write\"; \
         the token has \"items:read\""
    );
}

/// The issue's report: pasting `Bearer <token>` from an Authorization header gave a base64
/// error. RFC 6750 §2.1's prefix is dropped, from the argument or standard input.
#[test]
fn verify_accepts_a_pasted_bearer_prefix() {
    let (_served, token, jwks) = issued_token("items:read");
    let jwks = jwks.to_str().unwrap();
    let pasted = format!("Bearer {token}");
    let out = tollgate(&["verify", "--jwks", jwks, "--any-audience", &pasted], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = tollgate(
        &["verify", "--jwks", jwks, "--any-audience"],
        Some(&format!("{pasted}\n")),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = tollgate(&["inspect", &pasted], None);
    assert!(out.status.success());
}

#[test]
fn verify_exit_codes_for_usage_and_key_set_errors() {
    let dir = temp_dir("usage");
    let token = "eyJhbGciOiJub25lIn0.e30.";
    let out = tollgate(&["verify", token], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing --jwks is a usage error"
    );
    let out = tollgate(&["verify", "--jwks", "/nonexistent/jwks.json", token], None);
    assert_eq!(out.status.code(), Some(2));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#).unwrap();
    let out = tollgate(&["verify", "--jwks", bad.to_str().unwrap(), token], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("key_too_short"),
        "{}",
        text(&out.stderr)
    );
    let good = repo().join("tests/vectors/test.jwks");
    let out = tollgate(
        &[
            "verify",
            "--jwks",
            good.to_str().unwrap(),
            "--leeway",
            "9999",
            token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let out = tollgate(&["verify", "--jwks", good.to_str().unwrap(), token], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "alg_none: unsigned token (alg none) rejected"
    );
}

#[test]
fn verify_reads_the_shared_vectors_like_every_other_suite() {
    let vectors = std::fs::read_to_string(repo().join("tests/vectors/tokens.tsv")).unwrap();
    let jwks = repo().join("tests/vectors/test.jwks");
    for line in vectors.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        if f[1] != "test.jwks" || f[3] != "iss=https://issuer.example;aud=api://items;typ=at+jwt" {
            continue;
        }
        let out = tollgate(
            &[
                "verify",
                "--jwks",
                jwks.to_str().unwrap(),
                "--issuer",
                "https://issuer.example",
                "--audience",
                "api://items",
                "--type",
                "at+jwt",
                "--now",
                f[2],
                f[5],
            ],
            None,
        );
        if f[4] == "ok" {
            assert_eq!(out.status.code(), Some(0), "{}", f[0]);
        } else {
            assert_eq!(out.status.code(), Some(1), "{}", f[0]);
            assert!(
                text(&out.stderr).starts_with(&format!("{}:", f[4])),
                "{}: {}",
                f[0],
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn keygen_writes_a_private_file_and_prints_the_public_key() {
    let dir = temp_dir("keygen");
    let key = dir.join("k.jwk");
    let out = tollgate(
        &["keygen", "--kid", "k1", "--out", key.to_str().unwrap()],
        None,
    );
    assert!(out.status.success());
    let public: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (public["kid"].as_str(), public["kty"].as_str()),
        (Some("k1"), Some("OKP"))
    );
    assert!(public.get("d").is_none());
    let private: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&key).unwrap()).unwrap();
    assert!(private["d"].is_string());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let again = tollgate(
        &["keygen", "--kid", "k1", "--out", key.to_str().unwrap()],
        None,
    );
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing key is not overwritten"
    );
    let forced = tollgate(
        &[
            "keygen",
            "--kid",
            "k1",
            "--out",
            key.to_str().unwrap(),
            "--force",
        ],
        None,
    );
    assert!(forced.status.success());

    let hs = dir.join("h.jwk");
    let out = tollgate(
        &[
            "keygen",
            "--kid",
            "h1",
            "--algorithm",
            "HS256",
            "--out",
            hs.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "an HS256 secret has no public half to print"
    );
}

/// `--force` in a directory others can write (say /tmp): a symlink planted at the output path
/// is replaced, never followed, so the private key does not land in (and clobber, and chmod)
/// the file it points to (CWE-59).
#[cfg(unix)]
#[test]
fn keygen_force_replaces_a_symlink_instead_of_writing_through_it() {
    let dir = temp_dir("keygen-symlink");
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let link = dir.join("k.jwk");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let forced = tollgate(
        &[
            "keygen",
            "--kid",
            "k1",
            "--out",
            link.to_str().unwrap(),
            "--force",
        ],
        None,
    );
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let written = std::fs::symlink_metadata(&link).unwrap();
    assert!(written.file_type().is_file(), "the link itself is replaced");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(written.permissions().mode() & 0o777, 0o600);
    let private: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&link).unwrap()).unwrap();
    assert!(private["d"].is_string());
    let leftovers = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(leftovers, 2, "no temporary file is left behind");
}

#[test]
fn hash_secret_reads_standard_input_and_makes_argon2id() {
    let out = tollgate(&["hash-secret"], Some("my-secret\n"));
    assert!(out.status.success());
    let hash = text(&out.stdout).trim().to_string();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let generated = tollgate(&["hash-secret", "--generate"], None);
    let shown = text(&generated.stdout);
    assert!(shown.starts_with("secret: ") && shown.contains("\nsecret_hash: $argon2id$"));
    assert_eq!(tollgate(&["hash-secret"], Some("")).status.code(), Some(2));
}

#[test]
fn serve_refuses_a_bad_config_naming_the_field() {
    let dir = temp_dir("badconfig");
    let config = dir.join("issuer.toml");
    std::fs::write(
        &config,
        "issuer = \"http://127.0.0.1:8080\"\n[[keys]]\nkid = \"k\"\nprivate_key = \"AAAA\"\n",
    )
    .unwrap();
    let out = tollgate(&["serve", "--config", config.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("keys[0].private_key:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "keygen",
        "hash-secret",
        "serve",
        "token",
        "inspect",
        "verify",
    ] {
        let out = tollgate(&[sub, "--help"], None);
        assert!(out.status.success(), "{sub}");
        assert!(text(&out.stdout).contains("Usage: tollgate"), "{sub}");
    }
}

/// A token signed by a trusted key is still attacker-chosen text: claims carrying C1 controls
/// (U+009B is CSI on many terminals) or bidi overrides reached the terminal raw from `verify`
/// and `inspect`. They are printed as JSON escapes, and the JSON still reads back the same.
#[test]
fn verify_and_inspect_print_no_terminal_controls() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let dir = temp_dir("controls");
    let key = [7u8; 32];
    let jwks = dir.join("jwks.json");
    let k = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(&key);
    std::fs::write(
        &jwks,
        format!(r#"{{"keys":[{{"kty":"oct","k":"{k}","alg":"HS256","kid":"h"}}]}}"#),
    )
    .unwrap();
    let note = "\u{9b}31m\u{202e}gnp.exe\u{2066}\u{7f}";
    let claims = serde_json::json!({"sub": "s", "exp": 4_000_000_000u64, "note": note});
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("h".into());
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&key)).unwrap();
    let terminal_control = |c: char| matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let verified = tollgate(&["verify", "--jwks", jwks.to_str().unwrap(), &token], None);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stderr)
    );
    let out = text(&verified.stdout);
    assert!(!out.chars().any(terminal_control), "{out:?}");
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed["note"], note, "escaped, not lost");
    let inspected = tollgate(&["inspect", &token], None);
    let out = text(&inspected.stdout);
    assert!(!out.chars().any(terminal_control), "{out:?}");
    assert!(out.contains("\\u009b"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Standard input is read up to a bound: `tollgate verify < /dev/zero` grew without limit.
#[test]
fn standard_input_beyond_a_bound_is_refused() {
    let mut child = Command::new(BIN)
        .args(["inspect"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let chunk = vec![b'a'; 1 << 16];
        // 64 MiB, or until the reader stops reading.
        for _ in 0..1024 {
            if input.write_all(&chunk).is_err() {
                return true;
            }
        }
        false
    });
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("standard input"),
        "{}",
        text(&out.stderr)
    );
    assert!(feeder.join().unwrap(), "the command stopped reading early");
}

/// A public JWKS file holding `keys`, and a token minted with `key` (now, one audience).
fn jwks_and_token(
    dir: &Path,
    keys: &[serde_json::Value],
    key: &tollgate_issuer::keys::SigningKey,
) -> (PathBuf, String) {
    let path = dir.join("jwks.json");
    std::fs::write(&path, serde_json::json!({ "keys": keys }).to_string()).unwrap();
    let grant = tollgate_issuer::token::Grant {
        client_id: "svc".into(),
        scopes: vec!["items:read".into()],
        audiences: vec!["api://items".into()],
        lifetime: 300,
    };
    let now = tollgate_issuer::server::unix_now();
    let token = tollgate_issuer::token::mint("https://i.example", key, &grant, now);
    (path, token)
}

fn verify_with(jwks: &Path, token: &str) -> Output {
    tollgate(
        &[
            "verify",
            "--jwks",
            jwks.to_str().unwrap(),
            "--audience",
            "api://items",
            token,
        ],
        None,
    )
}

/// `keygen --algorithm ES256|RS256|PS256` writes a private JWK (0600) that the issuer reads,
/// prints a public JWK bound to the algorithm, and `verify` accepts the issuer's tokens.
#[test]
fn keygen_es256_rs256_ps256_keys_sign_tokens_that_verify_verifies() {
    let dir = temp_dir("keygen-algs");
    for (alg, bits, kty, signature_len) in [
        ("ES256", None, "EC", 64usize),
        ("RS256", Some("3072"), "RSA", 384),
        ("PS256", None, "RSA", 256),
    ] {
        let file = dir.join(format!("{alg}.jwk"));
        let mut args = vec!["keygen", "--kid", alg, "--algorithm", alg];
        args.extend(["--out", file.to_str().unwrap()]);
        if let Some(bits) = bits {
            args.extend(["--bits", bits]);
        }
        let out = tollgate(&args, None);
        assert!(out.status.success(), "{alg}: {}", text(&out.stderr));
        let public: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (
                public["kty"].as_str(),
                public["alg"].as_str(),
                public["use"].as_str()
            ),
            (Some(kty), Some(alg), Some("sig")),
            "{alg}"
        );
        assert!(
            public.get("d").is_none() && public.get("p").is_none(),
            "{alg}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{alg}");
        }
        let private: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let key = tollgate_issuer::keys::SigningKey::from_private_jwk(alg, alg, &private).unwrap();
        let (jwks, token) = jwks_and_token(&dir, &[public], &key);
        let signature = token.rsplit('.').next().unwrap();
        assert_eq!(signature.len(), (signature_len * 4).div_ceil(3), "{alg}");
        let out = verify_with(&jwks, &token);
        assert_eq!(out.status.code(), Some(0), "{alg}: {}", text(&out.stderr));
        let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(claims["sub"], "svc", "{alg}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--bits` is for RSA only, and only in the sizes the core verifies (RFC 7518 §3.3).
#[test]
fn keygen_refuses_bits_it_cannot_use() {
    let dir = temp_dir("keygen-bits");
    let out_file = dir.join("k.jwk");
    let out = out_file.to_str().unwrap();
    for args in [
        vec![
            "keygen",
            "--kid",
            "k",
            "--algorithm",
            "RS256",
            "--bits",
            "1024",
            "--out",
            out,
        ],
        vec![
            "keygen",
            "--kid",
            "k",
            "--algorithm",
            "RS256",
            "--bits",
            "8192",
            "--out",
            out,
        ],
        vec![
            "keygen",
            "--kid",
            "k",
            "--algorithm",
            "ES256",
            "--bits",
            "2048",
            "--out",
            out,
        ],
    ] {
        let result = tollgate(&args, None);
        assert_eq!(result.status.code(), Some(2), "{args:?}");
        assert!(!out_file.exists(), "{args:?} wrote a key");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One key, one algorithm: an RS256 token relabelled PS256 names a kid the JWKS has, under
/// another algorithm; `verify` says which algorithm the key is bound to.
#[test]
fn verify_explains_a_token_whose_alg_the_key_is_not_bound_to() {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let dir = temp_dir("relabelled");
    let (private, public) =
        tollgate_issuer::keys::generate_rsa("rsa-1", tollgate_issuer::keys::RsaScheme::Rs256, 2048)
            .unwrap();
    let key =
        tollgate_issuer::keys::SigningKey::from_private_jwk("rsa-1", "RS256", &private).unwrap();
    let (jwks, token) = jwks_and_token(&dir, &[public], &key);
    let parts: Vec<&str> = token.split('.').collect();
    let header = r#"{"alg":"PS256","typ":"at+jwt","kid":"rsa-1"}"#;
    let relabelled = format!(
        "{}.{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        parts[1],
        parts[2]
    );
    let out = verify_with(&jwks, &relabelled);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("unknown_key:"), "{err}");
    assert!(err.contains("\"rsa-1\" (RS256)"), "{err}");
    assert!(err.contains("bound to RS256 only"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A token signed by another key under the same kid and alg: `verify` names the key and the
/// algorithm it checked.
#[test]
fn verify_names_the_key_and_algorithm_a_bad_signature_was_checked_with() {
    let dir = temp_dir("bad-signature");
    let (_, published) = tollgate_issuer::keys::generate_es256("ec-1");
    let (private, _) = tollgate_issuer::keys::generate_es256("ec-1");
    let other =
        tollgate_issuer::keys::SigningKey::from_private_jwk("ec-1", "ES256", &private).unwrap();
    let (jwks, token) = jwks_and_token(&dir, &[published], &other);
    let out = verify_with(&jwks, &token);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "bad_signature: signature does not verify: the \"ES256\" signature does not verify \
         with the key \"ec-1\""
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An identity provider's JWKS with keys this verifier skips (RFC 7517 §5): `verify` says
/// which and why, by kid and type, and prints no key material.
#[test]
fn verify_names_the_skipped_keys_and_why_without_key_material() {
    let dir = temp_dir("skipped");
    let (private, usable) =
        tollgate_issuer::keys::generate_rsa("sig-1", tollgate_issuer::keys::RsaScheme::Rs256, 2048)
            .unwrap();
    let key =
        tollgate_issuer::keys::SigningKey::from_private_jwk("sig-1", "RS256", &private).unwrap();
    let mut encryption = usable.clone();
    encryption["kid"] = "enc-1".into();
    encryption["use"] = "enc".into();
    let p521 = serde_json::json!({"kty": "EC", "crv": "P-521", "kid": "ec-521",
        "x": "AQ", "y": "AQ", "alg": "ES512"});
    let (jwks, token) = jwks_and_token(&dir, &[encryption, usable.clone(), p521], &key);
    let out = verify_with(&jwks, &token);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("keys[0] (kid \"enc-1\", kty \"RSA\", alg \"RS256\", use \"enc\") skipped: key is not meant for verifying signatures (not_for_signatures)"),
        "{err}"
    );
    assert!(
        err.contains("keys[2] (kid \"ec-521\", kty \"EC\", crv \"P-521\", alg \"ES512\") skipped:"),
        "{err}"
    );
    assert!(err.contains("(unsupported)"), "{err}");
    let modulus = usable["n"].as_str().unwrap();
    assert!(!err.contains(&modulus[..16]), "key material printed: {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A JWKS whose every key is skipped is a key set error (exit 2) that lists each key and why.
#[test]
fn verify_refuses_a_jwks_of_unusable_keys_naming_each() {
    let dir = temp_dir("unusable");
    let short = serde_json::json!({"kty": "oct", "kid": "short", "k": "AAAA"});
    let encryption = serde_json::json!({"kty": "EC", "crv": "P-256", "kid": "enc",
        "use": "enc", "x": "AQ", "y": "AQ"});
    let path = dir.join("jwks.json");
    std::fs::write(
        &path,
        serde_json::json!({"keys": [short, encryption]}).to_string(),
    )
    .unwrap();
    let out = tollgate(&["verify", "--jwks", path.to_str().unwrap(), "a.b.c"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("(no_usable_key)"), "{err}");
    assert!(
        err.contains("keys[0] (kid \"short\", kty \"oct\") skipped:"),
        "{err}"
    );
    assert!(err.contains("(key_too_short)"), "{err}");
    assert!(
        err.contains("keys[1] (kid \"enc\", kty \"EC\", crv \"P-256\", use \"enc\") skipped:"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
