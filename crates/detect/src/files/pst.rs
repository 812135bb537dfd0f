//! Mailbox exports left where intruders put them: a file in Outlook's PST
//! format (magic `!BDN` at offset 0) in a web folder or in a place
//! intruders staged data and dumps (`C:\root`, `%WINDIR%\Temp`,
//! `ProgramData`, `inetpub`). ProxyShell's `New-MailboxExportRequest` wrote
//! the export into the web root (Orange Tsai, "ProxyShell", Black Hat USA
//! 2021); the same cmdlet, or a web shell, leaves plain PST files there when
//! the aim is the mail itself. Administrators export to file shares, not to
//! these places. The export shell (a PST holding script) is the YARA rule's
//! (`webshell-mailbox-export`); this check names the export for the ledger,
//! with its size.

use exhunt_core::{Finding, FindingKind, NextStep, RuleSpec, Severity, Verdict};
use std::io::{self, Read};

/// A PST file in a web folder or a staging place.
pub const PST_EXPORT: RuleSpec = RuleSpec {
    id: "mailbox-export-file",
    title: "Mailbox export (PST file) in a web folder or where intruders staged data: mail was taken",
    cves: &[],
    kind: FindingKind::Collection,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: "Orange Tsai, 'ProxyShell' (Black Hat USA 2021: New-MailboxExportRequest writes a PST into the web root); [MS-PST] 2.2.2.6 (the header's dwMagic '!BDN'); CISA AA21-062A (staging under ProgramData and C:\\root)",
    next_step: Some(NextStep::MailboxesTaken),
};

/// The PST header's magic.
const MAGIC: &[u8; 4] = b"!BDN";

fn in_place(file: &super::FileMeta<'_>) -> bool {
    file.dump_place || super::web::in_web_tree(file.rel_lower)
}

fn finding(file: &super::FileMeta<'_>) -> Finding {
    Finding::from_spec(&PST_EXPORT, file.display)
        .with("pst_magic", "!BDN")
        .with(
            "place",
            if super::web::in_web_tree(file.rel_lower) {
                "a web folder"
            } else {
                "a place intruders staged data and dumps"
            },
        )
}

pub struct PstCheck;

impl super::FileCheck for PstCheck {
    fn check_content(
        &self,
        file: &super::FileMeta<'_>,
        data: &super::FileData<'_>,
        out: &mut super::FileOut,
    ) {
        if in_place(file) && data.bytes.starts_with(MAGIC) {
            out.stamped.push(file.stamp(finding(file)));
        }
    }

    fn wants_stream(&self, file: &super::FileMeta<'_>) -> bool {
        in_place(file)
    }

    fn check_stream(
        &self,
        file: &super::FileMeta<'_>,
        prefix: &[u8],
        _rest: &mut dyn Read,
        out: &mut super::FileOut,
    ) -> io::Result<()> {
        if prefix.starts_with(MAGIC) {
            out.stamped.push(file.stamp(finding(file)));
        }
        Ok(())
    }
}
