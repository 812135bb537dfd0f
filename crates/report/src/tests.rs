//! Unit tests of [`render`] on a small report: the JSON contract fields,
//! the timeline order and the text's main lines.

use super::*;
use exhunt_core::*;

const SSRF: RuleSpec = RuleSpec {
    id: "proxylogon-ssrf-26855",
    title: "SSRF",
    cves: &["CVE-2021-26855"],
    kind: FindingKind::Exploitation,
    verdict: Verdict::Exploited,
    severity: Severity::High,
    source: "src",
    next_step: None,
};

fn report() -> Report {
    let mut f =
        Finding::from_spec(&SSRF, "HttpProxy/Ecp/a.log").with("ClientIpAddress", "203.0.113.7");
    f.id = "F0001".into();
    f.time = Some("2021-03-03T06:49:42.162Z".into());
    f.line = Some(12);
    Report {
        schema: REPORT_SCHEMA.into(),
        tool: Tool {
            name: "exhunt".into(),
            version: "0.1.0".into(),
        },
        inputs: vec!["x".into()],
        verdict: Verdict::Exploited,
        incomplete: false,
        coverage: vec![],
        patch: None,
        findings: vec![f],
        errors: vec![],
        next_steps: vec!["Do this.".into()],
        stats: Stats::default(),
        suppressed: vec![],
        rules: vec![],
        skipped: vec![],
        discovery: None,
        why_inconclusive: vec![],
        exposure: Default::default(),
        host: None,
        servers: vec![],
        taken: vec![],
    }
}

#[test]
fn json_has_contract_fields() {
    let mut out = Vec::new();
    render(&report(), Format::Json, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    for k in [
        "schema",
        "tool",
        "inputs",
        "verdict",
        "incomplete",
        "coverage",
        "patch",
        "findings",
        "errors",
        "next_steps",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let f = &v["findings"][0];
    for k in [
        "id", "rule", "title", "cves", "kind", "verdict", "severity", "time", "path", "line",
        "evidence", "related", "source",
    ] {
        assert!(f.get(k).is_some(), "finding missing {k}");
    }
    assert_eq!(f["kind"], "exploitation");
    assert_eq!(v["patch"], serde_json::Value::Null);
    assert!(f.get("escalate_to").is_none());
}

#[test]
fn timeline_sorts_findings_and_context_across_sources() {
    let mut r = report();
    r.findings[0].context = vec![
        ContextLine {
            time: Some("2021-03-03T06:49:41.000Z".into()),
            line: Some(11),
            text: "before, with a comma".into(),
        },
        ContextLine {
            time: Some("2021-03-03T06:49:43.000Z".into()),
            line: Some(13),
            text: "after".into(),
        },
    ];
    let mut g = r.findings[0].clone();
    g.id = "F0002".into();
    g.path = "ECP/Server/b.log".into();
    g.time = Some("2021-03-01T00:00:00.000Z".into());
    g.context.clear();
    r.findings.push(g);
    let mut out = Vec::new();
    render(&r, Format::Timeline, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("time,type,finding"));
    assert!(lines[1].starts_with("2021-03-01T00:00:00.000Z,finding,F0002"));
    assert!(lines[2].contains(",context,F0001,") && lines[2].contains("\"before, with a comma\""));
    assert!(lines[3].starts_with("2021-03-03T06:49:42.162Z,finding,F0001"));
    assert!(lines[4].contains(",context,F0001,"));
}

#[test]
fn text_starts_with_verdict_and_lists_steps() {
    let mut out = Vec::new();
    render(&report(), Format::Text, &mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(s.contains("VERDICT: EXPLOITED"));
    assert!(s.contains("2021-03-03 06:49 UTC"));
    assert!(s.contains("HttpProxy/Ecp/a.log:12"));
    assert!(s.contains("1. Do this."));
    let mut out = Vec::new();
    render(&report(), Format::Jsonl, &mut out).unwrap();
    // One line per finding, then the server's summary line.
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("{\"id\":\"F0001\""), "{}", lines[0]);
    assert!(
        lines[1].starts_with("{\"type\":\"summary\""),
        "{}",
        lines[1]
    );
}

/// What a terminal must never receive raw from the evidence.
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| c != '\n' && is_unsafe_char(c))
        .collect()
}

