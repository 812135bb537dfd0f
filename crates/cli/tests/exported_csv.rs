//! Logs a CERT receives as PowerShell exports (`Import-Csv … | Export-Csv`):
//! a `#TYPE` line, a quoted header with a selection of the columns, quoted
//! values. Through the real binary: read by column name wherever they lie;
//! a check whose column is missing says so for that file; nothing is
//! claimed about a column the file does not have.

mod common;

use common::*;
use std::fmt::Write as _;
use tempfile::TempDir;

const TYPE: &str = "#TYPE System.Management.Automation.PSCustomObject";

/// Test-ProxyLogon.ps1's own `*-Cve-2021-26855.csv` columns.
const PROXYLOGON_COLUMNS: &str = "\"DateTime\",\"RequestId\",\"ClientIpAddress\",\"UrlHost\",\"UrlStem\",\"RoutingHint\",\"UserAgent\",\"AnchorMailbox\",\"HttpStatus\"";

fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("\"{}\"", v.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",")
}

fn export_with_rows(rows: &[Vec<&str>]) -> String {
    let mut s = format!("{TYPE}\r\n{PROXYLOGON_COLUMNS}\r\n");
    for r in rows {
        writeln!(s, "{}\r", quoted(r)).unwrap();
    }
    s
}

#[test]
fn test_proxylogons_own_csv_results_are_read_by_column_name() {
    let t = TempDir::new().unwrap();
    let dir = t.path().join("from-customer");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();
    for i in 0..50 {
        rows.push(vec![
            "2021-03-03T05:10:00.000Z",
            if i % 2 == 0 { "req-a" } else { "req-b" },
            "10.0.0.8",
            "mail.contoso.com",
            "/owa/",
            "",
            "Mozilla/5.0",
            "Smtp~user@contoso.com",
            "200",
        ]);
    }
    rows.push(vec![
        "2021-03-03T06:49:42.162Z",
        "f2a8b4",
        "203.0.113.7",
        "mail.contoso.com",
        "/ecp/y.js",
        "",
        "ExchangeServicesClient/0.0.0.0",
        "ServerInfo~a]@EX01.contoso.com:444/ecp/proxyLogon.ecp?#",
        "200",
    ]);
    std::fs::write(dir.join("EX01-Cve-2021-26855.csv"), export_with_rows(&rows)).unwrap();
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "exploited", "{:#?}", r.findings());
    let hits = r.rule("proxylogon-ssrf-26855");
    assert_eq!(hits.len(), 1, "{:#?}", r.findings());
    let f = hits[0];
    assert_eq!(f["line"], 53);
    assert_eq!(f["time"], "2021-03-03T06:49:42.162Z");
    assert_eq!(f["evidence"]["ClientIpAddress"], "203.0.113.7");
    // The export has no AuthenticatedUser column: nothing is claimed
    // about who was signed in, and the finding is not raised for it.
    assert_eq!(
        f["evidence"]["AuthenticatedUser"],
        "(not among this log's columns)"
    );
    assert_eq!(f["severity"], "high");
    // Its time reach is in coverage like any HttpProxy log.
    let cov = r.report["coverage"].as_array().unwrap();
    assert!(
        cov.iter()
            .any(|c| c["family"].as_str().unwrap().starts_with("HttpProxy/")),
        "{cov:?}"
    );
}

#[test]
fn an_export_without_the_anchormailbox_column_says_which_check_could_not_run() {
    let t = TempDir::new().unwrap();
    let logs = t.path().join("V15/Logging/HttpProxy/Ecp");
    std::fs::create_dir_all(&logs).unwrap();
    let mut s = format!("{TYPE}\r\n\"DateTime\",\"RequestId\",\"UrlStem\",\"HttpStatus\"\r\n");
    for _ in 0..10 {
        writeln!(
            s,
            "{}\r",
            quoted(&["2021-03-03T05:10:00.000Z", "r", "/ecp/", "200"])
        )
        .unwrap();
    }
    std::fs::write(logs.join("HttpProxy_2021030305-1.LOG"), s).unwrap();
    let r = scan(&[t.path()]);
    let errors = r.report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("without an AnchorMailbox column: the CVE-2021-26855 check could not run"));
    // Read, not refused as header-less: its lines count and its reach is known.
    assert!(r.report["stats"]["lines_read"].as_u64().unwrap() >= 12);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    assert_eq!(r.report["incomplete"], true);
}

#[test]
fn an_analysts_selection_with_renamed_columns_is_read_by_what_they_hold() {
    // `Select-Object @{n='Time';e={$_.DateTime}}, @{n='Client IP';...}, …`
    let t = TempDir::new().unwrap();
    let mut s = format!(
        "{TYPE}\r\n\"Time\",\"Client IP\",\"Anchor Mailbox\",\"URL\",\"Status\",\"User\"\r\n"
    );
    for _ in 0..20 {
        writeln!(
            s,
            "{}\r",
            quoted(&[
                "2021-03-03T05:10:00.000Z",
                "10.0.0.8",
                "Smtp~user@contoso.com",
                "/owa/",
                "200",
                "CONTOSO\\user"
            ])
        )
        .unwrap();
    }
    writeln!(
        s,
        "{}\r",
        quoted(&[
            "2021-03-03T06:49:42.162Z",
            "203.0.113.7",
            "ServerInfo~a]@EX01.contoso.com:444/ecp/proxyLogon.ecp?#",
            "/ecp/y.js",
            "241",
            ""
        ])
    )
    .unwrap();
    std::fs::write(t.path().join("ssrf-selection.csv"), &s).unwrap();
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "exploited", "{:#?}", r.report);
    let hits = r.rule("proxylogon-ssrf-26855");
    assert_eq!(hits.len(), 1);
    let f = hits[0];
    assert_eq!(f["time"], "2021-03-03T06:49:42.162Z");
    assert_eq!(f["evidence"]["ClientIpAddress"], "203.0.113.7");
    assert_eq!(f["evidence"]["HttpStatus"], "241");
    // "User" is the signed-in account column: empty there, so the
    // unauthenticated form (critical).
    assert_eq!(
        f["evidence"]["AuthenticatedUser"],
        "(empty: unauthenticated)"
    );
    assert_eq!(f["severity"], "critical");
    assert!(r.errors().is_empty(), "{:?}", r.errors());

    // The same selection without its status column: said, and what it
    // holds is an attempt only.
    let t = TempDir::new().unwrap();
    let no_status: String = s
        .lines()
        .map(|l| {
            if l.starts_with('#') {
                return format!("{l}\n");
            }
            let mut cells: Vec<&str> = l.split("\",\"").collect();
            cells.remove(4);
            format!("{}\n", cells.join("\",\""))
        })
        .collect();
    std::fs::write(t.path().join("ssrf-selection.csv"), &no_status).unwrap();
    let r = scan(&[t.path()]);
    assert_eq!(r.verdict(), "attempted", "{:#?}", r.findings());
    assert!(r.errors().iter().any(|e| e["message"]
        .as_str()
        .unwrap()
        .contains("without an HttpStatus column")));
}
