//! `application/x-www-form-urlencoded` bodies and HTTP Basic client credentials.

use base64ct::{Base64, Encoding};

/// A parsed form body: parameters in order, names possibly repeated.
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

/// Client credentials from `Authorization: Basic`: base64 of the form-urlencoded id and secret
/// joined by `:` (RFC 6749 §2.3.1). `None` when the header is not Basic or is malformed.
pub fn basic_credentials(authorization: &str) -> Option<Result<(String, String), ()>> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Base64::decode_vec(rest.trim()).map_err(|_| ());
    Some(decoded.and_then(|bytes| {
        let text = String::from_utf8(bytes).map_err(|_| ())?;
        let (id, secret) = text.split_once(':').ok_or(())?;
        Ok((url_decode(id), url_decode(secret)))
    }))
}

/// Form-urldecodes one component (`+` is a space, `%XX` a byte).
fn url_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn basic_credentials_are_form_urldecoded() {
        // RFC 6749 §2.3.1: "id:with%3Acolon" and "p@ss w+rd" encoded, then base64.
        let header = format!(
            "Basic {}",
            Base64::encode_string(b"id%3Awith%3Acolon:p%40ss+w%2Brd")
        );
        assert_eq!(
            basic_credentials(&header),
            Some(Ok(("id:with:colon".to_string(), "p@ss w+rd".to_string())))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), Some(Err(())));
        assert_eq!(
            basic_credentials(&format!("Basic {}", Base64::encode_string(b"no-colon"))),
            Some(Err(()))
        );
    }
}
