//! OWASSRF in the Remote PowerShell proxy log, through the real binary: a
//! busy day of ordinary remoting and health probes stays clean; an exploit's
//! user agent answered 200 is `exploited` with the network path and the
//! account; refused ones are `attempted`; the log's reach is in coverage;
//! the file is read with and without Exchange's header lines; a system
//! root's log folder is found.

mod common;

use common::*;
use exhunt_testgen::SplitMix64;
use std::fmt::Write as _;
use std::path::Path;
use tempfile::TempDir;

const DIR: &str = "V15/Logging/CmdletInfra/Powershell-Proxy/Http";

/// One row in CrowdStrike's fixed column order (38 columns).
fn row(time: &str, req: u64, user: &str, ip: &str, status: u16, client: &str, cmd: &str) -> String {
    format!(
        "{time},{time},{req:08x}-1111-2222-3333-444455556666,15,1,2507,6,,mail.contoso.com,/powershell,Kerberos,true,{user},,,{ip},EX02,EX01,{status},0,,POST,,{cmd},,,,,{bytes},{client},12,,30,45,,,,",
        bytes = 1200 + req % 500
    )
}

/// A day of ordinary traffic: admins' remoting sessions, Exchange's own
/// probes, internal calls without a client name; `attacks` added in order.
fn busy_log(headers: bool, attacks: &[String]) -> String {
    let mut rng = SplitMix64::new(11);
    let mut s = String::new();
    if headers {
        s.push_str("#Software: Microsoft Exchange Server\r\n#Version: 15.01.2507.006\r\n#Log-type: Rps Http Logs\r\n#Date: 2022-12-19T00:00:00.000Z\r\n#Fields: DateTime,StartTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,UrlHost,UrlStem,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,ManagedOrganization,ClientIpAddress,ServerHostName,FrontEndServer,HttpStatus,SubStatus,ErrorCode,Action,CommandId,CommandName,SessionId,ShellId,FailFast,ContributeToFailFast,RequestBytes,ClientInfo,CPU,Memory,ActivityContextLifeTime,TotalTime,UrlQuery,GenericLatency,GenericInfo,GenericErrors\r\n");
    }
    let users = [
        "CONTOSO\\admin1",
        "CONTOSO\\helpdesk",
        "NT AUTHORITY\\SYSTEM",
    ];
    let clients = ["Microsoft WinRM Client", "Exchange BackEnd Probes", ""];
    let cmds = [
        "Get-Mailbox",
        "Get-ExchangeServer",
        "Test-ServiceHealth",
        "",
    ];
    for i in 0..600u64 {
        let t = format!(
            "2022-12-19T{:02}:{:02}:{:02}.000Z",
            i / 60 % 24,
            i % 60,
            rng.next_u64() % 60
        );
        let k = (rng.next_u64() % 3) as usize;
        let status = if rng.next_u64().is_multiple_of(20) {
            401
        } else {
            200
        };
        writeln!(
            s,
            "{}\r",
            row(
                &t,
                i,
                users[k],
                "10.0.0.21",
                status,
                clients[k],
                cmds[(i % 4) as usize]
            )
        )
        .unwrap();
        if i == 300 {
            for a in attacks {
                writeln!(s, "{a}\r").unwrap();
            }
        }
    }
    s
}

