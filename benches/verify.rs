//! End-to-end verification next to its floor and next to jsonwebtoken, on the same ~440-byte
//! RFC 9068 access token, in the same run. Prints the ratios at the end.
//!
//! Floors: HS256 is a pre-keyed HMAC-SHA256 over the signing input (the key schedule done once,
//! as Tollgate does at load time); EdDSA is `verify_strict` with an already-decompressed key;
//! RSA is ring's signature verification alone (`RsaPublicKeyComponents::verify`, assembly
//! Montgomery multiplication), RS256/RS384/RS512 and PS256/PS384/PS512 at 2048/3072/4096 bits.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput};
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey, Validation, decode};
use sha2::Sha256;
use support::*;
use tollgate::{CacheSlot, KeySet, Scratch, Verifier};

fn tollgate_verifier() -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    Verifier::new(
        KeySet::from_jwks(&jwks).unwrap().0,
        policy_from(STANDARD_POLICY),
    )
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
    let mut bytes = vec![0u8; 512];
    let n = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode(sig, &mut bytes)
        .unwrap()
        .len();
    bytes.truncate(n);
    (input.as_bytes(), bytes)
}

/// One group: the floor, Tollgate, Tollgate with a cache hit, and jsonwebtoken, on `token`.
fn compare(
    c: &mut Criterion,
    group_name: &str,
    token: &str,
    now: i64,
    (floor_name, mut floor): (&str, impl FnMut()),
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
    group.bench_function(floor_name, |b| b.iter(&mut floor));
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
    compare(c, "hs256", &token, now, ("floor_hmac_sha256", floor), jwt);
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
    compare(
        c,
        "eddsa",
        &token,
        now,
        ("floor_verify_strict", floor),
        (JwtAlg::EdDSA, jwt_key),
    );
}

/// One group per RSA algorithm of `test.jwks`, each with its key size there.
fn rsa(c: &mut Criterion) {
    use ring::signature as ring_sig;
    use support::rsa::{RSA_TEST_KEYS, rsa_test_key};
    for (alg, kid, bits) in RSA_TEST_KEYS {
        let (claims, now) = today();
        let key = rsa_test_key(bits);
        let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{kid}"}}"#);
        let token = key.token(alg, &header, &claims.json());
        let (input, sig) = split(&token);
        let (ring_alg, jwt_alg): (&ring_sig::RsaParameters, _) = match alg {
            "RS256" => (&ring_sig::RSA_PKCS1_2048_8192_SHA256, JwtAlg::RS256),
            "RS384" => (&ring_sig::RSA_PKCS1_2048_8192_SHA384, JwtAlg::RS384),
            "RS512" => (&ring_sig::RSA_PKCS1_2048_8192_SHA512, JwtAlg::RS512),
            "PS256" => (&ring_sig::RSA_PSS_2048_8192_SHA256, JwtAlg::PS256),
            "PS384" => (&ring_sig::RSA_PSS_2048_8192_SHA384, JwtAlg::PS384),
            _ => (&ring_sig::RSA_PSS_2048_8192_SHA512, JwtAlg::PS512),
        };
        let public = ring_sig::RsaPublicKeyComponents {
            n: key.n.clone(),
            e: key.e.clone(),
        };
        let floor = || {
            public
                .verify(ring_alg, black_box(input), black_box(&sig))
                .unwrap()
        };
        let jwt_key = DecodingKey::from_rsa_raw_components(&key.n, &key.e);
        let group = format!("{}_{bits}", alg.to_lowercase());
        compare(
            c,
            &group,
            &token,
            now,
            ("floor_ring", floor),
            (jwt_alg, jwt_key),
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

fn report_ratios() {
    println!("\nratios (same run, mean time):");
    for (group, floor) in [
        ("hs256", "floor_hmac_sha256"),
        ("eddsa", "floor_verify_strict"),
        ("rs256_2048", "floor_ring"),
        ("ps256_2048", "floor_ring"),
        ("rs384_3072", "floor_ring"),
        ("ps384_3072", "floor_ring"),
        ("rs512_4096", "floor_ring"),
        ("ps512_4096", "floor_ring"),
    ] {
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
        if let Some(cached) = mean_ns(group, "tollgate_cached") {
            println!(
                "  {group}: tollgate with a cache hit {cached:.0} ns ({:.2}x floor)",
                cached / f
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    hs256(&mut c);
    eddsa(&mut c);
    rsa(&mut c);
    rejections(&mut c);
    c.final_summary();
    report_ratios();
}
