//! Turns the shared vectors (`../tests/vectors/*.tsv`) into the firmware's case table, keeping the
//! rows whose algorithm the chosen feature set verifies (and the valid tokens of those it leaves
//! out, to be refused), adding a rejection of each algorithm's own, and hands the linker the
//! memory map of the target.
//!
//! The feature set comes from `feature-sets.tsv`, named by `TOLLGATE_FEATURE_SET` (default: its
//! first line). The core's features themselves are passed to cargo by whoever builds
//! (`scripts/embedded-measure`), from the same line.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use base64ct::{Base64UrlUnpadded, Encoding};

/// Vector files, in the order their cases run.
const VECTOR_FILES: &[&str] = &["tokens.tsv", "independent.tsv"];

/// JOSE algorithms some build of the core verifies, behind a feature or always. A vector whose
/// header names one of these runs only when its feature set lists it; a vector naming anything
/// else (`none`, `HS512`, a missing or malformed `alg`) is a rejection every build must give.
const CORE_ALGORITHMS: &[&str] = &[
    "EdDSA", "HS256", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

/// The key sets and policy of the reference tokens (one valid token per algorithm), which the
/// `footprint` firmware verifies and the instruction counts are reported for. The reference of
/// an algorithm is its RFC 9068 access token vector (`rfc9068_<alg>_access_token`, else
/// `<alg>_access_token`), or else its first valid vector under one of these key sets and the
/// policy. The firmware loads one JWKS: the keys of the key sets the chosen tokens need, merged.
const REFERENCE_KEY_SETS: &[&str] = &["test.jwks", "ec.jwks"];
const REFERENCE_POLICY: &str = "iss=https://issuer.example;aud=api://items;typ=at+jwt";

struct FeatureSet {
    name: String,
    features: String,
    algorithms: Vec<String>,
}

struct Row {
    name: String,
    key_set: String,
    now: i64,
    policy: String,
    expect: String,
    token: String,
    /// The header's `alg`, when the header decodes and has a plain string `alg`.
    alg: Option<String>,
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let vectors = manifest.join("../tests/vectors");

    link(&manifest, &out);

    let sets_file = manifest.join("feature-sets.tsv");
    println!("cargo:rerun-if-changed={}", sets_file.display());
    println!("cargo:rerun-if-env-changed=TOLLGATE_FEATURE_SET");
    let sets = read_feature_sets(&sets_file);
    let set = match env::var("TOLLGATE_FEATURE_SET") {
        Ok(name) => sets
            .into_iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("TOLLGATE_FEATURE_SET={name} is not in feature-sets.tsv")),
        Err(_) => sets
            .into_iter()
            .next()
            .expect("feature-sets.tsv has a line"),
    };

    let mut rows = Vec::new();
    for file in VECTOR_FILES {
        let path = vectors.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        rows.extend(read_rows(&path));
    }
    // A key set whose keys all need algorithms this build leaves out cannot be loaded here (the
    // core refuses a JWKS with no usable key), so its rows are left out like those algorithms'.
    let mut loadable = BTreeMap::new();
    for row in &rows {
        loadable.entry(row.key_set.clone()).or_insert_with(|| {
            let path = vectors.join(&row.key_set);
            println!("cargo:rerun-if-changed={}", path.display());
            key_set_algorithms(&path)
                .iter()
                .any(|alg| set.algorithms.contains(alg))
        });
    }
    // A build fails closed on the algorithms it leaves out: their valid tokens run too, and
    // must be refused as unsupported. Their other vectors (a bad signature the build can never
    // check) are left out.
    rows.retain(|row| loadable[&row.key_set] && (runs_in(row, &set) || row.expect == "ok"));
    for row in &mut rows {
        if !runs_in(row, &set) {
            row.expect = "unsupported_algorithm".to_string();
        }
    }
    let altered: Vec<Row> = set
        .algorithms
        .iter()
        .flat_map(|alg| altered_rows(reference_row(&rows, alg)))
        .collect();
    rows.extend(altered);
    check_coverage(&rows, &set);
    // One verifier per key set and policy: group the rows, keeping file order within a group.
    let mut key_sets: Vec<String> = Vec::new();
    let mut policies: Vec<String> = Vec::new();
    for row in &rows {
        if !key_sets.contains(&row.key_set) {
            key_sets.push(row.key_set.clone());
        }
        if !policies.contains(&row.policy) {
            policies.push(row.policy.clone());
        }
    }
    let position = |list: &[String], item: &str| list.iter().position(|x| x == item).unwrap();
    rows.sort_by_key(|row| {
        (
            position(&key_sets, &row.key_set),
            position(&policies, &row.policy),
        )
    });

    let mut code = String::new();
    writeln!(
        code,
        "// Generated by build.rs from tests/vectors; do not edit."
    )
    .unwrap();
    writeln!(code, "pub const FEATURE_SET: &str = {:?};", set.name).unwrap();
    writeln!(code, "pub const FEATURES: &str = {:?};", set.features).unwrap();
    writeln!(
        code,
        "pub const ALGORITHMS: &[&str] = &{:?};",
        set.algorithms
    )
    .unwrap();
    writeln!(
        code,
        "pub static KEY_SETS: [KeySetFile; {}] = [",
        key_sets.len()
    )
    .unwrap();
    for name in &key_sets {
        writeln!(code, "    {},", key_set_file(&vectors, name)).unwrap();
    }
    writeln!(code, "];").unwrap();
    writeln!(
        code,
        "pub static POLICIES: [PolicySpec; {}] = [",
        policies.len()
    )
    .unwrap();
    for spec in &policies {
        writeln!(code, "    {},", policy_spec(spec)).unwrap();
    }
    writeln!(code, "];").unwrap();
    writeln!(code, "pub static CASES: [Case; {}] = [", rows.len()).unwrap();
    for row in &rows {
        writeln!(
            code,
            "    Case {{ name: {:?}, key_set: {}, policy: {}, now: {}, expect: {:?}, alg: {:?}, token: {} }},",
            row.name,
            position(&key_sets, &row.key_set),
            position(&policies, &row.policy),
            row.now,
            row.expect,
            display_alg(row),
            byte_string(row.token.as_bytes()),
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();

    // The reference tokens live in their own statics, so the footprint firmware carries them and
    // not the whole table.
    let references: Vec<&Row> = set
        .algorithms
        .iter()
        .map(|alg| reference_row(&rows, alg))
        .collect();
    let mut reference_sets: Vec<&str> = Vec::new();
    for name in REFERENCE_KEY_SETS {
        if references.iter().any(|r| r.key_set == *name) {
            reference_sets.push(name);
        }
    }
    let reference_jwks = out.join("reference.jwks");
    fs::write(&reference_jwks, merged_jwks(&vectors, &reference_sets)).unwrap();
    writeln!(code, "pub static REFERENCE: Reference = Reference {{").unwrap();
    writeln!(
        code,
        "    key_set: KeySetFile {{ name: {:?}, jwks: include_bytes!({:?}) }},",
        reference_sets.join("+"),
        reference_jwks.display().to_string()
    )
    .unwrap();
    writeln!(code, "    policy: {},", policy_spec(REFERENCE_POLICY)).unwrap();
    writeln!(code, "    cases: &[").unwrap();
    for (alg, row) in set.algorithms.iter().zip(&references) {
        writeln!(
            code,
            "        Case {{ name: {:?}, key_set: 0, policy: 0, now: {}, expect: \"ok\", alg: {:?}, token: {} }},",
            row.name,
            row.now,
            alg,
            byte_string(row.token.as_bytes()),
        )
        .unwrap();
    }
    writeln!(code, "    ],").unwrap();
    writeln!(code, "}};").unwrap();

    fs::write(out.join("vectors.rs"), code).unwrap();
}

/// Two rejections made from a valid token, so each algorithm of the set has its own whatever
/// the vector files hold: one base64url character of the signature changed, and one of the
/// payload under the original signature. Both are `bad_signature`. The changed character is
/// never a segment's last, so the segment stays canonical base64url.
fn altered_rows(valid: &Row) -> [Row; 2] {
    let token = &valid.token;
    let first_dot = token.find('.').unwrap();
    let second_dot = token.rfind('.').unwrap();
    let payload_middle = first_dot + 1 + (second_dot - first_dot - 1) / 2;
    let signature_first = second_dot + 1;
    assert!(
        payload_middle + 1 < second_dot && signature_first + 1 < token.len(),
        "{}: segments too short to alter",
        valid.name
    );
    let altered = |at: usize, what: &str| {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        Row {
            name: format!("{}_{what}_altered", valid.name),
            key_set: valid.key_set.clone(),
            now: valid.now,
            policy: valid.policy.clone(),
            expect: "bad_signature".to_string(),
            token: String::from_utf8(bytes).unwrap(),
            alg: valid.alg.clone(),
        }
    };
    [
        altered(signature_first, "signature"),
        altered(payload_middle, "payload"),
    ]
}

/// Every algorithm of the set is verified both ways on the target: a token of it accepted and
/// one whose signature check says no (`bad_signature`), so a verification that accepted any
/// signature of that algorithm could not pass. Other rejections (expired, wrong audience) never
/// reach the negative path of the algorithm's own code.
fn check_coverage(rows: &[Row], set: &FeatureSet) {
    let mut gaps = Vec::new();
    for alg in &set.algorithms {
        let of_alg = || {
            rows.iter()
                .filter(|r| r.alg.as_deref() == Some(alg.as_str()))
        };
        if !of_alg().any(|r| r.expect == "ok") {
            gaps.push(format!("{alg} has no accepted token"));
        }
        if !of_alg().any(|r| r.expect == "bad_signature") {
            gaps.push(format!("{alg} has no bad_signature rejection"));
        }
    }
    assert!(
        gaps.is_empty(),
        "feature set {}: {}",
        set.name,
        gaps.join(", ")
    );
}

/// The reference token of `alg`: see [`REFERENCE_KEY_SETS`].
fn reference_row<'r>(rows: &'r [Row], alg: &str) -> &'r Row {
    let lower = alg.to_lowercase();
    let preferred = [
        format!("rfc9068_{lower}_access_token"),
        format!("{lower}_access_token"),
    ];
    let candidates = || {
        rows.iter().filter(|r| {
            REFERENCE_KEY_SETS.contains(&r.key_set.as_str())
                && r.policy == REFERENCE_POLICY
                && r.expect == "ok"
                && r.alg.as_deref() == Some(alg)
        })
    };
    preferred
        .iter()
        .find_map(|name| candidates().find(|r| &r.name == name))
        .or_else(|| candidates().next())
        .unwrap_or_else(|| {
            panic!("no valid {alg} token with {REFERENCE_KEY_SETS:?} and the standard policy in the vectors")
        })
}

