//! The report's `patch` section from the server's own files: ExSetup.exe's
//! version resource, an exported Setup registry key, and the `#Version:`
//! headers of the logs (the bundled example's logs were written by
//! 2016 CU18 as shipped).

mod common;

use common::*;
use std::fs;
use std::path::Path;
use tempfile::TempDir;

/// A PE file with a version resource laid out as the linker writes it.
fn fake_exe(v: [u16; 4]) -> Vec<u8> {
    let mut b = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    b.resize(1024, 0);
    b.extend_from_slice(&[0x5c, 0x03, 0x34, 0x00, 0x00, 0x00]);
    for u in "VS_VERSION_INFO".encode_utf16() {
        b.extend_from_slice(&u.to_le_bytes());
    }
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&0xFEEF04BDu32.to_le_bytes());
    b.extend_from_slice(&0x0001_0000u32.to_le_bytes());
    b.extend_from_slice(&((u32::from(v[0]) << 16) | u32::from(v[1])).to_le_bytes());
    b.extend_from_slice(&((u32::from(v[2]) << 16) | u32::from(v[3])).to_le_bytes());
    b.extend_from_slice(&[0u8; 256]);
    b
}

fn copy_tree(from: &Path, to: &Path) {
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            fs::create_dir_all(&t).unwrap();
            copy_tree(&e.path(), &t);
        } else {
            fs::copy(e.path(), t).unwrap();
        }
    }
}

#[test]
fn logs_alone_give_the_build_and_the_unpatched_window() {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/proxylogon-compromised");
    let r = scan(&[&example]);
    let p = &r.report["patch"];
    assert_eq!(p["build"], "15.1.2106.2", "{p:#}");
    assert_eq!(p["product"], "Exchange Server 2016 CU18");
    assert_eq!(p["update_level"], "RTM");
    assert!(p["source"].as_str().unwrap().contains("log header"));
    assert!(p["campaigns"]["ProxyLogon"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "CVE-2021-26855"));
    assert!(p["notes"].as_array().unwrap().iter().any(|n| n
        .as_str()
        .unwrap()
        .starts_with("Unpatched during ProxyLogon")));
    assert!(r.report["next_steps"].as_array().unwrap().iter().any(|s| s
        .as_str()
        .unwrap()
        .starts_with("Patch the server: build 15.1.2106.2")));
}

#[test]
fn the_installed_file_version_wins_over_older_logs() {
    let dir = TempDir::new().unwrap();
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/proxylogon-compromised");
    copy_tree(&example, dir.path());
    let bin = dir
        .path()
        .join("Program Files/Microsoft/Exchange Server/V15/Bin");
    fs::create_dir_all(&bin).unwrap();
    // Patched since: 2016 CU18 with the March 2021 update.
    fs::write(bin.join("ExSetup.exe"), fake_exe([15, 1, 2106, 13])).unwrap();
    let r = scan(&[dir.path()]);
    let p = &r.report["patch"];
    assert_eq!(p["build"], "15.1.2106.13", "{p:#}");
    assert!(p["source"]
        .as_str()
        .unwrap()
        .starts_with("ExSetup.exe file version"));
    assert!(p["campaigns"]["ProxyLogon"].is_null());
    assert!(p["campaigns"]["ProxyShell"].is_array());
    let history = p["history"].as_array().unwrap();
    assert!(history.iter().any(|h| h["build"] == "15.1.2106.2"));
    assert!(history.iter().any(|h| h["build"] == "15.1.2106.13"));
    // The logs still show it ran unpatched through the ProxyLogon window.
    assert!(p["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("Unpatched during ProxyLogon")));
}

#[test]
fn a_registry_export_gives_the_build() {
    let dir = TempDir::new().unwrap();
    let reg = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup]\r\n\"MsiProductMajor\"=dword:0000000f\r\n\"MsiProductMinor\"=dword:00000002\r\n\"MsiBuildMajor\"=dword:0000045e\r\n\"MsiBuildMinor\"=dword:00000014\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    for u in reg.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    fs::write(dir.path().join("exchange-setup.reg"), utf16).unwrap();
    let r = scan(&[dir.path()]);
    let p = &r.report["patch"];
    assert_eq!(p["build"], "15.2.1118.20", "{p:#}");
    assert!(p["source"].as_str().unwrap().starts_with("registry export"));
    assert_eq!(p["product"], "Exchange Server 2019 CU12");
    assert!(p["open_cves"].as_array().unwrap().is_empty());
    // Nothing else in the input: nothing to judge (inconclusive), but the
    // patch status is there, and the exposure headline says patched.
    assert_eq!(r.verdict(), "inconclusive");
    assert_eq!(
        r.report["exposure"]["state"], "patched",
        "{:#}",
        r.report["exposure"]
    );
    assert!(r.report["exposure"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("PATCHED: build 15.2.1118.20"));
}

#[test]
fn no_build_evidence_gives_null() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("notes.txt"), "nothing here").unwrap();
    let r = scan(&[dir.path()]);
    assert!(r.report["patch"].is_null());
}
