//! The file seam: every check over one file on disk (or in a zip) behind
//! one call.
//!
//! The scan reads a file at most once and hands detect what it has:
//! - [`FileWorker::path_only`]: what the path alone says (staged archives,
//!   path and name indicators); also run for files a collection left out;
//! - [`FileWorker::whole`]: the whole content of a file up to
//!   `--max-filesize` (YARA, hash indicators, web-folder baselines, IIS
//!   configuration, memory dumps);
//! - [`FileWorker::stream`]: the start and a stream of a larger file (memory
//!   dumps are checked through).
//!
//! Every file finding carries the file's `size`, `modified` (when known)
//! and `sha256`, or a `sha256_note` saying why the file was not hashed
//! ([`hash::seal`]): [`FileWorker::whole`] adds the hash of the bytes it was
//! given; path findings and streamed ones get theirs from the scan, which
//! hashes the stream it reads ([`hash::HashRead`]).
//!
//! A check is a [`FileCheck`]; [`FileChecks`] is the configured set, built
//! once and shared by all threads, and [`FileWorker`] is one thread's use of
//! it (a yara-x scanner is costly to make and not `Send`, so each thread
//! keeps its own).
//!
//! Modules: [`archive`] (archives staged under ProgramData), [`dump`] (LSASS
//! dumps), [`hash`] (a file's digests, computed in the one read),
//! [`indicators`] (SHA-256, SHA-1, MD5, path and name indicators), [`web`]
//! (web-folder files against Microsoft's baselines, IIS configuration),
//! [`yara`] (YARA rules, with quoted code in documents demoted to leads).

pub mod archive;
pub mod dump;
pub mod hash;
pub mod indicators;
pub mod pst;
pub mod web;
pub mod yara;

pub use archive::check_archive;
pub use dump::check_dump;
pub use hash::{seal, sha256_hex, Digests, HashNeeds, HashRead, Sha256Of};

use crate::iocs::FileIocs;
use crate::webfiles::Baselines;
use exhunt_core::Finding;
use exhunt_yara::{FileScanner, YaraRules};
use std::io::{self, Read};
use std::time::Duration;

/// What a file check is told about a file: where it is and what its path
/// says. The content comes separately.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta<'a> {
    /// Path as the report names it (`input/…`, `bundle.zip!/…`).
    pub display: &'a str,
    /// Path inside its input, `/` separators, as found and lower-cased.
    pub rel: &'a str,
    pub rel_lower: &'a str,
    pub size: u64,
    /// Last write time (ISO UTC), when known.
    pub modified: Option<&'a str>,
    /// An archive under ProgramData (by its path).
    pub programdata_archive: bool,
    /// In a folder intruders dumped memory to (`C:\root`, `Windows\Temp`).
    pub dump_place: bool,
    /// Named like an LSASS dump (`lsass*.dmp`).
    pub lsass_name: bool,
}

impl FileMeta<'_> {
    /// The file's name, as found.
    pub fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(self.rel)
    }

    /// The file's name, lower-cased.
    pub fn name_lower(&self) -> &str {
        self.rel_lower.rsplit('/').next().unwrap_or(self.rel_lower)
    }

    /// Adds the size and time every file finding carries (its `sha256`, or
    /// the `sha256_note` saying why there is none, is added by [`seal`]
    /// once the file has been read, or not).
    pub fn stamp(&self, f: Finding) -> Finding {
        let f = f.with("size", self.size.to_string());
        match self.modified {
            Some(m) => f.with("modified", m),
            None => f,
        }
    }
}

/// The whole content of a file, read once, with its SHA-256 (and its MD5
/// and SHA-1 when the indicators hold some: [`FileWorker::data`]).
pub struct FileData<'a> {
    pub bytes: &'a [u8],
    /// SHA-256.
    pub digest: [u8; 32],
    /// Lower-case hex of `digest`.
    pub sha256: String,
    /// MD5, when computed (the indicators hold MD5s).
    pub md5: Option<[u8; 16]>,
    /// SHA-1, when computed (the indicators hold SHA-1s).
    pub sha1: Option<[u8; 20]>,
}

impl<'a> FileData<'a> {
    /// With its SHA-256 only.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self::hashed(bytes, HashNeeds::default())
    }

    /// With its SHA-256 and the digests `needs` asks for, in one pass over
    /// the bytes.
    pub fn hashed(bytes: &'a [u8], needs: HashNeeds) -> Self {
        let d = Digests::of(bytes, needs);
        FileData {
            bytes,
            sha256: exhunt_core::hex(&d.sha256),
            digest: d.sha256,
            md5: d.md5,
            sha1: d.sha1,
        }
    }
}

/// What the checks found in one file.
#[derive(Debug, Default)]
pub struct FileOut {
    /// Findings that carry the file's hash, size and time (stamped by
    /// [`FileWorker`] once all checks have run).
    pub findings: Vec<Finding>,
    /// Findings already stamped with size and time by their check (memory
    /// dumps, also read as a stream); the file's hash is added to them
    /// where it is known ([`seal`]).
    pub stamped: Vec<Finding>,
    /// Problems that stopped a check, in words for the report.
    pub errors: Vec<String>,
    /// Microsoft's URL Rewrite mitigation rules in force in an IIS
    /// configuration file (for the exposure headline).
    pub mitigations: Vec<exhunt_core::Mitigation>,
    /// The content is a file Microsoft ships in that place (updates rewrite
    /// such files, so they are not judged by their time).
    pub stock: bool,
}

