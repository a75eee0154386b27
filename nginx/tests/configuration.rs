//! Configuration is refused, never weakened: `nginx -t` fails on a value that would truncate,
//! wrap or switch a check off, naming the directive. And a configuration costs memory for what
//! it uses: identical policies share one verifier, and token caches live in the workers.

use tollgate_nginx_tests::*;

/// `nginx -t` of a server with the key file in place.
fn test_server(name: &str, server: &str) -> Option<(bool, String)> {
    let (module, nginx) = nginx_and_module()?;
    let gw = Gateway::configure(&module, &nginx, name, server);
    std::fs::write(gw.dir.join("jwks.json"), jwks_of(&["k1"])).unwrap();
    Some(gw.test_config())
}

const KEYS: &str = "auth_jwt \"api\"; auth_jwt_key_file {dir}/jwks.json;";

#[test]
fn nginx_t_refuses_a_leeway_over_the_limit_even_one_that_would_wrap() {
    for leeway in [
        "301s",
        "1h",
        "4294967326s",
        "4294967596s",
        "68y",
        "9223372036854775807s",
    ] {
        let server = format!("{KEYS} auth_jwt_leeway {leeway}; location / {{ return 204; }}");
        let Some((ok, said)) = test_server("leeway", &server) else {
            return;
        };
        assert!(!ok, "auth_jwt_leeway {leeway} was accepted");
        assert!(said.contains("auth_jwt_leeway"), "{leeway}: {said}");
    }
    for leeway in ["0", "300s", "5m"] {
        let server = format!("{KEYS} auth_jwt_leeway {leeway}; location / {{ return 204; }}");
        let (ok, said) = test_server("leeway", &server).unwrap();
        assert!(ok, "auth_jwt_leeway {leeway}: {said}");
    }
}

#[test]
fn nginx_t_refuses_empty_policy_values_naming_the_directive() {
    for directive in [
        "auth_jwt_issuer",
        "auth_jwt_type",
        "auth_jwt_audience",
        "auth_jwt_require_scope",
    ] {
        // Also where no location turns auth_jwt on: a bad value is bad wherever it is.
        for server in [
            format!("{KEYS} {directive} \"\"; location / {{ return 204; }}"),
            format!("{directive} \"\"; location / {{ return 204; }}"),
            format!("{KEYS} location / {{ {directive} \"\"; return 204; }}"),
        ] {
            let Some((ok, said)) = test_server("empty", &server) else {
                return;
            };
            assert!(!ok, "{server} was accepted");
            assert!(said.contains(directive), "{server}: {said}");
        }
    }
}

#[test]
fn nginx_t_refuses_policy_values_the_verifier_would_refuse_at_their_line() {
    for (server, expected) in [
        (
            format!(
                "auth_jwt_issuer {}; location / {{ return 204; }}",
                "i".repeat(300)
            ),
            "auth_jwt_issuer",
        ),
        (
            "auth_jwt_require_scope \"two words\"; location / { return 204; }".to_string(),
            "auth_jwt_require_scope",
        ),
        (
            "auth_jwt_issuer a; auth_jwt_issuer b; location / { return 204; }".to_string(),
            "is duplicate",
        ),
        (
            "auth_jwt_key_file {dir}/jwks.json; auth_jwt \"x\" token=$jwt_claim_sub;\n\
             location / { return 204; }"
                .to_string(),
            "token=",
        ),
    ] {
        let Some((ok, said)) = test_server("values", &server) else {
            return;
        };
        assert!(!ok, "{server} was accepted");
        assert!(said.contains(expected), "{server}: {said}");
    }
}

/// An http-level policy and `servers` server blocks, each with a location.
fn many_servers(policy: &str, servers: usize) -> String {
    let mut http = policy.to_string();
    for i in 0..servers {
        http.push_str(&format!(
            "server {{ listen 127.0.0.1:{{port}}; server_name s{i}.example;\n\
             location / {{ return 204; }} location /api/ {{ return 204; }} }}\n"
        ));
    }
    http
}

#[test]
fn two_hundred_servers_under_an_http_level_policy_cost_a_few_megabytes() {
    // Before: every server built its own verifier and filled its cache while the configuration
    // was read (`nginx -t` took 60 MB at 16 slots, 751 MB at 256). Now one verifier serves them
    // all and no cache exists until a worker needs one, so even the largest cache costs nothing
    // here. The running master has done what `nginx -t` does: read the configuration.
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    let peak = |name: &str, policy: &str| {
        let mut gw = Gateway::configure(&module, &nginx, name, "location / { return 204; }")
            .with_http(&many_servers(policy, 200));
        std::fs::write(gw.dir.join("jwks.json"), jwks_of(&["k1", "k2"])).unwrap();
        let (ok, said) = gw.test_config();
        assert!(ok, "{name}: {said}");
        gw.start();
        gw.master_peak_rss()
    };
    let without = peak("rss-none", "");
    for (name, policy) in [
        (
            "rss-default",
            format!("{KEYS} auth_jwt_audience api://items;"),
        ),
        (
            "rss-4096",
            format!("{KEYS} auth_jwt_audience api://items; auth_jwt_cache 4096;"),
        ),
    ] {
        let with = peak(name, &policy);
        eprintln!(
            "200 servers: the master peaks at {without} KiB without auth_jwt, {with} KiB {name}"
        );
        assert!(
            with < without + 4096,
            "{name}: {with} KiB against {without} KiB without auth_jwt"
        );
    }
}