/// One JWKS holding the keys of every named vectors JWKS, in order. Our vector files are a
/// `keys` array and nothing else, so the arrays' contents are joined.
fn merged_jwks(vectors: &Path, names: &[&str]) -> String {
    let entries: Vec<String> = names
        .iter()
        .map(|name| {
            let path = vectors.join(name);
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let (open, close) = (text.find('[').unwrap(), text.rfind(']').unwrap());
            text[open + 1..close].trim().to_string()
        })
        .collect();
    format!("{{\"keys\":[\n{}\n]}}\n", entries.join(",\n"))
}

/// The memory map and runtime linker script of the target architecture.
fn link(manifest: &Path, out: &Path) {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap();
    let (memory, scripts): (&str, &[&str]) = match arch.as_str() {
        // cortex-m-rt's link.x includes memory.x itself.
        "arm" => ("memory-mps2-an386.x", &["-Tlink.x"]),
        "riscv32" => ("memory-riscv32-virt.x", &["-Tmemory.x", "-Tlink.x"]),
        other => panic!(
            "tollgate-firmware is bare-metal: build it with --target thumbv7em-none-eabihf or \
             riscv32imac-unknown-none-elf (this build is for {other})"
        ),
    };
    let source = manifest.join(memory);
    println!("cargo:rerun-if-changed={}", source.display());
    fs::copy(&source, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    for script in scripts {
        println!("cargo:rustc-link-arg-bins={script}");
    }
    // Sections at their own addresses, not padded to page boundaries in the ELF.
    println!("cargo:rustc-link-arg-bins=--nmagic");
}

fn read_feature_sets(path: &Path) -> Vec<FeatureSet> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                7,
                "feature-sets.tsv: name, features, cfg, algorithms, two budgets, targets: {line}"
            );
            let algorithms: Vec<String> = fields[3].split_whitespace().map(String::from).collect();
            for alg in &algorithms {
                assert!(
                    CORE_ALGORITHMS.contains(&alg.as_str()),
                    "feature-sets.tsv: {alg} is not an algorithm the core verifies"
                );
            }
            FeatureSet {
                name: fields[0].to_string(),
                features: fields[1].to_string(),
                algorithms,
            }
        })
        .collect()
}

