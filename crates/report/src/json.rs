//! The machine-readable formats: the whole report as one JSON document, and
//! the findings as JSON lines.
//!
//! Both are serde's rendering of the `exhunt_core` types, so the field names
//! and what is left out (`escalate_to`, `context`) are decided there, where
//! the `exhunt/report/v1` contract lives.

use exhunt_core::Report;
use std::io::{self, Write};

/// The `exhunt/report/v1` document, pretty-printed, with a final newline.
pub(crate) fn json(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r)?;
    writeln!(w)
}

/// One finding per line, for SIEM ingestion; nothing else of the report.
pub(crate) fn jsonl(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    for f in &r.findings {
        serde_json::to_writer(&mut *w, f)?;
        writeln!(w)?;
    }
    Ok(())
}
