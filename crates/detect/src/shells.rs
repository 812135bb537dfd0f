//! Requests for web shells found on disk: the file pass names the shells
//! it found, and the log pass ties every IIS request for one of them to the
//! file finding (Microsoft HAFNIUM blog 2021-03-02 and CISA AA21-062A: look
//! for requests to the web shells found).

use crate::events::EventDetector;
use crate::webfiles::{self, Baselines};
use crate::LogContext;
use exhunt_core::{
    ArtifactKind, EventRecord, Finding, FindingKind, LogSource, NextStep, Record, RuleSpec,
    Severity, Verdict,
};
use std::collections::BTreeMap;

/// A request for a web shell found on disk that was answered with
/// success; one that was not is an attempt.
const REQUESTED: RuleSpec = RuleSpec {
    id: "webshell-requested",
    title: "Request for a web shell found on disk, answered with success: the intruder used it",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::Critical,
    source: "exhunt: the file finding's name in the IIS log's cs-uri-stem (Microsoft HAFNIUM blog 2021-03-02 and CISA AA21-062A: look for requests to the web shells found)",
    // The shell answered: find what it did (the judge's list missed this
    // rule while it matched rule ids).
    next_step: Some(NextStep::WebshellUsed),
};

/// Web shells found on disk, by lower-case file name.
#[derive(Debug, Default)]
pub struct RequestedShells {
    /// name → display path of the file.
    names: BTreeMap<String, String>,
}

impl RequestedShells {
    /// Script files that a finding of `high` or above calls a web shell;
    /// names Exchange itself ships (logon.aspx) are left out: requests for
    /// them are everyone's.
    pub fn from_findings<'f>(
        findings: impl Iterator<Item = &'f Finding>,
        baselines: &Baselines,
    ) -> Self {
        let mut names = BTreeMap::new();
        for f in findings {
            if f.kind != FindingKind::Webshell || f.severity > Severity::High {
                continue;
            }
            let name = f
                .path
                .rsplit(['/', '!'])
                .next()
                .unwrap_or("")
                .to_lowercase();
            if webfiles::is_script_name(&name) && !baselines.is_stock_file_name(&name) {
                names.entry(name).or_insert_with(|| f.path.clone());
            }
        }
        RequestedShells { names }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

impl EventDetector for RequestedShells {
    fn applies_to(&self, kind: &ArtifactKind) -> bool {
        matches!(kind, ArtifactKind::IisLog { .. })
    }

    fn line_literals(&self, _ls: &LogSource) -> Option<Vec<String>> {
        Some(self.names.keys().cloned().collect())
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord, out: &mut Vec<Finding>) {
        if self.names.is_empty() {
            return;
        }
        let Some(stem) = rec.field("cs-uri-stem") else {
            return;
        };
        let Some(name) = stem.rsplit('/').next().map(str::to_lowercase) else {
            return;
        };
        let Some(file) = self.names.get(&name) else {
            return;
        };
        let status = rec.field("sc-status").unwrap_or("");
        let served = status.starts_with('2');
        let mut f = Finding::from_spec(&REQUESTED, ctx.path);
        if !served {
            f = f
                .titled("Request for a web shell found on disk (not answered with success)")
                .with_verdict(Verdict::Attempted)
                .with_severity(Severity::Medium);
            // Not answered: nothing was done through it.
            f.next_step = None;
        }
        f.time = rec.time.clone();
        f.line = Some(rec.line);
        f = f
            .with("file_name", name)
            .with("web_shell_file", file.clone())
            .with("cs-uri-stem", stem)
            .with("sc-status", status)
            .with("c-ip", rec.field("c-ip").unwrap_or(""))
            .with("cs-method", rec.field("cs-method").unwrap_or(""))
            .with("cs(User-Agent)", rec.field("cs(User-Agent)").unwrap_or(""));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(stem: &str, status: &str) -> EventRecord {
        let mut r = EventRecord {
            line: 9,
            time: Some("2021-03-03T06:00:00Z".into()),
            ..EventRecord::default()
        };
        r.push("cs-uri-stem", stem);
        r.push("sc-status", status);
        r
    }

    #[test]
    fn a_served_request_calls_for_the_used_shell_step_and_a_refused_one_does_not() {
        let shell = Finding::from_spec(
            &RuleSpec {
                id: "webshell-aspnet-client",
                title: "t",
                cves: &[],
                kind: FindingKind::Webshell,
                verdict: Verdict::Compromised,
                severity: Severity::Critical,
                source: "s",
                next_step: None,
            },
            "inetpub/wwwroot/aspnet_client/Shell.aspx",
        );
        let shells = RequestedShells::from_findings([&shell].into_iter(), Baselines::builtin());
        let kind = ArtifactKind::IisLog {
            site: "W3SVC1".into(),
        };
        let ctx = LogContext {
            path: "u_ex210303.log",
            kind: &kind,
        };
        let mut out = Vec::new();
        shells.check(&ctx, &request("/aspnet_client/shell.aspx", "200"), &mut out);
        shells.check(&ctx, &request("/aspnet_client/shell.aspx", "404"), &mut out);
        shells.check(&ctx, &request("/owa/auth/logon.aspx", "200"), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].verdict, Verdict::Compromised);
        assert_eq!(out[0].next_step, Some(NextStep::WebshellUsed));
        assert_eq!(out[1].verdict, Verdict::Attempted);
        assert_eq!(out[1].next_step, None);
        assert_eq!(
            out[0].evidence["web_shell_file"],
            "inetpub/wwwroot/aspnet_client/Shell.aspx"
        );
    }
}
