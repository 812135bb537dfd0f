//! Every detection, positive and negative, and every false-positive trap of
//! the reference, through the real binary on files laid out like a server.

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Protocol, Row, Traffic};
use exhunt_testgen::{ecp, oab, tree, SplitMix64, Time};
use tempfile::TempDir;

const HOUR: Time = Time::utc(2021, 3, 3, 6, 0, 0);

/// A realistic hour of benign traffic with `extra` rows mixed in, as an
/// HttpProxy log of `protocol` in a fresh server tree.
fn httpproxy_tree(protocol: Protocol, extra: Vec<Row>) -> TempDir {
    let dir = TempDir::new().unwrap();
    let mut traffic = Traffic::new(7);
    let mut rows = traffic.hour(protocol, HOUR, 300);
    let at = rows.len() / 2;
    for (i, r) in extra.into_iter().enumerate() {
        rows.insert(at + i, r);
    }
    put(
        dir.path(),
        &httpproxy_rel(protocol.name(), "2021030306"),
        &httpproxy::render(Format::Both, HOUR, &rows),
    );
    dir
}

fn rng() -> SplitMix64 {
    SplitMix64::new(42)
}

#[test]
fn ssrf_chain_is_exploited_by_the_script_predicate() {
    let chain = attack::proxylogon_chain(&mut rng(), "103.77.192.219", HOUR.plus_secs(1800));
    let dir = httpproxy_tree(Protocol::Ecp, chain);
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "exploited");
    assert_eq!(r.code, 20);
    let ssrf = r.rule("proxylogon-ssrf-26855");
    assert!(ssrf.len() >= 4, "{:#?}", r.findings());
    for f in &ssrf {
        assert_eq!(f["cves"][0], "CVE-2021-26855");
        assert_eq!(f["evidence"]["ClientIpAddress"], "103.77.192.219");
        assert!(f["line"].as_u64().unwrap() > 7);
        assert!(f["time"].as_str().unwrap().starts_with("2021-03-03T06:"));
    }
    // proxyLogon.ecp answers 241: a success.
    assert!(ssrf
        .iter()
        .any(|f| f["evidence"]["HttpStatus"] == "241" && f["verdict"] == "exploited"));
    // The chain's findings are tied together by the client address.
    assert!(!ssrf[0]["related"].as_array().unwrap().is_empty());
}

#[test]
fn benign_traffic_of_every_protocol_is_quiet() {
    for p in Protocol::ALL {
        let dir = httpproxy_tree(p, vec![]);
        let r = scan(&[dir.path()]);
        assert!(
            r.unraised(),
            "{} {}",
            r.verdict(),
            r.report["why_inconclusive"]
        );
        assert_eq!(r.code, if r.verdict() == "clean" { 0 } else { 5 });
        assert!(r.findings().is_empty());
    }
}

#[test]
fn autodiscover_only_rows_are_a_failed_attempt() {
    let rows = attack::failed_attempt(&mut rng(), "5.254.43.18", HOUR.plus_secs(60), 500);
    let dir = httpproxy_tree(Protocol::Ecp, rows);
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "attempted");
    assert_eq!(r.code, 10);
    assert_eq!(r.rules(), vec!["proxylogon-ssrf-26855-attempt"]);
    assert_eq!(r.findings()[0]["kind"], "attempt");
    assert_eq!(r.findings()[0]["cves"][0], "CVE-2021-26855");
}

#[test]
fn trap_nmap_localhost_probes_are_a_scan_not_exploitation() {
    let rows = attack::nmap_probe(&mut rng(), "203.0.113.77", HOUR.plus_secs(60));
    let dir = httpproxy_tree(Protocol::Owa, rows);
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "attempted");
    assert_eq!(r.rules(), vec!["proxylogon-ssrf-26855-scan"]);
    assert!(r.findings().iter().all(|f| f["kind"] == "scan"));
}

