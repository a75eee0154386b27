//! The HTTP/1.1 server: hyper on a tokio runtime of its own thread, behind a blocking API.
//!
//! hyper parses and frames requests (strictly: an invalid or conflicting `Content-Length` is a
//! 400, a header over [`MAX_HEADER_BYTES`] or [`MAX_HEADERS`] a 431). On top of it: the request
//! header, body, idle and send deadlines, a body limit, `Host` and `Transfer-Encoding` rules, a
//! connection cap that sheds idle connections first and a share of it per peer, the Argon2 gate,
//! a log line per request, a configuration that can be swapped while serving, and a graceful
//! stop with a deadline.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderValue, Version};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use zeroize::Zeroizing;

use crate::config::{Config, Limits};
use crate::conn::{ConnState, GuardedIo, Phase, Slot, linger};
use crate::endpoint::{Request, Response};
use crate::gate::Gate;
use crate::peer::{Peer, Shares};

pub use crate::endpoint::{Issuer, JWKS_PATH, METADATA_PATH, TOKEN_PATH};

/// Largest request body; a bigger one gets 413. The form is a few hundred bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Largest request line and header, in bytes; bigger gets 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most header fields in a request; more gets 431.
pub const MAX_HEADERS: usize = 64;
/// Connections answered 503 at once when the server is full; beyond them, new ones are closed.
const MAX_REFUSING: usize = 64;

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What every connection shares.
struct Shared {
    issuer: RwLock<Arc<Issuer>>,
    gate: Gate,
    limits: Limits,
    /// Woken when the server is full: idle connections close.
    shed: Notify,
    /// Numbers requests for log lines that belong together.
    requests: AtomicU64,
}

