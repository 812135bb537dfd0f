//! The whole `exhunt scan` on realistic trees: the bundled example, a clean
//! server, zip bundles, every log format variant, bad input, read-only
//! guarantees and the output formats.

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Layout, Protocol, Traffic};
use exhunt_testgen::{tree, SplitMix64, Time};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const HOUR: Time = Time::utc(2021, 3, 3, 6, 0, 0);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn example_tree_is_compromised_and_every_planted_trace_is_found() {
    let dir = TempDir::new().unwrap();
    let summary = tree::write_example(dir.path()).unwrap();
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised");
    assert_eq!(r.code, 30);
    assert_eq!(r.report["incomplete"], false);
    for rule in [
        "proxylogon-ssrf-26855",
        "proxylogon-ssrf-26855-attempt",
        "proxylogon-ssrf-26855-scan",
        "proxylogon-ssrf-26855-backendcookie",
        "proxylogon-27065-reset-vdir",
        "proxylogon-27065-ecp-setvdir",
        "proxylogon-26858-oab-path",
        "lsass-dump",
        "programdata-archive",
        "webshell-aspnet-client",
        "webshell-requested",
    ] {
        assert!(!r.rule(rule).is_empty(), "{rule} missing");
    }
    // The requests for the page are tied to the page on disk.
    let page = &r.rule("webshell-aspnet-client")[0]["id"];
    assert!(r
        .rule("webshell-requested")
        .iter()
        .all(|f| f["related"].as_array().unwrap().contains(page)));
    // Every planted log trace is reported at its file, at or after its line.
    for p in &summary.planted {
        assert!(
            r.reported_at(&p.path),
            "nothing reported for planted {} in {}",
            p.what,
            p.path
        );
    }
    // Nothing else: every finding that moves the verdict is in a planted file.
    let planted: BTreeSet<&str> = summary.planted.iter().map(|p| p.path.as_str()).collect();
    for f in r.moving() {
        assert!(
            planted.contains(f["path"].as_str().unwrap()),
            "unexpected finding {f:#}"
        );
    }
    // Coverage: how far back each log family reaches.
    let cov = r.report["coverage"].as_array().unwrap();
    let ecp = cov.iter().find(|c| c["family"] == "HttpProxy/Ecp").unwrap();
    assert!(ecp["first"].as_str().unwrap().starts_with("2021-02-20"));
    assert!(ecp["last"].as_str().unwrap().starts_with("2021-03-09"));
    assert!(ecp["files"].as_u64().unwrap() >= 2);
    for fam in ["ECP/Server", "OABGeneratorLog", "HttpProxy/Owa"] {
        assert!(cov.iter().any(|c| c["family"] == fam), "{fam}");
    }
    let steps = r.report["next_steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s.as_str().unwrap().contains("LSASS")));
    // The logs start after 2021-01-06: the user is told what that means.
    assert!(steps
        .iter()
        .any(|s| s.as_str().unwrap().contains("2021-02-20")));
}

#[test]
fn bundled_example_matches_its_generator() {
    // The committed example is what scripts/make-example.sh makes.
    let fresh = TempDir::new().unwrap();
    tree::write_example(fresh.path()).unwrap();
    let committed = repo_root().join("examples/proxylogon-compromised");
    let a: Vec<_> = fingerprint(fresh.path())
        .into_iter()
        .map(|(p, h, _)| (p.replace(&fresh.path().display().to_string(), ""), h))
        .collect();
    let b: Vec<_> = fingerprint(&committed)
        .into_iter()
        .map(|(p, h, _)| (p.replace(&committed.display().to_string(), ""), h))
        .collect();
    assert_eq!(a, b, "examples/ is stale: run scripts/make-example.sh");
    let out = exhunt()
        .args(["scan", committed.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(30));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("VERDICT: COMPROMISED"), "{text}");
    assert!(text.contains("What to do now"));
    assert!(text.contains("How far back the logs reach"));
}

#[test]
fn clean_server_with_every_trap_is_clean() {
    let dir = TempDir::new().unwrap();
    tree::write_clean(dir.path()).unwrap();
    let r = scan(&[dir.path()]);
    // Every trap stays quiet. The tree's build was open to ProxyLogon and
    // its logs start after 2021-01-06: inconclusive, saying so.
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    assert_eq!(r.code, if r.verdict() == "clean" { 0 } else { 5 });
    assert!(r.moving().is_empty());
    assert!(r.report["coverage"].as_array().unwrap().len() >= 5);
}

#[test]
fn zip_bundle_is_read_in_place_with_the_same_findings() {
    let dir = TempDir::new().unwrap();
    tree::write_example(&dir.path().join("tree")).unwrap();
    let zip = dir.path().join("triage.zip");
    tree::write_example_zip(&zip).unwrap();
    let before = fingerprint(dir.path());
    let a = scan(&[&dir.path().join("tree")]);
    let b = scan(&[&zip]);
    assert_eq!(
        before,
        fingerprint(dir.path()),
        "the scan changed its input"
    );
    assert_eq!(a.verdict(), b.verdict());
    let key = |f: &Value, strip: &str| {
        (
            f["rule"].as_str().unwrap().to_string(),
            f["path"]
                .as_str()
                .unwrap()
                .trim_start_matches(strip)
                .to_string(),
            f["line"].as_u64(),
            f["severity"].as_str().unwrap().to_string(),
        )
    };
    let ka: BTreeSet<_> = a.findings().iter().map(|f| key(f, "")).collect();
    let kb: BTreeSet<_> = b
        .findings()
        .iter()
        .map(|f| key(f, "triage.zip!/"))
        .collect();
    assert_eq!(ka, kb);
    assert!(b.findings()[0]["path"]
        .as_str()
        .unwrap()
        .starts_with("triage.zip!/"));
    assert_eq!(a.report["coverage"], b.report["coverage"]);
}

/// One HttpProxy log with the chain in it, in a given layout.
fn chain_log(bytes_of: impl Fn(&[httpproxy::Row]) -> Vec<u8>) -> Run {
    let mut t = Traffic::new(11);
    let mut rows = t.hour(Protocol::Ecp, HOUR, 200);
    rows.extend(attack::proxylogon_chain(
        &mut SplitMix64::new(1),
        "103.77.192.219",
        HOUR.plus_secs(3000),
    ));
    // A quoted field with commas and quotes before the attack rows.
    rows[100].user_agent = "Mozilla/5.0 (Windows NT 10.0; \"quoted\", with commas)".into();
    let dir = TempDir::new().unwrap();
    put(dir.path(), "collected/some.log", &bytes_of(&rows));
    scan(&[dir.path()])
}

#[test]
fn every_header_variant_is_read_by_column_name() {
    for format in Format::ALL {
        let r = chain_log(|rows| httpproxy::render(format, HOUR, rows));
        assert_eq!(r.verdict(), "exploited", "{format:?}: {:#?}", r.errors());
        assert_eq!(r.rule("proxylogon-ssrf-26855").len(), 5, "{format:?}");
        assert!(r.errors().is_empty(), "{format:?}: {:?}", r.errors());
        // Recognised by content (the path says nothing): protocol from the rows.
        let cov = &r.report["coverage"][0];
        assert_eq!(cov["family"], "HttpProxy/Ecp", "{format:?}");
        assert!(cov["first"].as_str().unwrap().starts_with("2021-03-03T06"));
    }
    // Columns in another order still work (lookups are by name).
    let r = chain_log(|rows| {
        let mut l = Layout::default();
        l.columns.reverse();
        let mut w = httpproxy::HttpProxyWriter::with_layout(Vec::new(), &l, HOUR).unwrap();
        for row in rows {
            w.write_row(row).unwrap();
        }
        w.finish().unwrap()
    });
    assert_eq!(r.rule("proxylogon-ssrf-26855").len(), 5);
}

#[test]
fn utf16_logs_are_transcoded() {
    let r = chain_log(|rows| {
        let text = String::from_utf8(httpproxy::render(Format::Both, HOUR, rows)).unwrap();
        let mut out = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    });
    assert_eq!(r.verdict(), "exploited");
    assert_eq!(r.rule("proxylogon-ssrf-26855").len(), 5);
    assert!(r.errors().is_empty());
}

#[test]
fn bad_input_is_named_and_the_scan_goes_on() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let chain = attack::proxylogon_chain(&mut SplitMix64::new(2), "103.77.192.219", HOUR);
    put(
        root,
        &httpproxy_rel("Ecp", "2021030306"),
        &httpproxy::render(Format::Both, HOUR, &chain),
    );
    // Binary content where a log was expected.
    put(
        root,
        &httpproxy_rel("Owa", "2021030307"),
        b"MZ\x90\x00\x03\x00\x00\x00binary",
    );
    // Not UTF-8 (Latin-1 user agent) and a cut-off last line.
    let mut latin = httpproxy::render(Format::Both, HOUR, &chain[..1]);
    latin.extend_from_slice(b"2021-03-03T07:00:00.000Z,x,15,1,2106,2,,Owa,caf\xe9");
    put(root, &httpproxy_rel("Owa", "2021030308"), &latin);
    // A header-less fragment.
    put(
        root,
        &httpproxy_rel("Mapi", "2021030309"),
        b"2021-03-03T09:00:00.000Z,abc,15,1,2106,2,,Mapi\r\n",
    );
    // A broken zip given as input.
    let bad_zip = root.join("../broken-bundle.zip");
    std::fs::write(&bad_zip, b"PK\x03\x04 this is not a zip").unwrap();

    let out = exhunt()
        .args(["scan", "--format", "json"])
        .arg(root)
        .arg(&bad_zip)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&bad_zip);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(report["verdict"], "exploited");
    assert_eq!(report["incomplete"], true);
    assert_eq!(out.status.code(), Some(21));
    let errors = report["errors"].as_array().unwrap();
    let has = |path_part: &str, msg_part: &str| {
        errors.iter().any(|e| {
            e["path"].as_str().unwrap().contains(path_part)
                && e["message"].as_str().unwrap().contains(msg_part)
        })
    };
    assert!(has("2021030307", "binary"), "{errors:#?}");
    assert!(has("2021030308", "UTF-8"), "{errors:#?}");
    assert!(has("2021030308", "cut off"), "{errors:#?}");
    assert!(has("2021030309", "header"), "{errors:#?}");
    assert!(has("broken-bundle.zip", "zip"), "{errors:#?}");
    for e in errors {
        assert!(stderr.contains(e["path"].as_str().unwrap()), "{stderr}");
    }
}

