//! Any bytes as the claims of a correctly signed HS256 token, so the fuzzer reaches the claims
//! parser and the policy, which no forged token ever does.
#![no_main]
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use tollgate_fuzz::{test_verifier, TEST_HS256_SECRET};
use tollgate::Scratch;

fuzz_target!(|payload: &[u8]| {
    let header = Base64UrlUnpadded::encode_string(br#"{"alg":"HS256","typ":"at+jwt","kid":"hs1"}"#);
    let input = format!("{header}.{}", Base64UrlUnpadded::encode_string(payload));
    let mut mac = Hmac::<Sha256>::new_from_slice(TEST_HS256_SECRET).unwrap();
    mac.update(input.as_bytes());
    let token = format!("{input}.{}", Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes()));
    let mut scratch = Scratch::new();
    match test_verifier().verify(token.as_bytes(), 1_750_000_000, &mut scratch) {
        Ok(claims) => {
            let mut out = [0u8; 512];
            for (_, claim) in claims.iter() {
                let _ = claim.write_text(&mut out);
            }
            let _ = (claims.scopes().count(), claims.aud().count(), claims.exp());
        }
        Err(e) => assert!(token.len() > tollgate::MAX_TOKEN_LEN || e != tollgate::Error::BadSignature),
    }
});
