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
//!
//! Nothing here writes to an input: files and zips are opened read-only.

pub mod classify;
pub mod csvlog;
pub mod input;

pub use classify::{classify_content, path_interest, PathInterest};
pub use csvlog::{CsvLogScanner, CsvRecord, LogOutcome, Prefilter};
pub use input::{discover, Candidate, Discovery, Location, MemberOpener};

/// Errors of this crate; each names what could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("broken zip archive: {0}")]
    Zip(String),
    #[error("binary content where a text log was expected")]
    Binary,
    #[error("{0}")]
    Format(String),
}
