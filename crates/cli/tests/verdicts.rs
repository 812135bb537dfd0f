//! Verdicts that never overclaim (issue 14, items 1 to 3), through the
//! real binary: nothing to judge and logs that could not see the attack are
//! `inconclusive` (exit 5), not `clean`; the exposure headline stands beside
//! the verdict (`EXPOSED`, `PATCHED`, `BUILD UNKNOWN`).

mod common;

use common::*;
use exhunt_testgen::httpproxy::{HttpProxyWriter, Layout, Protocol, Traffic};
use exhunt_testgen::Time;
use tempfile::TempDir;

/// A day of benign ECP traffic written by `build` (`None`: no `#Version`
/// directive, so no build can be read).
fn day(at: Time, build: Option<&str>) -> TempDir {
    let dir = TempDir::new().unwrap();
    let mut layout = Layout::default();
    match build {
        Some(b) => layout.version = b.to_string(),
        None => layout.directives = false,
    }
    let mut traffic = Traffic::new(21);
    let mut w = HttpProxyWriter::with_layout(Vec::new(), &layout, at).unwrap();
    for h in 0..24 {
        for row in traffic.hour(Protocol::Ecp, at.plus_secs(h * 3600), 50) {
            w.write_row(&row).unwrap();
        }
    }
    let stamp = at.iso()[..10].replace('-', "");
    put(
        dir.path(),
        &httpproxy_rel("Ecp", &format!("{stamp}00")),
        &w.finish().unwrap(),
    );
    dir
}

#[test]
fn a_february_2021_day_on_a_proxylogon_build_is_inconclusive_and_exposed() {
    let dir = day(Time::utc(2021, 2, 1, 0, 0, 0), Some("15.01.2106.002"));
    let r = scan(&[dir.path()]);
    assert_eq!(
        r.verdict(),
        "inconclusive",
        "{:#}",
        r.report["why_inconclusive"]
    );
    assert_eq!(r.code, 5);
    assert!(r.findings().is_empty(), "{:#?}", r.findings());
    let why = r.report["why_inconclusive"][0].as_str().unwrap();
    assert!(why.starts_with("The logs start on 2021-02-01"), "{why}");
    assert!(
        why.contains("ProxyLogon (exploited since 2021-01-06)"),
        "{why}"
    );
    let e = &r.report["exposure"];
    assert_eq!(e["state"], "exposed", "{e:#}");
    assert!(e["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "ProxyLogon"));
    assert!(e["summary"]
        .as_str()
        .unwrap()
        .starts_with("EXPOSED: build 15.1.2106.2"));
    // The text report: the verdict, why, and the exposure headline first.
    let out = exhunt().arg("scan").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let text = String::from_utf8(out.stdout).unwrap();
    let head: Vec<&str> = text.lines().take(8).collect();
    assert!(head.contains(&"VERDICT: INCONCLUSIVE"), "{text}");
    assert!(
        head.iter()
            .any(|l| l.contains("The logs start on 2021-02-01")),
        "{text}"
    );
    assert!(
        head.iter()
            .any(|l| l.starts_with("EXPOSED: build 15.1.2106.2")),
        "{text}"
    );
}

#[test]
fn logs_that_reach_back_before_the_campaigns_can_be_clean() {
    let dir = day(Time::utc(2020, 12, 20, 0, 0, 0), Some("15.01.2106.002"));
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "clean", "{:#}", r.report["why_inconclusive"]);
    assert_eq!(r.code, 0);
    assert!(r.report["why_inconclusive"].as_array().unwrap().is_empty());
    // Still exposed: the headline says so, the verdict does not move.
    assert_eq!(r.report["exposure"]["state"], "exposed");
}

#[test]
fn a_patched_build_leaves_no_window_and_no_build_says_build_unknown() {
    // Exchange 2019 CU12 Nov22SU: no open CVE in the reference data.
    let dir = day(Time::utc(2023, 6, 1, 0, 0, 0), Some("15.02.1118.020"));
    let r = scan(&[dir.path()]);
    assert_eq!(
        r.report["exposure"]["state"], "patched",
        "{:#}",
        r.report["patch"]
    );
    assert_eq!(r.verdict(), "clean", "{:#}", r.report["why_inconclusive"]);
    assert!(r.report["exposure"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("PATCHED: build 15.2.1118.20"));
    let dir = day(Time::utc(2023, 6, 1, 0, 0, 0), None);
    let r = scan(&[dir.path()]);
    assert!(r.report["patch"].is_null());
    assert_eq!(r.report["exposure"]["state"], "unknown");
    assert!(r.report["exposure"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("BUILD UNKNOWN"));
    // Without a build, a window cannot be told: the logs were read, clean.
    assert_eq!(r.verdict(), "clean");
}
