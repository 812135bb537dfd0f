//! YARA rules (ours, bundled, and the user's `--yara`) over a file's whole
//! content, through the thread's yara-x scanner. Shell code quoted in a
//! text document outside the web folders is a lead, not a finding: IIS
//! does not run a `.md` or `.txt`.

use super::web::{in_web_tree, is_document};
use super::{FileMeta, FileOut};
use exhunt_core::Severity;
use exhunt_yara::{FileInfo, FileScanner};

pub(super) fn check(
    scanner: &mut FileScanner<'_>,
    file: &FileMeta<'_>,
    data: &[u8],
    out: &mut FileOut,
) {
    let name_lower = file.name_lower();
    match scanner.scan(
        data,
        FileInfo {
            name: name_lower,
            path: file.rel_lower,
        },
    ) {
        Ok(hits) => {
            let quoted = is_document(name_lower) && !in_web_tree(file.rel_lower);
            for h in &hits {
                let mut f =
                    exhunt_yara::hit_finding(h, file.display).with("file_name", file.name());
                if quoted {
                    // Write-ups, notes and IOC reports quote shell code; IIS
                    // does not run a .md or .txt. A lead, not a finding.
                    f.severity = Severity::Info;
                    f.escalate_to = None;
                    f = f.with(
                        "why",
                        "the code is in a text document outside the web folders, where IIS does not run it (a write-up or notes quoting a shell, or a shell staged under another name)",
                    );
                }
                out.findings.push(f);
            }
        }
        Err(e) => out.errors.push(format!("YARA scan incomplete: {e}")),
    }
}
