//! Where Exchange runs: `exhunt scan --system-root` on a fake server drive
//! (a real SOFTWARE hive, made with hivexsh and committed, naming a non-default install
//! folder), the same with no PATH on a "live" server, `exhunt collect`
//! and the scan of the collection, which must give the same findings.

mod common;

use common::*;
use exhunt_testgen::sysroot::{system_root_bundle, SystemRootSpec};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use tempfile::TempDir;

// SOFTWARE hives, committed (`crates/system/tests/data/hives/`, made by
// `scripts/make-test-hives.sh` with hivexsh; provenance beside them): the
// tests need no hivex tools.
/// Exchange's Setup key: `MsiInstallPath` `C:\Apps\Exchange Server\V15\`,
/// build 15.1.2106.2.
const EXCHANGE_HIVE: &str = "SOFTWARE-exchange";
/// Windows without Exchange.
const NO_EXCHANGE_HIVE: &str = "SOFTWARE-no-exchange";

/// A fake system drive under `<tmp>/c` (as
/// `exhunt_testgen::sysroot::write_system_root` lays it out), with the
/// committed hive `hive` as its `SOFTWARE`.
fn server(hive: &str) -> (TempDir, std::path::PathBuf, exhunt_testgen::tree::Bundle) {
    let d = TempDir::new().unwrap();
    let root = d.path().join("c");
    let b = system_root_bundle(&SystemRootSpec::default());
    b.write_to(&root).unwrap();
    let cfg = root.join("Windows/System32/config");
    std::fs::create_dir_all(&cfg).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../system/tests/data/hives")
        .join(hive);
    std::fs::copy(from, cfg.join("SOFTWARE")).unwrap();
    (d, root, b)
}

fn collect(root: &Path, zip: &Path, extra: &[&str]) -> std::process::Output {
    exhunt()
        .args(["collect", "--system-root"])
        .arg(root)
        .arg("--output")
        .arg(zip)
        .args(extra)
        .output()
        .unwrap()
}

/// Findings as comparable text, with the zip's `name!/` taken off paths
/// and evidence values.
fn comparable(r: &Run, strip: &str) -> Vec<String> {
    r.findings()
        .iter()
        .map(|f| {
            // Why a file has no hash says, from a collection, that the
            // collection left it out: the rest must be the same.
            let mut f = f.clone();
            if let Some(n) = f["evidence"]["sha256_note"].as_str() {
                let n = n.trim_start_matches("left out of the collection, not read: ");
                f["evidence"]["sha256_note"] = Value::String(n.to_string());
            }
            let s = serde_json::to_string(&f).unwrap();
            if strip.is_empty() {
                s
            } else {
                s.replace(strip, "")
            }
        })
        .collect()
}

