//! End-to-end verification next to its floor and next to jsonwebtoken, on an RFC 9068 access
//! token of each algorithm, in the same run. Prints one ratio report at the end.
//!
//! Floors: HS256 is a pre-keyed HMAC-SHA256 over the signing input (the key schedule done once,
//! as Tollgate does at load time); EdDSA is `verify_strict` with an already-decompressed key;
//! ES256, ES384 and RS256…PS512 (at the key size `test.jwks` gives each) are `ring`'s signature
//! verification alone, the fastest implementation users would otherwise have, with RustCrypto's
//! own ECDSA verification beside it to show where the time goes.
//!
//! criterion's means wander on a shared machine (up to 2x between runs for RSA), so the report
//! also measures each ring-floored algorithm in interleaved rounds, Tollgate then ring, and keeps
//! each side's fastest round: a neighbour's load only ever adds time.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey, Validation, decode};
use ring::signature::{self as ring_sig, RsaPublicKeyComponents, UnparsedPublicKey};
use sha2::Sha256;
use support::rsa::{RSA_TEST_KEYS, rsa_test_key};
use support::*;
use tollgate::{CacheSlot, KeySet, Scratch, Verifier};

/// Every test key: test.jwks (EdDSA, HS256, RS256…PS512) and ec.jwks (ES256, ES384).
fn tollgate_verifier() -> Verifier {
    let mut keys = KeySet::new();
    for file in ["test.jwks", "ec.jwks"] {
        keys.add_jwks(&std::fs::read(vectors_dir().join(file)).unwrap())
            .unwrap();
    }
    Verifier::new(keys, policy_from(STANDARD_POLICY))
}

fn jsonwebtoken_validation(alg: JwtAlg) -> Validation {
    let mut v = Validation::new(alg);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v
}

fn split(token: &str) -> (&[u8], Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = vec![0u8; tollgate::MAX_SIGNATURE_LEN];
    let n = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode(sig, &mut bytes)
        .unwrap()
        .len();
    bytes.truncate(n);
    (input.as_bytes(), bytes)
}

/// A named benchmark body.
type Bench<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// One group: the floors (the first is what ratios are taken against), Tollgate, Tollgate with a
/// cache hit, and jsonwebtoken, on `token`.
fn compare(
    c: &mut Criterion,
    group_name: &str,
    token: &str,
    now: i64,
    floors: Vec<Bench<'_>>,
    (jwt_alg, jwt_key): (JwtAlg, DecodingKey),
) {
    let verifier = tollgate_verifier();
    let mut scratch = Scratch::new();
    verifier
        .verify(token.as_bytes(), now, &mut scratch)
        .unwrap();
    let jwt_validation = jsonwebtoken_validation(jwt_alg);
    decode::<serde_json::Value>(token, &jwt_key, &jwt_validation).unwrap();

    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(token.len() as u64));
    for (name, mut floor) in floors {
        group.bench_function(name, |b| b.iter(&mut floor));
    }
    group.bench_function("tollgate", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(token.as_bytes()), now, &mut scratch)
                .map(|c| c.exp())
                .unwrap()
        })
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| decode::<serde_json::Value>(black_box(token), &jwt_key, &jwt_validation).unwrap())
    });
    let mut cache = verifier.cache([CacheSlot::new(), CacheSlot::new()]);
    group.bench_function("tollgate_cached", |b| {
        b.iter(|| {
            cache
                .verify(black_box(token.as_bytes()), now, &mut scratch)
                .map(|c| c.exp())
                .unwrap()
        })
    });
    group.finish();
}

fn hs256(c: &mut Criterion) {
    let (claims, now) = today();
    let token = hs_token(&claims);
    let (input, tag) = split(&token);
    let pre_keyed = Hmac::<Sha256>::new_from_slice(HS1_SECRET).unwrap();
    let floor = || {
        pre_keyed
            .clone()
            .chain_update(black_box(input))
            .verify_slice(black_box(&tag))
            .unwrap()
    };
    let jwt = (JwtAlg::HS256, DecodingKey::from_secret(HS1_SECRET));
    let floors: Vec<Bench> = vec![("floor_hmac_sha256", Box::new(floor))];
    compare(c, "hs256", &token, now, floors, jwt);
}

fn eddsa(c: &mut Criterion) {
    let (claims, now) = today();
    let token = ed_token(&claims);
    let (input, sig) = split(&token);
    let public = VerifyingKey::from_bytes(&ed_public(&ed1_seed())).unwrap();
    let signature = Signature::from_slice(&sig).unwrap();
    let floor = || {
        public
            .verify_strict(black_box(input), black_box(&signature))
            .unwrap()
    };
    let jwt_key = DecodingKey::from_ed_components(&b64(&ed_public(&ed1_seed()))).unwrap();
    let floors: Vec<Bench> = vec![("floor_verify_strict", Box::new(floor))];
    compare(c, "eddsa", &token, now, floors, (JwtAlg::EdDSA, jwt_key));
}

