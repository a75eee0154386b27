//! The Argon2 gate: at most one verification per core runs at a time, on tokio's blocking pool
//! (never on the reactor), behind a bounded queue. A flood of wrong secrets can fill the queue
//! and get 503s; it cannot take the reactor or the memory, and clients whose secret is cached
//! never pass through here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::secrets;

/// The queue is full: answer 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

pub struct Gate {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl Gate {
    /// `concurrent` verifications at once, `max_waiting` more queued.
    pub fn new(concurrent: usize, max_waiting: usize) -> Self {
        Gate {
            running: Arc::new(Semaphore::new(concurrent.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// One verification per core of this machine.
    pub fn per_core(max_waiting: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, max_waiting)
    }

    /// Verifies `secret` against `phc` on the blocking pool, or refuses when the queue is full.
    pub async fn verify(&self, secret: Zeroizing<Vec<u8>>, phc: String) -> Result<bool, Busy> {
        let permit = match self.running.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(Busy);
                }
                let _leaving = Leave(&self.waiting);
                self.running
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed")
            }
        };
        // The permit moves into the blocking task, so it is held until Argon2 finishes even if
        // the request is abandoned meanwhile.
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            secrets::verify(&secret, &phc)
        });
        Ok(task.await.unwrap_or(false))
    }
}

/// Leaves the queue however the wait ends (granted, or the request dropped).
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