fn read_rows(path: &Path) -> Vec<Row> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                f.len(),
                7,
                "{}: 7 tab-separated fields: {line}",
                path.display()
            );
            Row {
                name: f[0].to_string(),
                key_set: f[1].to_string(),
                now: f[2].parse().expect("now is an integer"),
                policy: f[3].to_string(),
                expect: f[4].to_string(),
                token: f[5].to_string(),
                alg: header_alg(f[5]),
            }
        })
        .collect()
}

/// Whether a vector's verdict holds for this feature set: its algorithm is one the set
/// verifies, or one no build of the core verifies.
fn runs_in(row: &Row, set: &FeatureSet) -> bool {
    match row.alg.as_deref() {
        Some(alg) if CORE_ALGORITHMS.contains(&alg) => set.algorithms.iter().any(|a| a == alg),
        _ => true,
    }
}

/// The algorithm a row is counted under: the core's name for it, or `other`.
fn display_alg(row: &Row) -> &str {
    match row.alg.as_deref() {
        Some(alg) if CORE_ALGORITHMS.contains(&alg) => alg,
        _ => "other",
    }
}

/// The `alg` of a token's header, canonical (`Ed25519` is EdDSA, RFC 9864). Enough for sorting
/// vectors; the firmware's verdict comes from the core alone.
fn header_alg(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let json = String::from_utf8(Base64UrlUnpadded::decode_vec(header).ok()?).ok()?;
    let alg = string_member(&json, "alg")?;
    Some(if alg == "Ed25519" { "EdDSA" } else { alg }.to_string())
}

