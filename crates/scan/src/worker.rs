//! One worker thread's state (ripgrep's `SearchWorker`): its zip handles,
//! log readers, file-check worker (with its yara-x scanner) and read
//! buffer, reused for every file it processes.

use crate::engine::Engine;
use crate::logs::{read_log, LogPass};
use crate::need::{log_kind, too_large, SNIFF};
use crate::Progress;
use exhunt_core::{BuildSeen, ErrorEntry, Finding, Skipped};
use exhunt_detect::files::{seal, sha256_hex, FileMeta, FileWorker, HashNeeds, HashRead, Sha256Of};
use exhunt_judge::FileWindow;
use exhunt_sources::csvlog::{read_prefix_into, utf8_reader};
use exhunt_sources::{Candidate, Location, MemberOpener, PathInterest, Readers, SourceError};
use std::io::{self, Read};

/// What one file contributed.
#[derive(Default)]
pub(crate) struct FileOutcome {
    pub findings: Vec<Finding>,
    pub window: Option<FileWindow>,
    pub errors: Vec<ErrorEntry>,
    pub skipped: Vec<Skipped>,
    /// Exchange builds this file shows (log header, file version, registry).
    pub builds: Vec<BuildSeen>,
    pub examined: bool,
    pub content_scanned: bool,
    /// Its content was checked and it is in a tree IIS serves Exchange
    /// from: a web folder was looked at.
    pub web: bool,
    /// Its content is a file Microsoft ships there (not judged as newer
    /// than its neighbours: updates rewrite such files).
    pub stock: bool,
    /// Microsoft's mitigation rules in force in an IIS configuration file.
    pub mitigations: Vec<exhunt_core::Mitigation>,
    /// The file's SHA-256 (or why there is none), for the findings of the
    /// whole-tree checks that run after the pass.
    pub sha256: Option<Sha256Of>,
    pub bytes: u64,
    pub lines: u64,
    /// Sign-ins and boots a Security log showed.
    pub logons: crate::logs::LogonBook,
}

impl FileOutcome {
    pub fn error(&mut self, c: &Candidate, message: String) {
        self.errors.push(ErrorEntry {
            path: c.display.clone(),
            message,
        });
    }
}

/// Per-thread reusable state.
pub(crate) struct Worker<'e> {
    engine: &'e Engine,
    opener: MemberOpener,
    readers: Readers,
    files: FileWorker<'e>,
    /// The current file's bytes in the file sweep (reused).
    buf: Vec<u8>,
    /// The first bytes of a file, read to recognise it (reused).
    prefix: Vec<u8>,
}

impl<'e> Worker<'e> {
    pub fn new(engine: &'e Engine) -> Self {
        Worker {
            engine,
            opener: MemberOpener::default(),
            readers: Readers::new(),
            files: engine.files.worker(),
            buf: Vec::new(),
            prefix: Vec::new(),
        }
    }

