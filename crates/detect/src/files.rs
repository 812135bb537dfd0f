//! Suspicious files: LSASS memory dumps and archives staged under
//! ProgramData.
//!
//! Test-ProxyLogon.ps1 lists `lsass.*dmp` under `C:\root` and
//! `%WINDIR%\temp`, and every `.7z/.zip/.rar` under `%ProgramData%`, but
//! only when a CVE check hit (PR #386), because the archive list was mostly
//! antivirus vendors' zips (issue #311). Here every file is scored by place
//! and name: a known loot name is high on its own; a short-named archive
//! directly in ProgramData (signature-base `filename-iocs.txt` scores
//! `C:\ProgramData\<1-6 chars>.(zip|7z|rar)` at 40, a notice) is an `info`
//! lead that is raised only when other findings show exploitation; archives
//! deeper in vendors' folders stay `info`.

use aho_corasick::{AhoCorasickBuilder, MatchKind};
use exhunt_core::{Finding, FindingKind, Severity, Verdict};
use std::io::{self, Read};

const SRC_DUMP: &str = "microsoft/CSS-Exchange Test-ProxyLogon.ps1 (LsassDump); CISA AA21-062A ('lsass.exe C:\\windows\\temp\\lsass'); Microsoft HAFNIUM blog (procdump, comsvcs.dll MiniDump)";
const SRC_ARCHIVE: &str = "microsoft/CSS-Exchange Test-ProxyLogon.ps1 (SuspiciousArchive), issue #311; Neo23x0/signature-base iocs/filename-iocs.txt (ProgramData short-named archives, score 40); CISA AA21-062A (C:\\ProgramData\\it.zip); SigmaHQ proc_creation_win_apt_hafnium.yml (7z into C:\\ProgramData\\pst)";

/// Checks a file for an LSASS memory dump. `prefix` holds the file's first
/// bytes; `rest` the remainder (read only when the magic says minidump and
/// the name does not already say LSASS).
pub fn check_dump(
    path: &str,
    lsass_name: bool,
    dump_place: bool,
    prefix: &[u8],
    rest: &mut dyn Read,
) -> io::Result<Option<Finding>> {
    let is_mdmp = prefix.starts_with(b"MDMP");
    if !(lsass_name || (is_mdmp && dump_place)) {
        return Ok(None);
    }
    let lsass_inside = if lsass_name {
        false
    } else {
        contains_lsass_module(prefix, rest)?
    };
    let mut f = if lsass_name || lsass_inside {
        Finding::new(
            "lsass-dump",
            "Memory dump of LSASS: the intruder took the server's credentials",
            &[],
            FindingKind::CredentialAccess,
            Verdict::Compromised,
            Severity::Critical,
            path,
            SRC_DUMP,
        )
    } else {
        let mut f = Finding::new(
            "memory-dump-suspicious-place",
            "Process memory dump in a folder intruders used for credential dumps",
            &[],
            FindingKind::CredentialAccess,
            Verdict::Compromised,
            Severity::Info,
            path,
            SRC_DUMP,
        );
        f.escalate_to = Some(Severity::High);
        f
    };
    f = f
        .with("minidump_magic", if is_mdmp { "MDMP" } else { "absent" })
        .with(
            "why",
            if lsass_name {
                "named lsass*.dmp"
            } else if lsass_inside {
                "minidump whose module list names lsass.exe"
            } else {
                "minidump of another process (check which; raised if exploitation was found)"
            },
        );
    Ok(Some(f))
}

/// Streams the dump looking for `lsass.exe` as a UTF-16LE module name.
fn contains_lsass_module(prefix: &[u8], rest: &mut dyn Read) -> io::Result<bool> {
    let needle: Vec<u8> = "lsass.exe"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build([&needle])
        .expect("static pattern");
    let mut chained = io::Cursor::new(prefix).chain(rest);
    let found = ac.stream_find_iter(&mut chained).next();
    match found {
        Some(Ok(_)) => Ok(true),
        Some(Err(e)) => Err(e),
        None => Ok(false),
    }
}

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
            "Archive with a name seen in Exchange intrusions (staged data for theft)",
            Severity::High,
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
    let mut f = Finding::new(
        "programdata-archive",
        title,
        &[],
        FindingKind::Staging,
        Verdict::Compromised,
        severity,
        path,
        SRC_ARCHIVE,
    );
    f.escalate_to = escalate;
    f.with("place", score).with("file_name", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsass_by_name_and_by_content() {
        let f = check_dump(
            "Windows/Temp/lsass.dmp",
            true,
            true,
            b"MDMP",
            &mut io::empty(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.severity, Severity::Critical);
        let mut body = b"MDMP\x93\xa7".to_vec();
        body.extend(vec![0u8; 70_000]);
        body.extend(
            "C:\\Windows\\System32\\LSASS.EXE"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let (head, tail) = body.split_at(4096);
        let f = check_dump("root/a.bin", false, true, head, &mut &tail[..])
            .unwrap()
            .unwrap();
        assert_eq!(f.rule, "lsass-dump");
        let f = check_dump(
            "Windows/Temp/w3wp.dmp",
            false,
            true,
            b"MDMP\0\0\0\0",
            &mut io::empty(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.escalate_to, Some(Severity::High));
    }

    #[test]
    fn ordinary_files_are_not_dumps() {
        assert!(
            check_dump("inetpub/x.txt", false, true, b"hello", &mut io::empty())
                .unwrap()
                .is_none()
        );
        assert!(
            check_dump("Users/x.dmp", false, false, b"MDMP", &mut io::empty())
                .unwrap()
                .is_none()
        );
    }

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