#[test]
fn corrupt_zip_member_is_reported_and_the_rest_is_read() {
    let dir = TempDir::new().unwrap();
    let zip = dir.path().join("bundle.zip");
    let mut bundle = tree::example_bundle();
    let bytes = bundle.to_zip_bytes().unwrap();
    // Flip bytes inside the first stored/deflated member's data.
    let mut bad = bytes.clone();
    let at = 200.min(bad.len() / 4);
    for b in &mut bad[at..at + 16] {
        *b ^= 0x5A;
    }
    std::fs::write(&zip, &bad).unwrap();
    let r = scan(&[&zip]);
    assert_eq!(r.report["incomplete"], true);
    assert!(!r.errors().is_empty());
    assert!(r.errors()[0]["path"]
        .as_str()
        .unwrap()
        .starts_with("bundle.zip!/"));
    // The other members were still read.
    assert_eq!(r.verdict(), "compromised");
    bundle.files.clear();
}

#[test]
fn nothing_in_the_input_is_written_and_output_inside_is_refused() {
    let dir = TempDir::new().unwrap();
    tree::write_example(dir.path()).unwrap();
    let before = fingerprint(dir.path());
    let out = exhunt()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--output"])
        .arg(dir.path().join("report.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never writes into evidence"));
    assert!(!dir.path().join("report.json").exists());
    let _ = scan(&[dir.path()]);
    assert_eq!(before, fingerprint(dir.path()));
}

