//! The bundled YARA rules against their test corpus (rules/yara-tests), the
//! real tennc web shells and the benign pages: every rule has samples it
//! must match and near-misses it must not; nothing benign matches anything.

use exhunt_yara::{FileInfo, FileScanner, YaraRules, YaraRulesBuilder};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[path = "support/samples.rs"]
mod support;

/// The samples with lower-cased paths (as the scanner's globals see them).
fn samples(dir: &Path) -> Vec<(String, Vec<u8>)> {
    support::samples(dir)
        .into_iter()
        .map(|(rel, bytes)| (rel.to_lowercase(), bytes))
        .collect()
}

fn bundled() -> YaraRules {
    // As a scan builds them: compiled when the first file is scanned.
    let r = YaraRulesBuilder::new().bundled().build_lazy();
    for l in r.loads() {
        assert!(l.is_loaded(), "{l:?}");
        assert!(l.warnings.is_empty(), "{l:?}");
    }
    r
}

/// The `exhunt_rule` ids a sample matches.
fn matches(s: &mut FileScanner<'_>, rel: &str, bytes: &[u8]) -> BTreeSet<String> {
    let name = rel.rsplit('/').next().unwrap();
    s.scan(bytes, FileInfo { name, path: rel })
        .unwrap()
        .iter()
        .map(|h| {
            h.meta("exhunt_rule")
                .expect("our rules name themselves")
                .to_string()
        })
        .collect()
}

#[test]
fn every_rule_matches_its_samples_and_not_its_near_misses() {
    let rules = bundled();
    let mut s = FileScanner::new(&rules, Duration::from_secs(10));
    let dir = root().join("rules/yara-tests");
    let mut tested = BTreeSet::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let d = e.unwrap().path();
        let id = d.file_name().unwrap().to_string_lossy().into_owned();
        let pos = samples(&d.join("match"));
        let neg = samples(&d.join("nomatch"));
        for (rel, bytes) in &pos {
            let m = matches(&mut s, rel, bytes);
            assert!(m.contains(&id), "{id}: match/{rel} gave {m:?}");
        }
        for (rel, bytes) in &neg {
            let m = matches(&mut s, rel, bytes);
            assert!(m.is_empty(), "{id}: nomatch/{rel} gave {m:?}");
        }
        tested.insert(id);
    }
    // Every bundled rule has its folder, and every folder its rule.
    let src: String = exhunt_yara::BUNDLED_YARA.iter().map(|(_, t)| *t).collect();
    let declared: BTreeSet<String> = src
        .lines()
        .filter_map(|l| l.trim().strip_prefix("exhunt_rule = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .collect();
    assert_eq!(declared.len(), rules.len(), "one exhunt_rule per rule");
    assert_eq!(declared, tested);
}

#[test]
fn every_tennc_shell_matches() {
    let rules = bundled();
    let mut s = FileScanner::new(&rules, Duration::from_secs(10));
    let shells = samples(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tennc-webshell"));
    assert!(shells.len() >= 9, "{}", shells.len());
    for (rel, bytes) in &shells {
        let m = matches(&mut s, rel, bytes);
        assert!(!m.is_empty(), "{rel} matched nothing");
    }
}

#[test]
fn no_benign_page_matches() {
    let rules = bundled();
    let mut s = FileScanner::new(&rules, Duration::from_secs(10));
    let pages = samples(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/benign-pages"));
    assert!(pages.len() >= 15, "{}", pages.len());
    for (rel, bytes) in &pages {
        let m = matches(&mut s, rel, bytes);
        assert!(m.is_empty(), "{rel} matched {m:?}");
    }
}

#[test]
fn the_bundled_rules_compiled_on_first_use_are_the_ones_compiled_at_once() {
    let eager = YaraRulesBuilder::new().bundled().build();
    let lazy = YaraRulesBuilder::new().bundled().build_lazy();
    // The report's counts, taken from the parser before any compile.
    assert_eq!(lazy.loads(), eager.loads());
    assert_eq!(lazy.len(), eager.len());
    assert!(lazy.len() >= 10, "{}", lazy.len());
    assert_eq!(lazy.identifiers(), eager.identifiers());
    // A user's file is compiled at once: its error is in the load report.
    let mut b = YaraRulesBuilder::new().bundled();
    b.add_source(b"rule broken { condition: no_such_thing }", "user.yar");
    let r = b.build_lazy();
    let user = r.loads().last().unwrap();
    assert_eq!(user.origin, "user.yar");
    assert!(!user.errors.is_empty(), "{user:?}");
    assert_eq!(r.len(), eager.len());
}
