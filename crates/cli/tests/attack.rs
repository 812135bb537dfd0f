//! MITRE ATT&CK technique ids on findings (issue 14, item 10), through the
//! real binary: the built-in rules' own, a user's Sigma rule's tags, in the
//! JSON report and the timeline.

mod common;

use common::*;
use exhunt_testgen::tree;
use serde_json::Value;
use tempfile::TempDir;

fn ids(f: &Value) -> Vec<&str> {
    f["attack"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

fn is_technique(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 5
        && b[0] == b'T'
        && b[1..5].iter().all(u8::is_ascii_digit)
        && (b.len() == 5 || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

#[test]
fn every_finding_of_the_example_names_its_techniques() {
    let dir = TempDir::new().unwrap();
    tree::write_example(dir.path()).unwrap();
    let r = scan(&[dir.path()]);
    assert!(!r.findings().is_empty());
    for f in r.findings() {
        let t = ids(f);
        assert!(!t.is_empty(), "no technique: {f:#}");
        assert!(t.iter().all(|t| is_technique(t)), "{t:?}");
    }
    let of = |rule: &str| -> Vec<&str> {
        r.findings()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(ids)
            .unwrap_or_else(|| panic!("no {rule} finding"))
    };
    assert_eq!(of("proxylogon-ssrf-26855"), ["T1190"]);
    assert_eq!(of("lsass-dump"), ["T1003.001"]);
    assert_eq!(of("webshell-aspnet-client"), ["T1505.003"]);
}

#[test]
fn a_users_sigma_tags_are_the_findings_techniques_in_json_and_timeline() {
    let dir = TempDir::new().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("wmi.yml"),
        "title: odd page asked for\nid: 0b7c1f5e-1f6e-4c43-9a57-8d1f4a0e2a22\ntags:\n  - attack.execution\n  - attack.t1047\n  - cve.2021-26855\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-stem|contains: exhunt-attack-marker\n  condition: sel\nlevel: high\n",
    )
    .unwrap();
    let ev = dir.path().join("ev");
    put(
        &ev,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        b"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n2021-03-03 06:00:00 10.0.0.1 GET /owa/exhunt-attack-marker.js - 443 - 203.0.113.5 curl - 200 0 0 5\r\n",
    );
    let r = run_json(&[
        "scan",
        ev.to_str().unwrap(),
        "--sigma",
        rules.to_str().unwrap(),
    ]);
    let f = r
        .findings()
        .iter()
        .find(|f| f["title"] == "odd page asked for")
        .unwrap_or_else(|| panic!("{:#?}", r.findings()));
    assert_eq!(ids(f), ["T1047"]);
    let out = exhunt()
        .args([
            "scan",
            ev.to_str().unwrap(),
            "--sigma",
            rules.to_str().unwrap(),
        ])
        .args(["--format", "timeline"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    // Added after `detail` (issue 14); `host` came after it.
    assert_eq!(headers.get(10), Some("attack"));
    let row = rdr
        .records()
        .map(|r| r.unwrap())
        .find(|r| r.get(1) == Some("finding") && r.get(8) == Some("odd page asked for"))
        .expect("the finding's row");
    assert_eq!(row.get(10), Some("T1047"));
}
