//! The encodings of an RSA public key a gateway's configuration could hold, which an attacker
//! offers as an HMAC secret (RFC 8725 §2.1): shared by the core's tests and the nginx tests
//! (`#[path]`-included there), so both try the same list.

use base64ct::{Base64, Base64UrlUnpadded, Encoding};

/// A DER TLV with a definite length (short form, or long form of one or two bytes).
pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER of the unsigned big-endian `bytes`.
pub fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    if bytes[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(bytes);
    der(0x02, &content)
}

/// `der` as a PEM block labelled `label` (RFC 7468), in lines of 64 characters.
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = Base64::encode_string(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// RSAPublicKey (RFC 8017 A.1.1), DER.
pub fn rsa_pkcs1_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    der(0x30, &[der_uint(n), der_uint(e)].concat())
}

/// SubjectPublicKeyInfo (RFC 5280 §4.1) of an RSA key, DER: what a `PUBLIC KEY` PEM file holds.
pub fn rsa_spki_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let rsa_encryption = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend(rsa_pkcs1_der(n, e));
    der(0x30, &[&rsa_encryption[..], &der(0x03, &bits)].concat())
}

/// Every encoding of the RSA public key (`n`, `e`) whose JWK text is `jwk`, by name.
pub fn rsa_public_encodings(n: &[u8], e: &[u8], jwk: &str) -> Vec<(&'static str, Vec<u8>)> {
    let spki_pem = pem("PUBLIC KEY", &rsa_spki_der(n, e));
    vec![
        (
            "spki_pem_unterminated",
            spki_pem.trim_end().as_bytes().to_vec(),
        ),
        ("spki_pem", spki_pem.into_bytes()),
        ("spki_der", rsa_spki_der(n, e)),
        (
            "pkcs1_pem",
            pem("RSA PUBLIC KEY", &rsa_pkcs1_der(n, e)).into_bytes(),
        ),
        ("pkcs1_der", rsa_pkcs1_der(n, e)),
        ("modulus", n.to_vec()),
        (
            "modulus_b64",
            Base64UrlUnpadded::encode_string(n).into_bytes(),
        ),
        ("jwk", jwk.as_bytes().to_vec()),
    ]
}
