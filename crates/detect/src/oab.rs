//! CVE-2021-26858 in the OABGenerator log: the arbitrary file write leaves
//! `Download failed and temporary file '<path>' needs to be removed` lines;
//! a path outside `<install>\ClientAccess\OAB` is the attacker's.
//!
//! Test-ProxyLogon.ps1 (PR #386) flags the line when the quoted path does
//! not start with `'<install>ClientAccess\OAB`. It compares text, so
//! `...\ClientAccess\OAB\..\..\..\inetpub\wwwroot\aspnet_client\x.aspx`
//! passes its check; we resolve `..` first. Without the install path (a
//! triage folder does not say where Exchange was installed) a path counts as
//! inside when its resolved form contains `\ClientAccess\OAB\` below a
//! folder of the Exchange install (`...\V15\` or `...\Exchange Server\`).

use crate::{excerpt, sources, LineDetector, LogContext, LogFamily};
use exhunt_core::{Finding, FindingKind, NextStep, Record, RuleSpec, Severity, Verdict};
use regex::bytes::Regex;

const OAB_PATH: RuleSpec = RuleSpec {
    id: "proxylogon-26858-oab-path",
    title: "Offline address book download wrote to a path outside ClientAccess\\OAB (CVE-2021-26858 file write)",
    cves: &["CVE-2021-26858"],
    kind: FindingKind::Exploitation,
    verdict: Verdict::Exploited,
    severity: Severity::High,
    source: sources::PR386,
    next_step: Some(NextStep::WebshellWritten),
};

pub struct OabDownloadPath {
    re: Regex,
}

impl OabDownloadPath {
    pub fn new() -> Self {
        OabDownloadPath {
            re: Regex::new(r"(?i)Download failed and temporary file (.*?) needs to be removed")
                .expect("static regex"),
        }
    }
}

impl Default for OabDownloadPath {
    fn default() -> Self {
        Self::new()
    }
}

/// Resolves `.` and `..` in a Windows path, keeping the drive or share.
pub fn normalize_windows_path(p: &str) -> String {
    let p = p.replace('/', "\\");
    let mut parts: Vec<&str> = Vec::new();
    let (prefix, rest) = if let Some(r) = p.strip_prefix("\\\\") {
        ("\\\\", r)
    } else {
        ("", p.as_str())
    };
    for c in rest.split('\\') {
        match c {
            "" | "." => {}
            ".." => {
                // Never climb above the drive or share root.
                if parts.len() > 1 {
                    parts.pop();
                }
            }
            c => parts.push(c),
        }
    }
    format!("{prefix}{}", parts.join("\\"))
}

/// Whether a resolved path lies in Exchange's OAB folder.
pub fn inside_oab_folder(resolved: &str) -> bool {
    let l = resolved.to_ascii_lowercase();
    match l.find("\\clientaccess\\oab\\") {
        Some(i) => {
            let before = &l[..i];
            before.ends_with("\\v15") || before.ends_with("\\v14") || before.contains("exchange")
        }
        None => false,
    }
}

impl LineDetector for OabDownloadPath {
    fn family(&self) -> LogFamily {
        LogFamily::OabGenerator
    }

    fn literals(&self) -> &[&'static str] {
        &["Download failed and temporary file"]
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>) {
        let raw = rec.raw();
        let Some(c) = self.re.captures(raw) else {
            return;
        };
        let logged = String::from_utf8_lossy(&c[1]).into_owned();
        let path = logged.trim().trim_matches('\'').trim_matches('"');
        let resolved = normalize_windows_path(path);
        if inside_oab_folder(&resolved) {
            return;
        }
        let file_name = resolved.rsplit('\\').next().unwrap_or("").to_string();
        let traversal = path.contains("..");
        let mut f = Finding::from_spec(&OAB_PATH, ctx.path);
        f.time = rec.time().map(str::to_string);
        f.line = Some(rec.line_no());
        f = f
            .with("path", path)
            .with("resolved_path", if traversal { resolved.clone() } else { String::new() })
            .with("file_name", file_name)
            .with("line", excerpt(raw, 400))
            .with(
                "predicate",
                if traversal {
                    "exhunt: path escapes ClientAccess\\OAB through '..' (passes Test-ProxyLogon's text check)"
                } else {
                    "Test-ProxyLogon: temporary file path not under <install>ClientAccess\\OAB"
                },
            );
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MapRecord;
    use exhunt_core::ArtifactKind;

    fn run(path: &str) -> Vec<Finding> {
        let ctx = LogContext {
            path: "OABGeneratorLog/x.log",
            kind: &ArtifactKind::OabGeneratorLog,
        };
        let line = format!("2021-03-03T07:01:22.333Z,EX01,OABGenerator,Download failed and temporary file '{path}' needs to be removed");
        let mut out = Vec::new();
        OabDownloadPath::new().check(&ctx, &MapRecord::line(&line), &mut out);
        out
    }

    #[test]
    fn outside_is_flagged_inside_is_quiet() {
        let f = run(r"C:\inetpub\wwwroot\aspnet_client\system_web\x.aspx");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence["file_name"], "x.aspx");
        assert!(run(
            r"C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\a1b2\LZX1.djs"
        )
        .is_empty());
        assert!(run(r"D:\Exchange\V15\ClientAccess\OAB\4f3c\oab.xml.tmp").is_empty());
    }

    #[test]
    fn traversal_out_of_oab_is_flagged() {
        let f = run(
            r"C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\..\..\..\..\..\..\inetpub\wwwroot\aspnet_client\shell.aspx",
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence["predicate"].contains("'..'"));
        assert_eq!(
            f[0].evidence["resolved_path"],
            r"C:\inetpub\wwwroot\aspnet_client\shell.aspx"
        );
    }

    #[test]
    fn normalize() {
        assert_eq!(normalize_windows_path(r"C:\a\..\..\..\b"), r"C:\b");
        assert_eq!(normalize_windows_path(r"\\srv\c$\x\.\y"), r"\\srv\c$\x\y");
    }
}
