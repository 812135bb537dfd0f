//! The verdict on realistic servers (issue 12, "done when"), through the
//! real binary: a benign, busy server is clean; routine administrators'
//! work (the EAC routed to a server by name, a mailbox exported to a file
//! share) is a lead until something ties it to an attack; a server that
//! only saw refused exploits is `attempted`.

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Protocol, Row, Traffic};
use exhunt_testgen::{w3c, SplitMix64, Time};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use tempfile::TempDir;

const DAY: Time = Time::utc(2022, 11, 2, 0, 0, 0);
const ADMIN_IP: &str = "10.0.1.5";
const OUTSIDE: &str = "203.0.113.77";

/// Hours of benign HttpProxy traffic of 600 users in the busy protocol
/// folders, the EAC routed by name among the ECP rows; `extra` rows go to
/// their protocol's log of hour 9.
fn httpproxy_logs(root: &Path, extra: Vec<(Protocol, Row)>) {
    let mut traffic = Traffic::with_users(21, 600);
    for h in 8..11u32 {
        let hour = DAY.plus_secs(i64::from(h) * 3600);
        for p in [
            Protocol::Mapi,
            Protocol::Ews,
            Protocol::Owa,
            Protocol::Ecp,
            Protocol::Autodiscover,
            Protocol::Eas,
            Protocol::PowerShell,
        ] {
            let mut rows = traffic.hour(p, hour, 500);
            if p == Protocol::Ecp {
                // An administrator working on this server's virtual
                // directories (resets among them) through the EAC.
                for i in 0..40 {
                    rows.push(traffic.admin_ecp_routed(hour.plus_secs(60 + i * 80)));
                }
                rows.sort_by(|a, b| a.date_time.cmp(&b.date_time));
            }
            if h == 9 {
                for (xp, r) in &extra {
                    if *xp == p {
                        rows.push(r.clone());
                    }
                }
                rows.sort_by(|a, b| a.date_time.cmp(&b.date_time));
            }
            put(
                root,
                &httpproxy_rel(p.name(), &format!("20221102{h:02}")),
                &httpproxy::render(Format::Both, hour, &rows),
            );
        }
    }
}

/// A day of administrators' work in the MSExchange Management log: the
/// usual cmdlets, a leaver's mailbox exported to the export share and the
/// request removed; `extra` events after.
fn management_log(root: &Path, extra: &[String]) {
    let mut s = String::new();
    for i in 0..300 {
        let (c, p) = [
            ("Get-Mailbox", "-ResultSize \"Unlimited\""),
            (
                "Set-OwaVirtualDirectory",
                "-Identity \"EX01\\owa (Default Web Site)\" -LogonFormat \"UserName\"",
            ),
            ("Get-MailboxExportRequest", "-Status \"Completed\""),
        ][i % 3];
        let t = format!("2022-11-02T{:02}:{:02}:00.000Z", 8 + i / 60, i % 60);
        writeln!(s, "{}", mgmt_event(&t, c, p, "CONTOSO\\admin1")).unwrap();
    }
    for (t, c, p) in [
        (
            "2022-11-02T09:41:00.000Z",
            "New-MailboxExportRequest",
            "-Mailbox \"leaver@contoso.com\" -FilePath \"\\\\FS01\\PSTExports$\\leaver.pst\"",
        ),
        (
            "2022-11-02T11:05:00.000Z",
            "Remove-MailboxExportRequest",
            "-Identity \"leaver@contoso.com\\MailboxExport\" -Confirm \"False\"",
        ),
    ] {
        writeln!(s, "{}", mgmt_event(t, c, p, "CONTOSO\\admin1")).unwrap();
    }
    for e in extra {
        writeln!(s, "{e}").unwrap();
    }
    put(root, "events/MSExchange-Management.jsonl", s.as_bytes());
}

