//! A signed claim is still attacker-influenced text: a display name or an e-mail address at many
//! identity providers. No control byte from a token may reach an HTTP header, in either
//! direction (RFC 9110 §5.5: CR, LF and NUL are never valid in a field value). A backend that
//! records the bytes it received and a client that reads raw bytes show what really crossed.

use serde_json::json;
use tollgate_nginx_tests::*;

/// Every variable is wrapped in brackets, so each header is always sent: one line, whatever the
/// claim holds.
const SERVER: &str = r#"
    auth_jwt "api";
    auth_jwt_key_file {dir}/jwks.json;
    location / {
        proxy_set_header X-Value "[$jwt_claim_v]";
        proxy_set_header X-Note "[$jwt_header_note]";
        proxy_set_header X-Payload "[$jwt_payload]";
        add_header X-Value "[$jwt_claim_v]" always;
        add_header X-Note "[$jwt_header_note]" always;
        proxy_pass http://127.0.0.1:{backend};
    }
"#;

const HEADER: &str = r#"{"alg":"EdDSA","kid":"k1"}"#;

/// What the claim `v` (or the header parameter `note`) holds, as JSON text, and the bracketed
/// value the backend and the client must see. The header lines an injection would add are
/// `X-Injected` and `Set-Cookie`.
const CASES: &[(&str, &str, &str, &str)] = &[
    // (case, header JSON, claims JSON, expected X-Value)
    (
        "CR LF as JSON escapes",
        HEADER,
        r#"{"v":"alice\r\nX-Injected: 1\r\nSet-Cookie: s=evil"}"#,
        "[]",
    ),
    (
        "CR LF as \\u escapes",
        HEADER,
        r#"{"v":"alice\u000d\u000aX-Injected: 1"}"#,
        "[]",
    ),
    ("a bare LF", HEADER, r#"{"v":"alice\nX-Injected: 1"}"#, "[]"),
    ("NUL", HEADER, r#"{"v":"alice\u0000X-Injected: 1"}"#, "[]"),
    ("HTAB", HEADER, r#"{"v":"alice\tbob"}"#, "[]"),
    // The check reads eight bytes at a time, then the rest one by one.
    (
        "a control byte in the second eight",
        HEADER,
        r#"{"v":"abcdefghijklm\u0001rest"}"#,
        "[]",
    ),
    (
        "DEL after the first eight",
        HEADER,
        r#"{"v":"abcdefgh\u007f"}"#,
        "[]",
    ),
    (
        "a long UTF-8 value passes",
        HEADER,
        r#"{"v":"ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ €€€ ÿ"}"#,
        "[ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ €€€ ÿ]",
    ),
    ("DEL", HEADER, r#"{"v":"alice\u007fbob"}"#, "[]"),
    (
        "an array element",
        HEADER,
        r#"{"v":["ok","alice\r\nX-Injected: 1"]}"#,
        "[]",
    ),
    (
        "an array with a nested object spread over lines",
        HEADER,
        "{\"v\":[\"ok\",{\"a\":\r\n1}]}",
        "[]",
    ),
    (
        "a nested object's escapes stay escaped",
        HEADER,
        r#"{"v":{"name":"alice\r\nX-Injected: 1"}}"#,
        r#"[{"name":"alice\r\nX-Injected: 1"}]"#,
    ),
    (
        "a nested object spread over lines is compacted",
        HEADER,
        "{\"v\":{\r\n \"name\" :\t\"alice\",\r\n \"n\": [1, 2]\r\n}}",
        r#"[{"name":"alice","n":[1,2]}]"#,
    ),
    (
        "raw UTF-8 passes",
        HEADER,
        r#"{"v":"Zoë 名前"}"#,
        "[Zoë 名前]",
    ),
    (
        "a plain string passes",
        HEADER,
        r#"{"v":"alice"}"#,
        "[alice]",
    ),
];

/// `claims` (a JSON object's text) with an `exp` a minute away inserted first: the policy
/// requires one.
fn expiring(claims: &str) -> String {
    claims.replacen('{', &format!("{{\"exp\":{},", unix_now() + 60), 1)
}

fn gateway(backend: u16) -> Option<Gateway> {
    let (module, nginx) = nginx_and_module()?;
    let server = SERVER.replace("{backend}", &backend.to_string());
    let mut gw = Gateway::configure(&module, &nginx, "inject", &server);
    std::fs::write(gw.dir.join("jwks.json"), jwks_of(&["k1"])).unwrap();
    gw.start();
    Some(gw)
}

fn lossy(lines: &[Vec<u8>]) -> Vec<String> {
    lines
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

/// Exactly one `name` line in `message`, with `value`, and no injected line.
fn assert_one_line(message: &[u8], name: &str, value: &str, case: &str, side: &str) {
    let lines = header_lines(message, name);
    let expected = format!("{name}: {value}");
    assert_eq!(
        lossy(&lines),
        [expected],
        "{case}: the {side} saw {:?}",
        String::from_utf8_lossy(message)
    );
    for injected in ["X-Injected", "Set-Cookie"] {
        assert!(
            header_lines(message, injected).is_empty(),
            "{case}: {injected} reached the {side}"
        );
    }
    assert!(!message.contains(&0), "{case}: a NUL reached the {side}");
}

#[test]
fn claims_with_control_bytes_never_reach_a_header_in_either_direction() {
    let backend = RawBackend::start();
    let Some(gw) = gateway(backend.port) else {
        return;
    };
    for (i, (case, header, claims, expected)) in CASES.iter().enumerate() {
        let token = sign_json("k1", header, &expiring(claims));
        let response = raw_get(gw.port, "/x", format!("Bearer {token}").as_bytes());
        assert_eq!(raw_status(&response), 200, "{case}");
        let heads = backend.heads();
        assert_eq!(heads.len(), i + 1, "{case}: one request per case");
        let request = heads.last().unwrap();
        assert_one_line(request, "X-Value", expected, case, "backend");
        assert_one_line(&response, "X-Value", expected, case, "client");
    }
}

#[test]
fn header_parameters_with_control_bytes_never_reach_a_header() {
    let backend = RawBackend::start();
    let Some(gw) = gateway(backend.port) else {
        return;
    };
    for (note, expected) in [
        (r#""a\r\nX-Injected: 1""#, "[]"),
        (r#""a\u0000b""#, "[]"),
        (r#"["ok","a\nX-Injected: 1"]"#, "[]"),
        (r#""k1-note""#, "[k1-note]"),
    ] {
        let header = format!(r#"{{"alg":"EdDSA","kid":"k1","note":{note}}}"#);
        let token = sign_json("k1", &header, &expiring(r#"{"v":"x"}"#));
        let response = raw_get(gw.port, "/x", format!("Bearer {token}").as_bytes());
        assert_eq!(raw_status(&response), 200, "{note}");
        let request = backend.heads().pop().unwrap();
        assert_one_line(&request, "X-Note", expected, note, "backend");
        assert_one_line(&response, "X-Note", expected, note, "client");
    }
}

#[test]
fn jwt_payload_is_the_claims_without_insignificant_whitespace() {
    let backend = RawBackend::start();
    let Some(gw) = gateway(backend.port) else {
        return;
    };
    // Signed with CR, LF and HTAB between members; escapes inside strings are kept as they are.
    let exp = unix_now() + 60;
    let claims = format!(
        "{{\r\n\t\"exp\" : {exp},\r\n \"v\": \"a b\", \"list\": [ 1 , \"x\\r\\ny\" ],\n\"o\":{{ }}\r\n}}"
    );
    let token = sign_json("k1", HEADER, &claims);
    let response = raw_get(gw.port, "/x", format!("Bearer {token}").as_bytes());
    assert_eq!(raw_status(&response), 200);
    let request = backend.heads().pop().unwrap();
    assert_one_line(
        &request,
        "X-Payload",
        &format!(r#"[{{"exp":{exp},"v":"a b","list":[1,"x\r\ny"],"o":{{}}}}]"#),
        "payload",
        "backend",
    );
}

#[test]
fn a_dropped_claim_is_logged_at_info_by_name_never_by_value() {
    let backend = RawBackend::start();
    let Some(gw) = gateway(backend.port) else {
        return;
    };
    let token = sign_json(
        "k1",
        HEADER,
        &expiring(r#"{"v":"secret-value\r\nX-Injected: 1"}"#),
    );
    let response = raw_get(gw.port, "/x", format!("Bearer {token}").as_bytes());
    assert_eq!(raw_status(&response), 200);
    let log = gw.error_log();
    let line = log
        .lines()
        .find(|l| l.contains("control"))
        .unwrap_or_else(|| panic!("no line about the claim:\n{log}"));
    assert!(line.contains("[info]") && line.contains("\"v\""), "{line}");
    assert!(!log.contains("secret-value"), "the value reached the log");
}

#[test]
fn a_token_without_the_claim_sends_empty_brackets() {
    let backend = RawBackend::start();
    let Some(gw) = gateway(backend.port) else {
        return;
    };
    let token = sign_json("k1", HEADER, &expiring(&json!({"w": 1}).to_string()));
    let response = raw_get(gw.port, "/x", format!("Bearer {token}").as_bytes());
    assert_eq!(raw_status(&response), 200);
    assert_one_line(&backend.heads()[0], "X-Value", "[]", "absent", "backend");
}
