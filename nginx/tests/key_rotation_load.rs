//! Keys rotated at the origin under load, without a reload: `wrk` sends requests for 60 s while
//! the origin brings in a new key every 10 s and retires the one before, the way an identity
//! provider rotates (publish a key before it signs, retire it after its tokens are gone). wrk
//! always sends a token of the key in use; every response must be 200.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tollgate_nginx_tests::*;

const SECONDS: u64 = 60;
const PERIOD: u64 = 10;

/// Key `k` signs from `t0 + PERIOD * k` for PERIOD seconds; it is published from half a period
/// before that until half a period after.
fn published(t0: u64, now: u64) -> Vec<String> {
    let keys = SECONDS / PERIOD + 1;
    (0..=keys)
        .filter(|k| {
            let start = (t0 + PERIOD * k).saturating_sub(PERIOD / 2);
            let end = t0 + PERIOD * (k + 1) + PERIOD / 2;
            (start..end).contains(&now)
        })
        .map(|k| format!("rot{k}"))
        .collect()
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn sixty_seconds_of_wrk_while_the_origin_rotates_keys_every_ten_seconds() {
    let Some((module, nginx)) = nginx_and_module() else {
        return;
    };
    if Command::new("wrk").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI needs wrk");
        eprintln!("skipping: wrk is not installed");
        return;
    }
    let t0 = unix_seconds() + 3;
    let kids = |now| published(t0, now);
    let origin = Origin::start(&rotating_jwks(
        &kids(unix_seconds())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    let server = format!(
        "auth_jwt \"api\"; auth_jwt_key_request /_jwks; auth_jwt_issuer {ISSUER};\n\
         auth_jwt_audience api://items; auth_jwt_type at+jwt;\n\
         auth_jwt_key_cache 2s; auth_jwt_key_refresh_interval 1s;\n\
         location = /_jwks {{ internal; proxy_pass {url}; proxy_read_timeout 5s; }}\n\
         location / {{ root {{dir}}; }}",
        url = origin.url()
    );
    let mut gw = Gateway::configure(&module, &nginx, "rotation-load", &server).with_workers(2);
    std::fs::write(gw.dir.join("items"), "ok\n").unwrap();
    gw.start();

    // wrk picks the token of the key in use from the wall clock, as clients of a rotating
    // issuer get theirs.
    let tokens: Vec<String> = (0..=SECONDS / PERIOD + 1)
        .map(|k| format!("[{k}] = \"{}\"", rotating_token(&format!("rot{k}"))))
        .collect();
    let script = gw.dir.join("rotation.lua");
    std::fs::write(
        &script,
        format!(
            "local t0 = {t0}\nlocal tokens = {{ {} }}\n\
             request = function()\n\
               local k = math.floor((os.time() - t0) / {PERIOD})\n\
               if k < 0 then k = 0 end\n\
               if k > {last} then k = {last} end\n\
               return wrk.format(\"GET\", \"/items\", {{ [\"Authorization\"] = \"Bearer \" .. tokens[k] }})\n\
             end\n",
            tokens.join(", "),
            last = SECONDS / PERIOD + 1,
        ),
    )
    .unwrap();
    while unix_seconds() < t0 {
        std::thread::sleep(Duration::from_millis(50));
    }

    let wrk = std::thread::spawn({
        let (script, url) = (script.clone(), gw.url("/"));
        move || {
            Command::new("wrk")
                .args([
                    "-t2",
                    "-c8",
                    &format!("-d{SECONDS}s"),
                    "--timeout",
                    "30s",
                    "-s",
                ])
                .arg(&script)
                .arg(url)
                .output()
                .unwrap()
        }
    });
    // The origin follows the schedule; a key a second into its use must verify.
    let started = Instant::now();
    let mut last = Vec::new();
    while started.elapsed() < Duration::from_secs(SECONDS) {
        let now = unix_seconds();
        let set = kids(now);
        if set != last {
            origin.set_jwks(&rotating_jwks(
                &set.iter().map(String::as_str).collect::<Vec<_>>(),
            ));
            last = set;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = wrk.join().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wrk: {report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests: u64 = report
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .map(|(n, _)| n.trim().parse().unwrap())
        })
        .expect("wrk's request count");
    assert!(
        !report.contains("Non-2xx or 3xx responses") && !report.contains("Socket errors"),
        "unexpected statuses or errors under rotation:\n{report}\n{}",
        gw.error_log()
    );
    assert!(requests > 1000, "too little load: {report}");
    // The first set, then a new key every period (the last retirement comes with it).
    let changes = gw.error_log().matches("the key set changed").count();
    assert!(
        changes > (SECONDS / PERIOD) as usize,
        "the gateway saw the key set change {changes} times:\n{report}"
    );
    assert!(!gw.error_log().contains("reconfiguring"), "no reload");
    eprintln!(
        "{report}fetches: {}, changes seen: {changes}",
        origin.fetches()
    );
}
