//! Discover and read: turn the user's inputs into artifacts and stream
//! records out of them.
//!
//! - [`input`] walks folders and zips (read in place, never extracted) and
//!   lists every file with a display path relative to its input.
//! - [`classify`] decides what a file is from its path (case-insensitive) and
//!   from its first bytes (header lines, magic numbers).
//! - [`csvlog`] streams Exchange's CSV logs (HttpProxy, ECP Server,
//!   OABGenerator) chunk by chunk: a literal pre-filter runs over whole
//!   buffers and only lines holding a literal are split into fields.
//! - [`w3c`] streams IIS W3C logs into [`exhunt_core::EventRecord`]s named as
//!   IIS writes them plus Sigma's webserver names.
//! - [`evtx`] reads Windows event logs, [`events_jsonl`] the same events
//!   exported as JSON lines (Winlogbeat, OTRF / NXLog style, `evtx_dump`);
//!   both give the same field names and Sigma `logsource`
//!   ([`winevent`] holds what they share).
//!
//! - [`collection`] reads an `exhunt collect` zip's manifest back (exact
//!   times, files left out, the collection's own errors and discovery).
//!
//! - [`read`] is the seam the scan reads through: [`LogReader`] says which
//!   reader a log kind needs, [`Readers`] (one per worker thread) reads any
//!   log into a [`RecordSink`] and gives one [`ReadSummary`]; [`context`]
//!   puts the lines before and after each hit on its findings, for every
//!   reader alike.
//!
//! Nothing here writes to an input: files and zips are opened read-only.

#![forbid(unsafe_code)]

pub mod buildinfo;
pub mod classify;
pub mod collection;
pub mod context;
pub mod csvlog;
pub mod decode;
pub mod events_jsonl;
pub mod evtx;
pub mod hive;
pub mod hostname;
pub mod input;
mod lines;
pub mod prefilter;
pub mod read;
pub mod w3c;
pub mod winevent;

pub use self::evtx::{
    is_evtx, read_evtx_bytes, read_evtx_file, read_evtx_seekable, read_evtx_stream,
    MAX_IN_MEMORY_EVTX,
};
pub use classify::{classify_content, path_interest, PathInterest};
pub use csvlog::{CsvLogScanner, CsvRecord, Prefilter};
pub use events_jsonl::{is_events_jsonl, EventsJsonlReader};
pub use input::{discover, Candidate, Discovery, Input, Location, MemberOpener};
pub use prefilter::LineKeep;
pub use read::{LineFilter, LogFile, LogReader, ReadSummary, Readers, Rec, RecordSink};
pub use w3c::{is_w3c, W3cReader};
pub use winevent::windows_logsource;

/// Longest `#Fields:` (or bare header) line whose column names are read;
/// real ones are a few hundred bytes.
pub(crate) const MAX_HEADER_LINE: usize = 64 << 10;

/// Errors of this crate; each names what could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// Not opened on purpose: not a regular file, a link, too large.
    #[error("{0}")]
    Open(exhunt_core::open::OpenError),
    #[error("broken zip archive: {0}")]
    Zip(String),
    #[error("binary content where a text log was expected")]
    Binary,
    #[error("{0}")]
    Format(String),
    /// An EVTX file whose header cannot be read (not EVTX, or cut off).
    #[error("not a readable EVTX file: {0}")]
    Evtx(String),
}

impl From<exhunt_core::open::OpenError> for SourceError {
    fn from(e: exhunt_core::open::OpenError) -> Self {
        match e {
            exhunt_core::open::OpenError::Io(e) => SourceError::Io(e),
            e => SourceError::Open(e),
        }
    }
}