impl Shared {
    fn issuer(&self) -> Arc<Issuer> {
        self.issuer
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A running server: its address, a way to swap its configuration, and a way to stop it.
pub struct Running {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration requests are served with now.
    pub fn issuer(&self) -> Arc<Issuer> {
        self.shared.issuer()
    }

    /// Swaps in another configuration, atomically: each request is served wholly by the old
    /// one or wholly by the new one. Secrets verified under the old one stay cached for clients
    /// whose hash did not change. Listening address, workers and limits stay as started.
    pub fn replace(&self, config: Config) -> Arc<Issuer> {
        let mut current = self
            .shared
            .issuer
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let next = Arc::new(Issuer::reloaded(config, &current));
        *current = next.clone();
        next
    }

    /// Stops accepting, lets in-flight requests finish within the shutdown deadline, cuts what
    /// is left, and joins the server thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Serves `issuer` on `listen` (port 0 picks a free port) with `workers` runtime threads.
/// Returns once the socket listens.
pub fn serve(issuer: Arc<Issuer>, listen: &str, workers: usize) -> io::Result<Running> {
    let listener = std::net::TcpListener::bind(listen)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let limits = issuer.config().limits;
    let shared = Arc::new(Shared {
        issuer: RwLock::new(issuer),
        gate: Gate::per_core(
            limits.max_queued_verifications,
            limits.max_verifications_per_peer,
        )?,
        limits,
        shed: Notify::new(),
        requests: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name("tollgate-http")
        .enable_all()
        .build()?;
    let (stop, stopped) = watch::channel(false);
    let listener = {
        let _guard = runtime.enter();
        TcpListener::from_std(listener)?
    };
    let server = shared.clone();
    let thread = std::thread::Builder::new()
        .name("tollgate-server".into())
        .spawn(move || {
            runtime.block_on(accept_loop(listener, server, stopped));
            // Argon2 runs still going finish on their own; nobody waits for them.
            runtime.shutdown_timeout(Duration::from_millis(500));
        })?;
    Ok(Running {
        addr,
        shared,
        stop,
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(shared.limits.max_connections));
    let per_peer = Shares::new(shared.limits.max_connections_per_peer);
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    // One peer gets only its share of the connections: however fast it
                    // reconnects, it cannot hold every slot and lock the others out.
                    let Some(share) = per_peer.take(Peer::of(peer.ip())) else {
                        tracing::info!(%peer, "max_connections_per_peer reached: 503, closing its idle connections");
                        per_peer.ask(Peer::of(peer.ip()));
                        if let Ok(permit) = refusing.clone().try_acquire_owned() {
                            tokio::spawn(refuse(stream, permit));
                        }
                        continue;
                    };
                    match slots.clone().try_acquire_owned() {
                        Ok(connection_slot) => {
                            let asked = share.asked();
                            let slot = Slot::new(connection_slot, share);
                            let io = GuardedIo::new(stream, ConnState::new(), shared.limits, slot);
                            connections.spawn(connection(io, peer, asked, shared.clone(), stopped.clone()));
                        }
                        Err(_) => {
                            drop(share);
                            tracing::info!(%peer, "max_connections reached: 503, closing idle connections");
                            shared.shed.notify_waiters();
                            if let Ok(permit) = refusing.clone().try_acquire_owned() {
                                tokio::spawn(refuse(stream, permit));
                            }
                        }
                    }
                }
                // Out of file descriptors, or a connection reset before it was accepted: wait a
                // little rather than spin.
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(shared.limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            "shutdown deadline reached: closing {} connection(s) still open",
            connections.len()
        );
        connections.abort_all();
    }
}

/// The server is full: 503, and the idle connections were asked to make room.
async fn refuse(stream: TcpStream, permit: tokio::sync::OwnedSemaphorePermit) {
    let body = r#"{"error":"temporarily_unavailable","error_description":"too many connections"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n\
         Cache-Control: no-store\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.writable()).await;
    let _ = stream.try_write(response.as_bytes());
    linger(stream, permit).await;
}

/// Serves one connection until it closes, is shed while idle (the server is full, or its peer
/// wants a connection beyond its share: `asked`), or the server stops.
async fn connection(
    io: GuardedIo,
    peer: SocketAddr,
    asked: Arc<Notify>,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let state = io.state();
    let service = {
        let (shared, state) = (shared.clone(), state.clone());
        hyper::service::service_fn(move |req| {
            let (shared, state) = (shared.clone(), state.clone());
            async move { Ok::<_, Infallible>(respond(req, peer, &shared, &state).await) }
        })
    };
    let mut http = http1::Builder::new();
    http.max_headers(MAX_HEADERS)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(MAX_HEADER_BYTES.max(8192) * 2)
        // Our socket wrapper times the header out and answers 408; hyper's would close silently.
        .header_read_timeout(None)
        .half_close(false);
    let conn = http.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                match result {
                    // hyper answered it (400, 431) without calling us: still worth a line.
                    Err(e) if e.is_parse() || e.is_parse_too_large() => {
                        tracing::info!(target: "tollgate::request", "refused a malformed request: {e}");
                    }
                    Err(e) => tracing::debug!(%peer, "connection ended: {e}"),
                    Ok(()) => {}
                }
                break;
            }
            _ = shared.shed.notified(), if !closing => {
                if state.is_idle() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = asked.notified(), if !closing => {
                if state.is_idle() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = stopped.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Frames, bounds and logs one request around [`Issuer::handle`].
async fn respond(
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    shared: &Shared,
    state: &ConnState,
) -> hyper::Response<Full<Bytes>> {
    state.set(Phase::Body);
    let started = Instant::now();
    let number = shared.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let (response, close) = match check_framing(&parts) {
        Err(refusal) => (refusal, true),
        Ok(()) => match read_body(body, shared.limits.body_timeout).await {
            Err(refusal) => (refusal, true),
            Ok(body) => {
                state.set(Phase::Handling);
                let issuer = shared.issuer();
                let request = Request {
                    peer: Peer::of(peer.ip()),
                    method: parts.method.as_str(),
                    path: &path,
                    content_type: single(&parts.headers, CONTENT_TYPE),
                    authorization: single(&parts.headers, AUTHORIZATION),
                    body: &body,
                };
                let response = match duplicated(&parts.headers) {
                    Some(name) => Response::oauth_error(
                        400,
                        "invalid_request",
                        &format!("the {name} header is repeated"),
                    ),
                    None => issuer.handle(&request, &shared.gate, unix_now()).await,
                };
                (response, false)
            }
        },
    };
    log(
        number,
        parts.method.as_str(),
        &path,
        &response,
        started.elapsed(),
    );
    state.set(Phase::Responded);
    to_hyper(response, close)
}

/// RFC 9112 §3.2: an HTTP/1.1 request has exactly one valid `Host`. §6.1: a request with
/// `Transfer-Encoding` and `Content-Length` is a smuggling attempt behind a proxy that frames it
/// the other way; hyper drops the `Content-Length` without telling us, so no `Transfer-Encoding`
/// is accepted at all (every OAuth client sends the form with a length).
fn check_framing(parts: &http::request::Parts) -> Result<(), Response> {
    let (version, headers) = (parts.version, &parts.headers);
    let bad = |description: &str| Response::oauth_error(400, "invalid_request", description);
    let hosts: Vec<&HeaderValue> = headers.get_all(HOST).iter().collect();
    match hosts.as_slice() {
        [] if version == Version::HTTP_11 => {
            return Err(bad("an HTTP/1.1 request needs a Host header"));
        }
        [] => {}
        [host] => {
            if !host.to_str().is_ok_and(valid_host) {
                return Err(bad("the Host header is not a valid host"));
            }
        }
        _ => return Err(bad("the Host header is repeated")),
    }
    // RFC 9110 §4.2.4: userinfo in an http(s) URI is an error (absolute-form targets, §3.2.2).
    if parts
        .uri
        .authority()
        .is_some_and(|a| a.as_str().contains('@'))
    {
        return Err(bad("the request target carries userinfo"));
    }
    if headers.contains_key(TRANSFER_ENCODING) {
        return Err(bad(
            "Transfer-Encoding is not accepted; send the body with a Content-Length",
        ));
    }
    let too_large = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY as u64);
    if too_large {
        return Err(body_too_large());
    }
    Ok(())
}

/// `uri-host [":" port]` (RFC 9110 §7.2), `port = *DIGIT` (§4.1): an authority without
/// userinfo and with a numeric port, if any.
fn valid_host(host: &str) -> bool {
    let port = match host.rsplit_once(':') {
        // A bracketed IPv6 literal without a port ends in `]`.
        Some((_, port)) if !port.ends_with(']') => port,
        _ => "",
    };
    !host.contains('@')
        && port.bytes().all(|b| b.is_ascii_digit())
        && host.parse::<http::uri::Authority>().is_ok()
}

fn body_too_large() -> Response {
    Response::oauth_error(
        413,
        "invalid_request",
        &format!("the request body is larger than {MAX_BODY} bytes"),
    )
}

/// The whole body within the body deadline and [`MAX_BODY`]; wiped on drop (it may hold a
/// client secret).
async fn read_body(body: Incoming, timeout: Duration) -> Result<Zeroizing<Vec<u8>>, Response> {
    match tokio::time::timeout(timeout, Limited::new(body, MAX_BODY).collect()).await {
        Err(_) => {
            tracing::info!("request body timeout (408)");
            Err(Response::oauth_error(
                408,
                "invalid_request",
                "request body timeout",
            ))
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(body_too_large()),
        Ok(Err(_)) => Err(Response::oauth_error(
            400,
            "invalid_request",
            "the request body is malformed or was cut short",
        )),
        Ok(Ok(collected)) => Ok(Zeroizing::new(collected.to_bytes().to_vec())),
    }
}

/// A header's value when it appears at most once and is visible ASCII.
fn single(headers: &HeaderMap, name: http::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The first of the headers the handler reads that appears more than once.
fn duplicated(headers: &HeaderMap) -> Option<&'static str> {
    [
        (AUTHORIZATION, "Authorization"),
        (CONTENT_TYPE, "Content-Type"),
    ]
    .into_iter()
    .find(|(name, _)| headers.get_all(name).iter().nth(1).is_some())
    .map(|(_, shown)| shown)
}

/// One line per request: method, path, status, client (when authenticated), OAuth error,
/// latency. Never a secret, a hash or a token; the path is URI characters only (hyper refuses
/// others) and cut to 200 of them.
fn log(number: u64, method: &str, path: &str, response: &Response, elapsed: Duration) {
    let path: String = path.chars().take(200).collect();
    tracing::info!(
        target: "tollgate::request",
        "#{number} {method} {path} {} client={} error={} {:.3}ms",
        response.status,
        response.client_id.as_deref().unwrap_or("-"),
        response.error.unwrap_or("-"),
        elapsed.as_secs_f64() * 1000.0,
    );
}

fn to_hyper(response: Response, close: bool) -> hyper::Response<Full<Bytes>> {
    let mut http = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *http.status_mut() = http::StatusCode::from_u16(response.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = http.headers_mut();
    for (name, value) in response.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(name, value);
        }
    }
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    http
}
