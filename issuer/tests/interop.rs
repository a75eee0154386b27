//! `client_secret_basic` with real clients: authlib (requests and httpx), requests-oauthlib,
//! httpx and curl send id and secret raw, not form-urlencoded as RFC 6749 §2.3.1 says; the
//! issuer accepts both. The secret holds `:`, `%`, `+`, a space and `&`, each of which one of the
//! two readings changes.
//!
//! The Python libraries live in `build/py` (`scripts/install-deps` makes it from
//! `issuer/tests/interop/requirements.txt`); without them these tests are skipped, and under
//! `CI=true` they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Server, config_text, core_verifier, hash};
use tollgate::Scratch;

const ID: &str = "py-client";
const SECRET: &str = "p:a%2Bs s+w&rd";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn start() -> Server {
    Server::start(&config_text(
        "",
        &format!(
            "[[clients]]\nid = \"{ID}\"\nsecret_hash = \"{}\"\naudiences = [\"api://items\"]\n",
            hash(SECRET)
        ),
    ))
}

/// A tool the suite needs, or `None` (with a message) outside CI.
fn needed(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{what} not found at {}: run scripts/install-deps",
        path.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}");
    }
    eprintln!("skipping: {message}");
    None
}

/// The token in a token response, verified with the issuer's published key by the core.
fn verified_client_id(s: &Server, response: &str) -> String {
    let body: serde_json::Value =
        serde_json::from_str(response).unwrap_or_else(|_| panic!("not JSON: {response}"));
    let token = body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {response}"));
    let jwks = s.running().issuer().jwks().to_string();
    let mut scratch = Scratch::new();
    let claims = core_verifier(&jwks)
        .verify(
            token.as_bytes(),
            tollgate_issuer::server::unix_now() as i64,
            &mut scratch,
        )
        .expect("the issued token verifies");
    claims.client_id().unwrap().to_string()
}

fn python_library(library: &str) {
    let Some(python) = needed(repo().join("build/py/bin/python"), "the Python venv") else {
        return;
    };
    let s = start();
    let out = Command::new(python)
        .arg(repo().join("issuer/tests/interop/fetch_token.py"))
        .args([library, &format!("http://{}/token", s.addr), ID, SECRET])
        // oauthlib refuses plain http unless told; this is loopback.
        .env("OAUTHLIB_INSECURE_TRANSPORT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{library}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response = String::from_utf8(out.stdout).unwrap();
    assert_eq!(verified_client_id(&s, &response), ID, "{library}");
}

#[test]
fn authlib_with_requests_gets_a_token_with_client_secret_basic() {
    python_library("authlib");
}

#[test]
fn authlib_with_httpx_gets_a_token_with_client_secret_basic() {
    python_library("authlib-httpx");
}

#[test]
fn requests_oauthlib_gets_a_token_with_client_secret_basic() {
    python_library("requests-oauthlib");
}

#[test]
fn httpx_basic_auth_gets_a_token() {
    python_library("httpx");
}

#[test]
fn curl_user_gets_a_token() {
    let Some(curl) = needed("/usr/bin/curl".into(), "curl") else {
        return;
    };
    let s = start();
    let out = Command::new(curl)
        .args(["-sS", "--fail-with-body", "-u", &format!("{ID}:{SECRET}")])
        .args(["-d", "grant_type=client_credentials"])
        .arg(format!("http://{}/token", s.addr))
        .output()
        .unwrap();
    let response = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{response}");
    assert_eq!(verified_client_id(&s, &response), ID);
}

/// The form-urlencoded reading (RFC 6749 §2.3.1, what the `oauth2` crate and `tollgate token`
/// send) works for the same secret.
#[test]
fn the_rfc_form_urlencoded_reading_gets_a_token() {
    let s = start();
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(ID), enc(SECRET));
    let body = "grant_type=client_credentials";
    let request = format!(
        "POST /token HTTP/1.1\r\nHost: t\r\nAuthorization: Basic {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        <base64ct::Base64 as base64ct::Encoding>::encode_string(pair.as_bytes()),
        body.len()
    );
    let r = s.exchange(request.as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// The report: the Basic decoder split on `&`, so `plain:plain&junk=1` authenticated as
/// the client whose secret is `plain`.
#[test]
fn basic_credentials_never_split_on_ampersand() {
    let s = Server::start(&config_text(
        "",
        &format!(
            "[[clients]]\nid = \"plain\"\nsecret_hash = \"{}\"\naudiences = [\"api://items\"]\n",
            hash("plain")
        ),
    ));
    let r = s.exchange(&common::token_request("plain", "plain&junk=1"));
    assert_eq!(r.status, 401);
    assert_eq!(
        s.exchange(&common::token_request("plain", "plain")).status,
        200
    );
}
