//! One connection's socket with the timeouts hyper leaves to us: a deadline for the request
//! header (answered with 408), for idle keep-alive (closed), and for sending (closed); and a
//! lingering close, so a client still sending gets to read the response instead of a reset.
//!
//! The request handler tells the socket where the connection is through [`ConnState`]: the
//! socket sees bytes, the handler sees requests.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

use crate::config::Limits;
use crate::peer::Share;

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// A new connection: no byte seen yet.
    Idle = 0,
    /// Bytes of a request header have arrived; hyper has not parsed it yet.
    Header = 1,
    /// The handler is reading the body (it has its own deadline).
    Body = 2,
    /// The handler is working; nothing is expected from the client.
    Handling = 3,
    /// The handler has answered; hyper writes the response, then waits for the next request.
    Responded = 4,
}

/// The phase, shared between the socket and the request handler.
#[derive(Debug)]
pub struct ConnState(AtomicU8);

impl ConnState {
    pub fn new() -> Arc<Self> {
        Arc::new(ConnState(AtomicU8::new(Phase::Idle as u8)))
    }

    pub fn phase(&self) -> Phase {
        match self.0.load(Ordering::SeqCst) {
            0 => Phase::Idle,
            1 => Phase::Header,
            2 => Phase::Body,
            3 => Phase::Handling,
            _ => Phase::Responded,
        }
    }

    pub fn set(&self, phase: Phase) {
        self.0.store(phase as u8, Ordering::SeqCst);
    }

    /// Idle connections are the ones to close when the server is full.
    pub fn is_idle(&self) -> bool {
        matches!(self.phase(), Phase::Idle | Phase::Responded)
    }
}

/// Sent when a request header does not arrive in time (RFC 9110 §15.5.9). Its length is
/// counted, not written by hand: a hand-written 70 for these 72 bytes cut the JSON short.
static TIMEOUT_408: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let body = r#"{"error":"invalid_request","error_description":"request header timeout"}"#;
    format!(
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nCache-Control: no-store\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
});

/// How long, and how much, a closing connection still reads and discards; a client that sends
/// nothing for [`LINGER_QUIET`] is done.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_QUIET: Duration = Duration::from_millis(200);
const LINGER_BYTES: usize = 256 * 1024;

/// What an open connection holds until its lingering close ends: a place under the connection
/// cap, and one of its peer's places.
pub struct Slot {
    _connection: OwnedSemaphorePermit,
    _peer: Share,
}

impl Slot {
    pub fn new(connection: OwnedSemaphorePermit, peer: Share) -> Self {
        Slot {
            _connection: connection,
            _peer: peer,
        }
    }
}

/// A socket that enforces the header, idle and send deadlines for hyper.
pub struct GuardedIo {
    io: Option<TcpStream>,
    state: Arc<ConnState>,
    limits: Limits,
    /// The phase the read deadline was set for.
    armed_for: Option<Phase>,
    read_deadline: Option<Pin<Box<Sleep>>>,
    write_deadline: Option<Pin<Box<Sleep>>>,
    /// Held until the lingering close ends: the connection counts against the caps till then.
    slot: Option<Slot>,
}

impl GuardedIo {
    pub fn new(io: TcpStream, state: Arc<ConnState>, limits: Limits, slot: Slot) -> Self {
        GuardedIo {
            io: Some(io),
            state,
            limits,
            armed_for: None,
            read_deadline: None,
            write_deadline: None,
            slot: Some(slot),
        }
    }

    pub fn state(&self) -> Arc<ConnState> {
        self.state.clone()
    }

    fn io(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(self.io.as_mut().expect("present until drop"))
    }

    /// Sets the read deadline for `phase` when it changed since the last read.
    fn arm(&mut self, phase: Phase) {
        if self.armed_for == Some(phase) {
            return;
        }
        self.armed_for = Some(phase);
        let after = match phase {
            // A new connection owes its first request within the header deadline.
            Phase::Idle | Phase::Header => Some(self.limits.header_timeout),
            Phase::Responded => Some(self.limits.idle_timeout),
            // The handler answers 408 at the body timeout; this only catches a handler that
            // did not.
            Phase::Body => Some(self.limits.body_timeout + Duration::from_secs(5)),
            Phase::Handling => None,
        };
        self.read_deadline = after.map(|d| Box::pin(tokio::time::sleep(d)));
    }

    fn read_deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        self.read_deadline
            .as_mut()
            .is_some_and(|d| d.as_mut().poll(cx).is_ready())
    }

    fn write_deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        let timeout = self.limits.body_timeout;
        let deadline = self
            .write_deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        deadline.as_mut().poll(cx).is_ready()
    }
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let phase = this.state.phase();
        this.arm(phase);
        let before = buf.filled().len();
        match this.io().poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && this.state.is_idle() {
                    this.state.set(Phase::Header);
                    this.arm(Phase::Header);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if this.read_deadline_passed(cx) => match phase {
                // An idle connection just ends.
                Phase::Idle | Phase::Responded => Poll::Ready(Ok(())),
                Phase::Header => {
                    // Nothing else is being written while a header is read: the 408 goes out
                    // whole or (on a full send buffer) not at all.
                    if this.write_deadline.is_none() {
                        let _ = this.io.as_ref().map(|io| io.try_write(&TIMEOUT_408));
                    }
                    tracing::info!("closed a connection: request header timeout (408)");
                    Poll::Ready(Err(io::ErrorKind::TimedOut.into()))
                }
                Phase::Body | Phase::Handling => Poll::Ready(Err(io::ErrorKind::TimedOut.into())),
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.io().poll_write(cx, buf) {
            Poll::Pending if this.write_deadline_passed(cx) => {
                tracing::info!("closed a connection: the client did not read its response");
                Poll::Ready(Err(io::ErrorKind::TimedOut.into()))
            }
            Poll::Pending => Poll::Pending,
            ready => {
                this.write_deadline = None;
                ready
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().io().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().io().poll_shutdown(cx)
    }
}

impl Drop for GuardedIo {
    fn drop(&mut self) {
        let (Some(io), Ok(runtime)) = (self.io.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        runtime.spawn(linger(io, self.slot.take()));
    }
}

/// Closes the sending side, then reads and discards what the client still sends for a moment:
/// closing a socket with unread data resets it, and the reset can destroy a response the client
/// has not read yet (a 413 to a client still uploading, a 400 to a pipelining one). What is
/// `held` (the connection's places) is given back when it ends.
pub async fn linger<T: Send>(mut io: TcpStream, held: T) {
    let _held = held;
    let _ = io.shutdown().await;
    let until = Instant::now() + LINGER_TIME;
    let mut buf = [0u8; 4096];
    let mut discarded = 0;
    while discarded < LINGER_BYTES {
        let quiet = Instant::now() + LINGER_QUIET;
        match tokio::time::timeout_at(until.min(quiet), io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => discarded += n,
            _ => break,
        }
    }
}
