//! The read seam: one entry point that reads any log into a sink.
//!
//! [`LogReader`] says which reader a kind of log needs (an exhaustive
//! match: a new [`ArtifactKind`] must say how it is read); [`Readers`] holds
//! one worker thread's reusable readers and reads one log into a
//! [`RecordSink`], putting the context lines on the findings the sink makes
//! ([`crate::context`]) and returning one [`ReadSummary`] whatever the
//! format.
//!
//! Adding a log format: a reader module beside `w3c.rs`, a variant here and
//! its arm in [`Readers::read`], and how [`crate::classify`] recognises it.

use crate::context::{csv_context_line, Hits, Ring, CONTEXT_LINES};
use crate::csvlog::{CsvLogScanner, CsvRecord, Prefilter};
use crate::events_jsonl::EventsJsonlReader;
use crate::input::Location;
use crate::w3c::W3cReader;
use crate::SourceError;
use exhunt_core::{ArtifactKind, EventRecord, Finding, Record};
use std::cell::RefCell;
use std::io::Read;

/// What reading one log established, besides its records: the same shape
/// for every format (fields a format does not have stay empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Column names in file order (`#Fields:` or a bare header line);
    /// shared by the files of one header, not copied per file.
    pub fields: std::sync::Arc<Vec<String>>,
    /// Exchange's CSV logs: the columns by lower-cased name, with
    /// Exchange's names for columns an analyst renamed (built once per
    /// header; see [`ReadSummary::has_column`]).
    pub column_index: Option<std::sync::Arc<std::collections::HashMap<String, usize>>>,
    /// `#Version:` of Exchange's logs (the build that wrote the file).
    pub version: Option<String>,
    /// `#Log-type:` of Exchange's logs.
    pub log_type: Option<String>,
    /// `#Software:` of IIS logs.
    pub software: Option<String>,
    /// Earliest and latest time of a record (ISO 8601 UTC).
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Lines read (text logs; directives and blank lines included), and
    /// records handed out.
    pub lines: u64,
    pub records: u64,
    /// Bytes read (after transcoding).
    pub bytes: u64,
    /// Records (or EVTX chunks, or JSON lines) that could not be parsed.
    pub failed: u64,
    /// Why, for the first 100 of them.
    pub errors: Vec<String>,
    /// Problems that did not stop the read (not UTF-8, cut-off last line,
    /// no column header, ...).
    pub warnings: Vec<String>,
}

impl ReadSummary {
    /// Whether the log has the column `name` (Exchange's name), under that
    /// name or one an analyst renamed it to
    /// ([`crate::csvlog::same_column`]).
    pub fn has_column(&self, name: &str) -> bool {
        match &self.column_index {
            Some(ix) => ix.contains_key(&name.to_ascii_lowercase()),
            None => self
                .fields
                .iter()
                .any(|f| crate::csvlog::same_column(f, name)),
        }
    }
}

/// The reader a kind of log needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogReader {
    /// Exchange's own CSV logs (HttpProxy, ECP Server, OABGenerator).
    ExchangeCsv,
    /// IIS W3C web logs.
    W3c,
    /// Windows events exported as JSON lines.
    EventsJsonl,
    /// Windows event log files.
    Evtx,
}

impl LogReader {
    /// `None` for artifacts that are not logs.
    pub fn for_kind(kind: &ArtifactKind) -> Option<LogReader> {
        match kind {
            ArtifactKind::HttpProxyLog { .. }
            | ArtifactKind::EcpServerLog
            | ArtifactKind::OabGeneratorLog
            | ArtifactKind::RpsHttpLog => Some(LogReader::ExchangeCsv),
            ArtifactKind::IisLog { .. } => Some(LogReader::W3c),
            ArtifactKind::EventJsonl => Some(LogReader::EventsJsonl),
            ArtifactKind::EventLog { .. } => Some(LogReader::Evtx),
            ArtifactKind::MemoryDump | ArtifactKind::Archive => None,
        }
    }
}

/// One record as its reader gives it: a line of an Exchange CSV log
/// (fields borrowed from the reader's buffers), or an event or web request
/// with owned, named fields.
pub enum Rec<'a> {
    Csv(&'a CsvRecord<'a>),
    Event(&'a EventRecord),
}

impl Rec<'_> {
    /// The record behind the common field-lookup interface.
    pub fn as_record(&self) -> &dyn Record {
        match self {
            Rec::Csv(r) => *r,
            Rec::Event(r) => *r,
        }
    }
}

