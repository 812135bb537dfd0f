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
//! - `timeline`: CSV, UTC, every finding with the records around it from
//!   the same source, sorted by time across all sources.
//!
//! Strings from the scanned evidence are attacker-controlled (`safe`): the
//! text report shows their control and bidi characters escaped, the
//! timeline neutralises cells a spreadsheet would evaluate as formulas, and
//! JSON leaves them to its encoder's escaping, values unchanged.

#![forbid(unsafe_code)]

mod group;
mod json;
mod safe;
mod text;
mod timeline;

#[cfg(test)]
mod tests;

use exhunt_core::Report;
use std::io::{self, Write};

pub use safe::{clean, csv_cell, is_unsafe_char, safe, Safe};
pub use text::verdict_sentence;

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
        Format::Json => json::json(report, w),
        Format::Jsonl => json::jsonl(report, w),
        Format::Text => text::text(report, w),
        Format::Timeline => timeline::timeline(report, w),
    }
}