/// The plain string value of member `name` in a flat JSON object (no escapes), if any.
fn string_member<'a>(json: &'a str, name: &str) -> Option<&'a str> {
    let rest = &json[json.find(&format!("\"{name}\""))? + name.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let value = &rest[..rest.find('"')?];
    (!value.contains('\\')).then_some(value)
}

/// The algorithm each key of a vectors JWKS is bound to: its `alg`, or its type's usual one
/// (as the core binds keys). Our vector files hold flat key objects, one `{…}` each.
fn key_set_algorithms(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let keys = &text[text.find('[').expect("a JWKS has a keys array")..];
    keys.split('{')
        .skip(1)
        .filter_map(|key| {
            let key = &key[..key.find('}')?];
            let usual = match (string_member(key, "kty")?, string_member(key, "crv")) {
                ("oct", _) => "HS256",
                ("RSA", _) => "RS256",
                ("OKP", Some("Ed25519")) => "EdDSA",
                ("EC", Some("P-256")) => "ES256",
                ("EC", Some("P-384")) => "ES384",
                _ => return None,
            };
            Some(string_member(key, "alg").unwrap_or(usual).to_string())
        })
        .collect()
}

fn key_set_file(vectors: &Path, name: &str) -> String {
    let path = vectors.join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    format!(
        "KeySetFile {{ name: {name:?}, jwks: include_bytes!({:?}) }}",
        path.display().to_string()
    )
}

/// A policy column (`-`, or `;`-separated `key=value`, as tests/support reads it) as a
/// `PolicySpec` literal.
fn policy_spec(spec: &str) -> String {
    let mut issuer = None;
    let mut token_type = None;
    let mut leeway = 0u32;
    let mut require_exp = true;
    let mut lists: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    if spec != "-" {
        for item in spec.split(';') {
            let (key, value) = item
                .split_once('=')
                .unwrap_or_else(|| panic!("policy item is not key=value: {item}"));
            match key {
                "iss" => issuer = Some(value),
                "typ" => token_type = Some(value),
                "aud" | "scope" | "claim" => lists.entry(key).or_default().push(value),
                "leeway" => leeway = value.parse().expect("leeway is a number"),
                "exp" if value == "optional" => require_exp = false,
                _ => panic!("unknown policy item {item}"),
            }
        }
    }
    let list = |key| lists.get(key).cloned().unwrap_or_default();
    format!(
        "PolicySpec {{ issuer: {issuer:?}, audiences: &{:?}, token_type: {token_type:?}, \
         scopes: &{:?}, claims: &{:?}, leeway: {leeway}, require_exp: {require_exp} }}",
        list("aud"),
        list("scope"),
        list("claim"),
    )
}

/// A Rust byte-string literal for any bytes.
fn byte_string(bytes: &[u8]) -> String {
    let mut s = String::from("b\"");
    for &b in bytes {
        match b {
            b'"' | b'\\' => write!(s, "\\{}", b as char).unwrap(),
            0x20..=0x7e => s.push(b as char),
            _ => write!(s, "\\x{b:02x}").unwrap(),
        }
    }
    s.push('"');
    s
}