#[test]
fn safe_escapes_controls_and_bidi_and_keeps_other_text() {
    assert_eq!(
        safe("\x1b]0;owned\x07\x1b[2J").to_string(),
        "\\x1b]0;owned\\x07\\x1b[2J"
    );
    assert_eq!(
        safe("a\r\nb\tc\0d\x7f").to_string(),
        "a\\r\\nb\\tc\\x00d\\x7f"
    );
    // C1 controls (the 8-bit CSI), bidi overrides and isolates, the line
    // separator, invisible characters.
    assert_eq!(
        safe("\u{9b}31m \u{85} \u{202e}gpj.aspx \u{2066}x\u{2069} \u{2028} a\u{200b}b \u{feff}")
            .to_string(),
        "\\u{9b}31m \\u{85} \\u{202e}gpj.aspx \\u{2066}x\\u{2069} \\u{2028} a\\u{200b}b \\u{feff}"
    );
    // Ordinary text, Windows paths and the joiners scripts need, as they are.
    for s in [
        "C:\\inetpub\\wwwroot\\aspnet_client\\影子é.aspx",
        "Smtp~administrateur@contoso.fr",
        "کار\u{200c}ها",
        "👩\u{200d}💻",
        "",
    ] {
        assert_eq!(safe(s).to_string(), s);
        assert!(matches!(clean(s), std::borrow::Cow::Borrowed(_)));
    }
    // Width and alignment still apply, to the escaped text.
    assert_eq!(format!("[{:<6}]", safe("a\x1b")), "[a\\x1b ]");
    assert_eq!(format!("[{:>3}]", safe("é")), "[  é]");
}

