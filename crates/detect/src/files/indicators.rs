//! File indicators: a file whose path or name is on an indicator list (the
//! name alone is enough, the file need not be read), and a file whose
//! SHA-256, SHA-1 or MD5 is a known web shell or intrusion tool.
//!
//! A hash match is one finding per file, under the rule of the strongest
//! digest that matched (`ioc-sha256`, else `ioc-sha1`, else `ioc-md5`);
//! its evidence names that digest (`matched_hash`) and gives its value
//! (under `sha256`, `sha1` or `md5`), and lists the other digests of the
//! file that are listed too (`also_matched`).

use super::{FileData, FileMeta, FileOut};
use crate::iocs::{FileIocs, HashIoc, PathIocKind};
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

/// A file whose SHA-1 is on a list (a user's `--iocs`, MSTIC's feed rows of
/// type `sha1`); as [`IOC_SHA256`].
const IOC_SHA1: RuleSpec = RuleSpec {
    id: "ioc-sha1",
    ..IOC_SHA256
};

/// A file whose MD5 is on a list; as [`IOC_SHA256`].
const IOC_MD5: RuleSpec = RuleSpec {
    id: "ioc-md5",
    ..IOC_SHA256
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
        out.findings.extend(hash_finding(&self.iocs, file, data));
    }
}

/// A finding for a file whose SHA-256, SHA-1 or MD5 is listed: every file
/// read is hashed with SHA-256 (the bundled lists and every finding use
/// it); the MD5 and SHA-1 are there only when the lists hold some
/// ([`FileWorker::data`](super::FileWorker::data)).
fn hash_finding(iocs: &FileIocs, file: &FileMeta<'_>, data: &FileData<'_>) -> Option<Finding> {
    // Strongest digest first: it names the rule and speaks for the others.
    let mut hits: Vec<(&RuleSpec, &str, String, &HashIoc)> = Vec::new();
    if let Some(ioc) = iocs.hash_bytes(&data.digest) {
        hits.push((&IOC_SHA256, "sha256", data.sha256.clone(), ioc));
    }
    if let Some(d) = &data.sha1 {
        if let Some(ioc) = iocs.sha1_bytes(d) {
            hits.push((&IOC_SHA1, "sha1", exhunt_core::hex(d), ioc));
        }
    }
    if let Some(d) = &data.md5 {
        if let Some(ioc) = iocs.md5_bytes(d) {
            hits.push((&IOC_MD5, "md5", exhunt_core::hex(d), ioc));
        }
    }
    let (spec, kind, _, ioc) = hits.first()?;
    let mut f = Finding::from_spec(spec, file.display)
        .titled(format!(
            "File is a known web shell or intrusion tool ({})",
            ioc.describe()
        ))
        .with_source(ioc.source.as_str())
        .with("file_name", file.name())
        .with("ioc", ioc.describe())
        .with("ioc_note", ioc.note.clone())
        .with("matched_hash", *kind);
    for (_, kind, value, _) in &hits {
        // The SHA-256 is stamped on every file finding.
        if *kind != "sha256" {
            f = f.with(kind, value.clone());
        }
    }
    if hits.len() > 1 {
        let also: Vec<String> = hits[1..]
            .iter()
            .map(|(_, kind, _, ioc)| format!("{kind} ({})", ioc.source))
            .collect();
        f = f.with("also_matched", also.join("; "));
    }
    Some(f)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::HashNeeds;
    use crate::iocs::FileIocsBuilder;

    fn meta(rel: &str) -> FileMeta<'_> {
        FileMeta {
            display: rel,
            rel,
            rel_lower: rel,
            size: 3,
            modified: None,
            programdata_archive: false,
            dump_place: false,
            lsass_name: false,
        }
    }

    fn iocs(list: &str) -> FileIocs {
        let mut b = FileIocsBuilder::new();
        b.add_text("case.txt", list).unwrap();
        b.build().unwrap()
    }

    const ALL: HashNeeds = HashNeeds {
        md5: true,
        sha1: true,
    };

    #[test]
    fn md5_and_sha1_listed_files_are_found_by_the_strongest_digest() {
        // "abc": RFC 1321 and FIPS 180-1 test vectors.
        let md5 = "900150983cd24fb0d6963f7d28e17f72";
        let sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
        let sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let data = FileData::hashed(b"abc", ALL);
        assert_eq!(data.sha256, sha256);

        let set = iocs(&format!("{md5}  tool.exe\n"));
        let f = hash_finding(&set, &meta("t/abc.exe"), &data).unwrap();
        assert_eq!(f.rule, "ioc-md5");
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.evidence["matched_hash"], "md5");
        assert_eq!(f.evidence["md5"], md5);
        assert!(!f.evidence.contains_key("also_matched"));
        // Not computed (no MD5 listed, as the scan decides): no match.
        assert!(hash_finding(&set, &meta("t/abc.exe"), &FileData::new(b"abc")).is_none());

        let set = iocs(&format!("{}\n{md5}\n", sha1.to_uppercase()));
        let f = hash_finding(&set, &meta("t/abc.exe"), &data).unwrap();
        assert_eq!(f.rule, "ioc-sha1");
        assert_eq!(f.evidence["sha1"], sha1);
        assert_eq!(f.evidence["md5"], md5);
        assert_eq!(f.evidence["also_matched"], "md5 (case.txt)");

        let set = iocs(&format!("{sha256}\n{md5}\n"));
        let f = hash_finding(&set, &meta("t/abc.exe"), &data).unwrap();
        assert_eq!(f.rule, "ioc-sha256");
        assert_eq!(f.evidence["matched_hash"], "sha256");

        // One digit off.
        let set =
            iocs("900150983cd24fb0d6963f7d28e17f73\na9993e364706816aba3e25717850c26c9cd0d89e\n");
        assert!(hash_finding(&set, &meta("t/abc.exe"), &data).is_none());
    }

    #[test]
    fn the_bundled_lists_need_no_md5_or_sha1() {
        let b = FileIocs::bundled();
        assert!(!b.has_md5() && !b.has_sha1(), "{:?}", b.counts());
    }
}
