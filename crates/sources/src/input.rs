//! Inputs → candidate files.
//!
//! An input is a folder (an Exchange install folder, a mounted or copied
//! system drive, a triage folder), a single file, or a `.zip` of any of
//! these. Folders are walked without following links and without any of the
//! usual ignore rules (a forensic walk must not skip hidden or git-ignored
//! files). Zips are read in place through their central directory; each
//! worker thread keeps its own open handle per zip ([`MemberOpener`]).

use crate::SourceError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use exhunt_core::open::{open_regular, Links};
/// File times as ISO 8601 UTC text and as UTC parts: the calendar is
/// `exhunt_core::time`'s, named here as well for the callers that found it
/// here first.
use exhunt_core::time::system_time_iso;

/// Where a candidate's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    ZipMember {
        zip: PathBuf,
        index: usize,
    },
    /// A file a collection lists but does not hold (left out for its size
    /// or age, or unreadable when collected): its path, size and time are
    /// known, its content is not.
    Absent {
        reason: String,
        /// Listed under the report's `skipped` (false: the collection
        /// already reports it as an error).
        skipped: bool,
    },
}

/// One file found in the inputs.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The path shown to the user: relative to its input, `/` separators,
    /// zip members as `bundle.zip!/inner/path`.
    pub display: String,
    /// The path inside its input, `/` separators (for a zip member: inside
    /// the zip, without the zip's name).
    pub rel: String,
    /// `rel` lower-cased, for matching.
    pub rel_lower: String,
    pub location: Location,
    /// Size in bytes (uncompressed for zip members).
    pub size: u64,
    /// Last modification time as ISO 8601 UTC, where known.
    pub modified: Option<String>,
}

/// What discovery found: the files and what it could not open.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub candidates: Vec<Candidate>,
    /// `(path, message)` for every folder entry or zip that could not be read.
    pub errors: Vec<(String, String)>,
    /// `(path, reason)` for entries deliberately not read: links (never
    /// followed) and special files.
    pub skipped: Vec<(String, String)>,
}

/// One input to walk: a folder, a file or a zip, and the path its files are
/// shown under. Plain inputs show paths relative to themselves; the places
/// discovery found on a system root show paths relative to that root
/// (`inetpub/logs/LogFiles/W3SVC1/u_ex210303.log`), so the same file has the
/// same path whether the root or a collection of it is scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// Prepended to the paths inside (`/` separators, no trailing `/`);
    /// empty for plain inputs. For a file input: its whole display path.
    pub prefix: String,
}

impl Input {
    /// An input shown relative to itself.
    pub fn plain(path: impl Into<PathBuf>) -> Input {
        Input {
            path: path.into(),
            prefix: String::new(),
        }
    }

    /// An input shown under `prefix`.
    pub fn under(path: impl Into<PathBuf>, prefix: impl Into<String>) -> Input {
        Input {
            path: path.into(),
            prefix: prefix.into(),
        }
    }
}

