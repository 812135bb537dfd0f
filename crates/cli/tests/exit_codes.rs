//! Exit codes of `exhunt build` and `exhunt probe`, a closed standard
//! output (`exhunt build ... | head`), and what `probe` says of a port that
//! does not speak TLS. Through the real binary.
//!
//! `build`: 0 every build given is patched for every CVE exhunt tracks,
//! 10 at least one lacks a fix, 20 at least one cannot be placed (not a
//! build, a CU the table does not have, three parts where the update level
//! decides) and none lacks a fix, 2 usage error.
//! `probe`: 0 every target answered with a patched build, 10 at least one
//! target exposed, 20 at least one target's build could not be told and
//! none exposed, 2 usage or runtime error.

mod common;

use common::*;
use exhunt_probe::fake::{self, Behaviour, Stats};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

fn code_of(args: &[&str]) -> (i32, String, String) {
    let out = exhunt().args(args).output().unwrap();
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The newest build of the reference table (`rules/exchange-builds.csv`),
/// alternative numbers left out.
fn newest_listed_build() -> String {
    let text = std::fs::read_to_string(repo_root().join("rules/exchange-builds.csv")).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let mut best: Option<(Vec<u32>, String)> = None;
    for rec in rd.records() {
        let rec = rec.unwrap();
        if rec[2].ends_with("alt") {
            continue;
        }
        let b = rec[3].to_string();
        let key: Vec<u32> = b.split('.').map(|p| p.parse().unwrap()).collect();
        if best.as_ref().is_none_or(|(k, _)| key > *k) {
            best = Some((key, b));
        }
    }
    best.unwrap().1
}

// ---- build ----

#[test]
fn build_lacking_fixes_exits_10() {
    let (code, out, err) = code_of(&["build", "15.1.2106.2"]);
    assert_eq!(code, 10, "{out}{err}");
    assert!(out.contains("Open CVEs (28)"), "{out}");
    // Zero-padded as file versions print it: the same build.
    assert_eq!(code_of(&["build", "15.01.2106.002"]).0, 10);
    // Exchange 2013 SP1 with only the March 2021 package.
    assert_eq!(code_of(&["build", "15.0.847.64"]).0, 10);
}

#[test]
fn newest_listed_build_exits_0() {
    let newest = newest_listed_build();
    let (code, out, err) = code_of(&["build", &newest]);
    assert_eq!(code, 0, "{newest}: {out}{err}");
    // Exchange 2019 CU12 with the November 2022 update: every campaign
    // CVE fixed.
    let (code, out, _) = code_of(&["build", "15.2.1118.20", &newest]);
    assert_eq!(code, 0, "{out}");
    let out = exhunt()
        .args(["build", "15.2.1118.20", "15.1.2106.2", "-f", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["status"], "patched", "{v:#}");
    assert_eq!(v["results"][1]["status"], "exposed", "{v:#}");
}

#[test]
fn builds_exhunt_cannot_place_exit_20() {
    for (args, why) in [
        (vec!["not-a-build"], "not a build"),
        (vec!["16.0.1.1"], "not an Exchange version"),
        // Exchange 2013 RTM: a CU the table does not have, so nothing can
        // be said of its updates (the table alone would show none open).
        (vec!["15.0.516.32"], "CU not in the table"),
        // Three parts: CU12 with its November 2022 update is patched,
        // CU12 as shipped is not; the fourth number decides.
        (vec!["15.2.1118"], "three parts, the update level decides"),
        (
            vec!["15.2.1118.20", "not-a-build"],
            "a patched build and garbage",
        ),
    ] {
        let (code, out, err) = code_of(&[&["build"][..], &args].concat());
        assert_eq!(code, 20, "{why}: {out}{err}");
    }
    let (_, out, _) = code_of(&["build", "15.0.516.32"]);
    assert!(!out.contains("none of those exhunt tracks"), "{out}");
    let out = exhunt()
        .args(["build", "15.0.516.32", "garbage", "-f", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["status"], "unknown", "{v:#}");
    assert!(v["results"][1]["error"].is_string(), "{v:#}");
}

#[test]
fn exposed_wins_over_unknown_and_three_parts_can_be_exposed() {
    assert_eq!(code_of(&["build", "garbage", "15.1.2106.2"]).0, 10);
    // Exchange 2016 CU18 even with its newest update lacks fixes: exposed
    // whatever the fourth number.
    assert_eq!(code_of(&["build", "15.1.2106"]).0, 10);
}

#[test]
fn build_usage_error_exits_2() {
    assert_eq!(code_of(&["build"]).0, 2);
    assert_eq!(code_of(&["build", "15.1.2106.2", "--format", "xml"]).0, 2);
}

// ---- a closed standard output ----

/// Runs exhunt with its standard output a pipe whose reading end is
/// closed after `keep` bytes were read (`exhunt ... | head -c KEEP`).
fn run_into_closed_pipe(args: &[&str], keep: usize) -> (i32, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("exhunt"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut so = child.stdout.take().unwrap();
    let mut buf = vec![0u8; keep];
    so.read_exact(&mut buf).unwrap();
    drop(so);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().expect("exited, not killed by SIGPIPE"), err)
}

/// Runs exhunt with its standard output a pipe closed before it starts.
fn run_into_pipe_closed_before(args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(assert_cmd::cargo::cargo_bin("exhunt"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code().expect("exited, not killed by SIGPIPE"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_quiet(err: &str) {
    assert!(
        !err.to_lowercase().contains("broken pipe") && !err.contains("error"),
        "a closed pipe is not an error: {err}"
    );
}

#[test]
fn build_into_head_exits_quietly_with_its_code() {
    // Far more than a pipe holds (64 KiB), so the writes after `head`
    // left do meet the closed pipe.
    let mut args = vec!["build"];
    args.extend(std::iter::repeat_n("15.1.2106.2", 500));
    let (code, err) = run_into_closed_pipe(&args, 10);
    assert_eq!(code, 10, "{err}");
    assert_quiet(&err);
    // Patched builds: 0, even with nobody reading.
    let newest = newest_listed_build();
    let mut args = vec!["build", "-f", "json"];
    args.extend(std::iter::repeat_n(newest.as_str(), 500));
    let (code, err) = run_into_closed_pipe(&args, 10);
    assert_eq!(code, 0, "{err}");
    assert_quiet(&err);
    let (code, err) = run_into_pipe_closed_before(&["build", "15.2.1118.20", "15.0.516.32"]);
    assert_eq!(code, 20, "{err}");
    assert_quiet(&err);
}

#[test]
fn scan_into_a_closed_pipe_exits_quietly_with_its_verdict() {
    let example = repo_root().join("examples/proxylogon-compromised");
    let example = example.to_str().unwrap();
    let expected = exhunt()
        .args(["scan", "-q", example])
        .output()
        .unwrap()
        .status
        .code()
        .unwrap();
    assert!(expected >= 10, "the example is not clean: {expected}");
    for format in ["text", "json", "timeline"] {
        let (code, err) = run_into_pipe_closed_before(&["scan", "-q", "-f", format, example]);
        assert_eq!(code, expected, "{format}: {err}");
        assert_quiet(&err);
    }
}

// ---- probe ----

/// Starts a fake OWA server on a thread of its own; returns its port.
fn server(b: Behaviour) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap().port()).unwrap();
            fake::serve_http(l, b, Arc::new(Stats::default())).await;
        });
    });
    rx.recv().unwrap()
}

fn unpatched() -> u16 {
    server(Behaviour::Owa {
        header: Some("15.1.2106.2".into()),
        path_build: None,
        exporttool: None,
    })
}

fn patched() -> u16 {
    server(Behaviour::Owa {
        header: None,
        path_build: Some("15.2.1118".into()),
        exporttool: Some("15.2.1118.20".into()),
    })
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A plain HTTP server, as IIS on port 80: whatever arrives, it answers
/// 400 and closes.
fn plain_http_server() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request",
                );
            });
        }
    });
    port
}

