//! The machine-readable formats: the whole report as one JSON document, and
//! the findings as JSON lines.
//!
//! Both are serde's rendering of the `exhunt_core` types, so the field names
//! and what is left out (`escalate_to`, `context`) are decided there, where
//! the `exhunt/report/v1` contract lives.

use exhunt_core::{ExposureState, Report, Verdict};
use serde::Serialize;
use std::io::{self, Write};

/// The `exhunt/report/v1` document, pretty-printed, with a final newline.
pub(crate) fn json(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r)?;
    writeln!(w)
}

/// One finding per line, for SIEM ingestion, then one summary line per
/// server (`"type": "summary"`), so that "scanned, clean" is a line too and
/// never looks like "not scanned".
pub(crate) fn jsonl(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    for f in &r.findings {
        serde_json::to_writer(&mut *w, f)?;
        writeln!(w)?;
    }
    let servers: Vec<&Report> = if r.servers.is_empty() {
        vec![r]
    } else {
        r.servers.iter().collect()
    };
    for s in servers {
        serde_json::to_writer(&mut *w, &Summary::of(s))?;
        writeln!(w)?;
    }
    Ok(())
}

/// The JSONL summary line of one server.
#[derive(Serialize)]
struct Summary<'a> {
    /// Always `summary`: what tells this line from a finding's.
    #[serde(rename = "type")]
    kind: &'static str,
    host: Option<&'a str>,
    inputs: &'a [String],
    verdict: Verdict,
    incomplete: bool,
    why_inconclusive: &'a [String],
    exposure: ExposureState,
    build: Option<&'a str>,
    findings: usize,
    /// Where the logs reach back to, per log family (`first`).
    logs_from: Option<&'a str>,
    files_seen: u64,
    errors: usize,
    /// Added: the ledger's entries that are thefts (`confirmed` or
    /// `possible`; the routine ones on record are left out), and whether
    /// mail is still being forwarded out.
    taken: usize,
    still_leaking: bool,
}

impl<'a> Summary<'a> {
    fn of(r: &'a Report) -> Self {
        Summary {
            kind: "summary",
            host: r.host.as_deref(),
            inputs: &r.inputs,
            verdict: r.verdict,
            incomplete: r.incomplete,
            why_inconclusive: &r.why_inconclusive,
            exposure: r.exposure.state,
            build: r.patch.as_ref().map(|p| p.build.as_str()),
            findings: r.findings.len(),
            logs_from: r.coverage.iter().filter_map(|c| c.first.as_deref()).min(),
            files_seen: r.stats.files_seen,
            errors: r.errors.len(),
            taken: r
                .taken
                .iter()
                .filter(|e| e.certainty != exhunt_core::Certainty::Info)
                .count(),
            still_leaking: r.taken.iter().any(|e| e.ongoing),
        }
    }
}
