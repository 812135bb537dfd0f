//! File indicators: a file whose path or name is on an indicator list (the
//! name alone is enough, the file need not be read), and a file whose
//! SHA-256 is a known web shell or intrusion tool.

use super::{FileData, FileMeta, FileOut};
use crate::iocs::{FileIocs, PathIocKind};
use exhunt_core::{Finding, FindingKind, RuleSpec, Severity, Verdict};

/// Score (0–100, as the lists give it) from which a path indicator is a
/// finding on its own; below it, a lead.
const IOC_PATH_FINDING: u8 = 75;

/// A file whose SHA-256 is on a list; each hit's title describes the entry
/// and cites the list it came from.
const IOC_SHA256: RuleSpec = RuleSpec {
    id: "ioc-sha256",
    title: "File is a known web shell or intrusion tool",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::Critical,
    source: "the indicator list the entry came from",
    next_step: None,
};

/// A file whose path or name is on a list with a score of at least
/// [`IOC_PATH_FINDING`] (below it, an `info` lead); each hit's title says
/// what matched and cites the list it came from.
const IOC_PATH: RuleSpec = RuleSpec {
    id: "ioc-path",
    title: "File at a web shell's path or name published after the 2021 intrusions",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: "the indicator list the entry came from",
    next_step: None,
};

/// The indicator lists as a file check.
pub struct IndicatorCheck {
    iocs: FileIocs,
}

impl IndicatorCheck {
    pub fn new(iocs: FileIocs) -> Self {
        IndicatorCheck { iocs }
    }
}

impl super::FileCheck for IndicatorCheck {
    fn check_path(&self, file: &FileMeta<'_>, out: &mut Vec<Finding>) {
        out.extend(path_finding(&self.iocs, file));
    }

    fn check_content(&self, file: &FileMeta<'_>, data: &FileData<'_>, out: &mut FileOut) {
        // Every file read is hashed: the indicator lists (ours and the
        // user's) name files by SHA-256, and every finding carries it.
        if let Some(ioc) = self.iocs.hash_bytes(&data.digest) {
            out.findings.push(
                Finding::from_spec(&IOC_SHA256, file.display)
                    .titled(format!(
                        "File is a known web shell or intrusion tool ({})",
                        ioc.describe()
                    ))
                    .with_source(ioc.source.as_str())
                    .with("file_name", file.name())
                    .with("ioc", ioc.describe())
                    .with("ioc_note", ioc.note.clone()),
            );
        }
    }
}

/// A finding for a file whose path or name is on an indicator list; the
/// best match speaks for all (the lists overlap).
fn path_finding(iocs: &FileIocs, file: &FileMeta<'_>) -> Option<Finding> {
    let hits = iocs.path(file.rel);
    let best = hits.first()?;
    let strong = best.score >= IOC_PATH_FINDING;
    let what = match best.kind {
        PathIocKind::Path => "the path of a web shell",
        PathIocKind::Name => "the name of a web shell",
        PathIocKind::Regex => "a web-shell place and name",
    };
    let mut f = Finding::from_spec(&IOC_PATH, file.display)
        .titled(format!(
            "File at {what} published after the 2021 intrusions"
        ))
        .with_source(best.source.as_str());
    if !strong {
        f = f.with_severity(Severity::Info);
        f.escalate_to = Some(Severity::Medium);
    }
    let mut f = f
        .with("file_name", file.name())
        .with("ioc_pattern", best.pattern.clone())
        .with("ioc_kind", best.kind.as_str())
        .with("ioc_score", best.score.to_string());
    if hits.len() > 1 {
        f = f.with("ioc_also", format!("{} more list entries", hits.len() - 1));
    }
    Some(file.stamp(f))
}
