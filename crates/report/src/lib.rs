//! Report: render one in-memory [`Report`] to the formats users read.
//!
//! - `text`: for a person, verdict first, then what was found, how far back
//!   the logs reach, what could not be read, and what to do now;
//! - `json`: the `exhunt/report/v1` contract of DESIGN.md;
//! - `jsonl`: one finding per line, for SIEM ingestion;
//! - `timeline`: CSV, UTC, every finding with the records around it from
//!   the same source, sorted by time across all sources.

use exhunt_core::{Finding, Report, Severity, Verdict};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Timeline,
}

/// Writes the report in the chosen format.
pub fn render(report: &Report, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, report)?;
            writeln!(w)
        }
        Format::Jsonl => {
            for f in &report.findings {
                serde_json::to_writer(&mut *w, f)?;
                writeln!(w)?;
            }
            Ok(())
        }
        Format::Text => text(report, w),
        Format::Timeline => timeline(report, w),
    }
}

/// One row of the timeline.
struct Row<'a> {
    time: String,
    source: &'a str,
    line: Option<u64>,
    kind: &'static str,
    finding: &'a Finding,
    detail: String,
}

fn timeline(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    use std::collections::HashSet;
    let mut rows: Vec<Row<'_>> = Vec::new();
    let mut taken: HashSet<(&str, u64)> = HashSet::new();
    for f in &r.findings {
        if let Some(l) = f.line {
            taken.insert((f.path.as_str(), l));
        }
    }
    for f in &r.findings {
        // A file on disk has no event time: its modification time stands in.
        let time = f
            .time
            .clone()
            .or_else(|| f.evidence.get("modified").cloned())
            .unwrap_or_default();
        let detail = f
            .evidence
            .iter()
            .filter(|(k, _)| k.as_str() != "predicate")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        rows.push(Row {
            time,
            source: &f.path,
            line: f.line,
            kind: "finding",
            finding: f,
            detail,
        });
        for c in &f.context {
            if let Some(l) = c.line {
                if !taken.insert((f.path.as_str(), l)) {
                    continue;
                }
            }
            rows.push(Row {
                time: c.time.clone().unwrap_or_default(),
                source: &f.path,
                line: c.line,
                kind: "context",
                finding: f,
                detail: c.text.clone(),
            });
        }
    }
    // Untimed rows (files on disk without a time) go last.
    rows.sort_by(|a, b| {
        (a.time.is_empty(), &a.time, a.source, a.line).cmp(&(
            b.time.is_empty(),
            &b.time,
            b.source,
            b.line,
        ))
    });
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "time", "type", "finding", "rule", "severity", "verdict", "source", "line", "title",
        "detail",
    ])?;
    for row in rows {
        let line = row.line.map(|l| l.to_string()).unwrap_or_default();
        let (sev, verdict, title) = if row.kind == "finding" {
            (
                row.finding.severity.as_str(),
                row.finding.verdict.as_str(),
                row.finding.title.as_str(),
            )
        } else {
            ("", "", "")
        };
        out.write_record([
            row.time.as_str(),
            row.kind,
            row.finding.id.as_str(),
            row.finding.rule.as_str(),
            sev,
            verdict,
            row.source,
            line.as_str(),
            title,
            row.detail.as_str(),
        ])?;
    }
    out.flush()
}

/// One line that says what the verdict means.
pub fn verdict_sentence(v: Verdict) -> &'static str {
    match v {
        Verdict::Clean => "No trace of exploitation was found in what was read.",
        Verdict::Attempted => {
            "Someone tried to break in through the known Exchange flaws; nothing read shows they succeeded."
        }
        Verdict::Exploited => "An exploit step against this server succeeded.",
        Verdict::Compromised => "An intruder acted on this server.",
    }
}

struct Group<'a> {
    first: &'a Finding,
    count: usize,
    first_time: Option<&'a str>,
    last_time: Option<&'a str>,
    ips: Vec<&'a str>,
}

fn groups(findings: &[Finding], leads: bool) -> Vec<Group<'_>> {
    let mut by: BTreeMap<(Severity, &str, &str), Group<'_>> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f.severity.moves_verdict() != leads)
    {
        let g = by
            .entry((f.severity, f.rule.as_str(), f.title.as_str()))
            .or_insert(Group {
                first: f,
                count: 0,
                first_time: None,
                last_time: None,
                ips: Vec::new(),
            });
        g.count += 1;
        if let Some(t) = f.time.as_deref() {
            if g.first_time.is_none_or(|c| t < c) {
                g.first_time = Some(t);
            }
            if g.last_time.is_none_or(|c| t > c) {
                g.last_time = Some(t);
            }
        }
        if let Some(ip) = f.evidence.get("ClientIpAddress") {
            if !g.ips.contains(&ip.as_str()) {
                g.ips.push(ip);
            }
        }
    }
    by.into_values().collect()
}

