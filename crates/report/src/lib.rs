//! Report: render one in-memory [`Report`] to the formats users read.
//!
//! Every format is a pure function of the report, written to any
//! [`Write`]; nothing here decides what was found, only how it is said.
//! One module per format:
//!
//! - `text`: for a person, verdict first, then what was found, where exhunt
//!   looked, how far back the logs reach, what could not be read, and what
//!   to do now; one function per section;
//! - `group`: the findings of the text summary folded by rule and title,
//!   with their time span and client addresses;
//! - `json`: the `exhunt/report/v1` contract of DESIGN.md (`json`), and one
//!   finding per line for SIEM ingestion (`jsonl`);
//! - `screen`: the text report on a terminal: a brief first screen (the
//!   verdict, the exposure, the worst findings, the first steps), lines
//!   wrapped to the window, colour for our own words;
//! - `timeline`: CSV, UTC, every finding with the records around it from
//!   the same source, sorted by time across all sources;
//! - `ledger`: what was taken (the exposure ledger), as the text report's
//!   section and as CSV for the people who must notify;
//! - `html`: one self-contained page for people who never run a command
//!   line (maud templates, every value escaped, a strict CSP, no script);
//! - `stix`: a STIX 2.1 bundle for CERTs (indicators, sightings, malware,
//!   attack patterns, vulnerabilities, TLP 2.0 marking);
//! - `timesketch`: JSON lines Timesketch's importer takes (findings, what
//!   was taken and the verdict, each with `message`, `datetime`,
//!   `timestamp_desc`).
//!
//! Strings from the scanned evidence are attacker-controlled (`safe`): the
//! text report shows their control and bidi characters escaped, the
//! timeline neutralises cells a spreadsheet would evaluate as formulas, and
//! JSON leaves them to its encoder's escaping, values unchanged.

#![forbid(unsafe_code)]

mod group;
mod html;
mod json;
mod ledger;
mod safe;
mod screen;
mod stix;
mod text;
mod timeline;
mod timesketch;

#[cfg(test)]
mod tests;

use exhunt_core::Report;
use std::io::{self, Write};

pub use html::CSP as HTML_CSP;
pub use safe::{clean, csv_cell, is_unsafe_char, safe, Safe};
pub use stix::{pattern_string, stix_id, StixOptions, Tlp};
pub use text::verdict_sentence;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Timeline,
    /// The exposure ledger ("what was taken") as CSV.
    LedgerCsv,
    /// JSON lines for Timesketch's importer.
    Timesketch,
    /// A STIX 2.1 bundle ([`render_stix`], which takes its options).
    Stix,
    /// One self-contained HTML page (no network, no script).
    Html,
}

/// How the text report is laid out for where it goes (a terminal, a pipe).
#[derive(Debug, Clone, Copy, Default)]
pub struct TextStyle {
    /// Colour the verdict, exposure, severities and headings (ANSI codes).
    pub color: bool,
    /// Wrap lines to this many columns.
    pub width: Option<usize>,
    /// The first screen only (verdict, exposure, worst findings, first
    /// steps) and how to get the rest; the whole report otherwise.
    pub brief: bool,
}

/// Writes the text report laid out as `style` says; `TextStyle::default()`
/// is [`render`]'s text (whole, no colour, no wrapping).
pub fn render_text(report: &Report, style: TextStyle, w: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::new();
    if style.brief {
        let mut raw = Vec::new();
        screen::brief(report, &mut raw)?;
        safe::write_clean_text(&raw, &mut buf)?;
    } else {
        text::text(report, &mut buf)?;
    }
    let mut out = String::from_utf8_lossy(&buf).into_owned();
    if let Some(width) = style.width {
        out = screen::wrap(&out, width);
    }
    if style.color {
        out = screen::colour(&out);
    }
    w.write_all(out.as_bytes())
}

/// Writes the report as a STIX 2.1 bundle, with who reports it and how it
/// may be shared.
pub fn render_stix(report: &Report, options: &StixOptions, w: &mut dyn Write) -> io::Result<()> {
    stix::stix(report, options, w)
}

/// Writes the report in the chosen format.
pub fn render(report: &Report, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => json::json(report, w),
        Format::Jsonl => json::jsonl(report, w),
        Format::Text => text::text(report, w),
        Format::Timeline => timeline::timeline(report, w),
        Format::LedgerCsv => ledger::csv(report, w),
        Format::Timesketch => timesketch::timesketch(report, w),
        Format::Stix => stix::stix(report, &StixOptions::default(), w),
        Format::Html => html::html(report, w),
    }
}
