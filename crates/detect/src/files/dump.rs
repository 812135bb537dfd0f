//! LSASS memory dumps: a file named `lsass*.dmp`, or a minidump in a place
//! intruders dumped credentials to (`C:\\root`, `%WINDIR%\\temp`) whose
//! module list names `lsass.exe`.
//!
//! Test-ProxyLogon.ps1 lists `lsass.*dmp` under `C:\\root` and
//! `%WINDIR%\\temp`; here the content is read too, so a dump under another
//! name is still found.

use aho_corasick::{AhoCorasickBuilder, MatchKind};
use exhunt_core::{Finding, FindingKind, NextStep, RuleSpec, Severity, Verdict};
use std::io::{self, Read};

const SRC_DUMP: &str = "microsoft/CSS-Exchange Test-ProxyLogon.ps1 (LsassDump); CISA AA21-062A ('lsass.exe C:\\windows\\temp\\lsass'); Microsoft HAFNIUM blog (procdump, comsvcs.dll MiniDump)";

/// A dump named `lsass*.dmp`, or whose module list names `lsass.exe`.
const LSASS_DUMP: RuleSpec = RuleSpec {
    id: "lsass-dump",
    title: "Memory dump of LSASS: the intruder took the server's credentials",
    cves: &[],
    kind: FindingKind::CredentialAccess,
    verdict: Verdict::Compromised,
    severity: Severity::Critical,
    source: SRC_DUMP,
    next_step: Some(NextStep::CredentialsDumped),
};

/// A minidump of another process in a dump place: a lead, raised to
/// `high` when other findings show exploitation.
const DUMP_PLACE: RuleSpec = RuleSpec {
    id: "memory-dump-suspicious-place",
    title: "Process memory dump in a folder intruders used for credential dumps",
    cves: &[],
    kind: FindingKind::CredentialAccess,
    verdict: Verdict::Compromised,
    severity: Severity::Info,
    source: SRC_DUMP,
    next_step: None,
};

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
        Finding::from_spec(&LSASS_DUMP, path)
    } else {
        let mut f = Finding::from_spec(&DUMP_PLACE, path);
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

/// [`check_dump`] as a file check: on whole files and, for large ones in
/// a dump place or named like LSASS, through a stream.
pub struct DumpCheck;

impl super::FileCheck for DumpCheck {
    fn check_content(
        &self,
        file: &super::FileMeta<'_>,
        data: &super::FileData<'_>,
        out: &mut super::FileOut,
    ) {
        if !(file.dump_place || file.lsass_name) {
            return;
        }
        // In memory: reading the rest cannot fail.
        if let Ok(Some(f)) = check_dump(
            file.display,
            file.lsass_name,
            file.dump_place,
            data.bytes,
            &mut io::empty(),
        ) {
            out.stamped.push(file.stamp(f));
        }
    }

    fn wants_stream(&self, file: &super::FileMeta<'_>) -> bool {
        file.dump_place || file.lsass_name
    }

    fn check_stream(
        &self,
        file: &super::FileMeta<'_>,
        prefix: &[u8],
        rest: &mut dyn Read,
        out: &mut super::FileOut,
    ) -> io::Result<()> {
        if let Some(f) = check_dump(file.display, file.lsass_name, file.dump_place, prefix, rest)? {
            out.stamped.push(file.stamp(f));
        }
        Ok(())
    }
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
        assert_eq!(f.next_step, Some(NextStep::CredentialsDumped));
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
        assert_eq!(f.next_step, None);
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
}