fn short_time(t: &str) -> &str {
    // `2021-03-03T06:49:42.162Z` → `2021-03-03 06:49` (the T is replaced below)
    &t[..t.len().min(16)]
}

/// Where discovery looked on a system root and where it learnt it.
fn discovery_text(d: &exhunt_core::SystemDiscovery, w: &mut dyn Write) -> io::Result<()> {
    let mut head = format!(
        "Where exhunt looked ({} {}",
        if d.live {
            "this server,"
        } else {
            "system root"
        },
        d.root
    );
    if let Some(c) = &d.collected {
        head.push_str(&format!("; collected {}", short_time(c).replace('T', " ")));
    }
    writeln!(w, "{head}):")?;
    match (&d.exchange_install, &d.exchange_install_from) {
        (Some(p), Some(from)) => writeln!(w, "  Exchange installed in {p} (from {from})")?,
        _ => writeln!(w, "  Exchange install folder: not found")?,
    }
    for p in &d.places {
        if p.what == "Exchange install" {
            continue;
        }
        // Where a place came from is worth saying when it was read from
        // the server's own settings, not assumed.
        let learnt = ["registry", "applicationHost", "environment"]
            .iter()
            .any(|k| p.from.contains(k));
        let status = if p.status == "scanned" {
            "scanned  "
        } else if p.status.starts_with("within ") {
            "(inside) "
        } else {
            "not read "
        };
        write!(w, "  {status} {:<30} {}", p.what, p.windows_path)?;
        if learnt {
            write!(w, "  (from {})", p.from)?;
        }
        if !p.status.starts_with("within ") && p.status != "scanned" {
            write!(w, ": {}", p.status)?;
        }
        writeln!(w)?;
    }
    for n in &d.notes {
        writeln!(w, "  Note: {n}")?;
    }
    writeln!(w)
}

