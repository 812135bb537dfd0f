//! File indicators: hashes, paths, file names and path regexes of the web
//! shells and tools of the Exchange campaigns, as data.
//!
//! The bundled lists (`rules/iocs/webshell-sha256.csv`,
//! `rules/iocs/webshell-paths.csv`, derived by `scripts/derive-iocs.py`;
//! origin and licences in `rules/iocs/PROVENANCE.md`) are embedded in the
//! binary. [`FileIocsBuilder`] adds a user's files (`--iocs FILE`) and reads
//! the format it finds there:
//!
//! - exhunt's own two CSVs (told by their header: `sha256,name,source,note`
//!   and `pattern,kind,score,source`);
//! - Microsoft MSTIC's feed CSV (`DateAdded,FirstSeen,Indicator,IndicatorType,TLP`):
//!   `sha256`/`sha1`/`md5`, `filepath` and `filename` rows are taken, other
//!   types (addresses, domains, …) are counted and reported as unsupported;
//! - signature-base's `hash;comment` lines (`hash-iocs.txt`) and
//!   `regex;score[;false-positive regex]` lines (`filename-iocs.txt`);
//! - a plain list: one MD5, SHA-1 or SHA-256 (optionally followed by a file
//!   name, as `sha256sum` writes it), Windows path or bare file name a line.
//!
//! `#` comments and blank lines are skipped everywhere. A `path` or `name`
//! indicator that names a file Exchange ships there (MSTIC's later feed lists
//! the stock `ecp\auth\TimeoutLogout.aspx`) is skipped with a warning: it
//! would flag every server, and the stock-file hash check of
//! [`crate::webfiles`] reports a modified one. A line that cannot be
//! used is skipped with a warning naming the file and line
//! ([`FileIocsBuilder::warnings`]); a file with content but no usable line at
//! all is refused ([`IocError`]).
//!
//! # Matching paths
//!
//! [`FileIocs::path`] takes a file's path as a scan sees it: inside the
//! scanned input, `/` (or `\`) separators, any case, normally without a drive.
//! ASCII case is ignored throughout.
//!
//! - `path` indicators (full Windows paths such as MSTIC's) are compared on
//!   the path's trailing components: the indicator loses its drive, any
//!   `%VARIABLE%` prefix and what comes before `FrontEnd\`, `ClientAccess\`
//!   or `inetpub\` (else up to `Exchange Server\V15\`), and the rest must end
//!   the scanned path at a component boundary. So a scan of a mounted drive,
//!   of a collected bundle or of the `V15` folder all match.
//! - `name` indicators (bare web-shell file names such as `help.aspx`, which
//!   also exist legitimately elsewhere) match only files in the folders the
//!   2021 shells were dropped in: any `aspnet_client`, the IIS web root
//!   (`inetpub\wwwroot` itself), and Exchange's `owa\auth` and `ecp\auth`
//!   (see [`crate::webfiles::web_place`]).
//! - `regex` indicators (signature-base style, written against `\`-separated
//!   Windows paths) run against the path with `\` separators and a leading
//!   `\`, drive removed, ASCII case-insensitively, as one compiled
//!   [`RegexSet`](regex::bytes::RegexSet). A pattern anchored at a drive
//!   (`C:\\ProgramData\\…`) is anchored at the root of the scanned input
//!   instead, or below a folder named like a drive (`C\`, `c:\`, as
//!   collection tools lay drives out).
//!   Each pattern's longest required literal goes into one Aho-Corasick
//!   pre-filter, so the set runs only on paths that hold one of them.
//!
//! # Layout
//!
//! - `mod.rs` (this file): the indicator types and the error, shared by
//!   the submodules.
//! - `hashes`: the MD5 / SHA-1 / SHA-256 tables and how a listed hash
//!   merges into them.
//! - `paths`: `path` and `name` indicators: how listed and scanned paths are
//!   normalised, and the by-file-name index that matches them.
//! - `regexes`: `regex` indicators: drive-anchor rewriting, the literal
//!   pre-filter and the compiled `RegexSet`.
//! - `parse`: the list formats (format detection, CSV and line readers,
//!   text decoding).
//! - `builder`: [`FileIocsBuilder`], the bundled lists, de-duplication and
//!   the stock-file guard.
//! - `set`: [`FileIocs`], the compiled set and its lookups.

mod builder;
mod hashes;
mod parse;
mod paths;
mod regexes;
mod set;
#[cfg(test)]
mod tests;

