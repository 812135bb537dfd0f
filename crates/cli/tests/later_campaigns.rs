//! ProxyShell, ProxyNotShell and OWASSRF in Exchange's own HttpProxy logs
//! (issue 12, items 1 to 3): found in every protocol folder, attributed to
//! the campaign the row's evidence supports, one finding per row, and a
//! refused request is an attempt. Through the real binary on generated
//! logs laid out like a server.

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Protocol, Row, Traffic};
use exhunt_testgen::{SplitMix64, Time};
use serde_json::Value;
use std::collections::BTreeMap;
use tempfile::TempDir;

const HOUR: Time = Time::utc(2022, 10, 3, 6, 0, 0);
const IP: &str = "198.51.100.23";

const PROXYSHELL: [&str; 3] = ["CVE-2021-31207", "CVE-2021-34473", "CVE-2021-34523"];

/// An hour of benign traffic in the Autodiscover, PowerShell and Owa
/// folders, with `extra` rows mixed into their protocol's log.
fn tree(extra: Vec<(Protocol, Row)>) -> TempDir {
    let dir = TempDir::new().unwrap();
    let mut traffic = Traffic::new(11);
    let mut by: BTreeMap<&str, Vec<Row>> = BTreeMap::new();
    for p in [Protocol::Autodiscover, Protocol::PowerShell, Protocol::Owa] {
        by.insert(p.name(), traffic.hour(p, HOUR, 400));
    }
    for (p, r) in extra {
        let rows = by.get_mut(p.name()).unwrap();
        let at = rows.len() / 2;
        rows.insert(at, r);
    }
    for (name, rows) in by {
        put(
            dir.path(),
            &httpproxy_rel(name, "2022100306"),
            &httpproxy::render(Format::Both, HOUR, &rows),
        );
    }
    dir
}

fn rng() -> SplitMix64 {
    SplitMix64::new(5)
}