fn write_log(root: &Path, name: &str, text: &str) {
    let dir = root.join(DIR);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_busy_day_of_remoting_is_clean_and_the_log_is_in_coverage() {
    for headers in [false, true] {
        let t = TempDir::new().unwrap();
        write_log(
            t.path(),
            "Rps_Http_2022121900-1.LOG",
            &busy_log(headers, &[]),
        );
        let r = scan(&[t.path()]);
        assert!(r.unraised(), "headers {headers}: {:#?}", r.findings());
        assert!(r.findings().is_empty());
        let cov = r.report["coverage"].as_array().unwrap();
        let rps = cov
            .iter()
            .find(|c| c["family"] == "PowerShell-Proxy/Http")
            .expect("the log is in coverage");
        assert!(rps["first"]
            .as_str()
            .unwrap()
            .starts_with("2022-12-19T00:00"));
        assert_eq!(r.report["errors"].as_array().unwrap().len(), 0);
    }
}

#[test]
fn owassrf_answered_200_is_exploited_and_refused_tries_are_attempts() {
    let ok = row(
        "2022-12-19T05:00:10.000Z",
        9001,
        "CONTOSO\\jdoe",
        "203.0.113.7 10.0.0.5",
        200,
        "python-requests/2.28.1",
        "New-MailboxExportRequest",
    );
    let refused = row(
        "2022-12-19T05:00:05.000Z",
        9000,
        "",
        "203.0.113.7",
        401,
        "python-requests/2.28.1",
        "",
    );
    for headers in [false, true] {
        let t = TempDir::new().unwrap();
        write_log(
            t.path(),
            "Rps_Http_2022121900-1.LOG",
            &busy_log(headers, &[refused.clone(), ok.clone()]),
        );
        let r = scan(&[t.path()]);
        assert_eq!(r.verdict(), "exploited", "headers {headers}");
        let hits = r.rule("owassrf-rps-proxied-client");
        assert_eq!(hits.len(), 2, "{:#?}", r.findings());
        let won = hits.iter().find(|f| f["verdict"] == "exploited").unwrap();
        assert_eq!(
            won["cves"],
            serde_json::json!(["CVE-2022-41080", "CVE-2022-41082"])
        );
        assert_eq!(won["evidence"]["network_path"], "203.0.113.7 → EX01 → EX02");
        assert_eq!(won["evidence"]["AuthenticatedUser"], "CONTOSO\\jdoe");
        assert_eq!(won["evidence"]["CommandName"], "New-MailboxExportRequest");
        assert_eq!(won["time"], "2022-12-19T05:00:10.000Z");
        // The line number is the file's own (header lines counted).
        let line = won["line"].as_u64().unwrap();
        assert_eq!(line, if headers { 5 + 301 + 2 } else { 301 + 2 });
        let tried = hits.iter().find(|f| f["verdict"] == "attempted").unwrap();
        assert_eq!(tried["kind"], "attempt");

        // Only the refused one: attempted, never more.
        let t2 = TempDir::new().unwrap();
        write_log(
            t2.path(),
            "Rps_Http_2022121900-1.LOG",
            &busy_log(headers, std::slice::from_ref(&refused)),
        );
        assert_eq!(scan(&[t2.path()]).verdict(), "attempted");
    }
}

#[test]
fn a_log_without_the_client_column_says_the_check_could_not_run() {
    let t = TempDir::new().unwrap();
    write_log(
        t.path(),
        "Rps_Http_2022121900-1.LOG",
        "#Fields: DateTime,RequestId,HttpStatus\r\n2022-12-19T05:00:10.000Z,a,200\r\n",
    );
    let r = scan(&[t.path()]);
    let errors = r.report["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("without a ClientInfo column: the OWASSRF check could not run")),
        "{errors:?}"
    );
    assert_eq!(r.report["incomplete"], true);
}

#[test]
fn a_log_re_exported_with_powershell_is_read_by_its_own_header() {
    // `Import-Csv -Header … | Export-Csv`: a #TYPE line and every column
    // quoted; the header row must not be read as a request.
    let names = exhunt_sources::csvlog::RPS_HTTP_COLUMNS
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",");
    let head = format!("#TYPE System.Management.Automation.PSCustomObject\r\n{names}\r\n");
    let t = TempDir::new().unwrap();
    write_log(
        t.path(),
        "Rps_Http_2022121900-1.LOG",
        &format!("{head}{}", busy_log(false, &[])),
    );
    let r = scan(&[t.path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    let attack = row(
        "2022-12-19T05:00:10.000Z",
        9001,
        "CONTOSO\\jdoe",
        "203.0.113.7",
        200,
        "python-requests/2.28.1",
        "Get-Mailbox",
    );
    let t = TempDir::new().unwrap();
    write_log(
        t.path(),
        "Rps_Http_2022121900-1.LOG",
        &format!("{head}{}", busy_log(false, &[attack])),
    );
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "exploited");
    assert_eq!(r.rule("owassrf-rps-proxied-client").len(), 1);
}