pub use builder::FileIocsBuilder;
pub use set::FileIocs;

use std::fmt;

/// Where the bundled hash list comes from (used as the origin in messages).
pub const BUNDLED_SHA256_ORIGIN: &str = "rules/iocs/webshell-sha256.csv";
/// Where the bundled path list comes from.
pub const BUNDLED_PATHS_ORIGIN: &str = "rules/iocs/webshell-paths.csv";

/// Score of a user's path, name or regex line that gives none (0–100, the
/// scale signature-base uses).
pub const DEFAULT_SCORE: u8 = 80;
/// Score of an MSTIC feed `filepath` row (signature-base rates the same list
/// 95).
pub const MSTIC_PATH_SCORE: u8 = 95;

/// What a hash list says about a hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashIoc {
    /// What the file is (`HAFNIUM web shell`); may be empty.
    pub name: String,
    /// Every list that holds the hash, `;`-separated.
    pub source: String,
    /// What the lists say about it; may be empty.
    pub note: String,
}

impl HashIoc {
    /// The name, or else the note, or else a stock phrase.
    pub fn describe(&self) -> &str {
        if !self.name.is_empty() {
            &self.name
        } else if !self.note.is_empty() {
            &self.note
        } else {
            "listed file hash"
        }
    }
}

/// The digest types a hash indicator can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    Md5,
    Sha1,
    Sha256,
}

impl HashKind {
    /// By the number of hex digits.
    pub fn of_hex_len(n: usize) -> Option<HashKind> {
        match n {
            32 => Some(HashKind::Md5),
            40 => Some(HashKind::Sha1),
            64 => Some(HashKind::Sha256),
            _ => None,
        }
    }
}

/// How a path indicator matches (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathIocKind {
    /// A full Windows path, matched on its trailing components.
    Path,
    /// A bare file name, matched only in web folders.
    Name,
    /// A regex over the `\`-separated path.
    Regex,
}

impl PathIocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PathIocKind::Path => "path",
            PathIocKind::Name => "name",
            PathIocKind::Regex => "regex",
        }
    }

    fn parse(s: &str) -> Option<PathIocKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "path" => Some(PathIocKind::Path),
            "name" => Some(PathIocKind::Name),
            "regex" => Some(PathIocKind::Regex),
            _ => None,
        }
    }
}

impl fmt::Display for PathIocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A path, file-name or path-regex indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathIoc {
    /// As the list gives it (a regex as written upstream).
    pub pattern: String,
    pub kind: PathIocKind,
    /// 0–100.
    pub score: u8,
    /// Every list that holds it, `;`-separated.
    pub source: String,
}

/// How many indicators of each kind a set holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IocCounts {
    pub sha256: usize,
    pub sha1: usize,
    pub md5: usize,
    pub path: usize,
    pub name: usize,
    pub regex: usize,
}

impl IocCounts {
    pub fn total(&self) -> usize {
        self.sha256 + self.sha1 + self.md5 + self.path + self.name + self.regex
    }
}

/// Why indicators could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IocError {
    /// The file could not be read, or is not text.
    #[error("{origin}: {message}")]
    Read { origin: String, message: String },
    /// A line could not be used (a whole file is refused with its first bad
    /// line when no line of it was usable).
    #[error("{origin}:{line}: {message}")]
    Line {
        origin: String,
        line: usize,
        message: String,
    },
    /// The file's format is not one exhunt reads.
    #[error("{origin}: {message}")]
    Format { origin: String, message: String },
    /// The regexes, each valid, could not be compiled together.
    #[error("indicator regexes: {message}")]
    Compile { message: String },
}

impl IocError {
    /// The file (or bundled list) concerned.
    pub fn origin(&self) -> Option<&str> {
        match self {
            IocError::Read { origin, .. }
            | IocError::Line { origin, .. }
            | IocError::Format { origin, .. } => Some(origin),
            IocError::Compile { .. } => None,
        }
    }

    /// The 1-based line concerned.
    pub fn line(&self) -> Option<usize> {
        match self {
            IocError::Line { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// Adds the `;`-separated parts of `add` that `dst` lacks.
fn merge_list(dst: &mut String, add: &str) {
    for part in add.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if !dst.split(';').any(|d| d.trim() == part) {
            if !dst.is_empty() {
                dst.push(';');
            }
            dst.push_str(part);
        }
    }
}