/// A finding's CVEs, sorted.
fn cves(f: &Value) -> Vec<&str> {
    let mut v: Vec<&str> = f["cves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn proxyshell_only_in_the_httpproxy_logs_is_exploited() {
    let rows = attack::proxyshell(&mut rng(), IP, HOUR.plus_secs(1200), 200);
    let r = scan(&[tree(rows).path()]);
    assert!(
        matches!(r.verdict(), "exploited" | "compromised"),
        "{:#?}",
        r.findings()
    );
    // Three rows, three findings: the Autodiscover ones read by the
    // ProxyShell web rule, the PowerShell one by its token.
    let mine: Vec<&Value> = r
        .findings()
        .iter()
        .filter(|f| f["evidence"]["ClientIpAddress"] == IP)
        .collect();
    assert_eq!(mine.len(), 3, "{mine:#?}");
    for f in &mine {
        assert_eq!(f["verdict"], "exploited", "{f:#}");
        assert_eq!(cves(f), PROXYSHELL, "{f:#}");
        assert!(f["path"].as_str().unwrap().contains("HttpProxy"));
    }
    let auto: Vec<_> = mine
        .iter()
        .filter(|f| f["path"].as_str().unwrap().contains("/Autodiscover/"))
        .collect();
    assert_eq!(auto.len(), 2);
    for f in &auto {
        assert!(rules_of(f).any(|x| x == "proxyshell-iis-success"), "{f:#}");
    }
    // The row with the forged token is one finding listing both rules.
    assert!(auto.iter().any(|f| {
        let rs: Vec<&str> = rules_of(f).collect();
        rs.contains(&"proxyshell-rps-cat") && rs.contains(&"proxyshell-iis-success")
    }));
    let ps: Vec<_> = mine
        .iter()
        .filter(|f| f["path"].as_str().unwrap().contains("/PowerShell/"))
        .collect();
    assert_eq!(ps.len(), 1);
    assert!(
        rules_of(ps[0]).any(|x| x == "proxyshell-rps-cat"),
        "{:#}",
        ps[0]
    );
    // Evidence is the row's useful columns, not its latency counters.
    assert_eq!(ps[0]["evidence"]["UrlStem"], "/powershell");
    assert!(ps[0]["evidence"].get("HttpPipelineLatency").is_none());
    // Nothing of ProxyNotShell is claimed: no account was used.
    assert!(r.rule("proxynotshell-iis-powershell").is_empty());
}

#[test]
fn refused_proxyshell_is_an_attempt() {
    let rows = attack::proxyshell(&mut rng(), IP, HOUR.plus_secs(1200), 401);
    let r = scan(&[tree(rows).path()]);
    assert_eq!(r.verdict(), "attempted", "{:#?}", r.findings());
    let mine: Vec<&Value> = r
        .findings()
        .iter()
        .filter(|f| f["evidence"]["ClientIpAddress"] == IP)
        .collect();
    assert_eq!(mine.len(), 3);
    for f in mine {
        assert_eq!(f["kind"], "attempt", "{f:#}");
        assert_ne!(f["severity"], "critical");
        assert_ne!(f["severity"], "high");
    }
    // A 500 as well (any 4xx or 5xx).
    let rows = attack::proxyshell(&mut rng(), IP, HOUR.plus_secs(1200), 500);
    assert_eq!(scan(&[tree(rows).path()]).verdict(), "attempted");
}

#[test]
fn proxynotshell_is_a_signed_in_user_and_attributed_so() {
    let row = attack::proxynotshell(&mut rng(), IP, HOUR.plus_secs(900), "CONTOSO\\bob", 200);
    let r = scan(&[tree(vec![(Protocol::Autodiscover, row)]).path()]);
    assert_eq!(r.verdict(), "exploited", "{:#?}", r.findings());
    let f = r.rule("proxynotshell-iis-powershell");
    assert_eq!(f.len(), 1);
    assert_eq!(cves(f[0]), ["CVE-2022-41040", "CVE-2022-41082"]);
    assert_eq!(f[0]["evidence"]["AuthenticatedUser"], "CONTOSO\\bob");
    // Not ProxyShell: a user was signed in and no token was forged.
    assert!(r.rule("proxyshell-iis-success").is_empty());
    // The same request without a user is ProxyShell's, not ProxyNotShell's.
    let row = attack::proxynotshell(&mut rng(), IP, HOUR.plus_secs(900), "", 200);
    let r = scan(&[tree(vec![(Protocol::Autodiscover, row)]).path()]);
    assert!(r.rule("proxynotshell-iis-powershell").is_empty());
    assert_eq!(cves(r.rule("proxyshell-iis-success")[0]), PROXYSHELL);
    // Refused: an attempt.
    let row = attack::proxynotshell(&mut rng(), IP, HOUR.plus_secs(900), "CONTOSO\\bob", 403);
    let r = scan(&[tree(vec![(Protocol::Autodiscover, row)]).path()]);
    assert_eq!(r.verdict(), "attempted");
}

#[test]
fn owassrf_through_owa_is_found_in_the_owa_log() {
    let row = attack::owassrf(&mut rng(), IP, HOUR.plus_secs(600), "CONTOSO\\carol", 200);
    let r = scan(&[tree(vec![(Protocol::Owa, row)]).path()]);
    assert_eq!(r.verdict(), "exploited", "{:#?}", r.findings());
    let f = r.rule("owassrf-iis-powershell");
    assert_eq!(f.len(), 1);
    assert_eq!(cves(f[0]), ["CVE-2022-41080", "CVE-2022-41082"]);
    assert!(f[0]["path"].as_str().unwrap().contains("/Owa/"));
    let row = attack::owassrf(&mut rng(), IP, HOUR.plus_secs(600), "CONTOSO\\carol", 500);
    let r = scan(&[tree(vec![(Protocol::Owa, row)]).path()]);
    assert_eq!(r.verdict(), "attempted");
}

#[test]
fn any_case_of_the_path_is_found() {
    let mut rows = attack::proxyshell(&mut rng(), IP, HOUR.plus_secs(1200), 200);
    rows.truncate(1);
    let stem = &mut rows[0].1.url_stem;
    *stem = "/AutoDiscover/AUTODISCOVER.Json".to_string();
    let r = scan(&[tree(rows).path()]);
    assert_eq!(r.verdict(), "exploited", "{:#?}", r.findings());
    assert_eq!(r.rule("proxyshell-iis-success").len(), 1);
}

#[test]
fn benign_autodiscover_powershell_and_owa_traffic_is_quiet() {
    let r = scan(&[tree(Vec::new()).path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    assert!(r.findings().is_empty());
}
