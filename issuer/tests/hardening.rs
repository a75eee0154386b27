//! The server against slow, huge and malformed peers, over raw sockets: every refusal is an HTTP
//! status (RFC 9110 §15), nothing hangs, and one peer's misbehaviour costs nobody else.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{Raw, SECRET, Server, config_text, token_request};

/// Short deadlines so the suite waits seconds, not minutes.
const LIMITS: &str = "[limits]
header_timeout_seconds = 1
body_timeout_seconds = 1
idle_timeout_seconds = 2
shutdown_seconds = 2
max_connections = 16
";

fn start() -> Server {
    Server::start(&config_text(LIMITS, ""))
}

/// The report: four connections promising 5000 bytes and sending 29 held the whole
/// server. Now the others are served meanwhile, and each slow one gets 408 at the deadline.
#[test]
fn slow_bodies_get_408_and_hold_up_nobody() {
    // A body deadline long enough to tell "served meanwhile" from "served after" on a busy machine.
    let s = Server::start(&config_text(
        &LIMITS.replace("body_timeout_seconds = 1", "body_timeout_seconds = 3"),
        "",
    ));
    let mut slow: Vec<Raw> = (0..4)
        .map(|_| {
            let mut c = s.connect();
            c.send(b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\ngrant_type=client_credentials");
            c
        })
        .collect();
    // Served meanwhile: another peer (this one holds its share of the connections).
    let exchange = |request: &[u8]| {
        let mut c = s.connect_from([127, 0, 0, 2]);
        c.send(request);
        c.reply().map(|r| r.status)
    };
    let started = Instant::now();
    assert_eq!(
        exchange(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"),
        Some(200)
    );
    assert_eq!(exchange(&token_request("svc", SECRET)), Some(200));
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    for c in &mut slow {
        let r = c.reply().expect("a response to the slow body");
        assert_eq!(r.status, 408);
        assert_eq!(r.header("Connection"), Some("close"));
        assert!(c.closes_within(Duration::from_secs(3)));
    }
}

/// A header that never finishes: 408 at the header deadline (RFC 9110 §15.5.9), then close.
/// Its body is whole JSON per RFC 6749 §5.2 (a hand-counted length once cut it two bytes short).
#[test]
fn a_slow_header_gets_408() {
    let s = start();
    let mut c = s.connect();
    c.send(b"POST /token HTTP/1.1\r\nHost: t\r\nX-Slow: ");
    let started = Instant::now();
    let r = c.reply().expect("408");
    assert_eq!(r.status, 408);
    assert_eq!(r.header("Cache-Control"), Some("no-store"), "RFC 6749 §5.2");
    assert_eq!(r.json()["error"], "invalid_request");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(c.closes_within(Duration::from_secs(3)));
}

/// Trickling a byte at a time does not extend the header deadline: it runs from the first byte.
#[test]
fn a_trickled_header_gets_408_at_the_deadline() {
    let s = start();
    let mut c = s.connect();
    let started = Instant::now();
    for b in b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Trickle: abcdefghijklmnop" {
        if !c.try_send(&[*b]) {
            break;
        }
        thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_millis(1500) {
            break;
        }
    }
    assert_eq!(c.reply().map(|r| r.status), Some(408));
}

/// Chunked bodies are refused outright, so a stalled one holds nothing.
#[test]
fn a_stalled_chunked_body_is_refused_at_once() {
    let s = start();
    let mut c = s.connect();
    c.send(b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ngrant");
    let r = c.reply().expect("a response");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Connection"), Some("close"));
    assert_eq!(s.healthz().status, 200);
}

/// The report: one header line without CRLF grew memory by 270 MiB. hyper stops at the
/// header limit with 431 (RFC 6585 §5).
#[test]
fn a_header_line_without_end_gets_431() {
    let s = start();
    let mut c = s.connect();
    c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Long: ");
    let line = vec![b'a'; 64 * 1024];
    for _ in 0..16 {
        if !c.try_send(&line) {
            break;
        }
    }
    assert_eq!(c.reply().map(|r| r.status), Some(431));
}

#[test]
fn a_one_mib_header_value_gets_431() {
    let s = start();
    let mut request = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    request.extend(vec![b'a'; 1 << 20]);
    request.extend(b"\r\n\r\n");
    let mut c = s.connect();
    c.try_send(&request);
    assert_eq!(c.reply().map(|r| r.status), Some(431));
}

#[test]
fn twenty_thousand_headers_get_431() {
    let s = start();
    let mut request = b"GET /healthz HTTP/1.1\r\nHost: t\r\n".to_vec();
    for i in 0..20_000 {
        request.extend(format!("X-{i}: v\r\n").as_bytes());
    }
    request.extend(b"\r\n");
    let mut c = s.connect();
    c.try_send(&request);
    assert_eq!(c.reply().map(|r| r.status), Some(431));
}

/// A body over 64 KiB, announced: 413 without reading it, and the client, still sending, gets
/// to read the answer rather than a reset.
#[test]
fn an_announced_huge_body_gets_413() {
    let s = start();
    let mut c = s.connect();
    let body = vec![b'a'; 1 << 20];
    c.send(format!("POST /token HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
    c.try_send(&body);
    let r = c.reply().expect("413");
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Connection"), Some("close"));
}

/// RFC 9112 §6.3: an invalid Content-Length is unrecoverable framing: 400, then close.
#[test]
fn an_invalid_content_length_gets_400_and_close() {
    let s = start();
    let mut c = s.connect();
    c.send(b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.reply().map(|r| r.status), Some(400));
    assert!(
        c.reply().is_none(),
        "the body must not run as a second request"
    );
}

/// RFC 9112 §6.3: differing Content-Length values: 400, then close.
#[test]
fn two_different_content_lengths_get_400_and_close() {
    let s = start();
    let mut c = s.connect();
    c.send(b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.reply().map(|r| r.status), Some(400));
    assert!(
        c.reply().is_none(),
        "the body must not run as a second request"
    );
}

/// RFC 9112 §6.1: Content-Length with Transfer-Encoding is how requests are smuggled past a
/// proxy that frames by the other header: 400, then close, and nothing after it runs.
#[test]
fn content_length_with_transfer_encoding_gets_400_and_close() {
    for order in [
        "Content-Length: 4\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 4",
    ] {
        let s = start();
        let mut c = s.connect();
        c.send(format!("POST /token HTTP/1.1\r\nHost: t\r\n{order}\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
        let r = c.reply().expect("400");
        assert_eq!(r.status, 400, "{order}");
        assert_eq!(r.header("Connection"), Some("close"));
        assert!(c.reply().is_none(), "{order}: a smuggled request ran");
    }
}

/// The report: a non-UTF-8 path closed the connection without a word.
#[test]
fn a_non_utf8_path_gets_400() {
    let s = start();
    let mut c = s.connect();
    c.send(b"GET /\xff\xfe HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.reply().map(|r| r.status), Some(400));
}

/// RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without exactly one Host.
#[test]
fn http11_without_exactly_one_host_gets_400() {
    let s = start();
    assert_eq!(s.exchange(b"GET /healthz HTTP/1.1\r\n\r\n").status, 400);
    assert_eq!(
        s.exchange(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
            .status,
        400
    );
    for host in ["a b", "user@host", "", "t:abc", "t:80:80", "[::1"] {
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(s.exchange(request.as_bytes()).status, 400, "{host:?}");
    }
    // HTTP/1.0 has no Host requirement.
    assert_eq!(s.exchange(b"GET /healthz HTTP/1.0\r\n\r\n").status, 200);
}

/// RFC 9110 §4.2.4: userinfo in an http URI is an error, in an absolute-form target (RFC 9112
/// §3.2.2) as much as in `Host`. Valid host forms are served.
#[test]
fn userinfo_in_an_absolute_form_target_gets_400() {
    let s = start();
    let r = s.exchange(b"GET http://user:pass@t/healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    for host in ["t", "t:8080", "t:", "[::1]", "[::1]:80", "192.0.2.1:0"] {
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(s.exchange(request.as_bytes()).status, 200, "{host:?}");
    }
    let absolute = s.exchange(b"GET http://t/healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(absolute.status, 200);
}

#[test]
fn a_malformed_request_line_gets_400() {
    let s = start();
    for request in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nX: \x01\r\n\r\n",
    ] {
        let mut c = s.connect();
        c.send(request);
        let status = c.reply().map(|r| r.status);
        assert!(
            matches!(status, Some(400 | 505)),
            "{:?} gave {status:?}",
            String::from_utf8_lossy(request)
        );
    }
}

/// Pipelined requests are answered in order on one connection (RFC 9112 §9.3.2).
#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = start();
    let mut c = s.connect();
    let mut requests = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n".to_vec();
    requests.extend(token_request("svc", "wrong"));
    requests.extend(b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    c.send(&requests);
    let statuses: Vec<u16> = (0..3).filter_map(|_| c.reply().map(|r| r.status)).collect();
    assert_eq!(statuses, [200, 401, 404]);
}

/// Idle keep-alive connections are closed after the idle timeout.
#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let s = start();
    let mut c = s.connect();
    c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.reply().map(|r| r.status), Some(200));
    let started = Instant::now();
    assert!(c.closes_within(Duration::from_secs(5)));
    assert!(started.elapsed() >= Duration::from_millis(1500));
}

/// The report: 500 idle connections made 507 threads. Now they count against a cap, and
/// when the server is full it closes idle ones to make room: a real client is served at once or
/// after a 503 with Retry-After.
#[test]
fn idle_connections_cannot_lock_out_a_client() {
    let s = start();
    let idle: Vec<Raw> = (0..40).map(|_| s.connect()).collect();
    thread::sleep(Duration::from_millis(200));
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let mut c = s.connect();
        if !c.try_send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n") {
            statuses.push(0);
            continue;
        }
        let r = c.reply();
        let status = r.as_ref().map_or(0, |r| r.status);
        if status == 503 {
            assert_eq!(r.unwrap().header("Retry-After"), Some("1"));
        }
        statuses.push(status);
        if status == 200 {
            break;
        }
        thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    drop(idle);
}

/// One peer that opens connection after connection and keeps each one busy (a header that
/// never ends, renewed at the deadline) held every slot, and everybody else got 503 for as long
/// as it went on. Now one peer holds a share of the slots (a quarter by default), and another
/// peer is served at once.
#[test]
fn one_peer_cannot_hold_every_connection() {
    let s = Server::start(&config_text(
        &LIMITS.replace("header_timeout_seconds = 1", "header_timeout_seconds = 10"),
        "",
    ));
    let endless = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ";
    let _held: Vec<Raw> = (0..4)
        .map(|_| {
            let mut c = s.connect();
            c.send(endless);
            c
        })
        .collect();
    // Their headers are being read: busy, not idle connections that could be closed.
    thread::sleep(Duration::from_millis(500));
    let more: Vec<Raw> = (0..12)
        .map(|_| {
            let mut c = s.connect();
            c.try_send(endless);
            c
        })
        .collect();
    let mut other = s.connect_from([127, 0, 0, 2]);
    other.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(other.reply().map(|r| r.status), Some(200), "another peer");
    let refused: Vec<Option<(u16, Option<String>)>> = more
        .into_iter()
        .map(|mut c| {
            c.reply()
                .map(|r| (r.status, r.header("Cache-Control").map(str::to_string)))
        })
        .collect();
    assert_eq!(
        refused,
        vec![Some((503, Some("no-store".to_string()))); 12],
        "a quarter of 16 connections for one peer, refused per RFC 6749 §5.2"
    );
}

/// A client that sends requests and never reads the answers is cut after the send timeout.
#[test]
fn a_client_that_never_reads_is_disconnected() {
    let s = start();
    let mut c = s.connect();
    c.stream
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let request =
        b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: t\r\n\r\n".repeat(200);
    let started = Instant::now();
    let mut cut = false;
    while started.elapsed() < Duration::from_secs(20) {
        if !c.try_send(&request) {
            cut = true;
            break;
        }
    }
    assert!(cut, "the server kept a connection that never reads");
}

/// SIGTERM's path: stopping with slow clients connected finishes within the shutdown deadline.
#[test]
fn stop_finishes_within_the_deadline_whatever_slow_clients_do() {
    let mut s = start();
    let _slow: Vec<Raw> = (0..6)
        .map(|i| {
            let mut c = s.connect();
            match i % 3 {
                0 => c.send(b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\nab"),
                1 => c.send(b"GET /healthz HTTP/1.1\r\nHost"),
                _ => {}
            }
            c
        })
        .collect();
    thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    s.stop();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// A request in flight when the stop comes is finished, not cut.
#[test]
fn stop_lets_an_in_flight_request_finish() {
    let mut s = Server::start(&config_text(
        &LIMITS.replace("body_timeout_seconds = 1", "body_timeout_seconds = 5"),
        "",
    ));
    let request = token_request("svc", SECRET);
    let (head, body) = request.split_at(request.len() - 10);
    let mut c = s.connect();
    c.send(head);
    thread::sleep(Duration::from_millis(200));
    let running = s.running.take().unwrap();
    let stopper = thread::spawn(move || running.stop());
    thread::sleep(Duration::from_millis(300));
    c.send(body);
    let r = c.reply().expect("the in-flight request is answered");
    assert_eq!(r.status, 200);
    stopper.join().unwrap();
}

/// Framing hyper or we refuse, one table: each answered with its status, never a 5xx.
#[test]
fn framing_refusals_are_4xx() {
    let s = start();
    let cases: [(&str, &[u8], u16); 6] = [
        ("negative length", b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400),
        ("overflowing length", b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        ("signed length", b"POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nabcde", 400),
        ("transfer-encoding on HTTP/1.0", b"POST /token HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("unknown transfer coding", b"POST /token HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        // RFC 9110 §10.1.1: a server may answer the final status instead of 100 Continue.
        ("expect-continue for too much", b"POST /token HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n", 413),
    ];
    for (what, request, status) in cases {
        let mut c = s.connect();
        c.send(request);
        assert_eq!(c.reply().map(|r| r.status), Some(status), "{what}");
    }
}

/// Every request's body is read under the deadline, not only the token endpoint's.
#[test]
fn a_slow_body_on_any_path_gets_408() {
    let s = start();
    let mut c = s.connect();
    c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab");
    assert_eq!(c.reply().map(|r| r.status), Some(408));
}

/// A connection that never sends a byte owes its first request within the header deadline,
/// not the longer idle one.
#[test]
fn a_silent_new_connection_is_closed_at_the_header_deadline() {
    let s = Server::start(&config_text(
        &LIMITS.replace("idle_timeout_seconds = 2", "idle_timeout_seconds = 10"),
        "",
    ));
    let mut c = s.connect();
    let started = Instant::now();
    assert!(c.closes_within(Duration::from_secs(8)));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}
