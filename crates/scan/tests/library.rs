//! The scan through the library API, without the binary: a realistic
//! compromised tree (exhunt-testgen's example), a clean one, a collection
//! zip and bad input, with findings, coverage, stats and errors asserted on
//! the evidence and on the judged report.

use exhunt_core::{Finding, Verdict};
use exhunt_scan::{run, Evidence, ScanConfigBuilder};
use exhunt_sources::Input;
use exhunt_testgen::tree;
use std::collections::BTreeSet;
use std::path::Path;
use tempfile::TempDir;

fn scan(path: &Path) -> Evidence {
    let config = ScanConfigBuilder::new()
        .input(Input::plain(path), path.display().to_string())
        .build()
        .expect("bundled rules load");
    run(&config, &()).evidence
}

fn rules(ev: &Evidence) -> BTreeSet<&str> {
    ev.findings
        .iter()
        .flat_map(|f| f.rules.iter().map(String::as_str))
        .collect()
}

fn of<'e>(ev: &'e Evidence, rule: &str) -> Vec<&'e Finding> {
    ev.findings
        .iter()
        .filter(|f| f.rules.iter().any(|r| r == rule))
        .collect()
}

#[test]
fn example_tree_every_planted_trace_through_the_library() {
    let dir = TempDir::new().unwrap();
    let summary = tree::write_example(dir.path()).unwrap();
    let ev = scan(dir.path());
    let got = rules(&ev);
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
        assert!(got.contains(rule), "{rule} missing from {got:?}");
    }
    // Every planted log trace is reported at its file.
    // (The EWS log's rows are what the access pass read for the ledger.)
    for p in &summary.planted {
        assert!(
            ev.findings.iter().any(|f| f.path == p.path)
                || ev
                    .accesses
                    .iter()
                    .any(|a| a.rows.iter().any(|r| r.path == p.path)),
            "nothing for planted {} in {}",
            p.what,
            p.path
        );
    }
    // The second pass ties requests for the page to the page on disk: the
    // request names the file the file pass found.
    let page = &of(&ev, "webshell-aspnet-client")[0].path;
    for f in of(&ev, "webshell-requested") {
        assert_eq!(f.evidence.get("web_shell_file"), Some(page));
        assert!(f.line.is_some() && f.time.is_some());
    }
    // Log findings carry the lines around them (the read seam's context).
    let ssrf = &of(&ev, "proxylogon-ssrf-26855")[0];
    assert!(!ssrf.context.is_empty());
    assert!(ssrf.context.iter().all(|c| c.line != ssrf.line));
    // File findings carry their hash, dumps included (issue 14, item 8).
    let shell = of(&ev, "webshell-aspnet-client")[0];
    assert_eq!(shell.evidence.get("sha256").map(String::len), Some(64));
    assert_eq!(
        of(&ev, "lsass-dump")[0]
            .evidence
            .get("sha256")
            .map(String::len),
        Some(64)
    );
    // What was read, and how far back.
    assert!(ev.stats.files_seen >= summary.files as u64);
    assert!(ev.stats.lines_read > 0 && ev.stats.files_content_scanned > 0);
    let families: BTreeSet<&str> = ev.windows.iter().map(|w| w.family.as_str()).collect();
    assert!(families.contains("HttpProxy/Ecp"), "{families:?}");
    // The build from the logs' #Version headers.
    assert!(ev.patch.is_some());
    let report = exhunt_judge::judge(ev, "test");
    assert_eq!(report.verdict, Verdict::Compromised);
    assert!(!report.incomplete);
}

#[test]
fn clean_tree_has_nothing_that_moves_the_verdict() {
    let dir = TempDir::new().unwrap();
    tree::write_clean(dir.path()).unwrap();
    let ev = scan(dir.path());
    assert!(
        ev.findings.iter().all(|f| !f.severity.moves_verdict()),
        "{:#?}",
        ev.findings
    );
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    let report = exhunt_judge::judge(ev, "test");
    // Nothing moves it; the tree's build was open to ProxyLogon and its
    // logs start after 2021-01-06, so the reading is inconclusive, saying why.
    assert!(
        report.verdict == Verdict::Clean
            || (report.verdict == Verdict::Inconclusive && !report.why_inconclusive.is_empty()),
        "{:?} {:?}",
        report.verdict,
        report.why_inconclusive
    );
}

#[test]
fn zip_of_the_example_gives_the_same_rules_and_bad_input_is_named() {
    let dir = TempDir::new().unwrap();
    let tree_dir = dir.path().join("tree");
    tree::write_example(&tree_dir).unwrap();
    let zip = dir.path().join("example.zip");
    tree::write_example_zip(&zip).unwrap();
    let from_tree = scan(&tree_dir);
    let from_zip = scan(&zip);
    assert_eq!(rules(&from_tree), rules(&from_zip));
    assert!(from_zip.findings.iter().all(|f| f.path.contains(".zip!/")));

    // A binary file where a log is expected: an error naming it, and the
    // rest of the scan goes on.
    let bad = dir.path().join("bad");
    let logs = bad.join("V15/Logging/HttpProxy/Ecp");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("HttpProxy_2021030306-1.LOG"), b"\0\0\0\x01binary").unwrap();
    tree::write_example(&bad.join("more")).unwrap();
    let ev = scan(&bad);
    assert!(
        ev.errors
            .iter()
            .any(|e| e.path.ends_with("HttpProxy_2021030306-1.LOG")),
        "{:?}",
        ev.errors
    );
    assert!(rules(&ev).contains("proxylogon-ssrf-26855"));
}

#[test]
fn user_rules_are_loaded_or_refused_by_the_builder() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such-folder");
    let err = ScanConfigBuilder::new()
        .iocs_file(&missing)
        .build()
        .err()
        .expect("a missing indicator file is refused");
    assert!(err.to_string().contains("no-such-folder"), "{err}");

    let yar = dir.path().join("mine.yar");
    std::fs::write(
        &yar,
        "rule exhunt_library_test { strings: $a = \"exhunt-library-marker\" condition: $a }",
    )
    .unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("note.bin"), b"xx exhunt-library-marker xx").unwrap();
    let config = ScanConfigBuilder::new()
        .input(Input::plain(&files), "files")
        .yara_path(&yar)
        .build()
        .unwrap();
    assert!(config
        .rule_loads()
        .iter()
        .any(|l| l.engine == "yara" && l.origin.ends_with("mine.yar") && l.status == "loaded"));
    let ev = run(&config, &()).evidence;
    assert!(
        ev.findings
            .iter()
            .any(|f| f.rule.contains("exhunt_library_test")),
        "{:#?}",
        ev.findings
    );
}