#[test]
fn output_file_and_jsonl() {
    let dir = TempDir::new().unwrap();
    tree::write_example(&dir.path().join("in")).unwrap();
    let report = dir.path().join("report.json");
    let out = exhunt()
        .arg("scan")
        .arg(dir.path().join("in"))
        .args(["-f", "json", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(30));
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["schema"], "exhunt/report/v1");
    assert_eq!(v["tool"]["name"], "exhunt");
    // The example's logs name the build that wrote them.
    for k in ["build", "product", "source", "open_cves", "install"] {
        assert!(v["patch"].get(k).is_some(), "patch.{k}");
    }
    let n = v["findings"].as_array().unwrap().len();
    for f in v["findings"].as_array().unwrap() {
        for k in [
            "id", "rule", "title", "cves", "kind", "verdict", "severity", "time", "path", "line",
            "evidence", "related", "source",
        ] {
            assert!(f.get(k).is_some(), "{k}");
        }
        assert!(!f["source"].as_str().unwrap().is_empty());
    }
    let out = exhunt()
        .arg("scan")
        .arg(dir.path().join("in"))
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // One line per finding, then the server's summary line (issue 14).
    assert_eq!(text.lines().count(), n + 1);
    let (last, findings) = text
        .lines()
        .collect::<Vec<_>>()
        .split_last()
        .map(|(l, f)| (*l, f.to_vec()))
        .unwrap();
    for l in findings {
        let f: Value = serde_json::from_str(l).unwrap();
        assert!(f["id"].as_str().unwrap().starts_with('F'));
    }
    let s: Value = serde_json::from_str(last).unwrap();
    assert_eq!(s["type"], "summary");
    assert_eq!(s["verdict"], v["verdict"]);
    assert_eq!(s["findings"], n);
}