/// The rest of a busy, benign server: a day of IIS traffic, an antivirus
/// vendor's update zips under ProgramData, and the OWA logon page the
/// town hall edited to carry its banner.
fn benign_rest(root: &Path) {
    let mut iis = Vec::new();
    w3c::write_day(&mut iis, &mut SplitMix64::new(8), DAY, 2_000_000, false).unwrap();
    put(root, "inetpub/logs/LogFiles/W3SVC1/u_ex221102.log", &iis);
    for i in 0..3 {
        put(
            root,
            &format!("ProgramData/McAfee/Common Framework/Updates/dat{i}.zip"),
            b"PK\x03\x04 vendor update",
        );
    }
    put(
        root,
        &format!("{EXCHANGE}/FrontEnd/HttpProxy/owa/auth/logon.aspx"),
        b"<%@ Page language=\"c#\" AutoEventWireup=\"false\" Inherits=\"Microsoft.Exchange.HttpProxy.Logon\" %>\r\n<html><body><div class=\"banner\">Town of Example: staff mail</div><form action=\"/owa/auth.owa\" method=\"POST\"></form></body></html>\r\n",
    );
}

fn severities(r: &Run) -> Vec<(&str, &str)> {
    r.findings()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect()
}

fn at_or_above_medium(r: &Run) -> Vec<&Value> {
    r.findings()
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("critical" | "high" | "medium")))
        .collect()
}