/// ring's verification of one token's signature.
enum RingKey {
    Ecdsa(UnparsedPublicKey<Vec<u8>>),
    Rsa(
        &'static ring_sig::RsaParameters,
        RsaPublicKeyComponents<Vec<u8>>,
    ),
}

/// A token of an algorithm whose floor is ring: its group, and what each side verifies.
struct RingCase {
    group: String,
    token: String,
    now: i64,
    input: Vec<u8>,
    signature: Vec<u8>,
    ring: RingKey,
    jwt: (JwtAlg, DecodingKey),
}

impl RingCase {
    fn new(
        group: String,
        token: String,
        now: i64,
        ring: RingKey,
        jwt: (JwtAlg, DecodingKey),
    ) -> Self {
        let (input, signature) = split(&token);
        let input = input.to_vec();
        RingCase {
            group,
            token,
            now,
            input,
            signature,
            ring,
            jwt,
        }
    }

    fn ring_verify(&self) {
        let (input, signature) = (black_box(&self.input[..]), black_box(&self.signature[..]));
        match &self.ring {
            RingKey::Ecdsa(key) => key.verify(input, signature).unwrap(),
            RingKey::Rsa(params, key) => key.verify(params, input, signature).unwrap(),
        }
    }

    /// RustCrypto's own verification of the same ECDSA signature, when the case is ECDSA.
    fn rust_crypto_floor(&self) -> Option<Bench<'_>> {
        use p256::ecdsa::signature::Verifier as _;
        let RingKey::Ecdsa(ring_key) = &self.ring else {
            return None;
        };
        let point = ring_key.as_ref();
        let (input, sig) = (&self.input[..], &self.signature[..]);
        Some(match self.jwt.0 {
            JwtAlg::ES256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).unwrap();
                let signature = p256::ecdsa::Signature::from_slice(sig).unwrap();
                let bench = move || key.verify(black_box(input), black_box(&signature)).unwrap();
                ("p256_verify", Box::new(bench))
            }
            _ => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).unwrap();
                let signature = p384::ecdsa::Signature::from_slice(sig).unwrap();
                let bench = move || key.verify(black_box(input), black_box(&signature)).unwrap();
                ("p384_verify", Box::new(bench))
            }
        })
    }
}

/// ES256 and ES384 (ec.jwks), then one RSA case per algorithm of `test.jwks` with its key size.
fn ring_cases() -> Vec<RingCase> {
    let (claims, now) = today();
    let mut cases = Vec::new();
    let ec = |point: Vec<u8>, alg: &'static dyn ring_sig::VerificationAlgorithm, jwt_alg| {
        let (x, y) = ec_x_y(&point);
        let jwt_key = DecodingKey::from_ec_components(&x, &y).unwrap();
        (
            RingKey::Ecdsa(UnparsedPublicKey::new(alg, point)),
            (jwt_alg, jwt_key),
        )
    };
    let (ring, jwt) = ec(
        es256_point(&es256_key()),
        &ring_sig::ECDSA_P256_SHA256_FIXED,
        JwtAlg::ES256,
    );
    cases.push(RingCase::new(
        "es256".into(),
        es256_token(&claims),
        now,
        ring,
        jwt,
    ));
    let (ring, jwt) = ec(
        es384_point(&es384_key()),
        &ring_sig::ECDSA_P384_SHA384_FIXED,
        JwtAlg::ES384,
    );
    cases.push(RingCase::new(
        "es384".into(),
        es384_token(&claims),
        now,
        ring,
        jwt,
    ));
    for (alg, kid, bits) in RSA_TEST_KEYS {
        let key = rsa_test_key(bits);
        let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{kid}"}}"#);
        let token = key.token(alg, &header, &claims.json());
        let (params, jwt_alg): (&'static ring_sig::RsaParameters, _) = match alg {
            "RS256" => (&ring_sig::RSA_PKCS1_2048_8192_SHA256, JwtAlg::RS256),
            "RS384" => (&ring_sig::RSA_PKCS1_2048_8192_SHA384, JwtAlg::RS384),
            "RS512" => (&ring_sig::RSA_PKCS1_2048_8192_SHA512, JwtAlg::RS512),
            "PS256" => (&ring_sig::RSA_PSS_2048_8192_SHA256, JwtAlg::PS256),
            "PS384" => (&ring_sig::RSA_PSS_2048_8192_SHA384, JwtAlg::PS384),
            _ => (&ring_sig::RSA_PSS_2048_8192_SHA512, JwtAlg::PS512),
        };
        let public = RsaPublicKeyComponents {
            n: key.n.clone(),
            e: key.e.clone(),
        };
        let jwt_key = DecodingKey::from_rsa_raw_components(&key.n, &key.e);
        let group = format!("{}_{bits}", alg.to_lowercase());
        cases.push(RingCase::new(
            group,
            token,
            now,
            RingKey::Rsa(params, public),
            (jwt_alg, jwt_key),
        ));
    }
    cases
}