#[test]
fn trap_health_probes_and_authenticated_admin_ecp_are_quiet() {
    let mut t = Traffic::new(3);
    let mut rows = Vec::new();
    for i in 0..50 {
        rows.push(t.probe(Protocol::Ecp, HOUR.plus_secs(i * 30)));
        rows.push(t.admin_ecp(HOUR.plus_secs(i * 30 + 7)));
    }
    let dir = httpproxy_tree(Protocol::Ecp, rows);
    let r = scan(&[dir.path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
}

#[test]
fn backend_cookie_form_missed_by_the_script_is_found() {
    let rows = attack::backend_cookie(&mut rng(), "104.140.114.110", HOUR.plus_secs(60));
    assert!(rows
        .iter()
        .all(|r| !r.anchor_mailbox.starts_with("ServerInfo~")));
    let dir = httpproxy_tree(Protocol::Ecp, rows);
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "exploited");
    assert_eq!(r.rules(), vec!["proxylogon-ssrf-26855-backendcookie"]);
}

#[test]
fn reset_virtual_directory_needs_status_200() {
    let chain = attack::proxylogon_chain(&mut rng(), "103.77.192.219", HOUR.plus_secs(60));
    let dir = httpproxy_tree(Protocol::Ecp, chain.clone());
    let r = scan(&[dir.path()]);
    let reset = r.rule("proxylogon-27065-reset-vdir");
    assert_eq!(reset.len(), 1);
    assert_eq!(reset[0]["verdict"], "exploited");
    assert_eq!(reset[0]["severity"], "critical");
    assert!(reset[0]["cves"]
        .as_array()
        .unwrap()
        .contains(&"CVE-2021-27065".into()));
    // One row, one finding: the SSRF reading of the same row is among its
    // rules, not a second finding.
    assert_eq!(
        reset[0]["rules"],
        serde_json::json!(["proxylogon-27065-reset-vdir", "proxylogon-ssrf-26855"])
    );
    let line = reset[0]["line"].clone();
    assert_eq!(
        r.findings()
            .iter()
            .filter(|f| f["line"] == line && f["path"] == reset[0]["path"])
            .count(),
        1
    );

    // The same chain, every step refused with 500.
    let refused: Vec<Row> = chain
        .into_iter()
        .map(|mut r| {
            r.http_status = "500".into();
            r
        })
        .collect();
    let dir = httpproxy_tree(Protocol::Ecp, refused);
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "attempted");
    assert_eq!(
        r.rule("proxylogon-27065-reset-vdir")[0]["verdict"],
        "attempted"
    );
}

fn ecp_tree(lines: Vec<ecp::EcpLine>) -> TempDir {
    let dir = TempDir::new().unwrap();
    let mut r = rng();
    let mut all = ecp::benign_hour(&mut r, HOUR, 40, true);
    all.extend(lines);
    all.sort_by_key(|l| l.time.0);
    put(
        dir.path(),
        &format!("{EXCHANGE}/Logging/ECP/Server/ECPServer2021030306-1.LOG"),
        &ecp::render(HOUR, &all),
    );
    dir
}

#[test]
fn ecp_set_oab_vdir_with_script_both_predicates() {
    // With a later "VirtualDirectory" on the line: the script's regex.
    let line = ecp::webshell_set_oab(&mut rng(), HOUR.plus_secs(900), "klk123456", true);
    let r = scan(&[ecp_tree(vec![line]).path()]);
    assert_eq!(r.verdict(), "exploited");
    let f = r.rule("proxylogon-27065-ecp-setvdir");
    assert_eq!(f.len(), 1);
    assert!(f[0]["evidence"]["predicate"]
        .as_str()
        .unwrap()
        .starts_with("Test-ProxyLogon"));
    assert_eq!(f[0]["evidence"]["cmdlet"], "Set-OabVirtualDirectory");
    // Without it the script's regex misses the line; ours does not.
    let line = ecp::webshell_set_oab(&mut rng(), HOUR.plus_secs(900), "klk123456", false);
    let r = scan(&[ecp_tree(vec![line]).path()]);
    let f = r.rule("proxylogon-27065-ecp-setvdir");
    assert_eq!(f.len(), 1);
    assert!(f[0]["evidence"]["predicate"]
        .as_str()
        .unwrap()
        .starts_with("exhunt"));
}

