//! Verification never touches the heap: a counting global allocator sees zero allocations across
//! every shared vector, valid and rejected, and across reading the claims, for every algorithm
//! the build verifies.
//!
//! `allocation-counter` is the counting global allocator, so this file needs no `unsafe`.

mod support;

use support::*;
use tollgate::{Algorithm, Scratch};

/// Heap allocations made by `f` on this thread.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let mut result = None;
    let info = allocation_counter::measure(|| result = Some(f()));
    (info.count_total, result.unwrap())
}

#[test]
fn the_counter_sees_an_allocation() {
    let (n, v) = allocations_in(|| vec![1u8; 16]);
    assert_eq!(v.len(), 16);
    assert!(n >= 1);
}

#[test]
fn no_verification_allocates_valid_or_rejected() {
    let mut verifiers = Verifiers::default();
    let mut scratch = Scratch::new();
    let mut vectors = load_vectors("tokens.tsv");
    vectors.extend(load_vectors("independent.tsv"));
    let mut verdicts = (0, 0);
    let mut accepted = Vec::new();
    for v in &vectors {
        let verifier = verifiers.get(v);
        let (n, alg) = allocations_in(|| {
            let result = verifier.verify(v.token.as_bytes(), v.now, &mut scratch);
            result.ok().map(|claims| {
                // Reading claims is part of the request path too.
                let mut text = [0u8; 256];
                let _ = (claims.sub(), claims.aud().count(), claims.scopes().count());
                let _ = claims.claim("client_id").map(|c| c.write_text(&mut text));
                let _ = claims.iter().count();
                claims.alg()
            })
        });
        assert_eq!(n, 0, "{} allocated {n} times", v.name);
        match alg {
            Some(alg) => {
                verdicts.0 += 1;
                accepted.push(alg);
            }
            None => verdicts.1 += 1,
        }
    }
    assert!(
        verdicts.0 >= 10 && verdicts.1 >= 50,
        "both kinds covered: {verdicts:?}"
    );
    for alg in Algorithm::ALL.iter().filter(|a| a.is_enabled()) {
        assert!(
            accepted.contains(alg),
            "no accepted {} vector was measured",
            alg.as_str()
        );
    }
}

#[test]
fn the_cached_path_does_not_allocate_either() {
    let mut verifiers = Verifiers::default();
    let mut scratch = Scratch::new();
    let mut slots: Vec<tollgate::CacheSlot> = (0..4).map(|_| tollgate::CacheSlot::new()).collect();
    let mut vectors = load_vectors("tokens.tsv");
    vectors.extend(load_vectors("independent.tsv"));
    for v in vectors.iter().filter(|v| v.expect == "ok") {
        let mut cache = verifiers.get(v).cache(&mut slots[..]);
        for _ in 0..2 {
            let (n, ok) = allocations_in(|| {
                cache
                    .verify(v.token.as_bytes(), v.now, &mut scratch)
                    .is_ok()
            });
            assert!(ok, "{}", v.name);
            assert_eq!(n, 0, "{} allocated {n} times", v.name);
        }
    }
}
