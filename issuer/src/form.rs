//! `application/x-www-form-urlencoded` bodies and HTTP Basic client credentials.

use base64ct::{Base64, Encoding};
use zeroize::{Zeroize, Zeroizing};

/// A parsed form body: parameters in order, names possibly repeated. Values are wiped on drop:
/// a body may carry `client_secret`.
pub struct Form(Vec<(String, String)>);

/// A parameter appeared more than once (RFC 6749 §3.2 forbids it).
#[derive(Debug, PartialEq, Eq)]
pub struct Repeated(pub String);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Form(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The value of a parameter that may appear at most once; an empty value counts as absent
    /// (RFC 6749 §3.1).
    pub fn single(&self, name: &str) -> Result<Option<&str>, Repeated> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (Some(_), Some(_)) => Err(Repeated(name.into())),
            (Some(""), None) | (None, _) => Ok(None),
            (Some(v), None) => Ok(Some(v)),
        }
    }

    /// Every non-empty value of a parameter that may repeat (RFC 8707 `resource`).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

impl Drop for Form {
    fn drop(&mut self) {
        for (_, value) in &mut self.0 {
            value.zeroize();
        }
    }
}

/// A client id and secret as presented; the secret is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub id: Vec<u8>,
    pub secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credentials({:?}, <secret>)",
            String::from_utf8_lossy(&self.id)
        )
    }
}

/// The readings of `Authorization: Basic`, in the order to try them: the form-urldecoded id and
/// secret of RFC 6749 §2.3.1 first, then the raw values when they differ (what curl, authlib,
/// requests-oauthlib and httpx send). The pair splits on the first `:` only (RFC 7617 §2: the
/// user-id cannot contain one). `None` when the header is not Basic, `Some(Err)` when it is
/// malformed.
pub fn basic_credentials(authorization: &str) -> Option<Result<Vec<Credentials>, ()>> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let Ok(decoded) = Base64::decode_vec(rest.trim()) else {
        return Some(Err(()));
    };
    let decoded = Zeroizing::new(decoded);
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return Some(Err(()));
    };
    let (id, secret) = (&decoded[..colon], &decoded[colon + 1..]);
    let form = Credentials {
        id: form_urldecode(id),
        secret: Zeroizing::new(form_urldecode(secret)),
    };
    let raw = Credentials {
        id: id.to_vec(),
        secret: Zeroizing::new(secret.to_vec()),
    };
    Some(Ok(if raw == form {
        vec![form]
    } else {
        vec![form, raw]
    }))
}

/// Form-urldecodes one component as the WHATWG URL standard does: `+` is a space, `%XX` a byte,
/// and a `%` not followed by two hex digits stays as it is. Nothing splits on `&` or `=`.
pub fn form_urldecode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(pair: &[u8]) -> String {
        format!("Basic {}", Base64::encode_string(pair))
    }

    fn readings(pair: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        basic_credentials(&basic(pair))
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.secret.to_vec()))
            .collect()
    }

    #[test]
    fn repeated_parameters_are_reported() {
        let f = Form::parse(b"grant_type=client_credentials&scope=a&scope=b");
        assert_eq!(f.single("grant_type"), Ok(Some("client_credentials")));
        assert_eq!(f.single("scope"), Err(Repeated("scope".into())));
        assert_eq!(f.single("audience"), Ok(None));
    }

    #[test]
    fn empty_values_are_absent() {
        let f = Form::parse(b"scope=&resource=");
        assert_eq!(f.single("scope"), Ok(None));
        assert!(f.all("resource").is_empty());
    }

    /// RFC 6749 §2.3.1: "id:with:colon" and "p@ss w+rd" form-urlencoded, then base64.
    #[test]
    fn basic_credentials_are_form_urldecoded_first() {
        assert_eq!(
            readings(b"id%3Awith%3Acolon:p%40ss+w%2Brd"),
            [
                (b"id:with:colon".to_vec(), b"p@ss w+rd".to_vec()),
                (b"id%3Awith%3Acolon".to_vec(), b"p%40ss+w%2Brd".to_vec()),
            ]
        );
    }

    #[test]
    fn plain_credentials_have_one_reading() {
        assert_eq!(
            readings(b"svc:s3cret"),
            [(b"svc".to_vec(), b"s3cret".to_vec())]
        );
    }

    /// The secret of the report, as curl and the Python libraries send it: raw.
    #[test]
    fn a_raw_secret_with_colon_percent_plus_space_and_ampersand_is_read_both_ways() {
        assert_eq!(
            readings(b"svc:p:a%2Bs s+w&rd"),
            [
                (b"svc".to_vec(), b"p:a+s s w&rd".to_vec()),
                (b"svc".to_vec(), b"p:a%2Bs s+w&rd".to_vec()),
            ]
        );
    }

    #[test]
    fn the_pair_splits_on_the_first_colon_and_never_on_ampersand() {
        assert_eq!(
            readings(b"plain:plain&junk=1"),
            [(b"plain".to_vec(), b"plain&junk=1".to_vec())]
        );
        assert_eq!(readings(b":"), [(Vec::new(), Vec::new())]);
    }

    #[test]
    fn not_basic_or_malformed_basic_is_told_apart() {
        assert!(basic_credentials("Bearer abc").is_none());
        assert_eq!(basic_credentials("Basic !!!"), Some(Err(())));
        assert_eq!(basic_credentials(&basic(b"no-colon")), Some(Err(())));
    }

    #[test]
    fn form_urldecoding_keeps_a_stray_percent() {
        assert_eq!(form_urldecode(b"a%zz%4"), b"a%zz%4");
        assert_eq!(form_urldecode(b"%41%2b+%"), b"A+ %");
        assert_eq!(form_urldecode(b"%ff"), [0xff]);
    }
}
