//! `exhunt probe` through the real binary, against fake OWA servers on
//! loopback started by the test.

mod common;

use common::*;
use exhunt_probe::fake::{self, Behaviour, Stats};
use serde_json::Value;
use std::sync::Arc;

/// Starts a fake server on a thread of its own; returns its port.
fn server(b: Behaviour) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
            tx.send(l.local_addr().unwrap().port()).unwrap();
            fake::serve_http(l, b, Arc::new(Stats::default())).await;
        });
    });
    rx.recv().unwrap()
}

#[test]
fn json_csv_and_text_for_a_mixed_list() {
    let unpatched = server(Behaviour::Owa {
        header: Some("15.1.2106.2".into()),
        path_build: None,
        exporttool: None,
    });
    let patched = server(Behaviour::Owa {
        header: None,
        path_build: Some("15.2.1118".into()),
        exporttool: Some("15.2.1118.20".into()),
    });
    let garbage = server(Behaviour::Garbage);
    let dir = tempfile::TempDir::new().unwrap();
    let list = dir.path().join("targets.txt");
    std::fs::write(
        &list,
        format!("# servers\nhttp://127.0.0.2:{patched}\nhttp://127.0.0.3:{garbage}\n"),
    )
    .unwrap();
    let out = exhunt()
        .args([
            "probe",
            &format!("http://127.0.0.1:{unpatched}"),
            "--targets",
        ])
        .arg(&list)
        .args(["--format", "json", "--timeout", "3", "--rate", "200"])
        .output()
        .unwrap();
    // One target exposed (exit_codes.rs has every code).
    assert_eq!(
        out.status.code(),
        Some(10),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "exhunt/probe/v1");
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    for k in [
        "target",
        "reachable",
        "build",
        "build_source",
        "product",
        "open_cves",
        "error",
    ] {
        assert!(r[0].get(k).is_some(), "{k}");
    }
    assert_eq!(r[0]["build"], "15.1.2106.2");
    assert_eq!(r[0]["build_source"], "X-OWA-Version");
    assert!(r[0]["open_cves"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "CVE-2021-26855"));
    assert_eq!(r[1]["build"], "15.2.1118.20");
    assert_eq!(r[1]["build_source"], "exporttool");
    assert!(r[2]["build"].is_null() && r[2]["error"].is_string());

    let csv = exhunt()
        .args([
            "probe",
            &format!("http://127.0.0.1:{unpatched}"),
            "-f",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][2], "15.1.2106.2");
    assert!(rows[0][5].contains("ProxyLogon"), "{text}");

    let t = exhunt()
        .args(["probe", &format!("http://127.0.0.1:{unpatched}")])
        .output()
        .unwrap();
    let text = String::from_utf8(t.stdout).unwrap();
    assert!(
        text.contains("Exchange Server 2016 CU18") && text.contains("ProxyLogon"),
        "{text}"
    );
}

#[test]
fn bad_target_lists_are_refused_with_a_message() {
    let out = exhunt().args(["probe", "not a host!"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a host"));
    let out = exhunt().args(["probe"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn active_checks_warn_and_report() {
    let port = server(Behaviour::OwaActive {
        header: "15.1.2308.8".into(),
        vulnerable: true,
    });
    let out = exhunt()
        .args([
            "probe",
            &format!("http://127.0.0.1:{port}"),
            "--active-checks",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("exploit-shaped"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let active = v["results"][0]["active"].as_array().unwrap();
    assert_eq!(active.len(), 2);
    assert!(
        active.iter().all(|a| a["result"] == "vulnerable"),
        "{active:#?}"
    );
}
