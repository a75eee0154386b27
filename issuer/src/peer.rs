//! Shares per peer: how much of a limited resource (connections, Argon2 checks) one network
//! peer holds, so that one peer cannot take all of it and lock everyone else out.
//!
//! A peer is an IPv4 address or an IPv6 /64: one host usually has a whole /64, and counting its
//! addresses one by one would give it 2^64 shares.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// The network peer a connection comes from, as far as sharing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer(IpAddr);

impl Peer {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Peer(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Peer(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Peer(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

type Held = Arc<Mutex<HashMap<Peer, (usize, Arc<Notify>)>>>;

/// Counts what each peer holds, up to `limit` each.
#[derive(Debug, Clone)]
pub struct Shares {
    held: Held,
    limit: usize,
}

/// One unit held by a peer, given back on drop.
#[derive(Debug)]
pub struct Share {
    held: Held,
    peer: Peer,
    asked: Arc<Notify>,
}

impl Shares {
    pub fn new(limit: usize) -> Self {
        Shares {
            held: Arc::new(Mutex::new(HashMap::new())),
            limit,
        }
    }

    /// One more unit for `peer`, or `None` when it holds its limit already.
    pub fn take(&self, peer: Peer) -> Option<Share> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let (count, asked) = held.entry(peer).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Share {
            held: self.held.clone(),
            peer,
            asked: asked.clone(),
        })
    }

    /// Tells the holders of `peer`'s units that it wants one more (see [`Share::asked`]).
    pub fn ask(&self, peer: Peer) {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, asked)) = held.get(&peer) {
            asked.notify_waiters();
        }
    }
}

impl Share {
    /// Woken when the peer asked for a unit beyond its limit: a holder that can give its unit
    /// up (an idle connection) should.
    pub fn asked(&self) -> Arc<Notify> {
        self.asked.clone()
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((count, _)) = held.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str) -> Peer {
        Peer::of(ip.parse().unwrap())
    }

    #[test]
    fn an_ipv6_host_is_one_peer_per_64() {
        assert_eq!(peer("2001:db8::1"), peer("2001:db8::ffff:1:2:3"));
        assert_ne!(peer("2001:db8::1"), peer("2001:db8:0:1::1"));
        assert_eq!(peer("::ffff:192.0.2.1"), peer("192.0.2.1"));
        assert_eq!(peer("2001:db8::1").to_string(), "2001:db8::/64");
    }

    #[test]
    fn a_peer_holds_at_most_its_limit_and_gets_units_back_on_drop() {
        let shares = Shares::new(2);
        let a = peer("192.0.2.1");
        let first = shares.take(a).unwrap();
        let _second = shares.take(a).unwrap();
        assert!(shares.take(a).is_none(), "over the limit");
        assert!(shares.take(peer("192.0.2.2")).is_some(), "another peer");
        drop(first);
        assert!(shares.take(a).is_some(), "a unit given back");
    }

    #[test]
    fn peers_holding_nothing_are_forgotten() {
        let shares = Shares::new(1);
        drop(shares.take(peer("192.0.2.1")));
        assert!(shares.held.lock().unwrap().is_empty());
    }
}
