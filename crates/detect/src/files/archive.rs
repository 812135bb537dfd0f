//! Archives staged under ProgramData.
//!
//! Test-ProxyLogon.ps1 lists every `.7z/.zip/.rar` under `%ProgramData%`, but
//! only when a CVE check hit (PR #386), because the archive list was mostly
//! antivirus vendors' zips (issue #311). Here every file is scored by place
//! and name: a known loot name is high on its own; a short-named archive
//! directly in ProgramData (signature-base `filename-iocs.txt` scores
//! `C:\ProgramData\<1-6 chars>.(zip|7z|rar)` at 40, a notice) is an `info`
//! lead that is raised only when other findings show exploitation; archives
//! deeper in vendors' folders stay `info`.

use exhunt_core::{Finding, FindingKind, RuleSpec, Severity, Verdict};

const SRC_ARCHIVE: &str = "microsoft/CSS-Exchange Test-ProxyLogon.ps1 (SuspiciousArchive), issue #311; Neo23x0/signature-base iocs/filename-iocs.txt (ProgramData short-named archives, score 40); CISA AA21-062A (C:\\ProgramData\\it.zip); SigmaHQ proc_creation_win_apt_hafnium.yml (7z into C:\\ProgramData\\pst)";

/// A known loot name; other archives get a milder title and severity by
/// place (see [`check_archive`]).
const ARCHIVE: RuleSpec = RuleSpec {
    id: "programdata-archive",
    title: "Archive with a name seen in Exchange intrusions (staged data for theft)",
    cves: &[],
    kind: FindingKind::Staging,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: SRC_ARCHIVE,
    next_step: None,
};

/// Scores an archive under ProgramData. `rel_lower` is its lower-cased path
/// inside the input with `/` separators.
pub fn check_archive(path: &str, rel_lower: &str) -> Finding {
    let comps: Vec<&str> = rel_lower.split('/').collect();
    let name = comps.last().copied().unwrap_or("");
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    let pd = comps.iter().rposition(|c| *c == "programdata").unwrap_or(0);
    let depth = comps.len() - pd - 1; // 1 = directly in ProgramData
    let parent = if comps.len() >= 2 {
        comps[comps.len() - 2]
    } else {
        ""
    };
    let known = name == "it.zip" || parent == "pst" || stem.contains("lsass");
    let short = (1..=6).contains(&stem.chars().count());
    let (title, severity, escalate, score) = if known {
        (
            ARCHIVE.title,
            ARCHIVE.severity,
            None,
            "known name or folder from published intrusions",
        )
    } else if depth == 1 && short {
        (
            "Short-named archive directly in ProgramData (how intruders staged stolen data)",
            Severity::Info,
            Some(Severity::Medium),
            "ProgramData root, name of 1-6 characters (signature-base score 40)",
        )
    } else if depth == 1 {
        (
            "Archive directly in ProgramData",
            Severity::Info,
            Some(Severity::Low),
            "ProgramData root",
        )
    } else {
        (
            "Archive in a program's ProgramData folder (usually an application's own, e.g. antivirus)",
            Severity::Info,
            None,
            "inside a vendor folder",
        )
    };
    let mut f = Finding::from_spec(&ARCHIVE, path)
        .titled(title)
        .with_severity(severity);
    f.escalate_to = escalate;
    f.with("place", score).with("file_name", name)
}

/// [`check_archive`] as a file check: the path is enough.
pub struct ArchiveCheck;

impl super::FileCheck for ArchiveCheck {
    fn check_path(&self, file: &super::FileMeta<'_>, out: &mut Vec<Finding>) {
        if file.programdata_archive {
            out.push(file.stamp(check_archive(file.display, file.rel_lower)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_scored_by_place_and_name() {
        assert_eq!(
            check_archive("ProgramData/it.zip", "programdata/it.zip").severity,
            Severity::High
        );
        let f = check_archive("ProgramData/ab.7z", "programdata/ab.7z");
        assert_eq!(
            (f.severity, f.escalate_to),
            (Severity::Info, Some(Severity::Medium))
        );
        let f = check_archive(
            "ProgramData/McAfee/Common Framework/Updates/x.zip",
            "programdata/mcafee/common framework/updates/x.zip",
        );
        assert_eq!((f.severity, f.escalate_to), (Severity::Info, None));
        assert_eq!(
            check_archive("C/ProgramData/pst/mail.7z", "c/programdata/pst/mail.7z").severity,
            Severity::High
        );
    }
}
