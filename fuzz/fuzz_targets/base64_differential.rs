//! The token decoder and base64ct accept exactly the same inputs and decode them alike.
#![no_main]
use base64ct::{Base64UrlUnpadded, Encoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut ours = vec![0u8; input.len()];
    let ours = tollgate::fuzzing::base64url_decode(input, &mut ours).map(|n| ours[..n].to_vec());
    let theirs = Base64UrlUnpadded::decode_vec(std::str::from_utf8(input).unwrap_or("\u{0}")).ok();
    assert_eq!(ours.ok(), theirs);
});
