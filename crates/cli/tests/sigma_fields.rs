//! Users' Sigma rules read as SigmaHQ means them (issue 12, item 9),
//! through the real binary on public EVTX samples (EVTX-ATTACK-SAMPLES):
//! `registry_event` rules apply to Sysmon's registry events, and a rule
//! whose precision is a filter on the parent process is not turned into a
//! match-all by Security 4688 events that carry no parent. The rules are
//! ours, written for this test in SigmaHQ's style.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sources/tests/data/evtx-attack-samples")
        .join(rel)
}

/// A shell not started by the desktop: its precision is the parent filter
/// (like SigmaHQ's "Non Interactive PowerShell Process Spawned").
const NOT_FROM_EXPLORER: &str = r#"title: Console host or shell not started from the desktop
id: 6a1d6f5e-3c0b-4d8e-9a71-0f3b2c4d5e61
status: test
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith:
            - '\cmd.exe'
            - '\conhost.exe'
    filter_main_explorer:
        ParentImage|endswith: '\explorer.exe'
    condition: selection and not 1 of filter_main_*
level: medium
"#;

/// SigmaHQ's generic registry category.
const UAC_OFF: &str = r#"title: UAC disabled in the registry
id: 0b8e2f4a-7d13-4c55-8e2a-5f9c1d7e3b20
status: test
logsource:
    category: registry_event
    product: windows
detection:
    selection:
        TargetObject|endswith: '\Policies\System\EnableLUA'
        Details: 'DWORD (0x00000000)'
    condition: selection
level: high
"#;

fn rule_load<'a>(r: &'a Run, id: &str) -> &'a Value {
    r.report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no load entry for {id}"))
}

#[test]
fn rules_apply_where_their_fields_are_and_say_where_they_are_not() {
    let rules = TempDir::new().unwrap();
    std::fs::write(
        rules.path().join("not_from_explorer.yml"),
        NOT_FROM_EXPLORER,
    )
    .unwrap();
    std::fs::write(rules.path().join("uac_off.yml"), UAC_OFF).unwrap();
    let logs = TempDir::new().unwrap();
    for f in [
        "LM_ScheduledTask_ATSVC_target_host.evtx",
        "tutto_malseclogon.evtx",
        "LM_PowershellRemoting_sysmon_1_wsmprovhost.evtx",
        "DE_UAC_Disabled_Sysmon_12_13.evtx",
    ] {
        std::fs::copy(data(f), logs.path().join(f)).unwrap();
    }
    let r = run_json(&[
        "scan",
        "--sigma",
        rules.path().to_str().unwrap(),
        logs.path().to_str().unwrap(),
    ]);

    // The registry rule loads and finds the Sysmon 13 that turned UAC off.
    let uac = rule_load(&r, "0b8e2f4a-7d13-4c55-8e2a-5f9c1d7e3b20");
    assert_eq!(uac["status"], "loaded", "{uac:#}");
    let hits: Vec<&Value> = r
        .findings()
        .iter()
        .filter(|f| rules_of(f).any(|x| x == "sigma:0b8e2f4a-7d13-4c55-8e2a-5f9c1d7e3b20"))
        .collect();
    assert!(!hits.is_empty(), "{:#?}", r.findings());
    assert!(hits
        .iter()
        .all(|f| f["path"] == "DE_UAC_Disabled_Sysmon_12_13.evtx"
            && f["evidence"]["EventID"] == "13"));

    // The shell rule: the 4688 events with a parent are judged by it
    // (conhost.exe started by MalSeclogon.exe); those without one (the
    // scheduled task's cmd.exe and conhost.exe) are not matched, and the
    // rule says how many it could not judge and why.
    let shells: Vec<&Value> = r
        .findings()
        .iter()
        .filter(|f| rules_of(f).any(|x| x == "sigma:6a1d6f5e-3c0b-4d8e-9a71-0f3b2c4d5e61"))
        .collect();
    assert!(
        shells.iter().any(|f| f["path"] == "tutto_malseclogon.evtx"
            && f["evidence"]["ParentImage"]
                .as_str()
                .unwrap()
                .ends_with("MalSeclogon.exe")),
        "{shells:#?}"
    );
    for f in &shells {
        assert_ne!(
            f["path"], "LM_ScheduledTask_ATSVC_target_host.evtx",
            "{f:#}"
        );
        assert!(f["evidence"].get("ParentImage").is_some(), "{f:#}");
    }
    let load = rule_load(&r, "6a1d6f5e-3c0b-4d8e-9a71-0f3b2c4d5e61");
    let note = load["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("not applied to 2 event(s)") && note.contains("ParentImage"),
        "{load:#}"
    );
    // Security 4688 with a parent reads it as Sigma's ParentImage.
    assert!(shells.iter().any(|f| f["evidence"]["EventID"] == "4688"
        && f["evidence"]["ParentProcessName"] == f["evidence"]["ParentImage"]));
}
