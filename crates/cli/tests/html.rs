//! `--format html` through the real binary: one self-contained page (the
//! strict Content-Security-Policy, no script, nothing fetched) on the
//! bundled example, on the example as a zip and on a clean tree, with the
//! verdict, the steps, the findings' groups, what was taken and the
//! timeline. (The browser tests of the issue are still to come.)

mod common;

use common::*;
use exhunt_testgen::tree;
use std::path::Path;
use tempfile::TempDir;

fn page(input: &Path) -> String {
    let out = exhunt()
        .args(["scan", "--format", "html"])
        .arg(input)
        .output()
        .unwrap();
    let p = String::from_utf8(out.stdout).unwrap();
    assert!(p.starts_with("<!DOCTYPE html>"), "{p}");
    assert!(p.contains(&format!("content=\"{}\"", exhunt_report::HTML_CSP)));
    assert!(!p.contains("<script") && !p.contains(" src=\"") && !p.contains(" href=\""));
    p
}

#[test]
fn the_example_folder_and_zip_and_a_clean_tree_render() {
    let t = TempDir::new().unwrap();
    let dir = t.path().join("EX01");
    tree::write_example(&dir).unwrap();
    let p = page(&dir);
    assert!(p.contains("VERDICT: COMPROMISED"));
    assert!(p.contains("class=\"verdict v-compromised\""));
    assert!(p.contains("EXPOSED: build 15.1.2106.2"));
    for m in tree::EXAMPLE_READ_MAILBOXES {
        assert!(p.contains(m.0), "{} not under what was taken", m.0);
    }
    // A group per kind of finding, each opening to its evidence.
    let r = scan(&[&dir]);
    let kinds: std::collections::HashSet<(String, String)> = r
        .findings()
        .iter()
        .map(|f| (f["rule"].to_string(), f["title"].to_string()))
        .collect();
    assert_eq!(p.matches("<details class=\"group\">").count(), kinds.len());
    assert!(p.contains("<svg"));

    let zip = t.path().join("EX01.zip");
    tree::write_example_zip(&zip).unwrap();
    let z = page(&zip);
    assert!(z.contains("VERDICT: COMPROMISED") && z.contains("EX01.zip!/"));

    let clean = t.path().join("clean");
    tree::write_clean(&clean).unwrap();
    let c = page(&clean);
    assert!(c.contains("VERDICT: CLEAN") || c.contains("VERDICT: INCONCLUSIVE"));
    assert!(c.contains("Nothing in what was read shows that mail"));
}