#[test]
fn csv_cell_neutralises_formulas_only() {
    for (s, want) in [
        (
            "=HYPERLINK(\"http://x\",\"y\")",
            "'=HYPERLINK(\"http://x\",\"y\")",
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
    ] {
        assert_eq!(csv_cell(s), want);
    }
    for s in [
        "2021-03-03T06:49:42.162Z",
        "inetpub/wwwroot/a=b.aspx",
        "a-b",
        " =1",
        "",
    ] {
        assert_eq!(csv_cell(s), s);
    }
}

/// A finding whose every string the intruder chose.
fn hostile_report() -> Report {
    let mut r = report();
    let f = &mut r.findings[0];
    f.title = "Shell \x1b]0;owned\x07".into();
    f.path = "inetpub/wwwroot/aspnet_client/影子\r\nVERDICT: CLEAN\u{202e}.aspx".into();
    f.time = Some("2021-03-03T06:4€\x1b[2J".into());
    f.evidence.insert(
        "AnchorMailbox".into(),
        "ServerInfo~a]@x:444/\x1b[2J\u{9b}#".into(),
    );
    f.evidence
        .insert("ClientIpAddress".into(), "203.0.113.7\x1b[8m".into());
    r.inputs = vec!["/mnt/\x1b[31mev".into()];
    r.errors = vec![ErrorEntry {
        path: "HttpProxy_\x07.LOG".into(),
        message: "binary\n".into(),
    }];
    r.next_steps.push("Remove inetpub/\x1b[2J.aspx".into());
    r
}

#[test]
fn text_escapes_every_string_from_the_evidence() {
    let mut out = Vec::new();
    render(&hostile_report(), Format::Text, &mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert_eq!(raw_controls(&s), Vec::<char>::new(), "{s:?}");
    for shown in [
        "Shell \\x1b]0;owned\\x07",
        "影子\\r\\nVERDICT: CLEAN\\u{202e}.aspx:12",
        "ServerInfo~a]@x:444/\\x1b[2J\\u{9b}#",
        "from 203.0.113.7\\x1b[8m",
        "Scanned: /mnt/\\x1b[31mev",
        "HttpProxy_\\x07.LOG: binary\\n",
        "2. Remove inetpub/\\x1b[2J.aspx",
        // A time cut by characters, not inside the euro sign.
        "2021-03-03 06:4€ UTC",
    ] {
        assert!(s.contains(shown), "{shown} not in {s}");
    }
    assert_eq!(s.lines().filter(|l| l.starts_with("VERDICT:")).count(), 1);
}

#[test]
fn text_last_pass_escapes_what_a_section_left_raw() {
    let mut r = report();
    // `Tool.version` is ours and written as it is: the last pass still
    // catches a control character in it.
    r.tool.version = "0.1.0\x1b[2J".into();
    let mut out = Vec::new();
    render(&r, Format::Text, &mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(s.starts_with("exhunt 0.1.0\\x1b[2J — "), "{s}");
}

#[test]
fn timeline_neutralises_formulas_and_json_keeps_values() {
    let mut r = hostile_report();
    r.findings[0].title = "=HYPERLINK(\"http://evil\",\"x\")".into();
    r.findings[0].path = "@SUM(1+1)*cmd|' /C calc'!A0".into();
    r.findings[0].time = Some("+cmd|'/C calc'!A0T02:14:00Z".into());
    r.findings[0].context = vec![ContextLine {
        time: Some("2021-03-03T06:49:41.000Z".into()),
        line: Some(11),
        text: "-2+3,\"x\"".into(),
    }];
    let mut out = Vec::new();
    render(&r, Format::Timeline, &mut out).unwrap();
    let mut rd = csv::ReaderBuilder::new().from_reader(out.as_slice());
    let header = rd.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = |kind: &str| rows.iter().find(|r| &r[col("type")] == kind).unwrap();
    let cell = |kind: &str, name: &str| row(kind)[col(name)].to_string();
    assert_eq!(cell("context", "time"), "2021-03-03T06:49:41.000Z");
    assert_eq!(cell("context", "detail"), "'-2+3,\"x\"");
    assert_eq!(cell("finding", "time"), "'+cmd|'/C calc'!A0T02:14:00Z");
    assert_eq!(
        cell("finding", "title"),
        "'=HYPERLINK(\"http://evil\",\"x\")"
    );
    assert_eq!(cell("finding", "source"), "'@SUM(1+1)*cmd|' /C calc'!A0");
    assert_eq!(cell("finding", "line"), "12");
    for row in &rows {
        for c in row {
            assert!(!c.starts_with(['=', '+', '-', '@', '\t', '\r']), "{c:?}");
        }
    }
    // JSON: the values as they were, escaped by the encoder only.
    let mut out = Vec::new();
    render(&r, Format::Json, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["findings"][0]["title"],
        "=HYPERLINK(\"http://evil\",\"x\")"
    );
    assert_eq!(
        v["findings"][0]["evidence"]["AnchorMailbox"],
        "ServerInfo~a]@x:444/\x1b[2J\u{9b}#"
    );
    assert!(!out.contains(&0x1b));
}

/// A ledger entry whose names come from hostile logs.
fn hostile_ledger() -> Report {
    let mut r = report();
    r.taken = vec![TakenEntry {
        what: TakenWhat::MailFlow,
        whose: vec!["=HYPERLINK(\"http://x\")\u{202e}moc.osotnoc@oec".into()],
        whose_note: Some("note\x1b[31m red".into()),
        how: "inbox-rule".into(),
        how_text: "an inbox rule forwarding mail outside".into(),
        first: Some("2021-03-05T10:12:00.000Z".into()),
        last: None,
        clients: vec!["203.0.113.7".into()],
        findings: vec!["F0001".into()],
        evidence: vec![TakenEvidence {
            path: "events/MSExchange\u{0007}.jsonl".into(),
            line: Some(3),
            finding: None,
        }],
        count: 1,
        certainty: Certainty::Confirmed,
        ongoing: true,
        size: Some(3 << 20),
        to: Some("+drop@evil.example".into()),
        host: None,
    }];
    r
}

#[test]
fn the_ledger_is_escaped_in_text_and_neutralised_in_csv() {
    let r = hostile_ledger();
    let mut text = Vec::new();
    render(&r, Format::Text, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("What was taken:"), "{text}");
    assert!(
        text.contains("CONFIRMED Mail flow: an inbox rule forwarding mail outside (STILL LEAKING)"),
        "{text}"
    );
    assert!(text.contains("3.0 MiB"), "{text}");
    assert!(raw_controls(&text).is_empty(), "{text:?}");
    let mut brief = Vec::new();
    render_text(
        &r,
        TextStyle {
            brief: true,
            ..TextStyle::default()
        },
        &mut brief,
    )
    .unwrap();
    let brief = String::from_utf8(brief).unwrap();
    assert!(
        brief.contains("mail still forwarded out (inbox-rule)"),
        "{brief}"
    );
    assert!(raw_controls(&brief).is_empty(), "{brief:?}");

    let mut csv = Vec::new();
    render(&r, Format::LedgerCsv, &mut csv).unwrap();
    let mut rdr = csv::Reader::from_reader(&csv[..]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0][2].starts_with("'=HYPERLINK"), "{:?}", &rows[0]);
    assert_eq!(&rows[0][9], "'+drop@evil.example");
    assert_eq!(&rows[0][5], "true");
    assert_eq!(&rows[0][10], "3145728");
    // JSON keeps the values as they are.
    let mut json = Vec::new();
    render(&r, Format::Json, &mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["taken"][0]["whose"][0], r.taken[0].whose[0].as_str());
    assert_eq!(v["taken"][0]["what"], "mail-flow");
    assert_eq!(v["taken"][0]["certainty"], "confirmed");
}

#[test]
fn an_empty_ledger_writes_no_section_and_a_header_only_csv() {
    let r = report();
    let mut text = Vec::new();
    render(&r, Format::Text, &mut text).unwrap();
    assert!(!String::from_utf8(text).unwrap().contains("What was taken"));
    let mut csv = Vec::new();
    render(&r, Format::LedgerCsv, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 1, "{csv}");
    assert!(csv.starts_with("host,what,whose,how,certainty"));
}

#[test]
fn html_is_one_page_with_every_value_escaped_and_nothing_loaded() {
    let mut r = hostile_report();
    r.taken = hostile_ledger().taken;
    r.next_steps
        .push("Remove <b>this</b> \"now\" & <script>alert(1)</script>".into());
    r.findings[0].evidence.insert(
        "cs-uri-query".into(),
        "\"><img onerror=alert(1) src=x> javascript:alert(2)".into(),
    );
    r.findings[0].title = "</summary></details><script>alert(3)</script>".into();
    let mut out = Vec::new();
    render(&r, Format::Html, &mut out).unwrap();
    let page = String::from_utf8(out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        HTML_CSP
    )));
    // Nothing from the evidence becomes markup: the only tags are ours.
    // (`javascript:` and `onerror=` stay as text: no attribute holds them.)
    for bad in ["<script", "<img", "<iframe", "<b>", "</summary></details><"] {
        let raw = page.matches(bad).count();
        assert_eq!(raw, 0, "{bad} unescaped in the page");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Every tag and attribute is ours: nothing that fetches or runs
    // anything (no src, href, on*, style url()).
    let tags = [
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2",
        "h3", "p", "section", "ol", "ul", "li", "details", "summary", "span", "table", "tr", "th",
        "td", "code", "pre", "br", "strong", "svg", "text", "rect", "footer",
    ];
    let attrs = [
        "class",
        "id",
        "lang",
        "charset",
        "http-equiv",
        "content",
        "name",
        "viewBox",
        "role",
        "aria-label",
        "xmlns",
        "x",
        "y",
        "width",
        "height",
        "fill",
        "font-size",
        "text-anchor",
    ];
    let mut rest = page.as_str();
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').expect("a closed tag") + i;
        let tag = rest[i + 1..end].trim_start_matches('/');
        let name = tag.split([' ', '/']).next().unwrap();
        assert!(tags.contains(&name), "tag {name:?} in the page");
        if name == "!DOCTYPE" {
            rest = &rest[end + 1..];
            continue;
        }
        // Attribute values are quoted and cannot hold a quote (maud
        // escapes it): split on the quotes.
        for (k, part) in tag[name.len()..].split('"').enumerate() {
            if k % 2 == 0 {
                let a = part.trim().trim_end_matches('=');
                if !a.is_empty() {
                    assert!(attrs.contains(&a), "attribute {a:?} on {name}");
                }
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(!page.contains("url("), "a style fetches");
    // The sections, in their order.
    let order = [
        "id=\"verdict\"",
        "id=\"steps\"",
        "id=\"found\"",
        "id=\"taken\"",
        "id=\"timeline\"",
        "id=\"patch\"",
        "id=\"looked\"",
        "id=\"rules\"",
        "id=\"errors\"",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|s| page.find(s).unwrap_or_else(|| panic!("{s}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    assert!(page.contains("<details"));
    assert!(page.contains("STILL LEAKING"));
}
