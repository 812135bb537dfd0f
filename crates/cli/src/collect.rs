//! `--collect DIR`: evidence copies of every flagged file, with a SHA-256
//! manifest (JSON and CSV) and the report beside them.
//!
//! The originals are only read. DIR must be new or empty and may not lie
//! inside a scanned input. Copies keep each file's path relative to its
//! input under `DIR/files/` (zip members under `DIR/files/<zip>!/...`);
//! path components that could climb out of DIR (`..`, drive letters,
//! absolute paths inside zips) are neutralised.

use anyhow::{Context, Result};
use exhunt_core::Report;
use exhunt_report::csv_cell;
use exhunt_sources::{Candidate, MemberOpener};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One row of the manifest.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The path as the report names it (relative to its input).
    pub original: String,
    /// Where it was read from (the file, or `zip!member`).
    pub source: String,
    /// Where the copy is, relative to DIR.
    pub copy: String,
    pub size: u64,
    pub sha256: String,
    /// The original's modification time, as the file system or zip says.
    pub modified: Option<String>,
    /// Findings that flagged it.
    pub findings: Vec<String>,
}

/// A safe relative path for a copy: no `..`, no roots, no drive letters.
fn safe_rel(display: &str) -> PathBuf {
    let mut p = PathBuf::new();
    for c in display.split(['/', '\\']) {
        match c {
            "" | "." | ".." => {}
            c => p.push(c.replace(':', "_")),
        }
    }
    p
}

/// Copies the flagged files and writes the manifest and the report.
pub fn collect(dir: &Path, report: &Report, candidates: &[Candidate]) -> Result<Vec<Entry>> {
    std::fs::create_dir_all(dir.join("files"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let mut flagged: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in &report.findings {
        flagged
            .entry(f.path.as_str())
            .or_default()
            .push(f.id.clone());
    }
    let by_display: HashMap<&str, &Candidate> =
        candidates.iter().map(|c| (c.display.as_str(), c)).collect();
    let mut opener = MemberOpener::new();
    let mut buf = vec![0u8; 1 << 20];
    let no_progress = indicatif::ProgressBar::hidden();
    let mut entries = Vec::new();
    let mut used: HashMap<PathBuf, usize> = HashMap::new();
    for (path, ids) in flagged {
        let Some(c) = by_display.get(path) else {
            continue;
        };
        let mut rel = Path::new("files").join(safe_rel(path));
        // Two inputs can hold the same relative path: number the later ones
        // (compared without case: the copies may land on a folder of
        // Windows or macOS, where `A.aspx` and `a.aspx` are one file).
        let key = PathBuf::from(rel.to_string_lossy().to_lowercase());
        let n = used.entry(key).or_insert(0);
        *n += 1;
        if *n > 1 {
            let name = format!(
                "{}.{}",
                rel.file_name().unwrap_or_default().to_string_lossy(),
                n
            );
            rel.set_file_name(name);
        }
        let dest = dir.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::fs::File::create_new(&dest)
            .with_context(|| format!("cannot create {}", dest.display()))?;
        let copied = opener
            .with_reader(&c.location, |r| {
                crate::bundle::copy_hashed(r, &mut out, &mut buf, &no_progress)
            })
            .with_context(|| format!("cannot copy {path}"))?;
        out.flush()?;
        entries.push(Entry {
            original: path.to_string(),
            source: match &c.location {
                exhunt_sources::Location::File(p) => p.display().to_string(),
                exhunt_sources::Location::ZipMember { zip, .. } => {
                    format!("{}!{}", zip.display(), c.rel)
                }
                exhunt_sources::Location::Absent { .. } => continue,
            },
            copy: rel.to_string_lossy().replace('\\', "/"),
            size: copied.size,
            sha256: copied.digest,
            modified: c.modified.clone(),
            findings: ids,
        });
    }
    write_manifest(dir, &entries)?;
    let mut f = std::fs::File::create_new(dir.join("report.json"))?;
    exhunt_report::render(report, exhunt_report::Format::Json, &mut f)?;
    let mut f = std::fs::File::create_new(dir.join("report.txt"))?;
    exhunt_report::render(report, exhunt_report::Format::Text, &mut f)?;
    Ok(entries)
}

fn write_manifest(dir: &Path, entries: &[Entry]) -> Result<()> {
    let f = std::fs::File::create_new(dir.join("manifest.json"))?;
    serde_json::to_writer_pretty(
        f,
        &serde_json::json!({
            "schema": "exhunt/collect/v1",
            "files": entries,
        }),
    )?;
    let mut w = csv::Writer::from_path(dir.join("manifest.csv"))?;
    w.write_record([
        "original", "source", "copy", "size", "sha256", "modified", "findings",
    ])?;
    for e in entries {
        // Paths are evidence file names, and a time may come from a
        // collection's manifest: no formula for a spreadsheet (size, hash
        // and finding ids are ours; a real ISO time is never changed).
        w.write_record([
            &*csv_cell(&e.original),
            &*csv_cell(&e.source),
            &*csv_cell(&e.copy),
            &e.size.to_string(),
            e.sha256.as_str(),
            &*csv_cell(e.modified.as_deref().unwrap_or("")),
            &e.findings.join(" "),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_cannot_climb_out() {
        assert_eq!(safe_rel("../../etc/passwd"), PathBuf::from("etc/passwd"));
        assert_eq!(
            safe_rel("bundle.zip!/C:\\inetpub\\x.aspx"),
            PathBuf::from("bundle.zip!/C_/inetpub/x.aspx")
        );
        assert_eq!(safe_rel("/abs/./x"), PathBuf::from("abs/x"));
    }
}
