//! The real binary on real public recordings (copied into
//! crates/sources/tests/data with their provenance): the OTRF ProxyLogon
//! lab, EVTX-ATTACK-SAMPLES, EVTX-to-MITRE-Attack and a real Tunna IIS log.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sources/tests/data")
        .join(rel)
}

#[test]
fn otrf_proxylogon_recording() {
    let r = scan(&[&data("otrf-security-datasets")]);
    assert_eq!(r.verdict(), "compromised");
    // Set-OabVirtualDirectory with a script (MSExchange Management).
    let oab = r.rule("proxylogon-27065-mgmt-setvdir");
    assert_eq!(oab.len(), 1);
    assert!(oab[0]["evidence"]["Data2"]
        .as_str()
        .unwrap()
        .contains("Page_Load"));
    // The .aspx written into owa\auth.
    let drop = r.rule("exchange-webshell-file-write");
    assert_eq!(drop.len(), 1);
    assert!(drop[0]["evidence"]["TargetFilename"]
        .as_str()
        .unwrap()
        .ends_with("owa\\auth\\ohyeah.aspx"));
    // w3wp spawning `cmd /c whoami` (Sysmon 1 and Security 4688).
    let shell = r.rule("webserver-spawns-shell");
    assert!(shell.len() >= 2);
    assert!(shell
        .iter()
        .all(|f| f["evidence"]["CommandLine"] == "cmd /c whoami"));
    // The ECP request error of the forged request.
    assert_eq!(r.rule("proxylogon-ecp-ssrf-error").len(), 1);
    // Its benign background (Exchange health workers, netsh, cvtres, ...)
    // gives nothing else at medium or above.
    let expected = [
        "proxylogon-27065-mgmt-setvdir",
        "exchange-webshell-file-write",
        "webserver-spawns-shell",
        "proxylogon-ecp-ssrf-error",
    ];
    for f in r.findings() {
        let sev = f["severity"].as_str().unwrap();
        if matches!(sev, "critical" | "high" | "medium") {
            assert!(
                expected.contains(&f["rule"].as_str().unwrap()),
                "unexpected {f:#}"
            );
        }
    }
    // The evidence lines point back into the file.
    assert!(shell[0]["line"].as_u64().unwrap() > 1);
    assert!(shell[0]["time"]
        .as_str()
        .unwrap()
        .starts_with("2021-03-14T"));
}

#[test]
fn evtx_attack_samples_w3wp_spawning_shells() {
    let dir = TempDir::new().unwrap();
    for f in [
        "LM_typical_IIS_webshell_sysmon_1_10_traces.evtx",
        "privesc_rotten_potato_from_webshell_metasploit_sysmon_1_8_3.evtx",
        "tunna_iis_rdp_smb_tunneling_sysmon_3.evtx",
        "privexchange_dirkjan.evtx",
    ] {
        std::fs::copy(
            data(&format!("evtx-attack-samples/{f}")),
            dir.path().join(f),
        )
        .unwrap();
    }
    let r = scan(&[dir.path()]);
    let shell = r.rule("webserver-spawns-shell");
    assert!(!shell.is_empty());
    assert!(shell
        .iter()
        .all(|f| f["path"] == "LM_typical_IIS_webshell_sysmon_1_10_traces.evtx"));
    assert_eq!(
        shell[0]["evidence"]["CommandLine"],
        "\"c:\\windows\\system32\\cmd.exe\" /c net user"
    );
    assert_eq!(shell[0]["line"], 1044);
    assert_eq!(r.verdict(), "compromised");
    // w3wp starting notepad (rotten potato sample) is not a shell.
    assert!(r.findings().iter().all(|f| !f["path"]
        .as_str()
        .unwrap()
        .starts_with("privesc_rotten")
        || f["rule"] != "webserver-spawns-shell"));
}

#[test]
fn tunna_iis_log_web_shell_traffic() {
    let r = scan(&[&data("evtx-attack-samples/Tunna_rdp_tunnel_IIS.log")]);
    let t = r.rule("webshell-tunnel-traffic");
    assert_eq!(t.len(), 3);
    assert_eq!(t[0]["evidence"]["cs-uri-stem"], "/erp/conn.aspx");
    assert_eq!(t[0]["line"], 7);
    assert_eq!(r.verdict(), "compromised");
    let cov = &r.report["coverage"][0];
    assert!(cov["family"].as_str().unwrap().starts_with("IIS"));
    assert_eq!(cov["first"], "2019-09-03T10:13:36Z");
}