#[test]
fn a_benign_busy_server_is_clean() {
    let dir = TempDir::new().unwrap();
    httpproxy_logs(dir.path(), Vec::new());
    management_log(dir.path(), &[]);
    benign_rest(dir.path());
    let r = scan(&[dir.path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    assert!(
        at_or_above_medium(&r).is_empty(),
        "{:#?}",
        at_or_above_medium(&r)
    );
    // The EAC rows are on record as leads naming the administrator, not
    // as the ProxyLogon SSRF Test-ProxyLogon reports them as.
    let eac = r.rule("ecp-signed-in-serverinfo");
    assert!(!eac.is_empty(), "{:?}", severities(&r));
    assert!(eac.iter().all(|f| f["severity"] == "info"));
    assert!(
        eac[0]["title"].as_str().unwrap().contains("admin"),
        "{:#}",
        eac[0]
    );
    assert!(r.rule("proxylogon-ssrf-26855").is_empty());
    assert!(r.rule("proxylogon-27065-reset-vdir").is_empty());
    // The export is on record as who exported what to where.
    assert_eq!(r.rule("mailbox-export").len(), 1);
}

#[test]
fn eac_rows_minutes_from_an_exploit_or_from_its_address_take_the_ssrf_reading_back() {
    let dir = TempDir::new().unwrap();
    // The ProxyLogon chain from outside at 09:20; the EAC rows of 09:00 to
    // 09:54 are within ten minutes of it for some, hours away for others.
    let mut rng = SplitMix64::new(2);
    let chain = attack::proxylogon_chain(&mut rng, OUTSIDE, DAY.plus_secs(9 * 3600 + 20 * 60));
    httpproxy_logs(
        dir.path(),
        chain.into_iter().map(|r| (Protocol::Ecp, r)).collect(),
    );
    let r = scan(&[dir.path()]);
    assert!(matches!(r.verdict(), "exploited" | "compromised"));
    let eac = r.rule("ecp-signed-in-serverinfo");
    let raised: Vec<&&Value> = eac
        .iter()
        .filter(|f| f["evidence"].get("raised").is_some())
        .collect();
    assert!(!raised.is_empty(), "{eac:#?}");
    for f in &raised {
        assert!(
            f["evidence"]["raised"].as_str().unwrap().contains("minute"),
            "{f:#}"
        );
        assert!(matches!(f["verdict"].as_str(), Some("exploited")), "{f:#}");
        assert!(f["cves"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "CVE-2021-26855"));
        let t = f["time"].as_str().unwrap();
        assert!(("2022-11-02T09:10".."2022-11-02T09:31").contains(&t), "{t}");
    }
    // Those hours away stay leads.
    assert!(eac
        .iter()
        .any(|f| f["severity"] == "info" && f["time"].as_str().unwrap() < "2022-11-02T09:00"));

    // A refused SSRF from the administrator's own address, hours later:
    // every EAC row of that address is in question.
    let dir = TempDir::new().unwrap();
    let mut rng = SplitMix64::new(3);
    let tries = attack::failed_attempt(&mut rng, ADMIN_IP, DAY.plus_secs(9 * 3600 + 50 * 60), 500);
    httpproxy_logs(
        dir.path(),
        tries
            .into_iter()
            .map(|r| (Protocol::Autodiscover, r))
            .collect(),
    );
    let r = scan(&[dir.path()]);
    let eac = r.rule("ecp-signed-in-serverinfo");
    assert!(!eac.is_empty());
    for f in eac {
        assert_eq!(f["evidence"]["ClientIpAddress"], ADMIN_IP);
        let why = f["evidence"]["raised"].as_str().unwrap_or_default();
        assert!(why.contains(ADMIN_IP), "{f:#}");
    }
}

#[test]
fn an_export_by_an_account_tied_to_an_attack_is_critical() {
    // The account that exported was granted Mailbox Import Export that
    // night, and the export's place is not a web folder.
    let dir = TempDir::new().unwrap();
    let grant = mgmt_event(
        "2022-11-02T02:10:00.000Z",
        "New-ManagementRoleAssignment",
        "-Role \"Mailbox Import Export\" -User \"svc-backup\"",
        "CONTOSO\\admin1",
    );
    let export = mgmt_event(
        "2022-11-02T02:14:00.000Z",
        "New-MailboxExportRequest",
        "-Mailbox \"ceo@contoso.com\" -FilePath \"\\\\FS01\\PSTExports$\\ceo.pst\"",
        "CONTOSO\\svc-backup",
    );
    // A helpdesk account's export in the afternoon, nowhere else.
    let helpdesk = mgmt_event(
        "2022-11-02T15:30:00.000Z",
        "New-MailboxExportRequest",
        "-Mailbox \"leaver2@contoso.com\" -FilePath \"\\\\FS01\\PSTExports$\\leaver2.pst\"",
        "CONTOSO\\helpdesk2",
    );
    management_log(dir.path(), &[grant, export, helpdesk]);
    let r = scan(&[dir.path()]);
    let exports = r.rule("mailbox-export");
    assert_eq!(exports.len(), 3, "{:#?}", exports);
    let by_file = |name: &str| {
        *exports
            .iter()
            .find(|f| f["evidence"].to_string().contains(name))
            .unwrap()
    };
    let ceo = by_file("ceo.pst");
    assert_eq!(ceo["severity"], "critical", "{ceo:#}");
    assert_eq!(ceo["verdict"], "compromised");
    assert!(ceo["evidence"]["raised"]
        .as_str()
        .unwrap()
        .contains("svc-backup"));
    // admin1 ran the grant (a finding at high): its exports are in
    // question too, and the report says why.
    let leaver = by_file("leaver.pst");
    assert_eq!(leaver["severity"], "critical", "{leaver:#}");
    assert!(leaver["evidence"]["raised"]
        .as_str()
        .unwrap()
        .contains("admin1"));
    // An account in no other finding, hours from it: routine.
    let helpdesk = by_file("leaver2.pst");
    assert_eq!(helpdesk["severity"], "info", "{helpdesk:#}");
    assert!(helpdesk["evidence"].get("raised").is_none());
    assert!(r.report["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().starts_with("Mailboxes were exported")));
}

#[test]
fn a_server_that_only_saw_refused_exploits_is_attempted() {
    let dir = TempDir::new().unwrap();
    let mut rng = SplitMix64::new(6);
    let at = DAY.plus_secs(9 * 3600 + 600);
    let mut extra: Vec<(Protocol, Row)> = Vec::new();
    // ProxyLogon: the whole chain answered 500, and autodiscover-only tries.
    for mut r in attack::proxylogon_chain(&mut rng, OUTSIDE, at) {
        r.http_status = "500".into();
        r.back_end_status = "500".into();
        extra.push((Protocol::Ecp, r));
    }
    for r in attack::failed_attempt(&mut rng, "198.51.100.4", at.plus_secs(60), 500) {
        extra.push((Protocol::Autodiscover, r));
    }
    // ProxyShell, refused.
    extra.extend(attack::proxyshell(
        &mut rng,
        "198.51.100.5",
        at.plus_secs(120),
        401,
    ));
    httpproxy_logs(dir.path(), extra);
    benign_rest(dir.path());
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "attempted", "{:?}", severities(&r));
    // Every finding that moved it is an attempt; the EAC rows, minutes
    // from refused requests only, stay leads.
    for f in r.moving() {
        assert_eq!(f["verdict"], "attempted", "{f:#}");
    }
    assert!(r
        .rule("ecp-signed-in-serverinfo")
        .iter()
        .all(|f| f["severity"] == "info"));
    assert!(
        !r.rule("proxyshell-iis-failed").is_empty() || !r.rule("proxyshell-iis-success").is_empty()
    );
}
