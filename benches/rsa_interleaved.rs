//! RSA end to end next to ring's verification alone, robust to a busy machine: for each
//! algorithm, rounds of Tollgate and ring alternate, and the minimum round of each is kept (a
//! neighbour's load only ever adds time). Prints the ratios; the README's RSA table comes from it.
//!
//! `cargo bench --bench rsa_interleaved`

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use ring::signature as ring_sig;
use support::rsa::{RSA_TEST_KEYS, rsa_test_key};
use support::*;
use tollgate::{KeySet, Scratch, Verifier};

const ROUNDS: usize = 150;
const PER_ROUND: u32 = 20;

/// The fastest of `ROUNDS` rounds of `PER_ROUND` calls, per call, in microseconds; `a` and `b`
/// alternate round by round.
fn min_interleaved(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        (0..PER_ROUND).for_each(|_| a());
        best.0 = best
            .0
            .min(t.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND));
        let t = Instant::now();
        (0..PER_ROUND).for_each(|_| b());
        best.1 = best
            .1
            .min(t.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND));
    }
    best
}

fn main() {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    let verifier = Verifier::new(
        KeySet::from_jwks(&jwks).unwrap().0,
        policy_from(STANDARD_POLICY),
    );
    let mut scratch = Scratch::new();
    println!("minimum of {ROUNDS} interleaved rounds of {PER_ROUND}:");
    for (alg, kid, bits) in RSA_TEST_KEYS {
        let key = rsa_test_key(bits);
        let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{kid}"}}"#);
        let token = key.token(alg, &header, &Claims::standard().json());
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = Base64UrlUnpadded::decode_vec(sig).unwrap();
        let params: &ring_sig::RsaParameters = match alg {
            "RS256" => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
            "RS384" => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
            "RS512" => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
            "PS256" => &ring_sig::RSA_PSS_2048_8192_SHA256,
            "PS384" => &ring_sig::RSA_PSS_2048_8192_SHA384,
            _ => &ring_sig::RSA_PSS_2048_8192_SHA512,
        };
        let public = ring_sig::RsaPublicKeyComponents {
            n: key.n.clone(),
            e: key.e.clone(),
        };
        let (tollgate, ring) = min_interleaved(
            || {
                verifier
                    .verify(black_box(token.as_bytes()), NOW, &mut scratch)
                    .unwrap();
            },
            || {
                public
                    .verify(params, black_box(input.as_bytes()), black_box(&sig))
                    .unwrap()
            },
        );
        println!(
            "  {alg}-{bits}: tollgate end to end {tollgate:.1} µs, ring verify {ring:.1} µs, {:.2}x",
            tollgate / ring
        );
    }
}