#[test]
fn msexchange_management_transport_agent_install() {
    let r = scan(&[&data(
        "evtx-to-mitre-attack/ID6-Failed to install an Exchange transport agent.evtx",
    )]);
    let a = r.rule("exchange-transport-agent-install");
    assert!(!a.is_empty());
    assert_eq!(a[0]["evidence"]["Data1"], "Install-TransportAgent");
    assert_eq!(r.verdict(), "attempted");
    // The other two files of that set are not transport-agent installs.
    let r = scan(&[&data(
        "evtx-to-mitre-attack/ID4756-Exchange admin group change.evtx",
    )]);
    assert!(r.rule("exchange-transport-agent-install").is_empty());
}

#[test]
fn user_sigma_rules_are_loaded_or_skipped_with_a_reason() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "mine/net_user.yml",
        b"title: net user from a web server\nid: 2f6a0c52-4a1b-4c43-9f0e-0d2a5e0f6b11\nlevel: high\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    CommandLine|contains: 'net user'\n  condition: sel\n",
    );
    put(dir.path(), "mine/broken.yml", b"title: [unclosed\n");
    put(
        dir.path(),
        "mine/weird.yml",
        b"title: odd modifier\nid: 3f6a0c52-4a1b-4c43-9f0e-0d2a5e0f6b12\nlogsource:\n  category: process_creation\ndetection:\n  sel:\n    CommandLine|nosuchmodifier: 'x'\n  condition: sel\n",
    );
    let out = exhunt()
        .arg("scan")
        .arg(data(
            "evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx",
        ))
        .args(["--format", "json", "--sigma"])
        .arg(dir.path().join("mine"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = v["rules"].as_array().unwrap();
    let mine: Vec<_> = rules
        .iter()
        .filter(|r| !r["origin"].as_str().unwrap().starts_with("bundled:"))
        .collect();
    assert_eq!(mine.len(), 3, "{mine:#?}");
    let by = |name: &str| {
        mine.iter()
            .find(|r| r["origin"].as_str().unwrap().ends_with(name))
            .unwrap()
    };
    assert_eq!(by("net_user.yml")["status"], "loaded");
    assert_eq!(by("broken.yml")["status"], "skipped");
    assert!(!by("broken.yml")["reason"].as_str().unwrap().is_empty());
    assert_eq!(by("weird.yml")["status"], "skipped");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yml"), "{stderr}");
    // The user's rule fired, named by its id (among the rules of an event
    // that a bundled rule matched too: one event, one finding).
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["rules"]
        .as_array()
        .unwrap()
        .contains(&"sigma:2f6a0c52-4a1b-4c43-9f0e-0d2a5e0f6b11".into())));
    // A missing rules folder is an error, not a silent nothing.
    let out = exhunt()
        .arg("scan")
        .arg(dir.path())
        .args(["--sigma", "/nonexistent/rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The SigmaHQ rules shipped in ../shared (present in CI, not in a clone):
/// every one loads or is skipped with a reason, and nothing crashes.
#[test]
fn upstream_sigma_rules_when_present() {
    let upstream =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata-public/sigma-rules");
    if !upstream.is_dir() {
        eprintln!("{} absent: nothing to check", upstream.display());
        return;
    }
    let r = {
        let out = exhunt()
            .arg("scan")
            .arg(data("otrf-security-datasets"))
            .args(["--format", "json", "--sigma"])
            .arg(&upstream)
            .output()
            .unwrap();
        assert!(
            out.status.code().unwrap() != 2,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let files = std::fs::read_dir(&upstream)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yml")
        })
        .count();
    let mine: Vec<_> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| !x["origin"].as_str().unwrap().starts_with("bundled:"))
        .collect();
    assert!(mine.len() >= files);
    assert!(mine.iter().any(|x| x["status"] == "loaded"));
    for x in &mine {
        assert!(x["status"] == "loaded" || x["reason"].is_string(), "{x}");
    }
}