fn probe(targets: &[String], extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["probe", "--timeout", "3", "--rate", "200"];
    args.extend(targets.iter().map(String::as_str));
    args.extend(extra);
    code_of(&args)
}

#[test]
fn probe_of_an_unpatched_server_exits_10() {
    let (code, out, err) = probe(&[format!("http://127.0.0.1:{}", unpatched())], &[]);
    assert_eq!(code, 10, "{out}{err}");
    assert!(out.contains("ProxyLogon"), "{out}");
    // Exposed wins over a target that does not answer.
    let (code, out, err) = probe(
        &[
            format!("http://127.0.0.1:{}", closed_port()),
            format!("http://127.0.0.1:{}", unpatched()),
        ],
        &["-f", "json"],
    );
    assert_eq!(code, 10, "{out}{err}");
}

#[test]
fn probe_of_patched_servers_exits_0_and_of_an_unknown_one_20() {
    let ok = format!("http://127.0.0.1:{}", patched());
    let (code, out, err) = probe(std::slice::from_ref(&ok), &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = probe(
        &[ok.clone(), format!("http://127.0.0.1:{}", closed_port())],
        &["-f", "csv"],
    );
    assert_eq!(code, 20, "unreachable: {out}{err}");
    let garbage = server(Behaviour::Garbage);
    let (code, out, err) = probe(&[ok.clone(), format!("http://127.0.0.1:{garbage}")], &[]);
    assert_eq!(code, 20, "not HTTP: {out}{err}");
    // Answers, but no build anywhere: not Exchange.
    let nothing = server(Behaviour::Owa {
        header: None,
        path_build: None,
        exporttool: None,
    });
    let (code, out, err) = probe(&[ok, format!("http://127.0.0.1:{nothing}")], &[]);
    assert_eq!(code, 20, "no build: {out}{err}");
    // Three parts and no export tool: the update level decides.
    let partial = server(Behaviour::Owa {
        header: None,
        path_build: Some("15.2.1118".into()),
        exporttool: None,
    });
    let (code, out, err) = probe(&[format!("http://127.0.0.1:{partial}")], &[]);
    assert_eq!(code, 20, "three parts: {out}{err}");
}

#[test]
fn probe_active_check_that_finds_a_hole_exits_10() {
    let port = server(Behaviour::OwaActive {
        // Exchange SE: no CVE exhunt tracks open by its build.
        header: newest_listed_build(),
        vulnerable: true,
    });
    let target = format!("http://127.0.0.1:{port}");
    let (code, out, err) = probe(std::slice::from_ref(&target), &[]);
    assert_eq!(code, 0, "by the build alone: {out}{err}");
    let (code, out, err) = probe(&[target], &["--active-checks"]);
    assert_eq!(code, 10, "{out}{err}");
}

#[test]
fn probe_with_https_on_a_plain_http_port_says_so_and_exits_20() {
    let port = plain_http_server();
    let (code, out, err) = probe(&[format!("https://127.0.0.1:{port}")], &["-f", "json"]);
    assert_eq!(code, 20, "{out}{err}");
    let v: Value = serde_json::from_slice(out.as_bytes()).unwrap();
    let said = v["results"][0]["error"].as_str().unwrap();
    assert!(
        said.contains(&format!(
            "this port does not speak TLS (try http://127.0.0.1:{port})"
        )),
        "{said}"
    );
    assert!(!said.contains("InvalidContentType"), "{said}");
    // The same target given as host:port (https for every port but 80).
    let (code, out, _) = probe(&[format!("127.0.0.1:{port}")], &[]);
    assert_eq!(code, 20);
    assert!(out.contains("does not speak TLS"), "{out}");
}

#[test]
fn probe_into_a_closed_pipe_exits_quietly_with_its_code() {
    let target = format!("http://127.0.0.1:{}", unpatched());
    for format in ["text", "json", "csv"] {
        let (code, err) =
            run_into_pipe_closed_before(&["probe", "--timeout", "3", "-f", format, &target]);
        assert_eq!(code, 10, "{format}: {err}");
        assert_quiet(&err);
    }
}

#[test]
fn probe_usage_errors_exit_2() {
    assert_eq!(code_of(&["probe"]).0, 2);
    assert_eq!(code_of(&["probe", "not a host!"]).0, 2);
    assert_eq!(code_of(&["probe", "127.0.0.1", "--rate", "0"]).0, 2);
}
