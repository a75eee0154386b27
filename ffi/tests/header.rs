//! `include/tollgate.h` is what cbindgen makes of this crate, byte for byte.
//! `TOLLGATE_BLESS=1 cargo test -p tollgate-ffi --test header` rewrites it.

use std::path::Path;

#[test]
fn committed_header_matches_a_fresh_generation() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut fresh);
    let fresh = String::from_utf8(fresh).unwrap();
    let path = crate_dir.join("../include/tollgate.h");
    if std::env::var_os("TOLLGATE_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/tollgate.h differs from a fresh cbindgen run; \
         TOLLGATE_BLESS=1 cargo test -p tollgate-ffi --test header regenerates it"
    );
}
