//! The Argon2 gate: a pool of one thread per core runs the checks (never the threads serving
//! HTTP), behind a bounded queue. A flood of wrong secrets can fill the queue and get 503s; it
//! cannot take the reactor or the memory, and clients whose secret is cached never pass here.
//! One peer may hold only its share of the checks (running or queued): a flood from one address
//! cannot keep every other client's first authentication at 503.
//!
//! Each thread keeps its Argon2 working memory between checks (wiped after each), so every
//! check costs the same: no check pays for fresh pages that another one did not.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use argon2::Block;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::peer::{Peer, Share, Shares};
use crate::secrets;

/// The queue is full: answer 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Working memory a thread keeps for the next check; more is freed after use.
const RETAINED_BLOCKS: usize = 64 * 1024;

struct Job {
    secret: Zeroizing<Vec<u8>>,
    phc: String,
    answer: oneshot::Sender<bool>,
    /// The peer's share, given back when the check is done or dropped.
    _share: Share,
}

/// The pool's threads end when the gate is dropped.
pub struct Gate {
    jobs: SyncSender<Job>,
    shares: Shares,
}

impl Gate {
    /// `threads` checks at once, `max_waiting` more queued, `per_peer` of them (running or
    /// queued) for one peer.
    pub fn new(threads: usize, max_waiting: usize, per_peer: usize) -> std::io::Result<Self> {
        let (jobs, queue) = sync_channel(max_waiting);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("tollgate-argon2".into())
                .spawn(move || work(&queue))?;
        }
        Ok(Gate {
            jobs,
            shares: Shares::new(per_peer),
        })
    }

    /// One thread per core of this machine.
    pub fn per_core(max_waiting: usize, per_peer: usize) -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, max_waiting, per_peer)
    }

    /// Queues a check of `secret` against `phc` on the pool for `peer`, or refuses at once when
    /// the queue is full or the peer holds its share. The answer is `false` for a wrong secret
    /// (or a check that could not run).
    pub fn verify(
        &self,
        peer: Peer,
        secret: Zeroizing<Vec<u8>>,
        phc: String,
    ) -> Result<impl Future<Output = bool> + use<>, Busy> {
        let share = self.shares.take(peer).ok_or(Busy)?;
        let (answer, answered) = oneshot::channel();
        match self.jobs.try_send(Job {
            secret,
            phc,
            answer,
            _share: share,
        }) {
            Ok(()) => Ok(async move { answered.await.unwrap_or(false) }),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
        }
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match queue.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        // Nobody waits for a request that was abandoned in the queue.
        if job.answer.is_closed() {
            continue;
        }
        let ok = secrets::verify_in(&job.secret, &job.phc, &mut memory);
        if memory.len() > RETAINED_BLOCKS {
            memory = Vec::new();
        }
        // The share first: a peer that reads its answer may ask again at once.
        let Job { answer, _share, .. } = job;
        drop(_share);
        let _ = answer.send(ok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(last: u8) -> Peer {
        Peer::of(std::net::IpAddr::from([192, 0, 2, last]))
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn the_pool_verifies_right_and_wrong_secrets() {
        let hash = secrets::hash_secret(b"right");
        let gate = Gate::new(1, 4, 4).unwrap();
        let check = |s: &[u8]| {
            gate.verify(peer(1), Zeroizing::new(s.to_vec()), hash.clone())
                .unwrap()
        };
        runtime().block_on(async {
            assert!(check(b"right").await);
            assert!(!check(b"wrong").await);
            assert!(check(b"right").await, "the reused memory is clean");
        });
    }

    #[test]
    fn a_full_queue_is_busy_at_once() {
        let hash = secrets::hash_secret(b"x");
        let gate = Gate::new(1, 1, 6).unwrap();
        let queued: Vec<_> = (0..6)
            .map(|_| gate.verify(peer(1), Zeroizing::new(b"y".to_vec()), hash.clone()))
            .collect();
        let busy = queued.iter().filter(|q| q.is_err()).count();
        assert!(
            (4..=5).contains(&busy),
            "one runs, one waits: {busy} busy of 6"
        );
        runtime().block_on(async {
            for check in queued.into_iter().flatten() {
                assert!(!check.await);
            }
        });
    }

    /// A peer at its share is refused while another peer still gets in; finished checks give
    /// the share back.
    #[test]
    fn one_peer_holds_at_most_its_share_of_the_checks() {
        let hash = secrets::hash_secret(b"x");
        let gate = Gate::new(1, 8, 2).unwrap();
        let check = |p: u8| gate.verify(peer(p), Zeroizing::new(b"y".to_vec()), hash.clone());
        let mine: Vec<_> = (0..2)
            .map(|_| check(1).expect("within the share"))
            .collect();
        assert!(check(1).is_err(), "a third check for the same peer");
        let theirs = check(2).expect("another peer gets in");
        runtime().block_on(async {
            for c in mine {
                assert!(!c.await);
            }
            assert!(!theirs.await);
        });
        assert!(check(1).is_ok(), "the share is back");
    }
}
