//! Script files much newer than the files beside them in a web folder
//! ([`newer_than_neighbours`]): web shells are written long after Setup
//! wrote the files around them. A lead, not a finding on its own.
//!
//! Times are compared and printed with the project's one calendar
//! (`exhunt_core::time`).

use super::places::{is_script_name, web_place, WebPlace};
use super::{rules, sources};
use exhunt_core::time::{iso_to_seconds, seconds_to_iso};
use exhunt_core::{Finding, FindingKind, RuleSpec, Severity, Verdict};
use std::collections::HashMap;

/// A script much newer than its neighbours: a lead, raised when other
/// findings show exploitation.
const NEWER: RuleSpec = RuleSpec {
    id: rules::NEWER,
    title: "Script file much newer than the files beside it in a web folder",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::Info,
    source: sources::NEWER,
    next_step: None,
};

/// A script file is "much newer" when modified this many days after the
/// median of the other files in its folder…
pub const NEWER_DAYS: i64 = 30;
/// …and that folder has at least this many other files with a time.
pub const MIN_NEIGHBOURS: usize = 5;

/// One script file much newer than the files beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewerFile {
    /// Index into the slice given to [`newer_than_neighbours_detail`].
    pub index: usize,
    pub modified: String,
    /// Median modification time of the other files in the folder (UTC).
    pub folder_median: String,
    pub days_after: i64,
    pub neighbours: usize,
}

impl NewerFile {
    /// The lead: `info`, raised to `medium` when other findings show the
    /// server was exploited.
    pub fn finding(&self, display: &str) -> Finding {
        let mut f = Finding::from_spec(&NEWER, display);
        f.escalate_to = Some(Severity::Medium);
        f.with("modified", self.modified.clone())
            .with("folder_median", self.folder_median.clone())
            .with("days_after", self.days_after.to_string())
            .with("neighbours", self.neighbours.to_string())
            .with(
                "why",
                "web shells are written long after Setup wrote the files around them; Exchange updates also rewrite files, so this is a lead to look at, not a finding on its own",
            )
    }
}

/// Indexes of the script files in web folders that were modified more than
/// [`NEWER_DAYS`] days after the median of the other files in their folder,
/// in folders with at least [`MIN_NEIGHBOURS`] other files with a time.
///
/// `files`: every file of the scan (or at least every file in the web
/// folders) as `(rel_lower, modified ISO 8601 UTC)`. Neighbours may be any
/// file; only script files ([`SCRIPT_EXTS`](super::SCRIPT_EXTS)) in a
/// [`WebPlace`] other than Temporary ASP.NET Files are judged. Callers
/// should drop files whose content is stock
/// ([`Known::StockSame`](super::Known::StockSame)): updates rewrite those.
pub fn newer_than_neighbours(files: &[(String, Option<String>)]) -> Vec<usize> {
    newer_than_neighbours_detail(files)
        .into_iter()
        .map(|n| n.index)
        .collect()
}

/// [`newer_than_neighbours`] with the times, for the finding.
pub fn newer_than_neighbours_detail(files: &[(String, Option<String>)]) -> Vec<NewerFile> {
    let mut by_dir: HashMap<&str, Vec<(usize, i64)>> = HashMap::new();
    for (i, (rel, modified)) in files.iter().enumerate() {
        if let Some(t) = modified.as_deref().and_then(iso_to_seconds) {
            let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            by_dir.entry(dir).or_default().push((i, t));
        }
    }
    let mut out = Vec::new();
    for (i, (rel, modified)) in files.iter().enumerate() {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if !is_script_name(name) {
            continue;
        }
        if matches!(web_place(rel), None | Some(WebPlace::TempAspNet)) {
            continue;
        }
        let Some(t) = modified.as_deref().and_then(iso_to_seconds) else {
            continue;
        };
        let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let mut others: Vec<i64> = by_dir
            .get(dir)
            .map(|v| v.iter().filter(|(j, _)| *j != i).map(|(_, t)| *t).collect())
            .unwrap_or_default();
        if others.len() < MIN_NEIGHBOURS {
            continue;
        }
        others.sort_unstable();
        let m = others.len() / 2;
        let median = if others.len().is_multiple_of(2) {
            others[m - 1] + (others[m] - others[m - 1]) / 2
        } else {
            others[m]
        };
        let days = (t - median).div_euclid(86_400);
        if t - median > NEWER_DAYS * 86_400 {
            out.push(NewerFile {
                index: i,
                modified: modified.clone().unwrap_or_default(),
                folder_median: seconds_to_iso(median),
                days_after: days,
                neighbours: others.len(),
            });
        }
    }
    out
}
