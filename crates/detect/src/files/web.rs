//! Files IIS serves Exchange from: web-folder files against Microsoft's
//! baselines (a page that is not stock, a compiled page of a web shell),
//! and IIS configuration (`applicationHost.config`, `web.config`).

use super::{FileData, FileMeta, FileOut};
use crate::webfiles::{self, Baselines, Known};

/// Largest start of a file handed to the web-folder checks (compiled pages
/// are a few kilobytes).
const WEB_HEAD: usize = 1 << 20;

/// Web-folder files against the baselines of what Exchange ships there.
pub struct WebFolderCheck {
    baselines: &'static Baselines,
}

impl WebFolderCheck {
    pub fn new(baselines: &'static Baselines) -> Self {
        WebFolderCheck { baselines }
    }
}

impl super::FileCheck for WebFolderCheck {
    fn check_content(&self, file: &FileMeta<'_>, data: &FileData<'_>, out: &mut FileOut) {
        if !webfiles::wants_file(file.rel_lower) {
            return;
        }
        let head = &data.bytes[..data.bytes.len().min(WEB_HEAD)];
        out.findings.extend(webfiles::check_web_file(
            file.rel_lower,
            file.display,
            &data.sha256,
            head,
            None,
            self.baselines,
        ));
        out.stock = webfiles::install_relative(file.rel_lower).is_some_and(|inst| {
            matches!(
                self.baselines.hash_known_for(inst, &data.sha256, None),
                Known::StockSame | Known::StockOtherBuild
            )
        });
    }
}

/// IIS configuration: `applicationHost.config`, and the `web.config` files
/// IIS serves Exchange from (findings, and the mitigation rules in force).
pub struct IisConfigCheck;

impl super::FileCheck for IisConfigCheck {
    fn check_content(&self, file: &FileMeta<'_>, data: &FileData<'_>, out: &mut FileOut) {
        let name = file.name_lower();
        let res = if name == "applicationhost.config" {
            let text = String::from_utf8_lossy(data.bytes);
            webfiles::read_application_host_config(file.display, &text)
        } else if name == "web.config" && in_web_tree(file.rel_lower) {
            let text = String::from_utf8_lossy(data.bytes);
            webfiles::read_web_config(file.display, &text)
        } else {
            return;
        };
        match res {
            Ok(c) => {
                out.findings.extend(c.findings);
                out.mitigations.extend(c.mitigations);
            }
            Err(e) => out
                .errors
                .push(format!("IIS configuration not checked: {e}")),
        }
    }
}

/// Whether a file is in a tree IIS serves Exchange from (under inetpub or
/// Exchange's web folders): a web.config elsewhere belongs to unrelated
/// software.
pub fn in_web_tree(rel_lower: &str) -> bool {
    webfiles::web_place(rel_lower).is_some() || rel_lower.split('/').any(|c| c == "inetpub")
}

/// Text documents (reports, notes, data): shell code in them is quoted,
/// not served.
pub fn is_document(name_lower: &str) -> bool {
    let ext = name_lower.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "md" | "markdown"
            | "rst"
            | "txt"
            | "log"
            | "csv"
            | "tsv"
            | "json"
            | "jsonl"
            | "yml"
            | "yaml"
            | "pdf"
            // Detection rules quote what they detect.
            | "yar"
            | "yara"
    )
}
