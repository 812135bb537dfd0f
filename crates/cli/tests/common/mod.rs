//! Helpers for the integration tests: run the real `exhunt` binary on files
//! laid out like an Exchange server, and read its JSON report.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

pub const EXCHANGE: &str = exhunt_testgen::tree::EXCHANGE;

/// Result of one run of `exhunt scan ... --format json`.
pub struct Run {
    pub report: Value,
    pub code: i32,
    pub stderr: String,
}

impl Run {
    pub fn verdict(&self) -> &str {
        self.report["verdict"].as_str().unwrap()
    }

    /// No finding raised the verdict: `clean`, or `inconclusive` (issue
    /// 14: a clean reading is not claimed where the logs could not see the
    /// attack or nothing could be judged), with the reason given.
    pub fn unraised(&self) -> bool {
        match self.verdict() {
            "clean" => true,
            "inconclusive" => self.report["why_inconclusive"]
                .as_array()
                .is_some_and(|w| !w.is_empty()),
            _ => false,
        }
    }

    pub fn findings(&self) -> &Vec<Value> {
        self.report["findings"].as_array().unwrap()
    }

    /// Findings of one rule.
    /// The findings that rule matched (as the reported reading of their
    /// record or among its `rules`).
    pub fn rule(&self, rule: &str) -> Vec<&Value> {
        self.findings()
            .iter()
            .filter(|f| f["rule"] == rule || rules_of(f).any(|r| r == rule))
            .collect()
    }

    /// Every rule that matched something.
    pub fn rules(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .findings()
            .iter()
            .flat_map(|f| {
                std::iter::once(f["rule"].as_str().unwrap().to_string())
                    .chain(rules_of(f).map(str::to_string))
            })
            .collect();
        r.sort();
        r.dedup();
        r
    }

    /// Findings that move the verdict (everything but `info` leads).
    pub fn moving(&self) -> Vec<&Value> {
        self.findings()
            .iter()
            .filter(|f| f["severity"] != "info")
            .collect()
    }

    /// Whether the report points at `path`: a finding there, or a line of
    /// it among the evidence of what was taken (the EWS log's rows name the
    /// mailboxes the SSRF read; they are not findings).
    pub fn reported_at(&self, path: &str) -> bool {
        self.findings().iter().any(|f| f["path"] == path)
            || self.report["taken"].as_array().is_some_and(|t| {
                t.iter().any(|e| {
                    e["evidence"]
                        .as_array()
                        .is_some_and(|ev| ev.iter().any(|x| x["path"] == path))
                })
            })
    }

    pub fn errors(&self) -> &Vec<Value> {
        self.report["errors"].as_array().unwrap()
    }
}

pub fn exhunt() -> Command {
    Command::cargo_bin("exhunt").unwrap()
}

/// Runs `exhunt ARGS --format json` and parses the report.
pub fn run_json(args: &[&str]) -> Run {
    let out = exhunt()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        report,
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `exhunt scan PATHS --format json` and parses the report.
pub fn scan(paths: &[&Path]) -> Run {
    let mut args = vec!["scan"];
    args.extend(
        paths
            .iter()
            .map(|p| p.to_str().expect("test paths are UTF-8")),
    );
    run_json(&args)
}

/// Writes a file (creating folders) inside `root`.
pub fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// The usual place of an HttpProxy log of a protocol.
pub fn httpproxy_rel(protocol: &str, stamp: &str) -> String {
    format!("{EXCHANGE}/Logging/HttpProxy/{protocol}/HttpProxy_{stamp}-1.LOG")
}

/// SHA-256 of every file under `root`, with its modification time.
pub fn fingerprint(root: &Path) -> Vec<(String, String, std::time::SystemTime)> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let md = std::fs::symlink_metadata(&p).unwrap();
            if md.is_dir() {
                stack.push(p);
            } else if md.file_type().is_symlink() {
                // A link is evidence as a link: where it points (it may
                // point at /dev/zero).
                let to = std::fs::read_link(&p).unwrap();
                out.push((
                    p.display().to_string(),
                    format!("-> {}", to.display()),
                    md.modified().unwrap(),
                ));
            } else if !md.is_file() {
                // A FIFO or device: its type, never its content.
                out.push((
                    p.display().to_string(),
                    format!("{:?}", md.file_type()),
                    md.modified().unwrap(),
                ));
            } else {
                let h = Sha256::digest(std::fs::read(&p).unwrap());
                let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
                out.push((p.display().to_string(), hex, md.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The `rules` of a finding.
pub fn rules_of(f: &Value) -> impl Iterator<Item = &str> {
    f["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
}

/// One MSExchange Management event (event 1: cmdlet, parameters, caller) as
/// Winlogbeat/OTRF export it, one JSON line.
pub fn mgmt_event(time: &str, cmdlet: &str, params: &str, user: &str) -> String {
    let message = format!("Cmdlet suceeded. Cmdlet {cmdlet}, parameters {params}.");
    serde_json::json!({
        "SourceName": "MSExchange CmdletLogs",
        "Level": "4",
        "Channel": "MSExchange Management",
        "Hostname": "EX01.contoso.local",
        "TimeCreated": time,
        "@timestamp": time,
        "EventID": 1,
        "Message": message,
        "Data1": cmdlet,
        "Data2": params,
        "Data3": user,
        "Task": "1"
    })
    .to_string()
}

/// What a bounded run of the binary gave.
pub struct Bounded {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Peak resident memory of the process in KiB (Linux: `VmHWM`, read
    /// while it runs); `None` where the platform does not tell.
    pub peak_kib: Option<u64>,
    pub timed_out: bool,
}

impl Bounded {
    /// Fails the test unless the run ended by itself within its time and,
    /// where the platform tells, under `max_mib` of memory.
    pub fn assert_within(&self, max_mib: u64) -> &Self {
        assert!(
            !self.timed_out,
            "exhunt did not finish in time (hang); stderr: {}",
            self.stderr
        );
        if let Some(kib) = self.peak_kib {
            assert!(
                kib / 1024 <= max_mib,
                "peak memory {} MiB > {max_mib} MiB",
                kib / 1024
            );
        }
        assert!(
            self.code.is_some(),
            "exhunt was killed by a signal; stderr: {}",
            self.stderr
        );
        let code = self.code.unwrap();
        assert!(code != 101, "exhunt panicked: {}", self.stderr);
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&self.stdout),
                self.stderr
            )
        })
    }
}

/// Runs the real binary with `args`, killing it after `timeout`, watching
/// its peak memory. Output is drained while it runs (a full pipe would
/// otherwise stall it and look like a hang).
pub fn run_bounded(args: &[&str], timeout: std::time::Duration) -> Bounded {
    use std::io::Read;
    use std::process::Stdio;
    let bin = assert_cmd::cargo::cargo_bin("exhunt");
    let mut child = std::process::Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let status_path = format!("/proc/{}/status", child.id());
    let start = std::time::Instant::now();
    let mut peak: Option<u64> = None;
    let mut timed_out = false;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = Some(peak.unwrap_or(0).max(kib));
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Bounded {
        code: status.code(),
        stdout: t_out.join().unwrap(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
        peak_kib: peak,
        timed_out,
    }
}
