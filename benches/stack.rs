//! Peak stack of one verification per algorithm (release build, this host), measured without
//! `unsafe`: a child process first spends `depth` frames of a known size on its thread's stack,
//! then verifies a valid token. The deepest `depth` that still completes, taken from the same
//! for a no-op, is what the verification needs. Scratch, keys and token live elsewhere, so this
//! is the stack of the code alone.
//!
//! `cargo bench --bench stack` (or `make bench`). The embedded firmware reports the same for
//! Cortex-M.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::process::{Command, Stdio};

use support::rsa::{RSA_TEST_KEYS, rsa_test_key};
use support::*;
use tollgate::{KeySet, Scratch, Verifier};

/// The probe thread's stack: far more than any verification needs.
const THREAD_STACK: usize = 1 << 20;
/// The RSA algorithms at the key size `test.jwks` gives each (RSA_TEST_KEYS).
const CASES: [&str; 11] = [
    "no-op", "HS256", "EdDSA", "ES256", "ES384", "RS256", "PS256", "RS384", "PS384", "RS512",
    "PS512",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--probe") {
        let depth = args[at + 2].parse().unwrap();
        probe(&args[at + 1], depth);
        return;
    }
    let frame = frame_size();
    let baseline = deepest("no-op");
    println!("peak stack of one verification (release, {frame}-byte probe frames):");
    for case in &CASES[1..] {
        let spare = baseline - deepest(case);
        println!("  {case}: {} bytes", spare * frame);
    }
}

/// The deepest reservation with which `case` still completes, by bisection.
fn deepest(case: &str) -> usize {
    let (mut ok, mut overflow) = (0, THREAD_STACK / frame_size());
    while overflow - ok > 1 {
        let mid = (ok + overflow) / 2;
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["--probe", case, &mid.to_string()])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        if status.success() {
            ok = mid;
        } else {
            overflow = mid;
        }
    }
    ok
}

fn probe(case: &str, depth: usize) {
    let (verifier, token, now) = prepared(case);
    std::thread::Builder::new()
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let mut scratch = Box::new(Scratch::new());
            spend(depth, &mut || {
                if let Some(token) = &token {
                    verifier
                        .verify(black_box(token.as_bytes()), now, &mut scratch)
                        .expect("the probe token verifies");
                }
            });
        })
        .unwrap()
        .join()
        .unwrap();
}

fn prepared(case: &str) -> (Verifier, Option<String>, i64) {
    let mut keys = KeySet::new();
    for file in ["test.jwks", "ec.jwks"] {
        keys.add_jwks(&std::fs::read(vectors_dir().join(file)).unwrap())
            .unwrap();
    }
    let claims = Claims::standard();
    let token = match case {
        "HS256" => Some(hs_token(&claims)),
        "EdDSA" => Some(ed_token(&claims)),
        "ES256" => Some(es256_token(&claims)),
        "ES384" => Some(es384_token(&claims)),
        "no-op" => None,
        rsa => {
            let (alg, kid, bits) = RSA_TEST_KEYS.into_iter().find(|(a, ..)| *a == rsa).unwrap();
            let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{kid}"}}"#);
            Some(rsa_test_key(bits).token(alg, &header, &claims.json()))
        }
    };
    (
        Verifier::new(keys, policy_from(STANDARD_POLICY)),
        token,
        NOW,
    )
}

/// Recurses `depth` frames deep, each holding a buffer the optimiser cannot drop, then runs `f`.
#[inline(never)]
fn spend(depth: usize, f: &mut dyn FnMut()) {
    let buf = black_box([depth as u8; 256]);
    if depth > 0 {
        spend(depth - 1, f);
    } else {
        f();
    }
    black_box(&buf);
}

/// Bytes of stack one `spend` frame takes: how much deeper `f` runs under one more frame.
fn frame_size() -> usize {
    let at = |depth| {
        let mut address = 0;
        spend(depth, &mut || {
            let local = black_box(0u8);
            address = black_box(&local) as *const u8 as usize;
        });
        address
    };
    at(0) - at(1)
}
