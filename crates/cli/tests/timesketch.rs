//! `--format timesketch` through the real binary: every line is an event
//! Timesketch's importer takes (its "Import from JSON or CSV" guide: the
//! mandatory `message`, `datetime` in ISO 8601 and `timestamp_desc`; the
//! optional `timestamp` in microseconds), on the bundled example, on the
//! example as one zip and on a clean tree; every timed finding and every
//! entry of what was taken is there, and a clean server still says it was
//! scanned.

mod common;

use common::*;
use exhunt_testgen::tree;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

/// The events, each checked against the importer's mandatory fields.
fn events(input: &Path) -> Vec<Value> {
    let out = exhunt()
        .args(["scan", "--format", "timesketch"])
        .arg(input)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut v = Vec::new();
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"));
        let m = e["message"].as_str().expect("message");
        assert!(!m.is_empty());
        let d = e["datetime"].as_str().expect("datetime");
        // ISO 8601 with microseconds and the UTC offset, as in the guide's
        // examples (2015-07-24T19:01:01+00:00).
        assert_eq!(d.len(), 32, "{d}");
        assert!(
            d.ends_with("+00:00") && &d[10..11] == "T" && &d[19..20] == ".",
            "{d}"
        );
        let ts = e["timestamp"].as_i64().expect("timestamp");
        let secs = exhunt_core::time::iso_to_seconds(d).unwrap();
        assert_eq!(ts / 1_000_000, secs, "{e}");
        assert_eq!(ts % 1_000_000, d[20..26].parse::<i64>().unwrap());
        assert!(!e["timestamp_desc"]
            .as_str()
            .expect("timestamp_desc")
            .is_empty());
        v.push(e);
    }
    v
}

fn of_type<'a>(v: &'a [Value], t: &str) -> Vec<&'a Value> {
    v.iter().filter(|e| e["data_type"] == t).collect()
}

#[test]
fn the_example_folder_and_zip_give_the_same_timeline() {
    let t = TempDir::new().unwrap();
    let dir = t.path().join("EX01");
    tree::write_example(&dir).unwrap();
    let zip = t.path().join("EX01.zip");
    tree::write_example_zip(&zip).unwrap();
    let report = scan(&[&dir]);
    let ev = events(&dir);

    // Every finding with a time (a log row or an event, or a file's
    // modification time) is an event, by its id.
    let findings = of_type(&ev, "exhunt:finding");
    let timed: Vec<&Value> = report
        .findings()
        .iter()
        .filter(|f| !f["time"].is_null() || f["evidence"].get("modified").is_some())
        .collect();
    assert_eq!(findings.len(), timed.len());
    for f in &timed {
        assert!(findings.iter().any(|e| e["exhunt_id"] == f["id"]), "{f}");
    }
    let chain = findings
        .iter()
        .find(|e| e["rule"] == "proxylogon-ssrf-26855")
        .unwrap();
    assert_eq!(chain["timestamp_desc"], "Log record time");
    assert_eq!(chain["client_ip"], tree::EXAMPLE_ATTACKER_IP);
    assert_eq!(chain["hostname"], "EX01");
    assert!(chain["message"]
        .as_str()
        .unwrap()
        .starts_with("[CRITICAL] "));
    // What was taken, at its first access.
    let taken = of_type(&ev, "exhunt:taken");
    assert!(taken
        .iter()
        .any(|e| e["how"] == "ssrf-ews" && e["timestamp_desc"] == "First access"));
    // The verdict, at the newest log record read.
    let verdict = of_type(&ev, "exhunt:verdict");
    assert_eq!(verdict.len(), 1);
    assert_eq!(verdict[0]["verdict"], "compromised");

    // The zip gives the same events, its paths inside it.
    let from_zip = events(&zip);
    assert_eq!(from_zip.len(), ev.len());
    let strip = |v: &[Value]| -> Vec<(String, String)> {
        let mut k: Vec<(String, String)> = v
            .iter()
            .map(|e| {
                (
                    e["datetime"].as_str().unwrap().to_string(),
                    e["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        k.sort();
        k
    };
    let (a, b) = (strip(&ev), strip(&from_zip));
    // File times inside a zip are the zip's (two-second steps): compare the
    // log events, which carry the logs' own times.
    let logs = |k: &[(String, String)]| -> Vec<(String, String)> {
        k.iter()
            .filter(|(_, m)| !m.contains("exhunt verdict"))
            .cloned()
            .collect()
    };
    let log_events = |v: &[Value]| {
        v.iter()
            .filter(|e| e["timestamp_desc"] == "Log record time")
            .count()
    };
    assert_eq!(log_events(&ev), log_events(&from_zip));
    assert!(!logs(&a).is_empty() && !logs(&b).is_empty());
    assert!(from_zip.iter().any(|e| e["source_file"]
        .as_str()
        .is_some_and(|p| p.starts_with("EX01.zip!/"))));
}

#[test]
fn a_clean_tree_says_it_was_scanned() {
    let t = TempDir::new().unwrap();
    tree::write_clean(t.path()).unwrap();
    let ev = events(t.path());
    let verdict = of_type(&ev, "exhunt:verdict");
    assert_eq!(verdict.len(), 1, "{ev:#?}");
    assert!(
        verdict[0]["message"].as_str().unwrap().contains("CLEAN")
            || verdict[0]["message"]
                .as_str()
                .unwrap()
                .contains("INCONCLUSIVE")
    );
    assert_eq!(verdict[0]["timestamp_desc"], "Newest log record read");
    assert!(of_type(&ev, "exhunt:taken").is_empty());
}
