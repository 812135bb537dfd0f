//! Mailbox exports in the MSExchange Management log, through the real
//! binary: an administrator's routine export of a leaver's mailbox to a
//! .pst on a file share, later removed, is on record but leaves the server
//! clean; the ProxyShell form (an export written into a web folder or
//! through the server's own admin share) is a compromise with its next step.

mod common;

use common::*;
use std::fmt::Write as _;
use std::path::Path;
use tempfile::TempDir;

/// A day of administrators' work, then `extra`.
fn management_log(extra: &[String]) -> String {
    let mut s = String::new();
    let routine = [
        ("Get-Mailbox", "-ResultSize \"Unlimited\""),
        (
            "Set-Mailbox",
            "-Identity \"jane@contoso.com\" -ProhibitSendQuota \"50GB\"",
        ),
        ("Get-MailboxExportRequest", "-Status \"Completed\""),
        ("Get-ExchangeServer", ""),
    ];
    for i in 0..200 {
        let (c, p) = routine[i % routine.len()];
        writeln!(
            s,
            "{}",
            mgmt_event(
                &format!("2022-11-02T{:02}:{:02}:00.000Z", 8 + i / 30, i % 30 * 2),
                c,
                p,
                "CONTOSO\\admin1"
            )
        )
        .unwrap();
        if i == 50 {
            // A leaver's mailbox to the export share, then the request removed.
            writeln!(s, "{}", mgmt_event("2022-11-02T09:41:00.000Z", "New-MailboxExportRequest", "-Mailbox \"leaver@contoso.com\" -FilePath \"\\\\FS01\\PSTExports$\\leaver.pst\"", "CONTOSO\\admin1")).unwrap();
            writeln!(
                s,
                "{}",
                mgmt_event(
                    "2022-11-02T11:05:00.000Z",
                    "Remove-MailboxExportRequest",
                    "-Identity \"leaver@contoso.com\\MailboxExport\" -Confirm \"False\"",
                    "CONTOSO\\admin1"
                )
            )
            .unwrap();
        }
    }
    for e in extra {
        writeln!(s, "{e}").unwrap();
    }
    s
}

fn tree(text: &str) -> TempDir {
    let t = TempDir::new().unwrap();
    let dir = t.path().join("events");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("MSExchange-Management.jsonl"), text).unwrap();
    t
}

fn scan_tree(t: &Path) -> Run {
    scan(&[t])
}

#[test]
fn a_routine_export_to_a_file_share_is_on_record_and_the_server_stays_clean() {
    let t = tree(&management_log(&[]));
    let r = scan_tree(t.path());
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    let export = r.rule("mailbox-export");
    assert_eq!(export.len(), 1, "{:#?}", r.findings());
    assert_eq!(export[0]["severity"], "info");
    // Who exported which mailbox to where.
    let ev = export[0]["evidence"].to_string();
    assert!(
        ev.contains("leaver@contoso.com") && ev.contains("PSTExports$"),
        "{ev}"
    );
    assert!(ev.contains("CONTOSO\\\\admin1"), "{ev}");
    // The removal of the finished request is a lead, not a finding.
    let removed = r.rule("proxyshell-remove-export-request");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["severity"], "info");
    assert!(r.rule("proxyshell-mailbox-export-web").is_empty());
    assert!(
        r.findings().iter().all(|f| {
            let s = f["severity"].as_str().unwrap();
            s == "info" || s == "low"
        }),
        "{:#?}",
        r.findings()
    );
    assert!(!r.report["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().starts_with("Mailboxes were exported")));
}

#[test]
fn an_export_into_a_web_folder_or_the_own_admin_share_is_a_compromise() {
    for target in [
        "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx",
        "\\\\localhost\\c$\\Windows\\Temp\\loot.pst",
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.ashx",
    ] {
        let attack = mgmt_event(
            "2022-11-03T02:14:00.000Z",
            "New-MailboxExportRequest",
            &format!("-Mailbox \"ceo@contoso.com\" -FilePath \"{target}\" -IncludeFolders \"#Drafts#\""),
            "NT AUTHORITY\\SYSTEM",
        );
        let t = tree(&management_log(&[attack]));
        let r = scan_tree(t.path());
        assert_eq!(r.verdict(), "compromised", "{target}");
        let web = r.rule("proxyshell-mailbox-export-web");
        assert_eq!(web.len(), 1, "{target}");
        assert_eq!(web[0]["severity"], "critical");
        // The routine export is still listed, once, as a lead.
        assert_eq!(r.rule("mailbox-export").len(), 1, "{target}");
        assert!(r.report["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("Mailboxes were exported")));
    }
}