/// Where the records of one log go (ripgrep's `Sink`): detectors behind it
/// turn records into findings.
pub trait RecordSink {
    /// A record that passed the line filter; returns what it finds.
    fn record(&mut self, rec: Rec<'_>) -> Vec<Finding>;

    /// Decides about a finding once the context known so far is on it:
    /// `Some` keeps it with the file (it then gets the lines after it as
    /// they are read), `None` when the sink took it elsewhere.
    fn keep(&mut self, f: Finding) -> Option<Finding> {
        Some(f)
    }
}

/// Which lines of a text log can hold a hit; the others are not split into
/// fields.
#[derive(Clone, Copy)]
pub enum LineFilter<'a> {
    /// Every line is a record.
    All,
    /// Exchange's CSV logs: a literal pre-filter over whole read buffers.
    Literals(&'a Prefilter),
    /// Line by line (IIS W3C): a line is a record only when it holds one of
    /// the literals (compared without ASCII case) and meets its need.
    Lines(&'a crate::prefilter::LineKeep),
}

/// The log to read.
#[derive(Debug, Clone, Copy)]
pub struct LogFile<'a> {
    pub kind: &'a ArtifactKind,
    /// Where it is: an EVTX file on disk is reopened by path (the reader
    /// seeks); a zip member is read from the stream.
    pub location: &'a Location,
    pub size: u64,
}

/// One worker thread's readers, their buffers reused from file to file.
#[derive(Default)]
pub struct Readers {
    csv: CsvLogScanner,
    w3c: W3cReader,
    jsonl: EventsJsonlReader,
}

impl Readers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one log from `input` (decoded to UTF-8 for text logs) into
    /// `sink`; returns what the read established and the findings the file
    /// keeps, each with the lines around it. `warnings` of the summary also
    /// name the records that could not be used.
    pub fn read(
        &mut self,
        file: LogFile<'_>,
        input: &mut dyn Read,
        filter: LineFilter<'_>,
        sink: &mut dyn RecordSink,
    ) -> Result<(ReadSummary, Vec<Finding>), SourceError> {
        let Some(reader) = LogReader::for_kind(file.kind) else {
            return Err(SourceError::Format(format!("not a log: {:?}", file.kind)));
        };
        match reader {
            LogReader::ExchangeCsv => {
                let LineFilter::Literals(pf) = filter else {
                    return Err(SourceError::Format(
                        "an Exchange CSV log is read through a literal pre-filter".into(),
                    ));
                };
                let mut hits = Hits::default();
                let columns = crate::csvlog::default_columns(file.kind);
                let s = self.csv.scan_with_columns(input, pf, columns, &mut |rec| {
                    let found = sink.record(Rec::Csv(rec));
                    if !found.is_empty() {
                        // The lines on both sides are in the read buffer.
                        let around: Vec<_> = rec
                            .around(CONTEXT_LINES)
                            .into_iter()
                            .map(|(n, l)| csv_context_line(n, l))
                            .collect();
                        hits.add(sink, found, &around, true);
                    }
                })?;
                Ok((s, hits.into_findings()))
            }
            LogReader::W3c => stream_events(sink, |on_record, on_skipped| match filter {
                LineFilter::Lines(pf) => {
                    self.w3c
                        .scan_filtered(input, Some(pf), on_record, on_skipped)
                }
                LineFilter::All | LineFilter::Literals(_) => self.w3c.scan(input, on_record),
            }),
            LogReader::EventsJsonl => stream_events(sink, |on_record, _| {
                let mut s = self.jsonl.scan(input, on_record)?;
                s.warnings
                    .extend(lost(s.failed, &s.errors, "line(s) are not JSON events"));
                Ok(s)
            }),
            LogReader::Evtx => stream_events(sink, |on_record, _| {
                // EVTX needs to seek: a file is reopened by path, a zip
                // member is read from the stream (spilled to a temporary
                // file when large).
                let mut s = match file.location {
                    Location::File(p) => crate::read_evtx_file(p, on_record)?,
                    Location::ZipMember { .. } | Location::Absent { .. } => {
                        crate::read_evtx_stream(input, on_record)?
                    }
                };
                s.bytes = file.size;
                s.lines = s.records;
                s.warnings.extend(lost(
                    s.failed,
                    &s.errors,
                    "event record(s) could not be parsed",
                ));
                Ok(s)
            }),
        }
    }
}

/// Runs a streaming reader (one that sees every line or event) into the
/// sink: the ring of recent lines gives each hit the lines before it, and
/// the findings the file keeps collect the lines after them. `run` gets the
/// callback for records and the one for runs of lines the filter skipped
/// (the number of the first, and the lines, each ending with `\n`).
#[allow(clippy::type_complexity)]
fn stream_events(
    sink: &mut dyn RecordSink,
    run: impl FnOnce(
        &mut dyn FnMut(&EventRecord),
        &mut dyn FnMut(u64, &[u8]),
    ) -> Result<ReadSummary, SourceError>,
) -> Result<(ReadSummary, Vec<Finding>), SourceError> {
    let st = RefCell::new((Ring::default(), Hits::default()));
    let mut on_record = |rec: &EventRecord| {
        let mut st = st.borrow_mut();
        let (ring, hits) = &mut *st;
        ring.see(hits, rec.line, rec.time.as_deref(), rec.raw.as_bytes());
        let found = sink.record(Rec::Event(rec));
        if !found.is_empty() {
            hits.add(sink, found, &ring.before(), false);
        }
    };
    let mut on_skipped = |first: u64, run: &[u8]| {
        let mut st = st.borrow_mut();
        let (ring, hits) = &mut *st;
        ring.see_run(hits, first, run);
    };
    let s = run(&mut on_record, &mut on_skipped)?;
    Ok((s, st.into_inner().1.into_findings()))
}

/// One warning for the records a reader could not use, naming the first.
fn lost(failed: u64, errors: &[String], what: &str) -> Option<String> {
    (failed > 0).then(|| {
        format!(
            "{failed} {what} (first: {})",
            errors.first().map(String::as_str).unwrap_or("?")
        )
    })
}
