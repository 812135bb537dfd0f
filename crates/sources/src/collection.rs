//! Reading an exhunt collection back: the manifest a `exhunt collect` zip
//! carries (`_exhunt/manifest.json`, schema `exhunt/collect/v1`) and the
//! replay that puts what it says back into the scan's terms (exact file
//! times, files left out as path-only candidates, the collection's own
//! errors, skips and discovery).
//!
//! The writer of collections lives in the binary; this module is the
//! contract both sides share.

use crate::{Candidate, Location, MemberOpener};
use exhunt_core::{ErrorEntry, Skipped, SystemDiscovery};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::PathBuf;

/// The folder of a collection that holds its own metadata.
pub const META_DIR: &str = "_exhunt/";
pub const MANIFEST: &str = "_exhunt/manifest.json";
pub const MANIFEST_SCHEMA: &str = "exhunt/collect/v1";

/// `_exhunt/manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub tool: exhunt_core::Tool,
    /// When the collection was made (UTC).
    pub collected: String,
    /// The system root it was made from, and whether it was the live server.
    pub system_root: String,
    pub live: bool,
    /// The limits it was made with.
    pub since: Option<String>,
    pub max_filesize: u64,
    pub max_total: Option<u64>,
    /// Every member.
    pub files: Vec<ManifestFile>,
    /// Files the scan of the root would list but the zip does not hold.
    pub left_out: Vec<LeftOut>,
    /// What the walk of the root could not read, and discovery's errors.
    pub errors: Vec<ErrorEntry>,
    /// What the walk of the root did not read on purpose (links, ...).
    pub skipped: Vec<Skipped>,
    pub discovery: SystemDiscovery,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub modified: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeftOut {
    pub path: String,
    pub size: u64,
    pub modified: Option<String>,
    pub reason: String,
    /// Could not be read when collected (also under `errors`).
    #[serde(default)]
    pub unreadable: bool,
}

/// A collection found among the scan's inputs: its metadata members are
/// taken out of the candidates, and what the manifest says is put back in
/// the scan's terms.
pub struct Replayed {
    pub discovery: SystemDiscovery,
    pub errors: Vec<ErrorEntry>,
    pub skipped: Vec<Skipped>,
}

/// Takes each collection's `_exhunt/` members out of `candidates`, sets the
/// exact file times from its manifest, and adds the files it left out as
/// [`Location::Absent`] candidates (their paths are still checked against
/// indicators; their content is reported as not read, with the reason).
pub fn replay(candidates: &mut Vec<Candidate>, errors: &mut Vec<ErrorEntry>) -> Vec<Replayed> {
    let mut manifests: Vec<(PathBuf, String, Candidate)> = Vec::new();
    candidates.retain(|c| {
        let Location::ZipMember { zip, .. } = &c.location else {
            return true;
        };
        if !c.rel.starts_with(META_DIR) {
            return true;
        }
        if c.rel == MANIFEST {
            let zip_name = c
                .display
                .strip_suffix(&format!("!/{}", c.rel))
                .unwrap_or(&c.display)
                .to_string();
            manifests.push((zip.clone(), zip_name, c.clone()));
        }
        false
    });
    let mut out = Vec::new();
    let mut opener = MemberOpener::new();
    for (zip, zip_name, c) in manifests {
        let read = opener.with_reader(&c.location, |r| {
            let mut s = Vec::new();
            r.take(256 << 20).read_to_end(&mut s)?;
            Ok(s)
        });
        let manifest: Manifest = match read
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(m) => m,
            Err(e) => {
                errors.push(ErrorEntry {
                    path: c.display.clone(),
                    message: format!("not a readable exhunt collection manifest: {e}"),
                });
                continue;
            }
        };
        let inside = |p: &str| format!("{zip_name}!/{p}");
        let times: std::collections::HashMap<&str, &Option<String>> = manifest
            .files
            .iter()
            .map(|f| (f.path.as_str(), &f.modified))
            .collect();
        for cand in candidates.iter_mut() {
            if matches!(&cand.location, Location::ZipMember { zip: z, .. } if *z == zip) {
                if let Some(m) = times.get(cand.rel.as_str()) {
                    cand.modified = (*m).clone();
                }
            }
        }
        for l in &manifest.left_out {
            candidates.push(Candidate {
                display: inside(&l.path),
                rel_lower: l.path.to_lowercase(),
                rel: l.path.clone(),
                location: Location::Absent {
                    reason: l.reason.clone(),
                    skipped: !l.unreadable,
                },
                size: l.size,
                modified: l.modified.clone(),
            });
        }
        let mut discovery = manifest.discovery;
        discovery.collected = Some(manifest.collected.clone());
        for b in &mut discovery.builds {
            b.path = inside(&b.path);
        }
        out.push(Replayed {
            discovery,
            errors: manifest
                .errors
                .into_iter()
                .map(|e| ErrorEntry {
                    path: inside(&e.path),
                    message: e.message,
                })
                .collect(),
            skipped: manifest
                .skipped
                .into_iter()
                .map(|s| Skipped {
                    path: inside(&s.path),
                    reason: s.reason,
                })
                .collect(),
        });
    }
    out
}
