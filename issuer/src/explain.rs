//! Why `tollgate verify` rejected a token, said in terms of the token and the flags.
//!
//! The core reports one `Error`; the claims it concerns are read back from the token here. For
//! every policy error the signature has already verified, so these are the signed claims. Every
//! value from the token is shown escaped (`{:?}`) and cut short: it is attacker-chosen text on
//! a terminal.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use tollgate::{Algorithm, Error, LoadReport};

/// The policy as given on the command line.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub issuer: Option<String>,
    pub audiences: Vec<String>,
    pub any_audience: bool,
    pub typ: Option<String>,
    pub scopes: Vec<String>,
    pub required_claims: Vec<String>,
    pub leeway: u32,
    pub now: i64,
}

/// JSON text for a terminal: C0 and C1 controls, DEL and the invisible or bidi format
/// characters become `\uXXXX` escapes. None of them can stand outside a JSON string (JSON's
/// whitespace is space, tab, LF and CR, which stay), so the JSON reads back the same.
pub fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let unsafe_char = match c {
            '\t' | '\n' | '\r' => false,
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
            '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' => true,
            '\u{2060}'..='\u{2069}' | '\u{feff}' => true,
            _ => false,
        };
        if unsafe_char {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Removes a pasted `Bearer ` prefix (RFC 6750 §2.1), in any case.
pub fn strip_bearer(token: &str) -> &str {
    let token = token.trim();
    match token.split_once(|c: char| c.is_ascii_whitespace()) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_start(),
        _ => token,
    }
}

/// The decoded header and claims, without any check; `None` when they are not JSON objects.
pub fn decode_unverified(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let mut part = || -> Option<Value> {
        let bytes = Base64UrlUnpadded::decode_vec(parts.next()?).ok()?;
        let value: Value = serde_json::from_slice(&bytes).ok()?;
        value.is_object().then_some(value)
    };
    Some((part()?, part()?))
}

