//! The timeline: a CSV of every finding and the records around it, in UTC,
//! sorted by time across all sources, for putting one intrusion's steps in
//! order.

use crate::safe::csv_cell;
use exhunt_core::{Finding, Report};
use std::collections::HashSet;
use std::io::{self, Write};

/// One row of the timeline.
struct Row<'a> {
    time: String,
    source: &'a str,
    line: Option<u64>,
    /// `finding` or `context`.
    kind: &'static str,
    /// The finding the row is, or is context of.
    finding: &'a Finding,
    detail: String,
}

pub(crate) fn timeline(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut rows = rows(r);
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
        "detail", "attack", "host",
    ])?;
    for row in rows {
        // Formula injection (OWASP "CSV Injection"): every cell taken from
        // the report goes through `csv_cell`, the time included (an IIS
        // line's time is its date and time columns as written; a real ISO
        // time starts with a digit and is never changed). Left as they are:
        // `line`, which we format from an unsigned number, and `type`,
        // `severity` and `verdict`, our own words. No column holds a signed
        // number, so a leading `-` is never a legitimate negative value here
        // and needs no exception.
        let line = row.line.map(|l| l.to_string()).unwrap_or_default();
        // Context rows name their finding but do not repeat its judgement.
        let (sev, verdict, title, attack) = if row.kind == "finding" {
            (
                row.finding.severity.as_str(),
                row.finding.verdict.as_str(),
                row.finding.title.as_str(),
                // ATT&CK ids, ours (`T` and digits): added last column.
                row.finding.attack.join(" "),
            )
        } else {
            ("", "", "", String::new())
        };
        out.write_record([
            &*csv_cell(&row.time),
            row.kind,
            &*csv_cell(&row.finding.id),
            &*csv_cell(&row.finding.rule),
            sev,
            verdict,
            &*csv_cell(row.source),
            line.as_str(),
            &*csv_cell(title),
            &*csv_cell(&row.detail),
            &*csv_cell(&attack),
            // The server (added last column): a host name as the logs give
            // it, empty when none was named.
            &*csv_cell(row.finding.host.as_deref().unwrap_or("")),
        ])?;
    }
    out.flush()
}

/// Every finding, each followed by its context lines, unsorted. A context
/// line that is itself a finding's line (in the same file) is left out: the
/// finding's row says more.
fn rows(r: &Report) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    // Keyed by server too: two servers' logs can have the same path.
    let mut taken: HashSet<(Option<&str>, &str, u64)> = HashSet::new();
    for f in &r.findings {
        if let Some(l) = f.line {
            taken.insert((f.host.as_deref(), f.path.as_str(), l));
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
            // Also keeps two findings' shared neighbour from being listed twice.
            if let Some(l) = c.line {
                if !taken.insert((f.host.as_deref(), f.path.as_str(), l)) {
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
    rows
}