/// One check over files. Each method has a default that does nothing, so
/// a check implements only what it looks at.
pub trait FileCheck: Send + Sync {
    /// Findings from the path alone; pushed complete (stamped by the check).
    fn check_path(&self, _file: &FileMeta<'_>, _out: &mut Vec<Finding>) {}

    /// Findings from the whole content of a file up to `--max-filesize`.
    fn check_content(&self, _file: &FileMeta<'_>, _data: &FileData<'_>, _out: &mut FileOut) {}

    /// Whether [`FileCheck::check_stream`] wants a file too large to read
    /// whole (the scan then opens it).
    fn wants_stream(&self, _file: &FileMeta<'_>) -> bool {
        false
    }

    /// Findings from the start (`prefix`) and the rest of a larger file.
    fn check_stream(
        &self,
        _file: &FileMeta<'_>,
        _prefix: &[u8],
        _rest: &mut dyn Read,
        _out: &mut FileOut,
    ) -> io::Result<()> {
        Ok(())
    }
}

/// The configured file checks, built once and shared by all threads.
pub struct FileChecks {
    yara: YaraRules,
    timeout: Duration,
    /// The digests besides SHA-256 the indicators need.
    needs: HashNeeds,
    /// Run in this order on every file; the order is the order of the
    /// findings a file gives.
    checks: Vec<Box<dyn FileCheck>>,
}

impl FileChecks {
    /// The built-in checks with these YARA rules and indicators.
    /// `timeout` bounds one file's YARA scan.
    pub fn new(
        yara: YaraRules,
        iocs: FileIocs,
        baselines: &'static Baselines,
        timeout: Duration,
    ) -> Self {
        let needs = HashNeeds {
            md5: iocs.has_md5(),
            sha1: iocs.has_sha1(),
        };
        FileChecks {
            yara,
            timeout,
            needs,
            checks: vec![
                Box::new(archive::ArchiveCheck),
                Box::new(indicators::IndicatorCheck::new(iocs)),
                Box::new(web::WebFolderCheck::new(baselines)),
                Box::new(web::IisConfigCheck),
                Box::new(dump::DumpCheck),
                Box::new(pst::PstCheck),
            ],
        }
    }

    /// Adds a check after the built-in ones.
    pub fn push(&mut self, check: Box<dyn FileCheck>) {
        self.checks.push(check);
    }

    pub fn yara(&self) -> &YaraRules {
        &self.yara
    }

    /// The digests besides SHA-256 a file's content is hashed with: those
    /// the indicators list (none unless a user's list holds MD5 or SHA-1).
    pub fn hash_needs(&self) -> HashNeeds {
        self.needs
    }

    /// Whether some check reads a stream of a file too large to read whole.
    pub fn wants_stream(&self, file: &FileMeta<'_>) -> bool {
        self.checks.iter().any(|c| c.wants_stream(file))
    }

    /// One thread's worker over these checks.
    pub fn worker(&self) -> FileWorker<'_> {
        FileWorker {
            checks: self,
            yara: None,
        }
    }
}

/// One thread's use of the file checks (its yara-x scanner, made on first
/// use).
pub struct FileWorker<'c> {
    checks: &'c FileChecks,
    yara: Option<FileScanner<'c>>,
}

impl FileWorker<'_> {
    /// A file's whole content with the digests the checks compare (one
    /// pass; MD5 and SHA-1 only when the indicators hold some).
    pub fn data<'b>(&self, bytes: &'b [u8]) -> FileData<'b> {
        FileData::hashed(bytes, self.checks.needs)
    }

    /// What the path alone says; the findings carry size and time, and get
    /// the file's hash (or why there is none) from [`seal`].
    pub fn path_only(&self, file: &FileMeta<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for c in &self.checks.checks {
            c.check_path(file, &mut out);
        }
        out
    }

    /// Every check over the whole content of a file: YARA first, then the
    /// others in order; findings carry the hash, size and time.
    pub fn whole(&mut self, file: &FileMeta<'_>, data: &FileData<'_>) -> FileOut {
        let mut out = FileOut::default();
        let scanner = self
            .yara
            .get_or_insert_with(|| FileScanner::new(&self.checks.yara, self.checks.timeout));
        yara::check(scanner, file, data.bytes, &mut out);
        for c in &self.checks.checks {
            c.check_content(file, data, &mut out);
        }
        let mut stamped = std::mem::take(&mut out.stamped);
        for f in out.findings.drain(..) {
            stamped.push(file.stamp(f.with("sha256", data.sha256.clone())));
        }
        seal(&mut stamped, &Sha256Of::Known(data.sha256.clone()));
        out.findings = stamped;
        out
    }

    /// The checks that read a stream of a file too large to read whole.
    /// The findings carry size and time; the caller, which hashes the
    /// stream ([`HashRead`]), adds the hash with [`seal`].
    pub fn stream(
        &self,
        file: &FileMeta<'_>,
        prefix: &[u8],
        rest: &mut dyn Read,
    ) -> io::Result<FileOut> {
        let mut out = FileOut::default();
        for c in &self.checks.checks {
            if c.wants_stream(file) {
                c.check_stream(file, prefix, rest, &mut out)?;
            }
        }
        out.findings.append(&mut out.stamped);
        Ok(out)
    }
}
