//! `--format stix` through the real binary: a STIX 2.1 bundle whose every
//! reference resolves inside it, every object marked with the TLP level
//! asked for and created by the organisation named; the example's attacker
//! address, web-shell hash and user agents as indicators sighted on the
//! server; CVEs and ATT&CK techniques tied; the same from the example as a
//! zip; a clean tree gives no indicator. (`.ci/run` also runs OASIS's
//! stix2-validator and the stix2 library's parser on these bundles.)

mod common;

use common::*;
use exhunt_testgen::tree;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use tempfile::TempDir;

const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";

fn bundle(input: &Path, extra: &[&str]) -> Value {
    let out = exhunt()
        .args(["scan", "--format", "stix"])
        .args(extra)
        .arg(input)
        .output()
        .unwrap();
    let b: Value = serde_json::from_slice(&out.stdout).expect("a JSON bundle");
    assert_eq!(b["type"], "bundle");
    assert!(b["id"].as_str().unwrap().starts_with("bundle--"));
    // Every reference resolves inside the bundle.
    let objects = b["objects"].as_array().unwrap();
    let ids: HashSet<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), objects.len(), "ids are unique");
    for o in objects {
        assert_eq!(o["spec_version"], "2.1", "{o}");
        for (k, v) in o.as_object().unwrap() {
            if k.ends_with("_ref") {
                assert!(ids.contains(v.as_str().unwrap()), "{k} of {o}");
            }
            if k.ends_with("_refs") {
                for r in v.as_array().unwrap() {
                    assert!(ids.contains(r.as_str().unwrap()), "{k} of {o}");
                }
            }
        }
    }
    b
}

fn of_type<'a>(b: &'a Value, t: &str) -> Vec<&'a Value> {
    b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == t)
        .collect()
}

fn patterns(b: &Value) -> Vec<String> {
    let mut p: Vec<String> = of_type(b, "indicator")
        .iter()
        .map(|i| i["pattern"].as_str().unwrap().to_string())
        .collect();
    p.sort();
    p
}

#[test]
fn the_example_gives_indicators_sighted_on_the_server_marked_and_attributed() {
    let t = TempDir::new().unwrap();
    let dir = t.path().join("EX01");
    tree::write_example(&dir).unwrap();
    let b = bundle(
        &dir,
        &["--org", "Town of Example IT", "--tlp", "amber+strict"],
    );

    // The marking asked for, on every object, and who made them.
    let marks = of_type(&b, "marking-definition");
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0]["id"], AMBER_STRICT);
    assert_eq!(marks[0]["name"], "TLP:AMBER+STRICT");
    let org = of_type(&b, "identity")
        .into_iter()
        .find(|i| i["name"] == "Town of Example IT")
        .expect("the organisation");
    assert_eq!(org["identity_class"], "organization");
    let server = of_type(&b, "identity")
        .into_iter()
        .find(|i| i["identity_class"] == "system")
        .expect("the server");
    assert_eq!(server["name"], "EX01");
    for o in b["objects"].as_array().unwrap() {
        if o["type"] != "marking-definition" {
            assert_eq!(
                o["object_marking_refs"],
                serde_json::json!([AMBER_STRICT]),
                "{o}"
            );
            assert_eq!(o["created_by_ref"], org["id"], "{o}");
        }
    }

    // What others can block or hunt for.
    let p = patterns(&b);
    assert!(
        p.contains(&format!(
            "[ipv4-addr:value = '{}']",
            tree::EXAMPLE_ATTACKER_IP
        )),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|x| x.contains("'User-Agent' = 'antSword/v2.1'")),
        "{p:#?}"
    );
    let r = scan(&[&dir]);
    let shell_sha = r
        .findings()
        .iter()
        .filter(|f| f["kind"] == "webshell")
        .find_map(|f| f["evidence"]["sha256"].as_str())
        .unwrap()
        .to_string();
    assert!(
        p.contains(&format!("[file:hashes.'SHA-256' = '{shell_sha}']")),
        "{p:#?}"
    );
    // No internal or loopback address is an indicator.
    assert!(
        !p.iter().any(|x| x.contains("'10.") || x.contains("'127.")),
        "{p:#?}"
    );
    for i in of_type(&b, "indicator") {
        assert_eq!(i["pattern_type"], "stix");
        assert!(i["valid_from"].as_str().unwrap().ends_with('Z'));
    }

    // Each sighted on the server, with when.
    let sightings = of_type(&b, "sighting");
    assert_eq!(sightings.len(), of_type(&b, "indicator").len());
    let ip = of_type(&b, "indicator")
        .into_iter()
        .find(|i| {
            i["pattern"]
                .as_str()
                .unwrap()
                .contains(tree::EXAMPLE_ATTACKER_IP)
        })
        .unwrap();
    let s = sightings
        .iter()
        .find(|s| s["sighting_of_ref"] == ip["id"])
        .unwrap();
    assert_eq!(s["where_sighted_refs"], serde_json::json!([server["id"]]));
    assert!(s["first_seen"]
        .as_str()
        .unwrap()
        .starts_with("2021-03-03T06:49"));
    assert!(s["count"].as_u64().unwrap() > 5);

    // The CVEs, the techniques and the web-shell family, tied together.
    let cve = of_type(&b, "vulnerability")
        .into_iter()
        .find(|v| v["name"] == "CVE-2021-26855")
        .expect("CVE-2021-26855");
    assert_eq!(
        cve["external_references"][0]["external_id"],
        "CVE-2021-26855"
    );
    let t1190 = of_type(&b, "attack-pattern")
        .into_iter()
        .find(|a| a["external_references"][0]["external_id"] == "T1190")
        .expect("T1190");
    let rels = of_type(&b, "relationship");
    assert!(rels.iter().any(|r| r["relationship_type"] == "targets"
        && r["source_ref"] == t1190["id"]
        && r["target_ref"] == cve["id"]));
    assert!(rels.iter().any(|r| r["relationship_type"] == "indicates"
        && r["source_ref"] == ip["id"]
        && r["target_ref"] == t1190["id"]));
    let malware = of_type(&b, "malware");
    assert!(!malware.is_empty());
    assert!(malware
        .iter()
        .all(|m| m["malware_types"] == serde_json::json!(["webshell"])));

    // The example as one zip: the same indicators.
    let zip = t.path().join("EX01.zip");
    tree::write_example_zip(&zip).unwrap();
    assert_eq!(patterns(&bundle(&zip, &[])), p);
    // The default marking is TLP:AMBER.
    assert_eq!(
        of_type(&bundle(&zip, &[]), "marking-definition")[0]["name"],
        "TLP:AMBER"
    );
}

#[test]
fn a_clean_tree_has_nothing_to_share() {
    let t = TempDir::new().unwrap();
    tree::write_clean(t.path()).unwrap();
    let b = bundle(t.path(), &["--tlp", "clear"]);
    assert!(of_type(&b, "indicator").is_empty());
    assert!(of_type(&b, "sighting").is_empty());
    assert_eq!(of_type(&b, "marking-definition")[0]["name"], "TLP:CLEAR");
    assert_eq!(of_type(&b, "identity").len(), 2);
}