    /// Everything the scan learns from one file; the bytes read from it go
    /// to `progress` as they are read ([`Ticking`]), [`progress_size`] in
    /// all.
    pub fn process(
        &mut self,
        pass: &LogPass<'_>,
        c: &Candidate,
        pi: &PathInterest,
        progress: &dyn Progress,
    ) -> FileOutcome {
        let engine = self.engine;
        let mut out = FileOutcome::default();
        let meta = FileMeta {
            display: &c.display,
            rel: &c.rel,
            rel_lower: &c.rel_lower,
            size: c.size,
            modified: c.modified.as_deref(),
            programdata_archive: pi.programdata_archive,
            dump_place: pi.dump_place,
            lsass_name: pi.lsass_name,
        };
        out.findings.extend(self.files.path_only(&meta));
        // The path findings, first in `out.findings`, get the file's SHA-256
        // from the read below, or a note saying why there is none.
        let path_found = out.findings.len();
        // The path alone makes an archive under ProgramData a finding.
        out.examined = pi.programdata_archive;
        if let Location::Absent { reason, skipped } = &c.location {
            // Left out of a collection: what its path says is all there is.
            if *skipped {
                out.skipped.push(Skipped {
                    path: c.display.clone(),
                    reason: reason.clone(),
                });
            }
            let why = Sha256Of::Absent(format!("left out of the collection, not read: {reason}"));
            seal(&mut out.findings[..path_found], &why);
            out.sha256 = Some(why);
            return out;
        }
        let sweep = swept(engine.max_file, c, pi);
        if pi.access.is_some() {
            // A protocol log: read by the access pass, when there is one.
            let why = Sha256Of::Absent(
                "an Exchange protocol log: read only for what the attack's clients accessed"
                    .to_string(),
            );
            seal(&mut out.findings[..path_found], &why);
            out.sha256 = Some(why);
            return out;
        }
        if !sweep && pi.log.is_none() {
            out.skipped.push(Skipped {
                path: c.display.clone(),
                reason: too_large(c.size, engine.max_file),
            });
        }
        if !opened(engine.max_file, c, pi) {
            let why = Sha256Of::Absent(too_large(c.size, engine.max_file));
            seal(&mut out.findings[..path_found], &why);
            out.sha256 = Some(why);
            return out;
        }
        let Worker {
            opener,
            readers,
            files,
            buf,
            prefix,
            ..
        } = self;
        // The file's SHA-256 for its file findings, once known (or why not).
        let mut sha: Option<Sha256Of> = None;
        // What the progress was told of this file: its size in all, most
        // of it as it is read, the rest when it is done.
        let mut told = 0;
        let res = opener.with_reader(&c.location, |r| {
            let r = &mut Ticking {
                inner: r,
                progress,
                read: 0,
                told: &mut told,
                size: c.size,
            };
            if !sweep {
                // Too large for the sweep, but maybe a log (streamed
                // whatever its size) or a dump (checked from its start).
                // Hashed as it is read when a file finding may need it: a
                // path finding made above, or a check reading the stream
                // (its raw bytes, before any UTF-16 decoding).
                let stream = engine.files.wants_stream(&meta);
                // A log by its path is read as a log whatever its place (an
                // IIS log is in `inetpub`, where dumps are looked for too):
                // its stream is not checked, so only a path finding needs
                // its hash.
                let hash = path_found > 0 || (stream && pi.log.is_none());
                let mut hr = HashRead::new(r, hash, HashNeeds::default());
                let mut dec = utf8_reader(&mut hr)?;
                // A log known by its path is read straight through; any
                // other file's first bytes say what it is.
                prefix.clear();
                if pi.log.is_none() {
                    read_prefix_into(&mut dec, SNIFF, prefix)?;
                }
                let prefix = &prefix[..];
                if let Some(kind) = log_kind(pi, prefix) {
                    out.skipped.retain(|s| s.path != c.display);
                    out.examined = true;
                    let mut input = io::Cursor::new(prefix).chain(dec);
                    read_log(pass, readers, c, &kind, &mut input, &mut out)?;
                    drop(input);
                    sha = hr.finish()?.map(|d| Sha256Of::known(&d));
                } else if stream {
                    out.examined = true;
                    let mut got = files.stream(&meta, prefix, &mut dec)?;
                    drop(dec);
                    if got.findings.is_empty() {
                        // Not a dump: only its first bytes were read, as
                        // `exhunt collect` leaves it out.
                        sha = Some(Sha256Of::Absent(too_large(c.size, engine.max_file)));
                    } else {
                        // A dump, read through as `exhunt collect` copies
                        // it whole: its findings carry the whole file's
                        // hash, so the read goes on to its end.
                        let s = match hr.finish() {
                            Ok(d) => d.map(|d| Sha256Of::known(&d)),
                            Err(e) => {
                                out.error(c, format!("read to hash it: {e}"));
                                Some(Sha256Of::Absent(format!(
                                    "not hashed: the file could not be read to its end ({e})"
                                )))
                            }
                        };
                        if let Some(s) = &s {
                            seal(&mut got.findings, s);
                        }
                        sha = s;
                    }
                    out.findings.extend(got.findings);
                } else {
                    // Only its first bytes were read, to recognise it.
                    sha = Some(Sha256Of::Absent(too_large(c.size, engine.max_file)));
                }
                return Ok(());
            }
            // The file sweep reads a file once, whole: hash, YARA and the
            // web checks all look at the same bytes.
            let n = read_whole(r, buf, c.size, engine.max_file)?;
            let data = &buf[..n];
            if pi.maybe_log {
                let mut dec = utf8_reader(io::Cursor::new(data))?;
                read_prefix_into(&mut dec, SNIFF, prefix)?;
                let prefix = &prefix[..];
                if let Some(kind) = log_kind(pi, prefix) {
                    out.examined = true;
                    let mut input = io::Cursor::new(prefix).chain(dec);
                    read_log(pass, readers, c, &kind, &mut input, &mut out)?;
                    if path_found > 0 {
                        sha = Some(Sha256Of::Known(sha256_hex(data)));
                    }
                    return Ok(());
                }
            }
            out.examined = true;
            out.content_scanned = true;
            out.web = exhunt_detect::files::web::in_web_tree(&c.rel_lower);
            out.bytes += data.len() as u64;
            // SHA-256, and the MD5 and SHA-1 when the indicators hold some,
            // in one pass over the bytes.
            let fd = files.data(data);
            sha = Some(Sha256Of::Known(fd.sha256.clone()));
            let got = files.whole(&meta, &fd);
            for e in got.errors {
                out.error(c, e);
            }
            out.stock = got.stock;
            out.mitigations = got.mitigations;
            out.findings.extend(got.findings);
            build_evidence(c, meta.name_lower(), data, &mut out);
            Ok::<(), SourceError>(())
        });
        progress.inc(c.size.saturating_sub(told));
        let sha = sha.unwrap_or_else(|| {
            Sha256Of::Absent(match &res {
                Err(e) => format!("not hashed: the file could not be read ({e})"),
                Ok(()) => "not hashed".to_string(),
            })
        });
        seal(&mut out.findings[..path_found], &sha);
        out.sha256 = Some(sha);
        if let Err(e) = res {
            out.errors.push(ErrorEntry {
                path: c.display.clone(),
                message: e.to_string(),
            });
        }
        // A zip member's buffer can be large: do not keep a big one around.
        if self.buf.len() > 8 << 20 {
            self.buf = Vec::new();
        }
        out
    }
}

