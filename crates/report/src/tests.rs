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
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
}
