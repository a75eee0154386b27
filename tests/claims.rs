//! Reading the header and claims of a verified token.

mod support;

use support::*;
use tollgate::{Algorithm, Claims as Verified, KeySet, Kind, Scratch, Verifier};

fn verifier() -> Verifier {
    let jwks = std::fs::read(vectors_dir().join("test.jwks")).unwrap();
    let (keys, _) = KeySet::from_jwks(&jwks).unwrap();
    Verifier::new(keys, policy_from(STANDARD_POLICY))
}

fn with_claims<R>(claims: &Claims, read: impl FnOnce(Verified<'_>) -> R) -> R {
    let mut scratch = Scratch::new();
    let token = ed_token(claims);
    read(
        verifier()
            .verify(token.as_bytes(), NOW, &mut scratch)
            .unwrap(),
    )
}

#[test]
fn registered_claims_are_typed() {
    with_claims(&Claims::standard(), |c| {
        assert_eq!(c.iss(), Some(ISSUER));
        assert_eq!(c.sub(), Some("client-1"));
        assert_eq!(c.client_id(), Some("client-1"));
        assert_eq!(c.aud().collect::<Vec<_>>(), [AUDIENCE]);
        assert_eq!(c.scope(), Some("items:read items:write"));
        assert_eq!(c.jti(), Some("3f1c9a2e-7b7d-4f4e-9d43-2a1b5c6d7e8f"));
        assert_eq!(c.iat(), Some(NOW - 10));
        assert_eq!(c.exp(), Some(NOW + 290));
        assert_eq!(c.nbf(), None);
    });
}

#[test]
fn header_parameters_are_typed() {
    with_claims(&Claims::standard(), |c| {
        assert_eq!(c.alg(), Algorithm::EdDsa);
        assert_eq!(c.kid(), Some("ed1"));
        assert_eq!(c.typ(), Some("at+jwt"));
        assert_eq!(c.header("alg").unwrap().as_str(), Some("EdDSA"));
        assert_eq!(c.header("x5c"), None);
    });
}

#[test]
fn hs256_tokens_report_their_algorithm() {
    let mut scratch = Scratch::new();
    let token = hs_token(&Claims::standard());
    let c = verifier()
        .verify(token.as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert_eq!(c.alg(), Algorithm::Hs256);
    assert_eq!(c.kid(), Some("hs1"));
}

#[test]
fn scopes_are_read_one_at_a_time() {
    let claims = Claims::standard().with("scope", r#""  items:read   items:write ""#);
    with_claims(&claims, |c| {
        assert_eq!(
            c.scopes().collect::<Vec<_>>(),
            ["items:read", "items:write"]
        );
    });
}

#[test]
fn an_audience_array_is_read_unescaped() {
    let claims = Claims::standard().with("aud", r#"["api:\/\/items","caf\u00e9"]"#);
    with_claims(&claims, |c| {
        assert_eq!(c.aud().collect::<Vec<_>>(), ["api://items", "café"]);
    });
}

#[test]
fn any_claim_is_readable_by_name_as_json_and_as_text() {
    let claims = Claims::standard()
        .with("tenant", r#""acme\tcorp""#)
        .with("level", "3.5e2")
        .with("admin", "false")
        .with("cnf", r#"{"jkt":"abc"}"#)
        .with("none", "null");
    with_claims(&claims, |c| {
        let tenant = c.claim("tenant").unwrap();
        assert_eq!(tenant.kind(), Kind::String);
        assert_eq!(tenant.raw_json(), r#""acme\tcorp""#);
        assert_eq!(tenant.as_str(), Some("acme\tcorp"));
        let level = c.claim("level").unwrap();
        assert_eq!(
            (level.kind(), level.raw_json(), level.as_str()),
            (Kind::Number, "3.5e2", None)
        );
        assert_eq!(c.claim("admin").unwrap().kind(), Kind::Bool);
        assert_eq!(c.claim("cnf").unwrap().raw_json(), r#"{"jkt":"abc"}"#);
        assert_eq!(c.claim("cnf").unwrap().kind(), Kind::Object);
        assert_eq!(c.claim("none").unwrap().kind(), Kind::Null);
        assert_eq!(c.claim("absent"), None);
    });
}

#[test]
fn claim_names_are_matched_after_unescaping() {
    let claims = Claims::standard().with(r"t\u0065nant", r#""acme""#);
    with_claims(&claims, |c| {
        assert_eq!(c.claim("tenant").unwrap().as_str(), Some("acme"));
    });
}

#[test]
fn every_claim_is_listed_in_token_order() {
    with_claims(&Claims::standard(), |c| {
        let names: Vec<_> = c.iter().map(|(name, _)| name).collect();
        assert_eq!(
            names,
            [
                "iss",
                "sub",
                "aud",
                "client_id",
                "iat",
                "exp",
                "jti",
                "scope"
            ]
        );
    });
}

#[test]
fn text_joins_array_elements_with_commas() {
    let claims = Claims::standard().with("groups", r#"["a","b\/c",1,{"x":[true]}]"#);
    with_claims(&claims, |c| {
        let mut out = [0u8; 64];
        let n = c.claim("groups").unwrap().write_text(&mut out).unwrap();
        assert_eq!(
            std::str::from_utf8(&out[..n]).unwrap(),
            r#"a,b/c,1,{"x":[true]}"#
        );
    });
}

#[test]
fn text_of_scalars_is_the_value() {
    let claims = Claims::standard().with("n", "42").with("s", r#""x\"y""#);
    with_claims(&claims, |c| {
        let mut out = [0u8; 16];
        let n = c.claim("n").unwrap().write_text(&mut out).unwrap();
        assert_eq!(&out[..n], b"42");
        let n = c.claim("s").unwrap().write_text(&mut out).unwrap();
        assert_eq!(&out[..n], b"x\"y");
    });
}

#[test]
fn text_length_is_known_before_writing() {
    let claims = Claims::standard()
        .with("groups", r#"["caf\u00e9","b",{"x":1}]"#)
        .with("n", "-1.5");
    with_claims(&claims, |c| {
        for name in ["groups", "n", "sub", "aud"] {
            let claim = c.claim(name).unwrap();
            let mut out = [0u8; 64];
            assert_eq!(Some(claim.text_len()), claim.write_text(&mut out), "{name}");
        }
        assert_eq!(
            c.claim("groups").unwrap().text_len(),
            "café,b,{\"x\":1}".len()
        );
    });
}

#[test]
fn text_that_does_not_fit_is_refused() {
    let claims = Claims::standard().with("groups", r#"["alpha","beta"]"#);
    with_claims(&claims, |c| {
        let groups = c.claim("groups").unwrap();
        assert_eq!(groups.write_text(&mut [0u8; 9]), None);
        assert_eq!(groups.write_text(&mut [0u8; 10]), Some(10));
        assert_eq!(c.claim("sub").unwrap().write_text(&mut [0u8; 3]), None);
    });
}

#[test]
fn the_signed_json_is_available_verbatim() {
    let claims = Claims::standard();
    with_claims(&claims, |c| {
        assert_eq!(c.payload_json(), claims.json());
        assert_eq!(c.header_json(), ED1_HEADER);
    });
}

#[test]
fn the_scratch_hands_back_the_claims_of_its_last_verification() {
    let mut scratch = Scratch::new();
    assert!(scratch.claims().is_none());
    let token = ed_token(&Claims::standard());
    verifier()
        .verify(token.as_bytes(), NOW, &mut scratch)
        .unwrap();
    assert_eq!(scratch.claims().unwrap().sub(), Some("client-1"));
}

#[test]
fn a_reused_scratch_forgets_the_previous_token() {
    let v = verifier();
    let mut scratch = Scratch::new();
    let first = ed_token(
        &Claims::standard()
            .with("nbf", &NOW.to_string())
            .with("tenant", "\"a\""),
    );
    v.verify(first.as_bytes(), NOW, &mut scratch).unwrap();
    let second = hs_token(&Claims::standard().without("jti"));
    let c = v.verify(second.as_bytes(), NOW, &mut scratch).unwrap();
    assert_eq!((c.nbf(), c.jti(), c.claim("tenant")), (None, None, None));
}