/// The bytes a file counts in the scan's progress: its size when
/// [`Worker::process`] opens it, nothing when it leaves it unread (left
/// out of a collection; too large for the sweep, and neither a log nor a
/// file a check reads as a stream). The same conditions as the early
/// returns of [`Worker::process`].
pub(crate) fn progress_size(max_file: u64, c: &Candidate, pi: &PathInterest) -> u64 {
    if matches!(c.location, Location::Absent { .. }) || !opened(max_file, c, pi) {
        0
    } else {
        c.size
    }
}

/// Whether the file sweep reads the file whole (not a log, not too large).
fn swept(max_file: u64, c: &Candidate, pi: &PathInterest) -> bool {
    pi.log.is_none() && pi.access.is_none() && c.size <= max_file
}

/// Whether the file is opened at all: swept, or read as a log or a stream.
fn opened(max_file: u64, c: &Candidate, pi: &PathInterest) -> bool {
    swept(max_file, c, pi) || pi.needs_open()
}

/// Bytes read between two progress ticks: a big log moves the bar while
/// it is read (an atomic add on the bar each time; some 4,000 per GB).
const TICK: u64 = 256 << 10;

/// The reader a file is read through, telling the scan's progress what
/// was read every [`TICK`] bytes, never more than the file's size (a file
/// that grew since the walk does not push the bar past its total; what is
/// not told while reading is told when the file is done). An event log on
/// disk is read again by its path (`Readers::read` hands the evtx parser
/// the path, which it seeks in), so only its first bytes pass here and it
/// moves the bar when it is done: ticking inside it would need a hook in
/// the evtx reader, and event logs are small beside the IIS and Exchange
/// logs.
struct Ticking<'a> {
    inner: &'a mut dyn Read,
    progress: &'a dyn Progress,
    /// Bytes read so far.
    read: u64,
    /// Bytes told so far.
    told: &'a mut u64,
    size: u64,
}

impl Read for Ticking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read >= *self.told + TICK {
            let to = self.read.min(self.size);
            if to > *self.told {
                self.progress.inc(to - *self.told);
                *self.told = to;
            }
        }
        Ok(n)
    }
}

/// Reads a whole file (at most `max` bytes) into `buf`, which only ever
/// grows: it stays initialised between files, so no file pays for zeroing
/// memory (`read_to_end` on a cleared buffer does, every time). `size` is
/// what the walk saw; the file may have grown or shrunk since.
fn read_whole(r: &mut dyn Read, buf: &mut Vec<u8>, size: u64, max: u64) -> io::Result<usize> {
    let mut n = 0;
    let mut want = (size.min(max) as usize).saturating_add(1);
    loop {
        if buf.len() < want {
            buf.resize(want, 0);
        }
        match r.read(&mut buf[n..want]) {
            Ok(0) => return Ok(n),
            Ok(k) => {
                n += k;
                if n as u64 > max {
                    return Ok(max as usize);
                }
                if n == want {
                    want = want.saturating_mul(2).min(max as usize + 1);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The build a file shows: ExSetup.exe's version resource (what Health
/// Checker reads), or an exported Exchange Setup registry key.
fn build_evidence(c: &Candidate, name_lower: &str, data: &[u8], out: &mut FileOutcome) {
    let (build, source) = if name_lower == "exsetup.exe" {
        match exhunt_sources::buildinfo::pe_file_version(data) {
            Some([a, b, cc, d]) => (
                format!("{a}.{b}.{cc}.{d}"),
                "ExSetup.exe file version".to_string(),
            ),
            None => return,
        }
    } else if name_lower.ends_with(".reg") {
        match exhunt_sources::buildinfo::reg_exchange_build(data) {
            Some((b, key)) => (b, format!("registry export ({key})")),
            None => return,
        }
    } else {
        return;
    };
    out.builds.push(BuildSeen {
        build,
        source,
        path: c.display.clone(),
        first: None,
        last: c.modified.clone(),
        files: 1,
    });
}
