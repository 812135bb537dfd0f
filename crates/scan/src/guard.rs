//! One guard for everything exhunt writes (`--output`, `--collect`,
//! `exhunt collect`): never inside the evidence, never over a file.

use std::io;
use std::path::{Path, PathBuf};

/// Why an output was refused.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("output folder {path} does not exist")]
    NoFolder {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("refusing to write {out} inside the scanned input {input}: exhunt never writes into evidence")]
    InsideInput { out: PathBuf, input: PathBuf },
    #[error("{0} already exists: give a new file name (exhunt does not overwrite)")]
    Exists(PathBuf),
    #[error("{what} {dir}: exists and is not a folder")]
    NotAFolder { what: String, dir: PathBuf },
    #[error("{what} {dir}: the folder is not empty; give a new or empty folder")]
    NotEmpty { what: String, dir: PathBuf },
    #[error("{what} {dir} is inside the scanned input {input}: exhunt never writes into evidence")]
    DirInsideInput {
        what: String,
        dir: PathBuf,
        input: PathBuf,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The places nothing may be written to: every input, and a mounted disk
/// whole.
#[derive(Debug, Clone, Default)]
pub struct OutputGuard {
    protected: Vec<PathBuf>,
}

impl OutputGuard {
    pub fn new(protected: Vec<PathBuf>) -> Self {
        OutputGuard { protected }
    }

    /// A file to write: its folder must exist, and it may not be or lie
    /// inside a protected place.
    pub fn file(&self, out: &Path) -> Result<(), GuardError> {
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let parent = parent
            .canonicalize()
            .map_err(|source| GuardError::NoFolder {
                path: parent.to_path_buf(),
                source,
            })?;
        let target = parent.join(out.file_name().unwrap_or_default());
        for i in &self.protected {
            if let Ok(ci) = i.canonicalize() {
                if target == ci || target.starts_with(&ci) {
                    return Err(GuardError::InsideInput {
                        out: out.to_path_buf(),
                        input: i.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// New files (a zip and its `.sha256` beside it): none may exist, then
    /// as [`OutputGuard::file`].
    pub fn new_files(&self, out: &Path, beside: &[PathBuf]) -> Result<(), GuardError> {
        for p in std::iter::once(out).chain(beside.iter().map(PathBuf::as_path)) {
            if p.exists() {
                return Err(GuardError::Exists(p.to_path_buf()));
            }
        }
        self.file(out)
    }

    /// A folder to fill (`what` names the option, for the message): new or
    /// empty, and not inside a protected place.
    pub fn empty_dir(&self, dir: &Path, what: &str) -> Result<(), GuardError> {
        if dir.exists() {
            if !dir.is_dir() {
                return Err(GuardError::NotAFolder {
                    what: what.to_string(),
                    dir: dir.to_path_buf(),
                });
            }
            if std::fs::read_dir(dir)?.next().is_some() {
                return Err(GuardError::NotEmpty {
                    what: what.to_string(),
                    dir: dir.to_path_buf(),
                });
            }
        }
        self.dir(dir, what)
    }

    /// A folder exhunt keeps files in (the upload spool), which may exist
    /// and hold files already: not inside a protected place.
    pub fn dir(&self, dir: &Path, what: &str) -> Result<(), GuardError> {
        // Where DIR will be, resolved through the part of it that exists.
        let existing = dir
            .ancestors()
            .find(|a| !a.as_os_str().is_empty() && a.exists());
        let target = match existing {
            Some(e) => e
                .canonicalize()?
                .join(dir.strip_prefix(e).unwrap_or(Path::new(""))),
            None => std::env::current_dir()?.join(dir),
        };
        for i in &self.protected {
            if let Ok(ci) = i.canonicalize() {
                if target.starts_with(&ci) {
                    return Err(GuardError::DirInsideInput {
                        what: what.to_string(),
                        dir: dir.to_path_buf(),
                        input: i.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_outputs_inside_evidence_and_over_files() {
        let t = tempfile::tempdir().unwrap();
        let ev = t.path().join("evidence");
        std::fs::create_dir_all(ev.join("sub")).unwrap();
        std::fs::write(ev.join("log.txt"), "x").unwrap();
        let g = OutputGuard::new(vec![ev.clone()]);
        assert!(matches!(
            g.file(&ev.join("sub/report.json")),
            Err(GuardError::InsideInput { .. })
        ));
        assert!(g.file(&t.path().join("report.json")).is_ok());
        assert!(matches!(
            g.file(&t.path().join("nope/report.json")),
            Err(GuardError::NoFolder { .. })
        ));
        assert!(matches!(
            g.new_files(&ev.join("log.txt"), &[]),
            Err(GuardError::Exists(_))
        ));
        assert!(matches!(
            g.empty_dir(&ev.join("new/copies"), "--collect"),
            Err(GuardError::DirInsideInput { .. })
        ));
        assert!(matches!(
            g.empty_dir(&ev, "--collect"),
            Err(GuardError::NotEmpty { .. })
        ));
        assert!(g.empty_dir(&t.path().join("copies"), "--collect").is_ok());
        let msg = g.file(&ev.join("r.json")).unwrap_err().to_string();
        assert!(msg.contains("exhunt never writes into evidence"), "{msg}");
    }
}
