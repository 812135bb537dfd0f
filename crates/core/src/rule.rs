//! What a rule means, said once beside the rule instead of at every hit and
//! in the judge: its fixed parts ([`RuleSpec`] for exhunt's built-in
//! detectors, [`FindingParts`] for rules read from data: Sigma and YARA
//! metadata, indicator lists) and the rule-specific advice a hit calls for
//! ([`NextStep`]).
//!
//! The judge writes a next step for a finding because the finding carries
//! it, not because it recognises the rule's id: a new rule (or a user's
//! Sigma rule with `exhunt: next_step:`) gets the advice without the judge
//! knowing its name.

use crate::{FindingKind, Severity, Verdict};

/// A rule-specific action the judge recommends when a finding that moves
/// the verdict carries it. The text of each step is the judge's; this only
/// names which one. Not part of the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NextStep {
    /// The intruder dumped LSASS: reset passwords, krbtgt twice.
    CredentialsDumped,
    /// The logs show a web shell being written: look for it on disk.
    WebshellWritten,
    /// A web shell answered requests or started commands: find what it did.
    WebshellUsed,
    /// Mailboxes were exported or read: list them, notify.
    MailboxesTaken,
    /// A transport agent was installed: check Get-TransportAgent.
    TransportAgentInstalled,
    /// Mail is forwarded out (inbox rule, mailbox forwarding, transport
    /// rule): remove it.
    MailForwarded,
}

impl NextStep {
    /// Every step, in the order the judge writes them.
    pub const ALL: [NextStep; 6] = [
        NextStep::CredentialsDumped,
        NextStep::WebshellWritten,
        NextStep::WebshellUsed,
        NextStep::MailboxesTaken,
        NextStep::TransportAgentInstalled,
        NextStep::MailForwarded,
    ];

    /// The stable kebab-case name (as written in a Sigma rule's
    /// `exhunt: next_step:`).
    pub fn as_str(self) -> &'static str {
        match self {
            NextStep::CredentialsDumped => "credentials-dumped",
            NextStep::WebshellWritten => "webshell-written",
            NextStep::WebshellUsed => "webshell-used",
            NextStep::MailboxesTaken => "mailboxes-taken",
            NextStep::TransportAgentInstalled => "transport-agent-installed",
            NextStep::MailForwarded => "mail-forwarded",
        }
    }

    /// The step of that name; `None` for a name exhunt does not know.
    pub fn parse(s: &str) -> Option<Self> {
        NextStep::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// The fixed parts of a built-in rule: what every hit of it says, whatever
/// the record. Detectors keep one `const` per rule id beside their code and
/// adjust the parts that vary per hit with [`crate::Finding`]'s setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSpec {
    /// Stable rule identifier (`proxylogon-ssrf-26855`).
    pub id: &'static str,
    pub title: &'static str,
    pub cves: &'static [&'static str],
    pub kind: FindingKind,
    /// What a hit on its own says about the server.
    pub verdict: Verdict,
    pub severity: Severity,
    /// The public reference the rule rests on.
    pub source: &'static str,
    /// The advice a hit calls for, if any beyond the verdict's own.
    pub next_step: Option<NextStep>,
}

/// The same parts, owned: for rules whose meaning is read at run time
/// (Sigma and YARA metadata, indicator lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingParts {
    pub rule: String,
    pub title: String,
    pub cves: Vec<String>,
    pub kind: FindingKind,
    pub verdict: Verdict,
    pub severity: Severity,
    pub source: String,
    pub next_step: Option<NextStep>,
}

impl From<&RuleSpec> for FindingParts {
    fn from(spec: &RuleSpec) -> Self {
        FindingParts {
            rule: spec.id.to_string(),
            title: spec.title.to_string(),
            cves: spec.cves.iter().map(|c| c.to_string()).collect(),
            kind: spec.kind,
            verdict: spec.verdict,
            severity: spec.severity,
            source: spec.source.to_string(),
            next_step: spec.next_step,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_step_names_round_trip() {
        for n in NextStep::ALL {
            assert_eq!(NextStep::parse(n.as_str()), Some(n));
        }
        assert_eq!(
            NextStep::parse("webshell-used"),
            Some(NextStep::WebshellUsed)
        );
        assert_eq!(NextStep::parse("Webshell-Used"), None);
        assert_eq!(NextStep::parse(""), None);
    }

    const SPEC: RuleSpec = RuleSpec {
        id: "r",
        title: "t",
        cves: &["CVE-2021-26855"],
        kind: FindingKind::Exploitation,
        verdict: Verdict::Exploited,
        severity: Severity::High,
        source: "s",
        next_step: Some(NextStep::WebshellWritten),
    };

    #[test]
    fn a_finding_from_a_spec_has_its_parts_and_setters_change_them() {
        let f = crate::Finding::from_spec(&SPEC, "p");
        assert_eq!(
            (f.rule.as_str(), f.title.as_str(), f.path.as_str()),
            ("r", "t", "p")
        );
        assert_eq!(f.cves, vec!["CVE-2021-26855"]);
        assert_eq!(f.next_step, Some(NextStep::WebshellWritten));
        assert_eq!(f, crate::Finding::from_parts((&SPEC).into(), "p"));
        let f = f
            .titled("u")
            .with_kind(FindingKind::Attempt)
            .with_verdict(Verdict::Attempted)
            .with_severity(Severity::Medium)
            .with_cves(&[])
            .with_source("v");
        assert_eq!((f.title.as_str(), f.source.as_str()), ("u", "v"));
        assert_eq!(
            (f.kind, f.verdict, f.severity),
            (FindingKind::Attempt, Verdict::Attempted, Severity::Medium)
        );
        assert!(f.cves.is_empty());
        // The rule and its advice stay the rule's.
        assert_eq!(f.rule, "r");
        assert_eq!(f.next_step, Some(NextStep::WebshellWritten));
    }

    #[test]
    fn the_next_step_is_not_in_the_json() {
        let f = crate::Finding::from_spec(&SPEC, "p");
        let v = serde_json::to_value(&f).unwrap();
        // Sorted: serde_json keeps insertion order when another crate of
        // the build enables its `preserve_order` feature.
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "attack", "cves", "evidence", "host", "id", "kind", "line", "path", "related",
                "rule", "rules", "severity", "source", "time", "title", "verdict"
            ]
        );
        let back: crate::Finding = serde_json::from_value(v).unwrap();
        assert_eq!(back.next_step, None);
    }
}