fn ring_floored(c: &mut Criterion) {
    for case in ring_cases() {
        let mut floors: Vec<Bench> = vec![("floor_ring", Box::new(|| case.ring_verify()))];
        floors.extend(case.rust_crypto_floor());
        compare(
            c,
            &case.group,
            &case.token,
            case.now,
            floors,
            case.jwt.clone(),
        );
    }
}

fn rejections(c: &mut Criterion) {
    let verifier = tollgate_verifier();
    let mut scratch = Scratch::new();
    let vectors = load_vectors("tokens.tsv");
    let by_name = |name: &str| vectors.iter().find(|v| v.name == name).unwrap().clone();
    let mut group = c.benchmark_group("reject");
    for name in [
        "alg_none_lowercase",
        "hs256_wrong_secret",
        "exp_exactly_now",
        "kid_not_in_set",
        "rs256_signature_n",
        "ps256_salt_length_0",
    ] {
        let v = by_name(name);
        group.bench_function(name, |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(v.token.as_bytes()), v.now, &mut scratch)
                    .is_err()
            })
        });
    }
    group.finish();
}

/// Mean time of one benchmark, from criterion's saved estimates.
fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target
        .join("criterion")
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// The fastest of `ROUNDS` rounds of `PER_ROUND` calls of each of `a` and `b`, alternating round
/// by round, per call, in microseconds.
fn min_interleaved(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    const ROUNDS: usize = 150;
    const PER_ROUND: u32 = 20;
    let round = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        (0..PER_ROUND).for_each(|_| f());
        t.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND)
    };
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        best.0 = best.0.min(round(&mut a));
        best.1 = best.1.min(round(&mut b));
    }
    best
}

fn report_ratios() {
    println!("\nratios (same run, criterion's mean time):");
    let ring_groups: Vec<String> = ring_cases().into_iter().map(|c| c.group).collect();
    let groups = [
        ("hs256", "floor_hmac_sha256"),
        ("eddsa", "floor_verify_strict"),
    ]
    .into_iter()
    .map(|(g, f)| (g.to_string(), f))
    .chain(ring_groups.into_iter().map(|g| (g, "floor_ring")));
    for (group, floor) in groups {
        let group = group.as_str();
        let (Some(f), Some(t), Some(j)) = (
            mean_ns(group, floor),
            mean_ns(group, "tollgate"),
            mean_ns(group, "jsonwebtoken"),
        ) else {
            println!("  {group}: run the whole group to get ratios");
            continue;
        };
        println!(
            "  {group}: floor {f:.0} ns, tollgate {t:.0} ns ({:.2}x floor), jsonwebtoken {j:.0} ns (tollgate is {:.2}x faster)",
            t / f,
            j / t
        );
        for raw in ["p256_verify", "p384_verify"] {
            if let Some(r) = mean_ns(group, raw) {
                println!(
                    "  {group}: RustCrypto's {raw} alone {r:.0} ns ({:.2}x ring); the token around it {:.0} ns",
                    r / f,
                    t - r
                );
            }
        }
        if let Some(cached) = mean_ns(group, "tollgate_cached") {
            println!(
                "  {group}: tollgate with a cache hit {cached:.0} ns ({:.2}x floor)",
                cached / f
            );
        }
    }

    println!("\nratios to ring (minimum of interleaved rounds, steadier than a mean):");
    let verifier = tollgate_verifier();
    let mut scratch = Scratch::new();
    for case in ring_cases() {
        if mean_ns(&case.group, "tollgate").is_none() {
            continue;
        }
        let (tollgate, ring) = min_interleaved(
            || {
                verifier
                    .verify(black_box(case.token.as_bytes()), case.now, &mut scratch)
                    .unwrap();
            },
            || case.ring_verify(),
        );
        println!(
            "  {}: tollgate end to end {tollgate:.1} µs, ring verify {ring:.1} µs, {:.2}x",
            case.group,
            tollgate / ring
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    hs256(&mut c);
    eddsa(&mut c);
    ring_floored(&mut c);
    rejections(&mut c);
    c.final_summary();
    report_ratios();
}
