//! Issue 14, item 4: one verdict per server. Inputs whose logs name
//! different hosts are judged apart (a section and a verdict each, and a
//! fleet line); the same server given as two folders stays one; JSONL and
//! the timeline carry the host; a clean scan's JSONL still says so.

mod common;

use common::{exhunt, run_json, scan};
use exhunt_testgen::tree;
use serde_json::Value;
use std::path::Path;

/// Renames the server in every log of a tree (same length, so nothing
/// else moves): the clean example's EX01 becomes `to`.
fn rename_host(root: &Path, to: &str) {
    assert_eq!(to.len(), 4);
    for e in walk(root) {
        let lower = e.to_string_lossy().to_ascii_lowercase();
        if !(lower.ends_with(".log") || lower.ends_with(".txt")) {
            continue;
        }
        let bytes = std::fs::read(&e).unwrap();
        let text = String::from_utf8_lossy(&bytes).replace("EX01", to);
        std::fs::write(&e, text).unwrap();
    }
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// EX01 (the compromised example) and EX02 (the clean tree, renamed).
fn two_servers() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ex01 = dir.path().join("EX01-triage");
    let ex02 = dir.path().join("EX02-triage");
    tree::write_example(&ex01).unwrap();
    tree::write_clean(&ex02).unwrap();
    rename_host(&ex02, "EX02");
    (dir, ex01, ex02)
}

#[test]
fn two_servers_get_a_verdict_each_and_the_worst_heads_the_report() {
    let (_d, ex01, ex02) = two_servers();
    let r = scan(&[&ex01, &ex02]);
    let servers = r.report["servers"].as_array().expect("servers");
    assert_eq!(servers.len(), 2, "{}", r.stderr);
    assert_eq!(servers[0]["host"], "EX01");
    assert_eq!(servers[1]["host"], "EX02");
    assert_eq!(servers[0]["verdict"], "compromised");
    assert!(
        matches!(
            servers[1]["verdict"].as_str(),
            Some("clean" | "inconclusive")
        ),
        "EX02: {}",
        servers[1]["verdict"]
    );
    assert_eq!(
        servers[1]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .count(),
        0
    );
    // The single-server shape still answers: the worst verdict, exit code
    // of compromised, every finding named by its server.
    assert_eq!(r.verdict(), "compromised");
    assert_eq!(r.code / 10, 3, "exit {}", r.code);
    assert!(r.report["host"].is_null());
    let findings = r.findings();
    assert!(!findings.is_empty());
    for f in findings {
        // EX02's routine leads (a vendor's archive) are EX02's; all that
        // moves the verdict is EX01's.
        let (host, tag) = if f["host"] == "EX01" {
            ("EX01", "S1-F")
        } else {
            assert_eq!(f["severity"], "info", "{f}");
            ("EX02", "S2-F")
        };
        assert_eq!(f["host"], host, "{f}");
        assert!(f["id"].as_str().unwrap().starts_with(tag), "{}", f["id"]);
        for rel in f["related"].as_array().unwrap() {
            assert!(rel.as_str().unwrap().starts_with(tag), "{rel}");
        }
    }
    assert!(findings.iter().any(|f| f["host"] == "EX01"));
    // Each server's inputs are its own; nothing of EX01 ties into EX02.
    assert_eq!(servers[0]["inputs"][0], ex01.to_str().unwrap());
    assert_eq!(servers[1]["inputs"][0], ex02.to_str().unwrap());
    assert_eq!(r.report["inputs"].as_array().unwrap().len(), 2);
    assert!(r.stderr.contains("2 servers"), "{}", r.stderr);
}

#[test]
fn one_server_given_as_two_folders_is_one_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let ex01 = dir.path().join("EX01");
    tree::write_example(&ex01).unwrap();
    // The logs and the web folders handed over separately.
    let logs = ex01.join("Program Files");
    let web = ex01.join("inetpub");
    let r = scan(&[&logs, &web]);
    assert!(r.report["servers"].as_array().unwrap().is_empty());
    assert_eq!(r.report["host"], "EX01");
    assert_eq!(r.verdict(), "compromised");
    // A shell on disk (inetpub) and the requests for it in the logs are
    // still tied: one server.
    assert!(
        !r.rule("webshell-requested").is_empty() || !r.rule("webshell-path-ioc").is_empty(),
        "{:?}",
        r.rules()
    );
    assert!(r.findings().iter().all(|f| f["host"] == "EX01"));
}