/// True when the path names a zip file by extension.
pub fn is_zip_path(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Lists every file under the inputs. Zips given as inputs are listed member
/// by member; zips met inside a folder are files like any other (they may be
/// the intruder's staged loot, which is evidence, not a bundle to open).
pub fn discover(inputs: &[Input]) -> Discovery {
    let mut out = Discovery::default();
    for Input {
        path: input,
        prefix,
    } in inputs
    {
        let meta = match std::fs::metadata(input) {
            Ok(m) => m,
            Err(e) => {
                out.errors
                    .push((input.display().to_string(), format!("cannot read: {e}")));
                continue;
            }
        };
        if !meta.is_file() && !meta.is_dir() {
            // A FIFO, socket or device named as an input (`/dev/zero`):
            // nothing to read, and an error (a scan that read nothing of
            // what it was given is incomplete, never clean).
            out.errors.push((
                input.display().to_string(),
                exhunt_core::open::OpenError::NotRegular(exhunt_core::open::kind_of(
                    meta.file_type(),
                ))
                .to_string(),
            ));
            continue;
        }
        // A link the user named is followed (as ripgrep does); the file is
        // then read by its real path, so that every later open can refuse
        // links.
        let input = &if std::fs::symlink_metadata(input).is_ok_and(|m| m.file_type().is_symlink()) {
            std::fs::canonicalize(input).unwrap_or_else(|_| input.clone())
        } else {
            input.clone()
        };
        if meta.is_file() && is_zip_path(input) && prefix.is_empty() {
            list_zip(input, &mut out);
        } else if meta.is_file() {
            let name = if prefix.is_empty() {
                input
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                prefix.clone()
            };
            out.candidates.push(Candidate {
                rel_lower: name.to_lowercase(),
                rel: name.clone(),
                display: name,
                location: Location::File(input.clone()),
                size: meta.len(),
                modified: meta.modified().ok().map(system_time_iso),
            });
        } else {
            walk_dir(input, prefix, &mut out);
        }
    }
    // Places of a system root may overlap (a log folder inside a web
    // root): each file once.
    if inputs.len() > 1 {
        out.candidates.sort_by(|a, b| a.display.cmp(&b.display));
        out.candidates
            .dedup_by(|a, b| a.display == b.display && a.location == b.location);
    }
    out
}

fn walk_dir(root: &Path, prefix: &str, out: &mut Discovery) {
    // A parallel walk: on a drive of hundreds of thousands of files, the
    // directory reads and stat calls are a good part of the whole scan.
    let parts = std::sync::Mutex::new(Vec::<Discovery>::new());
    ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .build_parallel()
        .run(|| {
            let mut batch = Batch {
                parts: &parts,
                found: Discovery::default(),
            };
            Box::new(move |entry| {
                walk_entry(root, prefix, entry, &mut batch.found);
                ignore::WalkState::Continue
            })
        });
    for mut d in parts.into_inner().expect("no panics while walking") {
        out.candidates.append(&mut d.candidates);
        out.errors.append(&mut d.errors);
        out.skipped.append(&mut d.skipped);
    }
    // The walk's order varies from run to run; reports must not.
    out.candidates.sort_by(|a, b| a.display.cmp(&b.display));
    out.errors.sort();
    out.skipped.sort();
}

/// What one walker thread found; handed over when the thread is done.
struct Batch<'a> {
    parts: &'a std::sync::Mutex<Vec<Discovery>>,
    found: Discovery,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        let found = std::mem::take(&mut self.found);
        if let Ok(mut p) = self.parts.lock() {
            p.push(found);
        }
    }
}

fn walk_entry(
    root: &Path,
    prefix: &str,
    entry: Result<ignore::DirEntry, ignore::Error>,
    out: &mut Discovery,
) {
    let entry = match entry {
        Ok(e) => e,
        Err(e) => {
            let path = match &e {
                ignore::Error::WithPath { path, .. } => path.display().to_string(),
                _ => root.display().to_string(),
            };
            out.errors.push((path, format!("cannot read: {e}")));
            return;
        }
    };
    // Links are never followed: a link in a mounted image points into the
    // analyst's own machine, not into the evidence.
    let Some(ft) = entry.file_type() else {
        return;
    };
    if ft.is_dir() {
        return;
    }
    let path = entry.path();
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut display = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if !prefix.is_empty() {
        display = if display.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}/{display}")
        };
    }
    if ft.is_symlink() {
        let target = std::fs::read_link(path)
            .map(|t| format!(" (to {})", t.display()))
            .unwrap_or_default();
        out.skipped.push((
            display,
            format!("symbolic link{target}: links are never followed"),
        ));
        return;
    }
    if !ft.is_file() {
        out.skipped.push((
            display,
            "not a regular file (device, pipe or socket)".into(),
        ));
        return;
    }
    let (size, modified) = match entry.metadata() {
        Ok(m) => (m.len(), m.modified().ok().map(system_time_iso)),
        Err(e) => {
            out.errors.push((display, format!("cannot read: {e}")));
            return;
        }
    };
    out.candidates.push(Candidate {
        rel_lower: display.to_lowercase(),
        rel: display.clone(),
        display,
        location: Location::File(path.to_path_buf()),
        size,
        modified,
    });
}

/// A member's path as shown: Windows tools write `\` into zip names; show
/// `/` like everywhere else.
fn member_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .replace('\\', "/")
        .trim_start_matches('/')
        .to_string()
}