/// The audiences a token names (`aud` as a string or an array of strings).
pub fn audiences(claims: &Value) -> Vec<&str> {
    match &claims["aud"] {
        Value::String(a) => vec![a.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A sentence explaining `error` for this token and these flags, when there is more to say than
/// the error's description. `keys` lists the JWKS's keys as `(alg, kid)`.
pub fn explain(
    error: Error,
    token: &str,
    flags: &Flags,
    keys: &[(String, Option<String>)],
) -> Option<String> {
    let (header, claims) = decode_unverified(token)?;
    let number = |name: &str| claims[name].as_i64();
    match error {
        Error::Expired => {
            let exp = number("exp")?;
            Some(format!(
                "it expired at {} ({} seconds ago{})",
                rfc3339(exp),
                flags.now.saturating_sub(exp),
                leeway_note(flags.leeway),
            ))
        }
        Error::NotYetValid => {
            let nbf = number("nbf")?;
            Some(format!(
                "it is valid from {} (in {} seconds{})",
                rfc3339(nbf),
                nbf.saturating_sub(flags.now),
                leeway_note(flags.leeway),
            ))
        }
        Error::IssuedInFuture => {
            let iat = number("iat")?;
            Some(format!(
                "it was issued at {}, {} seconds from now; if the clocks differ, allow for it with --leeway",
                rfc3339(iat),
                iat.saturating_sub(flags.now),
            ))
        }
        Error::InvalidAudience => {
            let token_audiences = audiences(&claims);
            Some(
                match (token_audiences.first(), flags.audiences.is_empty()) {
                    (None, _) => format!(
                        "the token names no audience (aud) and {} is required",
                        shown_list(&flags.audiences)
                    ),
                    (Some(first), true) => format!(
                        "the token is for {}; accept it with --audience {}, or skip the audience check with --any-audience",
                        shown_list(&token_audiences),
                        shown(first)
                    ),
                    (Some(_), false) => format!(
                        "the token is for {}, not {} (--audience)",
                        shown_list(&token_audiences),
                        shown_list(&flags.audiences)
                    ),
                },
            )
        }
        Error::InsufficientScope => {
            let granted: Vec<&str> = claims["scope"]
                .as_str()
                .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            let missing: Vec<&String> = flags
                .scopes
                .iter()
                .filter(|s| !granted.contains(&s.as_str()))
                .collect();
            Some(format!(
                "missing scope {}; the token has {}",
                shown_list(&missing),
                if granted.is_empty() {
                    "no scope".to_string()
                } else {
                    shown_list(&granted)
                }
            ))
        }
        Error::InvalidIssuer => Some(match claims["iss"].as_str() {
            Some(iss) => format!(
                "the token's issuer is {}, not {} (--issuer)",
                shown(iss),
                shown(flags.issuer.as_deref().unwrap_or(""))
            ),
            None => "the token has no issuer (iss)".into(),
        }),
        Error::InvalidType => Some(match header["typ"].as_str() {
            Some(typ) => format!(
                "the token's type is {}, not {} (--type)",
                shown(typ),
                shown(flags.typ.as_deref().unwrap_or(""))
            ),
            None => "the token's header has no typ".into(),
        }),
        Error::MissingClaim => {
            let missing: Vec<&str> = std::iter::once("exp")
                .chain(flags.required_claims.iter().map(String::as_str))
                .filter(|name| claims[*name].is_null())
                .collect();
            Some(format!("missing {}", shown_list(&missing)))
        }
        Error::UnknownKey => {
            let kid = header["kid"].as_str();
            let alg = header["alg"].as_str().unwrap_or("");
            let named = kid.map_or("no kid".to_string(), |k| format!("kid {}", shown(k)));
            let known: Vec<String> = keys
                .iter()
                .map(|(alg, kid)| match kid {
                    Some(kid) => format!("{} ({alg})", shown(kid)),
                    None => format!("a key without kid ({alg})"),
                })
                .collect();
            let mut why = format!(
                "the token names {named} and alg {}; the JWKS has {}",
                shown(alg),
                if known.is_empty() {
                    "no key".into()
                } else {
                    known.join(", ")
                }
            );
            // The same kid under another algorithm: a relabelled or confused token, or a key
            // published without the `alg` the token needs.
            let bound: Vec<&str> = keys
                .iter()
                .filter(|(_, k)| k.as_deref() == kid && kid.is_some())
                .map(|(a, _)| a.as_str())
                .collect();
            if !bound.is_empty() {
                why.push_str(&format!(
                    "; that key is bound to {} only (one key, one algorithm: its JWK's alg, or \
                     without one its type's usual algorithm), so it never verifies {}",
                    bound.join(", "),
                    shown(alg)
                ));
            }
            Some(why)
        }
        Error::BadSignature => {
            let kid = header["kid"].as_str();
            let alg = header["alg"].as_str().unwrap_or("");
            Some(match kid {
                Some(kid) => format!(
                    "the {} signature does not verify with the key {}",
                    shown(alg),
                    shown(kid)
                ),
                None => format!(
                    "the {} signature verifies with no {} key without kid",
                    shown(alg),
                    shown(alg)
                ),
            })
        }
        Error::UnsupportedAlgorithm => {
            let enabled: Vec<&str> = Algorithm::ALL
                .iter()
                .filter(|a| a.is_enabled())
                .map(|a| a.as_str())
                .collect();
            Some(format!(
                "the token's alg is {}; this build verifies {}",
                shown(header["alg"].as_str().unwrap_or("")),
                enabled.join(", ")
            ))
        }
        _ => None,
    }
}

/// What can be said of `keys[index]` of a JWKS without showing key material: its `kid`, `kty`,
/// `crv` and `alg`, escaped.
pub fn describe_jwk(jwks: &[u8], index: u16) -> String {
    let entry = serde_json::from_slice::<Value>(jwks)
        .ok()
        .and_then(|doc| doc["keys"].get(usize::from(index)).cloned())
        .unwrap_or(Value::Null);
    let labels: Vec<String> = ["kid", "kty", "crv", "alg", "use"]
        .iter()
        .filter_map(|name| Some(format!("{name} {}", shown(entry[*name].as_str()?))))
        .collect();
    if labels.is_empty() {
        format!("keys[{index}]")
    } else {
        format!("keys[{index}] ({})", labels.join(", "))
    }
}

/// One line per key the load skipped, with why (RFC 7517 §5 asks verifiers to skip what they
/// cannot use; a skipped key still deserves a word: it may be the one a token names).
pub fn skipped_keys(jwks: &[u8], report: &LoadReport) -> Vec<String> {
    let mut lines: Vec<String> = report
        .skipped_keys()
        .map(|s| {
            format!(
                "{} skipped: {} ({})",
                describe_jwk(jwks, s.key_index),
                s.reason.description(),
                s.reason.name()
            )
        })
        .collect();
    let unlisted = usize::from(report.skipped).saturating_sub(lines.len());
    if unlisted > 0 {
        lines.push(format!("{unlisted} more key(s) skipped"));
    }
    lines
}

fn leeway_note(leeway: u32) -> String {
    if leeway == 0 {
        String::new()
    } else {
        format!(", beyond the {leeway} s leeway")
    }
}

/// Token text for a terminal: escaped, and cut to 100 characters.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(100).collect();
    if cut.len() < text.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

fn shown_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .take(8)
        .map(|s| shown(s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unix seconds as an RFC 3339 UTC timestamp (proleptic Gregorian, any year).
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.sig",
            Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
            Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
        )
    }

    fn at(claims: Value) -> String {
        token(
            json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "k1"}),
            claims,
        )
    }

    #[test]
    fn rfc3339_formats_unix_seconds_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn a_bearer_prefix_is_removed() {
        assert_eq!(strip_bearer("Bearer a.b.c"), "a.b.c");
        assert_eq!(strip_bearer("  bearer\ta.b.c\n"), "a.b.c");
        assert_eq!(strip_bearer("a.b.c"), "a.b.c");
    }

    #[test]
    fn an_expired_token_says_when_and_how_long_ago() {
        let flags = Flags {
            now: 1_800_000_090,
            ..Flags::default()
        };
        let why = explain(
            Error::Expired,
            &at(json!({"exp": 1_800_000_000})),
            &flags,
            &[],
        );
        assert_eq!(
            why.as_deref(),
            Some("it expired at 2027-01-15T08:00:00Z (90 seconds ago)")
        );
    }

    #[test]
    fn an_audience_without_the_flag_names_the_flag() {
        let why = explain(
            Error::InvalidAudience,
            &at(json!({"aud": "api://items"})),
            &Flags::default(),
            &[],
        )
        .unwrap();
        assert!(why.contains("--audience \"api://items\""), "{why}");
        assert!(why.contains("--any-audience"), "{why}");
    }

    #[test]
    fn a_missing_scope_is_named() {
        let flags = Flags {
            scopes: vec!["items:read".into(), "items:write".into()],
            ..Flags::default()
        };
        let why = explain(
            Error::InsufficientScope,
            &at(json!({"scope": "items:read"})),
            &flags,
            &[],
        );
        assert_eq!(
            why.as_deref(),
            Some("missing scope \"items:write\"; the token has \"items:read\"")
        );
    }

    #[test]
    fn token_text_is_escaped_for_the_terminal() {
        let why = explain(
            Error::InvalidIssuer,
            &at(json!({"iss": "evil\u{1b}[2J\u{9b}"})),
            &Flags {
                issuer: Some("https://i".into()),
                ..Flags::default()
            },
            &[],
        )
        .unwrap();
        assert!(
            !why.contains('\u{1b}') && !why.contains('\u{9b}'),
            "{why:?}"
        );
    }

    #[test]
    fn an_unknown_key_lists_the_keys_there_are() {
        let why = explain(
            Error::UnknownKey,
            &at(json!({})),
            &Flags::default(),
            &[("EdDSA".into(), Some("k2".into()))],
        );
        assert_eq!(
            why.as_deref(),
            Some("the token names kid \"k1\" and alg \"EdDSA\"; the JWKS has \"k2\" (EdDSA)")
        );
    }
}