fn text(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "exhunt {} — Exchange compromise check", r.tool.version)?;
    writeln!(w, "Scanned: {}", r.inputs.join(", "))?;
    writeln!(w)?;
    writeln!(
        w,
        "VERDICT: {}{}",
        r.verdict.as_str().to_uppercase(),
        if r.incomplete {
            "  (incomplete: some files could not be read)"
        } else {
            ""
        }
    )?;
    writeln!(w, "  {}", verdict_sentence(r.verdict))?;
    writeln!(w)?;

    let main = groups(&r.findings, false);
    let leads = groups(&r.findings, true);
    if main.is_empty() {
        writeln!(w, "What was found: nothing that points to an intrusion.")?;
    } else {
        writeln!(w, "What was found:")?;
        for g in &main {
            let f = g.first;
            writeln!(
                w,
                "  {:<8} {}{}",
                f.severity.as_str().to_uppercase(),
                f.title,
                if g.count > 1 {
                    format!("  (x{})", g.count)
                } else {
                    String::new()
                }
            )?;
            let mut detail = Vec::new();
            match (g.first_time, g.last_time) {
                (Some(a), Some(b)) if a != b => detail.push(format!(
                    "{} to {} UTC",
                    short_time(a).replace('T', " "),
                    short_time(b).replace('T', " ")
                )),
                (Some(a), _) => detail.push(format!("{} UTC", short_time(a).replace('T', " "))),
                _ => {}
            }
            if !g.ips.is_empty() {
                let shown: Vec<&str> = g.ips.iter().take(3).copied().collect();
                let more = g.ips.len().saturating_sub(3);
                detail.push(format!(
                    "from {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
            if !f.cves.is_empty() {
                detail.push(f.cves.join(", "));
            }
            if !detail.is_empty() {
                writeln!(w, "           {}", detail.join("; "))?;
            }
            let loc = match f.line {
                Some(l) => format!("{}:{}", f.path, l),
                None => f.path.clone(),
            };
            writeln!(w, "           first seen in {loc} [{}]", f.id)?;
            // The one piece of evidence a reader checks first, by record type.
            let key = [
                "path",
                "AnchorMailbox",
                "CommandLine",
                "TargetFilename",
                "c-uri",
                "Data",
                "line",
            ]
            .iter()
            .find_map(|k| f.evidence.get(*k));
            if let Some(p) = key {
                let p: String = p.chars().take(160).collect();
                writeln!(w, "           {p}")?;
            }
        }
    }
    for s in &r.suppressed {
        writeln!(
            w,
            "  ... and {} more {} rows{}, counted but not listed one by one",
            s.count,
            s.rule,
            match (&s.first, &s.last) {
                (Some(a), Some(b)) => format!(
                    " ({} to {} UTC)",
                    short_time(a).replace('T', " "),
                    short_time(b).replace('T', " ")
                ),
                _ => String::new(),
            }
        )?;
    }
    if !leads.is_empty() {
        let n: usize = leads.iter().map(|g| g.count).sum();
        writeln!(
            w,
            "  Leads that do not change the verdict on their own ({n}; details with --format json):"
        )?;
        for g in &leads {
            writeln!(
                w,
                "    {} (x{}), e.g. {}",
                g.first.title, g.count, g.first.path
            )?;
        }
    }
    writeln!(w)?;

    if let Some(d) = &r.discovery {
        discovery_text(d, w)?;
    }
    writeln!(w, "How far back the logs reach:")?;
    if r.coverage.is_empty() {
        writeln!(w, "  No Exchange logs were found in the input.")?;
    }
    for c in &r.coverage {
        writeln!(
            w,
            "  {:<24} {:>6} file(s)  {} to {}",
            c.family,
            c.files,
            c.first
                .as_deref()
                .map(|t| short_time(t).replace('T', " "))
                .unwrap_or_else(|| "?".into()),
            c.last
                .as_deref()
                .map(|t| short_time(t).replace('T', " "))
                .unwrap_or_else(|| "?".into()),
        )?;
    }
    writeln!(
        w,
        "  Read {} file(s) of {} seen, {} log lines, {:.1} MB.",
        r.stats.files_examined,
        r.stats.files_seen,
        r.stats.lines_read,
        r.stats.bytes_read as f64 / 1e6
    )?;
    match &r.patch {
        Some(p) => {
            writeln!(
                w,
                "  Exchange build {} ({}, update level {}), from {}.",
                p.build,
                p.product,
                p.update_level.as_deref().unwrap_or("unknown"),
                p.source
            )?;
            let campaigns = p.open_campaigns();
            if p.open_cves.is_empty() {
                writeln!(w, "  Patch status: none of the campaigns' CVEs open.")?;
            } else {
                writeln!(
                    w,
                    "  Patch status: {} CVE(s) open{}.",
                    p.open_cves.len(),
                    if campaigns.is_empty() {
                        String::new()
                    } else {
                        format!(", exploitable by {}", campaigns.join(", "))
                    }
                )?;
                writeln!(w, "  To install: {}", p.install)?;
            }
            for n in &p.notes {
                writeln!(w, "  Note: {n}")?;
            }
        }
        None => writeln!(
            w,
            "  Patch status: no build found (no ExSetup.exe, Setup registry export or Exchange log header in the input)."
        )?,
    }
    for (engine, label) in [
        ("sigma", "Sigma rules"),
        ("yara", "YARA rule files"),
        ("iocs", "Indicator files"),
    ] {
        let rules: Vec<_> = r.rules.iter().filter(|x| x.engine == engine).collect();
        if rules.is_empty() {
            continue;
        }
        let loaded = rules.iter().filter(|x| x.status == "loaded").count();
        let bundled = rules
            .iter()
            .filter(|x| x.status == "loaded" && x.origin.starts_with("bundled:"))
            .count();
        let skipped: Vec<_> = rules.iter().filter(|x| x.status != "loaded").collect();
        writeln!(
            w,
            "  {label}: {loaded} loaded ({bundled} bundled, {} yours), {} skipped.",
            loaded - bundled,
            skipped.len()
        )?;
        // Skipped rules grouped by reason, so a big folder stays readable.
        let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for x in &skipped {
            reasons
                .entry(x.reason.as_deref().unwrap_or("unknown"))
                .or_default()
                .push(x.origin.as_str());
        }
        for (reason, files) in reasons.iter().take(10) {
            writeln!(
                w,
                "    skipped {}: {} (e.g. {})",
                files.len(),
                reason,
                files[0]
            )?;
        }
    }
    if !r.skipped.is_empty() {
        writeln!(
            w,
            "  Not read on purpose: {} file(s) (too large or links); listed under \"skipped\" in --format json.",
            r.skipped.len()
        )?;
        for s in r.skipped.iter().take(5) {
            writeln!(w, "    {}: {}", s.path, s.reason)?;
        }
    }
    writeln!(w)?;

    if !r.errors.is_empty() {
        writeln!(w, "Could not read ({}):", r.errors.len())?;
        for e in r.errors.iter().take(20) {
            writeln!(w, "  {}: {}", e.path, e.message)?;
        }
        if r.errors.len() > 20 {
            writeln!(
                w,
                "  ... and {} more (see --format json)",
                r.errors.len() - 20
            )?;
        }
        writeln!(w)?;
    }

    writeln!(w, "What to do now:")?;
    for (i, s) in r.next_steps.iter().enumerate() {
        writeln!(w, "  {}. {}", i + 1, s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::*;

    fn report() -> Report {
        let mut f = Finding::new(
            "proxylogon-ssrf-26855",
            "SSRF",
            &["CVE-2021-26855"],
            FindingKind::Exploitation,
            Verdict::Exploited,
            Severity::High,
            "HttpProxy/Ecp/a.log",
            "src",
        )
        .with("ClientIpAddress", "203.0.113.7");
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
        assert!(
            lines[2].contains(",context,F0001,") && lines[2].contains("\"before, with a comma\"")
        );
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
}