fn list_zip(zip_path: &Path, out: &mut Discovery) {
    let zip_name = zip_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| zip_path.display().to_string());
    let (entries, broken) = match ZipMembers::open(zip_path) {
        Ok(z) => (z.entries, z.broken),
        Err(e) => {
            out.errors.push((zip_name, e.to_string()));
            return;
        }
    };
    if let Some(msg) = broken {
        out.errors.push((
            format!("{zip_name}!/#{}", entries.len()),
            format!("broken zip entry: {msg}; the members after it are not listed"),
        ));
    }
    // A zip can hold several members under one path (or under paths that
    // differ only in case, one file on Windows): each is its own file, so
    // such members are named with their index in the archive.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in entries.iter().filter(|e| !e.is_dir()) {
        *seen
            .entry(member_name(e.name_raw()).to_lowercase())
            .or_default() += 1;
    }
    for (index, entry) in entries.iter().enumerate() {
        if entry.is_dir() {
            continue;
        }
        let inner = member_name(entry.name_raw());
        let repeated = seen.get(&inner.to_lowercase()).is_some_and(|&n| n > 1);
        let modified = entry.last_modified().map(|d| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minute(),
                d.second()
            )
        });
        out.candidates.push(Candidate {
            display: if repeated {
                format!("{zip_name}!/{inner} (member {index})")
            } else {
                format!("{zip_name}!/{inner}")
            },
            rel_lower: inner.to_lowercase(),
            rel: inner,
            location: Location::ZipMember {
                zip: zip_path.to_path_buf(),
                index,
            },
            size: entry.size(),
            modified,
        });
    }
}

/// A zip's members, read from its central directory one by one (not
/// through `ZipArchive`, which keys members by name and so keeps one of
/// several members under one path), in central-directory order: a member's
/// index is its place there.
struct ZipMembers {
    entries: Vec<zip::read::OwnedZipFileEntry>,
    /// Why listing stopped early (a broken central-directory entry).
    broken: Option<String>,
    reader: BufReader<File>,
}

impl ZipMembers {
    fn open(path: &Path) -> Result<ZipMembers, SourceError> {
        let file = open_regular(path, Links::Follow)?;
        let reader = BufReader::new(file);
        let mut it = zip::unstable::read::ZipIterable::try_new(
            reader.get_ref().try_clone()?,
            zip::read::Config::default(),
        )
        .map_err(|e| SourceError::Zip(e.to_string()))?;
        let mut entries = Vec::new();
        let mut broken = None;
        for e in it.files().map_err(|e| SourceError::Zip(e.to_string()))? {
            match e {
                Ok(e) => entries.push(e.into()),
                Err(e) => {
                    broken = Some(e.to_string());
                    break;
                }
            }
        }
        Ok(ZipMembers {
            entries,
            broken,
            reader,
        })
    }
}

/// Opens candidates for reading. One per worker thread: it keeps each zip's
/// central directory open so members are not re-indexed for every read.
#[derive(Default)]
pub struct MemberOpener {
    zips: HashMap<PathBuf, ZipMembers>,
}

impl MemberOpener {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` with a reader over the candidate's bytes.
    pub fn with_reader<T>(
        &mut self,
        loc: &Location,
        f: impl FnOnce(&mut dyn Read) -> Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        match loc {
            Location::File(p) => {
                // Walked paths: a file swapped for a link or a FIFO since
                // the walk is refused, not followed or waited on.
                let mut file = exhunt_core::open::open_walked(p)?;
                f(&mut file)
            }
            Location::ZipMember { zip, index } => {
                if !self.zips.contains_key(zip) {
                    self.zips.insert(zip.clone(), ZipMembers::open(zip)?);
                }
                let z = self.zips.get_mut(zip).expect("inserted above");
                let entry = z.entries.get(*index).ok_or_else(|| {
                    SourceError::Zip(format!("no member {index} (the zip changed?)"))
                })?;
                let mut member = entry
                    .as_ref()
                    .with_reader(&mut z.reader, zip::ZipReadOptions::default())
                    .map_err(|e| SourceError::Zip(e.to_string()))?;
                f(&mut member)
            }
            Location::Absent { reason, .. } => Err(SourceError::Format(format!(
                "not in the collection: {reason}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_614_754_182);
        assert_eq!(system_time_iso(t), "2021-03-03T06:49:42Z");
        assert_eq!(
            system_time_iso(std::time::UNIX_EPOCH),
            "1970-01-01T00:00:00Z"
        );
    }
}