#[test]
fn text_shows_a_line_per_server_then_each_report() {
    let (_d, ex01, ex02) = two_servers();
    let out = exhunt()
        .args(["scan", "--quiet"])
        .arg(&ex01)
        .arg(&ex02)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Scanned 2 servers"), "{text}");
    assert!(
        text.contains("VERDICT (worst of 2 servers): COMPROMISED"),
        "{text}"
    );
    let ex01_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("EX01 "))
        .expect(&text);
    assert!(
        ex01_line.contains("COMPROMISED") && ex01_line.contains("EXPOSED"),
        "{ex01_line}"
    );
    assert!(text.contains("════ Server 1 of 2: EX01 ════"), "{text}");
    assert!(text.contains("════ Server 2 of 2: EX02 ════"), "{text}");
    assert!(text.contains("Server: EX02"), "{text}");
}

fn jsonl(paths: &[&Path]) -> (Vec<Value>, i32) {
    let out = exhunt()
        .args(["scan", "--quiet", "--format", "jsonl"])
        .args(paths)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, out.status.code().unwrap())
}

#[test]
fn jsonl_rows_carry_the_host_and_a_clean_scan_still_writes_its_summary() {
    let (_d, ex01, ex02) = two_servers();
    // Clean alone: no finding line at medium or above, but a summary.
    let (rows, _) = jsonl(&[&ex02]);
    let summaries: Vec<&Value> = rows.iter().filter(|r| r["type"] == "summary").collect();
    assert_eq!(summaries.len(), 1, "{rows:?}");
    let s = summaries[0];
    assert_eq!(s["host"], "EX02");
    assert!(
        matches!(s["verdict"].as_str(), Some("clean" | "inconclusive")),
        "{s}"
    );
    assert_eq!(s["inputs"][0], ex02.to_str().unwrap());
    assert!(s["files_seen"].as_u64().unwrap() > 0);
    assert_eq!(rows.last().unwrap()["type"], "summary");
    // Two servers: every finding row names its host, one summary each.
    let (rows, code) = jsonl(&[&ex01, &ex02]);
    assert_eq!(code / 10, 3);
    let summaries: Vec<&Value> = rows.iter().filter(|r| r["type"] == "summary").collect();
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[0]["host"], "EX01");
    assert_eq!(summaries[0]["verdict"], "compromised");
    assert_eq!(summaries[1]["host"], "EX02");
    let findings: Vec<&Value> = rows.iter().filter(|r| r.get("type").is_none()).collect();
    assert!(!findings.is_empty());
    assert!(findings
        .iter()
        .all(|f| f["host"] == "EX01" || (f["host"] == "EX02" && f["severity"] == "info")));
    assert!(findings.iter().any(|f| f["host"] == "EX01"));
}

#[test]
fn the_timeline_names_the_host_of_every_row() {
    let (_d, ex01, ex02) = two_servers();
    let out = exhunt()
        .args(["scan", "--quiet", "--format", "timeline"])
        .arg(&ex01)
        .arg(&ex02)
        .output()
        .unwrap();
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers = rdr.headers().unwrap().clone();
    let host = headers
        .iter()
        .position(|h| h == "host")
        .expect("a host column");
    assert_eq!(host, headers.len() - 1, "added last");
    let sev = headers.iter().position(|h| h == "severity").unwrap();
    let kind = headers.iter().position(|h| h == "type").unwrap();
    let mut n = 0;
    for row in rdr.records() {
        let row = row.unwrap();
        match &row[host] {
            "EX01" => n += 1,
            // EX02's routine leads only.
            "EX02" => assert!(&row[kind] == "context" || &row[sev] == "info", "{row:?}"),
            other => panic!("host {other:?} in {row:?}"),
        }
    }
    assert!(n > 0);
}

#[test]
fn collecting_two_servers_copies_each_into_its_own_folder() {
    let (d, ex01, ex02) = two_servers();
    let out_dir = d.path().join("evidence");
    let out = exhunt()
        .args(["scan", "--quiet", "--collect"])
        .arg(&out_dir)
        .arg(&ex01)
        .arg(&ex02)
        .output()
        .unwrap();
    assert_eq!(out.status.code().unwrap() / 10, 3);
    let one = out_dir.join("server-1-EX01");
    let two = out_dir.join("server-2-EX02");
    assert!(one.join("manifest.json").is_file());
    assert!(two.join("manifest.json").is_file());
    let r1: Value =
        serde_json::from_slice(&std::fs::read(one.join("report.json")).unwrap()).unwrap();
    assert_eq!(r1["host"], "EX01");
    assert_eq!(r1["verdict"], "compromised");
}

#[test]
fn a_single_server_report_keeps_its_shape() {
    let dir = tempfile::tempdir().unwrap();
    tree::write_example(dir.path()).unwrap();
    let r = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert!(r.report["servers"].as_array().unwrap().is_empty());
    assert_eq!(r.report["host"], "EX01");
    assert!(r
        .findings()
        .iter()
        .all(|f| f["id"].as_str().unwrap().starts_with('F')));
}