#[test]
fn missing_input_is_a_usage_error_and_nothing_to_judge_is_inconclusive() {
    // Issue 14: a path that does not exist is a usage error, no report.
    let out = exhunt()
        .args(["scan", "/nonexistent/exhunt-test", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/exhunt-test: no such file or folder"),
        "{err}"
    );
    // An empty folder holds nothing to judge: inconclusive, not clean.
    let dir = TempDir::new().unwrap();
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "inconclusive");
    assert_eq!(r.code, 5);
    assert!(r.report["why_inconclusive"][0]
        .as_str()
        .unwrap()
        .starts_with("Nothing exhunt can judge was found in"));
    assert!(r.report["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().contains("No Exchange logs")));
}

#[test]
fn install_folder_and_single_file_inputs() {
    let dir = TempDir::new().unwrap();
    tree::write_example(dir.path()).unwrap();
    let v15 = dir.path().join(EXCHANGE);
    let r = scan(&[&v15]);
    assert_eq!(r.verdict(), "exploited"); // the dump and archives are outside V15
    assert!(r.findings()[0]["path"]
        .as_str()
        .unwrap()
        .starts_with("Logging/"));
    let ecp = v15.join("Logging/ECP/Server");
    let file = std::fs::read_dir(&ecp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("Set-OabVirtualDirectory.ExternalUrl=''http://f/")
        })
        .unwrap();
    let r = scan(&[&file]);
    assert_eq!(r.rules(), vec!["proxylogon-27065-ecp-setvdir"]);
    assert_eq!(
        r.findings()[0]["path"],
        file.file_name().unwrap().to_str().unwrap()
    );
}

#[test]
fn timeline_of_the_example_is_sorted_csv_with_context() {
    let dir = TempDir::new().unwrap();
    tree::write_example(dir.path()).unwrap();
    let out = exhunt()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "timeline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(30));
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let header = rdr.headers().unwrap().clone();
    assert_eq!(&header[0], "time");
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let findings = rows.iter().filter(|r| &r[1] == "finding").count();
    let context = rows.iter().filter(|r| &r[1] == "context").count();
    let r = scan(&[dir.path()]);
    assert_eq!(findings, r.findings().len());
    assert!(context >= findings, "{context} context rows");
    // Sorted by time; rows without a time (files on disk) last.
    let times: Vec<&str> = rows.iter().map(|r| r.get(0).unwrap()).collect();
    let timed: Vec<&str> = times.iter().copied().filter(|t| !t.is_empty()).collect();
    let mut sorted = timed.clone();
    sorted.sort();
    assert_eq!(timed, sorted);
    let first_untimed = times
        .iter()
        .position(|t| t.is_empty())
        .unwrap_or(times.len());
    assert!(times[first_untimed..].iter().all(|t| t.is_empty()));
    // A context row of the SSRF chain is the ordinary traffic next to it.
    assert!(rows
        .iter()
        .any(|r| &r[1] == "context" && r[6].contains("HttpProxy/Ecp")));
}

#[test]
fn collect_copies_flagged_files_with_a_manifest_and_leaves_the_input_alone() {
    use sha2::{Digest, Sha256};
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("server");
    tree::write_example(&input).unwrap();
    let zip = dir.path().join("triage.zip");
    tree::write_example_zip(&zip).unwrap();
    let before = fingerprint(dir.path());
    let out_dir = dir.path().join("evidence");
    let out = exhunt()
        .args(["scan", "-q", "--format", "json", "--collect"])
        .arg(&out_dir)
        .arg(&input)
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(30),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing in the inputs changed (content and modification times).
    let after: Vec<_> = fingerprint(dir.path())
        .into_iter()
        .filter(|(p, _, _)| !p.contains("/evidence/"))
        .collect();
    assert_eq!(before, after);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    // Every flagged file, from the folder and from the zip, once.
    let flagged: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let copied: BTreeSet<&str> = files
        .iter()
        .map(|e| e["original"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, copied);
    assert!(copied.iter().any(|p| p.starts_with("triage.zip!/")));
    for e in files {
        let copy = out_dir.join(e["copy"].as_str().unwrap());
        let bytes = std::fs::read(&copy).unwrap();
        assert_eq!(bytes.len() as u64, e["size"].as_u64().unwrap());
        let h: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(h, e["sha256"].as_str().unwrap());
        assert!(!e["findings"].as_array().unwrap().is_empty());
    }
    let csv_rows = std::fs::read_to_string(out_dir.join("manifest.csv")).unwrap();
    assert_eq!(csv_rows.lines().count(), files.len() + 1);
    assert!(out_dir.join("report.json").is_file());
    assert!(out_dir.join("report.txt").is_file());

    // A folder that is not empty, or one inside an input, is refused.
    let again = exhunt()
        .args(["scan", "-q", "--collect"])
        .arg(&out_dir)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let inside = exhunt()
        .args(["scan", "-q", "--collect"])
        .arg(input.join("new-evidence"))
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(inside.status.code(), Some(2));
    assert!(!input.join("new-evidence").exists());
}