#[test]
fn system_root_scan_finds_the_planted_traces_in_a_non_default_install() {
    let (_d, root, bundle) = server(EXCHANGE_HIVE);
    let r = run_json(&["scan", "--system-root", root.to_str().unwrap()]);
    assert_eq!(r.verdict(), "compromised");
    assert_eq!(r.code, 30, "{}", r.stderr);
    // Every planted trace, at its place under the install folder the
    // registry names.
    for p in &bundle.planted {
        assert!(
            r.reported_at(&p.path),
            "nothing for planted {} at {}",
            p.what,
            p.path
        );
    }
    for rule in [
        "proxylogon-ssrf-26855",
        "proxylogon-27065-ecp-setvdir",
        "proxylogon-26858-oab-path",
        "webshell-exchange-auth-folder",
        "webshell-aspnet-client",
        "webshell-requested",
        "webserver-spawns-shell",
        "lsass-dump",
        "programdata-archive",
    ] {
        assert!(!r.rule(rule).is_empty(), "{rule} missing: {:?}", r.rules());
    }
    // The IIS log folder the site defaults moved out of inetpub is read, as
    // IIS logs, so requests for the shell are tied to it.
    assert!(r
        .rule("webshell-requested")
        .iter()
        .all(|f| f["path"] == "IISLogs/W3SVC1/u_ex210303.log"));
    // Where it looked, and from what.
    let d = &r.report["discovery"];
    assert_eq!(d["exchange_install"], "C:\\Apps\\Exchange Server\\V15\\");
    assert_eq!(
        d["exchange_install_from"],
        "registry hive Windows/System32/config/SOFTWARE, SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup value MsiInstallPath"
    );
    assert_eq!(d["live"], false);
    let iis = d["places"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["what"] == "IIS logs")
        .unwrap();
    assert_eq!(iis["path"], "IISLogs");
    assert!(iis["from"]
        .as_str()
        .unwrap()
        .contains("applicationHost.config line"));
    // The build from the registry hive.
    assert_eq!(r.report["patch"]["build"], "15.1.2106.2");
    assert!(r.report["patch"]["source"]
        .as_str()
        .unwrap()
        .starts_with("registry hive"));
    // Only the places: the user's desktop is not read.
    assert!(!r
        .findings()
        .iter()
        .any(|f| f["path"].as_str().unwrap().starts_with("Users/")));
    assert_eq!(
        r.report["stats"]["files_seen"].as_u64().unwrap() as usize,
        bundle.files.len() - 2 + 1,
        "every file but README.txt and the desktop, plus the hive"
    );
    assert!(r.errors().is_empty(), "{:?}", r.errors());
    // The text report says the same to a person.
    let out = exhunt()
        .args(["scan", "-q", "--system-root"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Exchange installed in C:\\Apps\\Exchange Server\\V15\\ (from registry hive")
    );
    assert!(text.contains("IIS logs                       C:\\IISLogs\\  (from Windows/System32/inetsrv/config/applicationHost.config line"));
}

#[test]
fn collect_then_scan_gives_the_same_findings_and_leaves_the_source_alone() {
    let (d, root, _) = server(EXCHANGE_HIVE);
    let before = fingerprint(&root);
    let zip = d.path().join("triage.zip");
    let out = collect(&root, &zip, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SHA-256 of the zip"), "{stderr}");
    assert_eq!(fingerprint(&root), before, "collect changed the source");

    // The sidecar hash is the zip's.
    let side = std::fs::read_to_string(d.path().join("triage.zip.sha256")).unwrap();
    let zip_hash = {
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(std::fs::read(&zip).unwrap());
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(side, format!("{zip_hash}  triage.zip\n"));

    // The manifest's hashes are the source files' hashes.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let manifest: Value = {
        let m = archive.by_name("_exhunt/manifest.json").unwrap();
        serde_json::from_reader(m).unwrap()
    };
    assert_eq!(manifest["schema"], "exhunt/collect/v1");
    let files = manifest["files"].as_array().unwrap();
    assert!(files.len() > 30);
    let by_path: std::collections::HashMap<String, String> = before
        .iter()
        .map(|(p, h, _)| {
            (
                Path::new(p)
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                h.clone(),
            )
        })
        .collect();
    for f in files {
        let p = f["path"].as_str().unwrap();
        assert_eq!(
            by_path.get(p).map(String::as_str),
            f["sha256"].as_str(),
            "{p}"
        );
        assert!(archive.by_name(p).is_ok(), "{p} not in the zip");
    }
    assert!(!files
        .iter()
        .any(|f| f["path"].as_str().unwrap().starts_with("Users/")));

    let direct = run_json(&["scan", "--system-root", root.to_str().unwrap()]);
    let from_zip = run_json(&["scan", zip.to_str().unwrap()]);
    assert_eq!(from_zip.code, direct.code);
    assert_eq!(
        comparable(&from_zip, "triage.zip!/"),
        comparable(&direct, ""),
        "findings differ"
    );
    for field in ["coverage", "verdict", "incomplete", "skipped", "errors"] {
        assert_eq!(
            serde_json::to_string(&from_zip.report[field])
                .unwrap()
                .replace("triage.zip!/", ""),
            serde_json::to_string(&direct.report[field]).unwrap(),
            "{field}"
        );
    }
    assert_eq!(
        from_zip.report["patch"]["build"],
        direct.report["patch"]["build"]
    );
    // The collection says where it came from.
    let d = &from_zip.report["discovery"];
    assert_eq!(d["exchange_install"], "C:\\Apps\\Exchange Server\\V15\\");
    assert!(d["collected"].as_str().unwrap().ends_with('Z'));

    // Never over an existing file; never inside a place read.
    let again = collect(&root, &zip, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let inside = root.join("ProgramData/triage.zip");
    let refused = collect(&root, &inside, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("never writes into evidence"));
    assert!(!inside.exists());
    // Nor anywhere on the mounted disk, read or not.
    for (cmd, out) in [("collect", "top.zip"), ("scan", "report.json")] {
        let target = root.join(out);
        let o = exhunt()
            .args([cmd, "--system-root"])
            .arg(&root)
            .arg("--output")
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("never writes into evidence"));
        assert!(!target.exists());
    }
    assert_eq!(fingerprint(&root), before);
}

#[test]
fn a_folder_named_like_the_metadata_is_left_out_not_fatal() {
    let (d, root, _) = server(EXCHANGE_HIVE);
    // A virtual directory served from C:\_exhunt (as an intruder could
    // name one), holding a manifest.json of its own.
    let cfg = root.join("Windows/System32/inetsrv/config/applicationHost.config");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "<application path=\"/\" applicationPool=\"DefaultAppPool\">",
        "<application path=\"/\" applicationPool=\"DefaultAppPool\">\r\n<virtualDirectory path=\"/x\" physicalPath=\"C:\\_exhunt\" />",
    );
    std::fs::write(&cfg, text).unwrap();
    put(&root, "_exhunt/manifest.json", b"{\"not\": \"ours\"}");
    let zip = d.path().join("t.zip");
    let out = collect(&root, &zip, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = run_json(&["scan", zip.to_str().unwrap()]);
    assert_eq!(
        r.report["discovery"]["exchange_install"],
        "C:\\Apps\\Exchange Server\\V15\\"
    );
    assert!(r.report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["path"] == "t.zip!/_exhunt/manifest.json"
            && s["reason"]
                .as_str()
                .unwrap()
                .contains("the collection's own metadata folder")));
    assert_eq!(r.verdict(), "compromised");
}

#[test]
fn size_caps_and_since_are_listed_and_replayed() {
    let (d, root, _) = server(EXCHANGE_HIVE);
    // A large archive under ProgramData (stolen data): over the cap, so the
    // scan reads only its path; the collection lists it and the scan of
    // the collection still names it.
    let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    put(&root, "ProgramData/pst.7z", &big);
    let zip = d.path().join("capped.zip");
    let out = collect(&root, &zip, &["--max-filesize", "200K"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let direct = run_json(&[
        "scan",
        "--system-root",
        root.to_str().unwrap(),
        "--max-filesize",
        "200K",
    ]);
    let from_zip = run_json(&["scan", zip.to_str().unwrap(), "--max-filesize", "200K"]);
    assert_eq!(
        comparable(&from_zip, "capped.zip!/"),
        comparable(&direct, "")
    );
    assert!(direct
        .rule("programdata-archive")
        .iter()
        .any(|f| f["path"] == "ProgramData/pst.7z"));
    let skipped = |r: &Run| -> BTreeSet<String> {
        r.report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s["path"].as_str().unwrap(),
                    s["reason"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert!(skipped(&direct).contains(
        "ProgramData/pst.7z larger than --max-filesize (1200000 bytes > 204800): content not hashed or YARA-scanned"
    ));
    assert_eq!(
        skipped(&from_zip)
            .into_iter()
            .map(|s| s.replace("capped.zip!/", ""))
            .collect::<BTreeSet<_>>(),
        skipped(&direct)
    );

    // --since: text logs before the date are left out and said so; web
    // folders, dumps and event logs stay.
    let zip = d.path().join("recent.zip");
    let out = collect(&root, &zip, &["--since", "2021-03-05"]);
    assert!(out.status.success());
    let r = run_json(&["scan", zip.to_str().unwrap()]);
    assert_eq!(r.verdict(), "compromised");
    for rule in [
        "webshell-exchange-auth-folder",
        "lsass-dump",
        "webserver-spawns-shell",
    ] {
        assert!(!r.rule(rule).is_empty(), "{rule}");
    }
    assert!(r.rule("proxylogon-ssrf-26855").is_empty());
    let left: Vec<String> = skipped(&r)
        .into_iter()
        .filter(|s| s.contains("before --since 2021-03-05T00:00:00Z"))
        .collect();
    assert!(left
        .iter()
        .any(|s| s.starts_with("recent.zip!/IISLogs/W3SVC1/u_ex210303.log")));
    assert!(left
        .iter()
        .all(|s| s.contains(".LOG ") || s.contains(".log ")));
    let bad = collect(&root, &d.path().join("x.zip"), &["--since", "March"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a date"));

    // --max-total: files first, the newest logs next, the rest listed.
    let zip = d.path().join("small.zip");
    let out = collect(&root, &zip, &["--max-total", "300K"]);
    assert!(out.status.success());
    let r = run_json(&["scan", zip.to_str().unwrap()]);
    assert!(!r.rule("webshell-aspnet-client").is_empty());
    assert!(skipped(&r)
        .iter()
        .any(|s| s.contains("over --max-total (307200 bytes)")));
}

#[test]
fn hive_of_a_server_without_exchange_gives_a_clear_message() {
    let (_d, root, _) = server(NO_EXCHANGE_HIVE);
    let r = run_json(&["scan", "--system-root", root.to_str().unwrap()]);
    let d = &r.report["discovery"];
    assert_eq!(d["exchange_install"], Value::Null);
    let notes: Vec<&str> = d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(notes.contains(&"The registry hive Windows/System32/config/SOFTWARE has no SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup (or v14) key: Exchange Server is not installed on this system, or was removed."), "{notes:?}");
    assert!(
        r.stderr.contains("install folder not found"),
        "{}",
        r.stderr
    );
    let steps = r.report["next_steps"].as_array().unwrap();
    assert!(
        steps[0]
            .as_str()
            .unwrap()
            .starts_with("Exchange was not found on "),
        "{steps:?}"
    );
    assert!(!steps.iter().any(|s| s
        .as_str()
        .unwrap()
        .starts_with("No Exchange logs were found")));
    // Still searched: IIS, event logs, ProgramData, dumps.
    for rule in [
        "webshell-aspnet-client",
        "lsass-dump",
        "webserver-spawns-shell",
    ] {
        assert!(!r.rule(rule).is_empty(), "{rule}");
    }
    assert!(r.rule("proxylogon-ssrf-26855").is_empty());
}

#[test]
fn live_server_from_its_environment() {
    let (_d, root, _) = server(NO_EXCHANGE_HIVE);
    // On the server: no PATH; the root is %SystemDrive%, Exchange from
    // ExchangeInstallPath (Windows keeps the hive locked while it runs).
    let out = exhunt()
        .args(["scan", "--format", "json"])
        .env("SystemDrive", &root)
        .env("ExchangeInstallPath", "C:\\Apps\\Exchange Server\\V15\\")
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(30));
    assert_eq!(r["discovery"]["live"], true);
    assert_eq!(
        r["discovery"]["exchange_install_from"],
        "environment variable ExchangeInstallPath"
    );
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "proxylogon-ssrf-26855"));
    // Not on Windows and nothing to scan: a clear message.
    let out = exhunt()
        .arg("scan")
        .env_remove("SystemDrive")
        .env_remove("SYSTEMDRIVE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not look like a Windows system"), "{err}");
    assert!(err.contains("--system-root"), "{err}");
}

#[test]
fn malformed_iis_configuration_is_named_and_the_scan_goes_on() {
    let (_d, root, _) = server(EXCHANGE_HIVE);
    std::fs::write(
        root.join("Windows/System32/inetsrv/config/applicationHost.config"),
        "<configuration>\r\n<system.applicationHost>\r\n<sites>\r\n</configuration>\r\n",
    )
    .unwrap();
    let r = run_json(&["scan", "--system-root", root.to_str().unwrap()]);
    assert_eq!(r.code, 31);
    assert!(r.errors().iter().any(|e| e["path"]
        == "Windows/System32/inetsrv/config/applicationHost.config"
        && e["message"].as_str().unwrap().starts_with("line 4:")));
    // The logs moved out of inetpub are not found without the
    // configuration; everything else still is.
    assert!(!r.rule("proxylogon-ssrf-26855").is_empty());
    assert!(!r.rule("webshell-aspnet-client").is_empty());
}