#[test]
fn trap_admin_virtual_directory_changes_are_quiet() {
    let mut g = rng();
    let lines = vec![
        ecp::admin_set_oab(&mut g, HOUR.plus_secs(100)),
        ecp::admin_set_owa(&mut g, HOUR.plus_secs(200)),
        ecp::attacker_get_oab(&mut g, HOUR.plus_secs(300)),
    ];
    let r = scan(&[ecp_tree(lines).path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
}

fn oab_tree(lines: Vec<oab::OabLine>) -> TempDir {
    let dir = TempDir::new().unwrap();
    let day = Time::utc(2021, 3, 3, 0, 0, 0);
    let mut all = oab::benign_day(&mut rng(), day, 12, false);
    all.extend(lines);
    all.sort_by_key(|l| l.time.0);
    put(
        dir.path(),
        &format!("{EXCHANGE}/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG"),
        &oab::render(day, &all),
    );
    dir
}

#[test]
fn oab_download_outside_the_oab_folder() {
    let (line, path) = oab::shell_write(&mut rng(), HOUR.plus_secs(500));
    let r = scan(&[oab_tree(vec![line]).path()]);
    assert_eq!(r.verdict(), "exploited");
    let f = r.rule("proxylogon-26858-oab-path");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["evidence"]["path"], path.as_str());
    assert_eq!(f[0]["cves"][0], "CVE-2021-26858");
}

#[test]
fn trap_oab_temp_files_inside_clientaccess_oab_are_quiet() {
    let mut g = rng();
    let lines = (0..5)
        .map(|i| oab::temp_file_inside_oab(&mut g, HOUR.plus_secs(i * 600)))
        .collect();
    let r = scan(&[oab_tree(lines).path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
}

#[test]
fn oab_path_traversal_out_of_the_oab_folder_is_found() {
    let line = oab::OabLine {
        time: HOUR.plus_secs(700),
        message: "Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\..\\..\\..\\..\\..\\..\\inetpub\\wwwroot\\aspnet_client\\discover.aspx' needs to be removed".into(),
    };
    let r = scan(&[oab_tree(vec![line]).path()]);
    let f = r.rule("proxylogon-26858-oab-path");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["evidence"]["resolved_path"],
        "C:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx"
    );
}

#[test]
fn lsass_dumps_by_name_and_by_content() {
    let dump = tree::lsass_minidump(HOUR, &mut rng());
    let dir = TempDir::new().unwrap();
    put(dir.path(), "Windows/Temp/a1.tmp", &dump);
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised");
    assert_eq!(r.code, 30);
    assert_eq!(r.rule("lsass-dump")[0]["path"], "Windows/Temp/a1.tmp");
    assert_eq!(r.rule("lsass-dump")[0]["kind"], "credential-access");

    let dir = TempDir::new().unwrap();
    put(dir.path(), "root/LSASS.DMP", b"\x00compressed\x01");
    assert_eq!(scan(&[dir.path()]).verdict(), "compromised");

    // Ordinary files in the same places are not dumps.
    let dir = TempDir::new().unwrap();
    put(dir.path(), "Windows/Temp/setup.log", b"installing\r\n");
    put(dir.path(), "Windows/Temp/x.bin", &[7u8; 4096]);
    put(dir.path(), "inetpub/wwwroot/iisstart.htm", b"<html></html>");
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "clean", "{:#?}", r.findings());
}

#[test]
fn trap_vendor_zips_under_programdata_do_not_raise_the_verdict() {
    let dir = TempDir::new().unwrap();
    for i in 0..20 {
        put(
            dir.path(),
            &format!("ProgramData/McAfee/Common Framework/Updates/dat{i}.zip"),
            b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        );
    }
    put(dir.path(), "ProgramData/abc.7z", b"7z\xbc\xaf\x27\x1c");
    let r = scan(&[dir.path()]);
    // Not raised by the leads; with no log and no web folder there is
    // nothing else to judge: inconclusive, never clean.
    assert_eq!(r.verdict(), "inconclusive");
    assert_eq!(r.code, 5);
    assert_eq!(r.findings().len(), 21);
    assert!(r.findings().iter().all(|f| f["severity"] == "info"));
}

#[test]
fn staged_archives_are_raised_when_the_server_was_exploited() {
    let chain = attack::proxylogon_chain(&mut rng(), "103.77.192.219", HOUR.plus_secs(60));
    let dir = httpproxy_tree(Protocol::Ecp, chain);
    put(dir.path(), "ProgramData/abc.7z", b"7z\xbc\xaf\x27\x1c");
    put(dir.path(), "ProgramData/McAfee/x/dat.zip", b"PK");
    let r = scan(&[dir.path()]);
    let a: Vec<_> = r.rule("programdata-archive");
    let short = a
        .iter()
        .find(|f| f["path"] == "ProgramData/abc.7z")
        .unwrap();
    assert_eq!(short["severity"], "medium");
    assert!(short["evidence"]["raised"].is_string());
    let vendor = a
        .iter()
        .find(|f| f["path"] == "ProgramData/McAfee/x/dat.zip")
        .unwrap();
    assert_eq!(vendor["severity"], "info");
    assert_eq!(r.verdict(), "compromised");

    let dir = TempDir::new().unwrap();
    put(dir.path(), "ProgramData/it.zip", b"PK");
    assert_eq!(scan(&[dir.path()]).verdict(), "compromised");
}

#[test]
fn probe_floods_are_counted_not_listed_and_the_kept_ones_are_the_earliest() {
    // A year of daily scanning leaves thousands of localhost probe rows.
    let mut g = rng();
    let mut rows = Vec::new();
    for i in 0..1250 {
        rows.extend(attack::nmap_probe(
            &mut g,
            "203.0.113.77",
            HOUR.plus_secs(i),
        ));
    }
    let n = rows.len() as u64;
    assert!(n > 1000);
    let dir = httpproxy_tree(Protocol::Owa, rows);
    let a = scan(&[dir.path()]);
    let b = scan(&[dir.path()]);
    assert_eq!(
        a.report["findings"], b.report["findings"],
        "not deterministic"
    );
    assert_eq!(a.rule("proxylogon-ssrf-26855-scan").len(), 1000);
    let s = &a.report["suppressed"][0];
    assert_eq!(s["rule"], "proxylogon-ssrf-26855-scan");
    assert_eq!(s["count"].as_u64().unwrap(), n - 1000);
    let last_kept = a.findings().last().unwrap()["time"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(s["first"].as_str().unwrap() >= last_kept.as_str());
    assert_eq!(a.verdict(), "attempted");
    let out = exhunt().arg("scan").arg(dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("and {} more", n - 1000)), "{text}");
}
