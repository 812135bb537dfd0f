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
#[derive(Debug, Default)]
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

fn list_zip(zip_path: &Path, out: &mut Discovery) {
    let zip_name = zip_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| zip_path.display().to_string());
    let archive = match File::open(zip_path)
        .map_err(|e| format!("cannot read: {e}"))
        .and_then(|f| {
            zip::ZipArchive::new(BufReader::new(f)).map_err(|e| format!("broken zip archive: {e}"))
        }) {
        Ok(a) => a,
        Err(msg) => {
            out.errors.push((zip_name, msg));
            return;
        }
    };
    for index in 0..archive.len() {
        let Some(entry) = archive.by_index_data(index).ok() else {
            out.errors.push((
                format!("{zip_name}!/#{index}"),
                "broken zip entry".to_string(),
            ));
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        // Windows tools write `\` into zip names; show `/` like everywhere else.
        let inner = String::from_utf8_lossy(entry.name_raw())
            .replace('\\', "/")
            .trim_start_matches('/')
            .to_string();
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
            display: format!("{zip_name}!/{inner}"),
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

/// Opens candidates for reading. One per worker thread: it keeps each zip's
/// central directory open so members are not re-indexed for every read.
#[derive(Default)]
pub struct MemberOpener {
    zips: HashMap<PathBuf, zip::ZipArchive<BufReader<File>>>,
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
                let mut file = File::open(p)?;
                f(&mut file)
            }
            Location::ZipMember { zip, index } => {
                if !self.zips.contains_key(zip) {
                    let file = File::open(zip)?;
                    let archive = zip::ZipArchive::new(BufReader::new(file))
                        .map_err(|e| SourceError::Zip(e.to_string()))?;
                    self.zips.insert(zip.clone(), archive);
                }
                let archive = self.zips.get_mut(zip).expect("inserted above");
                let mut member = archive
                    .by_index(*index)
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
