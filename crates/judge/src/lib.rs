//! Judge: turn raw findings into answers.
//!
//! - orders findings (time, then path and line) and numbers them `F0001`...;
//! - decides the verdict: the worst `verdict` among findings that move it
//!   (everything but `info` leads), after raising leads that other findings
//!   corroborate (the reference script reports suspicious files only once a
//!   CVE check hit);
//! - ties related findings together (same client IP, request id, file name);
//! - merges the per-file time windows into one coverage line per log family;
//! - writes the next steps in plain language: the verdict's own, and the
//!   rule-specific ones the findings carry ([`NextStep`]), so that the
//!   judge knows what a finding calls for without knowing its rule's id;
//! - sums several servers' reports up into one ([`fleet`]), each server
//!   judged on its own evidence.

#![forbid(unsafe_code)]

mod attack;
mod conclusive;
mod coverage;
mod fleet;
pub mod ledger;
mod related;
mod steps;
mod ties;
mod verdict;

pub use fleet::fleet;
pub use steps::next_steps;

use coverage::merge_coverage;
use exhunt_core::{
    ErrorEntry, Finding, Patch, Report, Severity, Stats, Suppressed, Tool, Verdict, REPORT_SCHEMA,
};
use related::relate;
use verdict::{mark_chain_starts, verdict_of};

/// The time window of one log file.
#[derive(Debug, Clone)]
pub struct FileWindow {
    pub family: String,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// Everything the scan gathered, unordered (threads deliver in any order).
#[derive(Debug, Default)]
pub struct Evidence {
    pub inputs: Vec<String>,
    pub findings: Vec<Finding>,
    pub windows: Vec<FileWindow>,
    pub errors: Vec<ErrorEntry>,
    pub stats: Stats,
    pub patch: Option<Patch>,
    pub suppressed: Vec<Suppressed>,
    pub rules: Vec<exhunt_core::RuleLoad>,
    pub skipped: Vec<exhunt_core::Skipped>,
    pub discovery: Option<exhunt_core::SystemDiscovery>,
    /// Mitigation rules seen in the IIS configuration.
    pub mitigations: Vec<exhunt_core::Mitigation>,
    /// The server's host name, when its logs or events name it.
    pub host: Option<String>,
    /// The attack clients' requests that address a mailbox or the address
    /// book (the scan's access pass; empty when no finding named a client).
    pub accesses: Vec<exhunt_core::Access>,
    /// Who signed in to the server (Security log 4624/4648), and its boots.
    pub logons: exhunt_core::Logons,
}

/// Rule ids the ledger reads (the mail-flow detector's, in `exhunt-detect`,
/// which the judge does not depend on).
pub(crate) const CONTACT_RULE: &str = "mail-contact-created";
pub(crate) const FORWARD_NAMED_RULE: &str = "mail-forwarded-named";
pub(crate) const FORWARD_OUT_RULE: &str = "mail-forwarded-out";

/// Builds the report.
pub fn judge(mut ev: Evidence, version: &str) -> Report {
    ev.findings.sort_by(|a, b| {
        (a.time.is_none(), &a.time, &a.path, a.line, &a.rule).cmp(&(
            b.time.is_none(),
            &b.time,
            &b.path,
            b.line,
            &b.rule,
        ))
    });
    // A forward to a contact's name is a forward to the contact's address.
    ledger::resolve_contacts(&mut ev.findings);
    mark_chain_starts(&mut ev.findings);
    for (i, f) in ev.findings.iter_mut().enumerate() {
        f.id = format!("F{:04}", i + 1);
        f.host.clone_from(&ev.host);
    }
    ties::raise_tied(&mut ev.findings);
    let base = verdict_of(&ev.findings);
    if base >= Verdict::Exploited {
        for f in &mut ev.findings {
            if let (Severity::Info, Some(to)) = (f.severity, f.escalate_to) {
                f.severity = to;
                f.evidence.insert(
                    "raised".to_string(),
                    format!(
                        "from info to {}: other findings show the server was {}",
                        to.as_str(),
                        base
                    ),
                );
            }
        }
    }
    let verdict = verdict_of(&ev.findings);
    relate(&mut ev.findings);
    attack::tag(&mut ev.findings);
    let coverage = merge_coverage(&ev.windows);
    // No trace is `clean` only where what was read could have shown one.
    let why_inconclusive = if verdict == Verdict::Clean {
        conclusive::why_inconclusive(&ev.inputs, &coverage, &ev.stats, ev.patch.as_ref())
    } else {
        Vec::new()
    };
    let verdict = if why_inconclusive.is_empty() {
        verdict
    } else {
        Verdict::Inconclusive
    };
    let taken = ledger::ledger(&ledger::LedgerInput {
        findings: &ev.findings,
        accesses: &ev.accesses,
        logons: &ev.logons,
    });
    let exposure = conclusive::exposure(ev.patch.as_ref(), std::mem::take(&mut ev.mitigations));
    ev.errors.sort();
    ev.errors.dedup();
    let mut next_steps = next_steps(verdict, &ev.findings, &taken, &coverage, &ev.errors);
    // What the ledger implies, after the verdict's first two steps (image
    // the server, cut it off) when it was breached, else first.
    let at = if verdict >= Verdict::Exploited { 2 } else { 0 };
    for (k, step) in steps::ledger_steps(&taken).into_iter().enumerate() {
        next_steps.insert((at + k).min(next_steps.len()), step);
    }
    if verdict == Verdict::Inconclusive {
        for (i, why) in why_inconclusive.iter().enumerate() {
            next_steps.insert(1 + i, why.clone());
        }
    }
    if let Some(d) = ev
        .discovery
        .as_ref()
        .filter(|d| d.exchange_install.is_none())
    {
        // Said before the generic "no logs" step would, and in the system
        // root's terms.
        next_steps.retain(|s| !s.starts_with("No Exchange logs were found"));
        next_steps.insert(
            0,
            format!(
                "Exchange was not found on {}{}: its logs and web folders were not checked. If Exchange is installed here, give its install folder (...\\Exchange Server\\V15) as a PATH{}.",
                d.root,
                if d.live { " (this server)" } else { "" },
                if d.live {
                    ""
                } else {
                    ", or its volume with --drive LETTER=DIR"
                }
            ),
        );
    }
    // On the server itself, files refused to the account exhunt runs as
    // mean it was not started as administrator.
    let denied = ev.errors.iter().any(|e| {
        let m = e.message.to_lowercase();
        m.contains("access is denied")
            || m.contains("os error 5)")
            || m.contains("permission denied")
    });
    if denied && ev.discovery.as_ref().is_some_and(|d| d.live) {
        next_steps.insert(
            0,
            "Some files were refused to this account (access denied): run exhunt again from a PowerShell opened as administrator, so the logs and event logs can be read.".to_string(),
        );
    }
    if let Some(p) = ev.patch.as_ref().filter(|p| !p.open_cves.is_empty()) {
        let campaigns = p.open_campaigns();
        next_steps.push(format!(
            "Patch the server: build {} ({}) leaves {} CVE(s) open{}. {} Patching closes the holes but does not remove an intruder already inside.",
            p.build,
            p.product,
            p.open_cves.len(),
            if campaigns.is_empty() {
                String::new()
            } else {
                format!(" ({})", campaigns.join(", "))
            },
            p.install
        ));
    }
    Report {
        schema: REPORT_SCHEMA.to_string(),
        tool: Tool {
            name: "exhunt".to_string(),
            version: version.to_string(),
        },
        inputs: ev.inputs,
        verdict,
        incomplete: !ev.errors.is_empty(),
        coverage,
        patch: ev.patch,
        findings: ev.findings,
        errors: ev.errors,
        next_steps,
        stats: ev.stats,
        suppressed: {
            let mut s = ev.suppressed;
            s.sort_by(|a, b| a.rule.cmp(&b.rule));
            s
        },
        rules: ev.rules,
        skipped: {
            let mut s = ev.skipped;
            s.sort();
            s
        },
        discovery: ev.discovery,
        why_inconclusive,
        exposure,
        host: ev.host,
        servers: Vec::new(),
        taken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::NextStep;
    use exhunt_core::{FindingKind, FindingParts, Severity, Verdict};

    fn f(rule: &str, v: Verdict, sev: Severity, time: Option<&str>, ip: &str) -> Finding {
        let parts = FindingParts {
            rule: rule.into(),
            title: rule.into(),
            cves: Vec::new(),
            kind: FindingKind::Attempt,
            verdict: v,
            severity: sev,
            source: "s".into(),
            next_step: None,
        };
        let mut x = Finding::from_parts(parts, "p").with("ClientIpAddress", ip);
        x.time = time.map(str::to_string);
        x
    }

    #[test]
    fn verdict_worst_wins_and_info_does_not_count() {
        let ev = Evidence {
            findings: vec![
                f(
                    "a",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-03T00:00:00Z"),
                    "1.2.3.4",
                ),
                f("b", Verdict::Compromised, Severity::Info, None, ""),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.verdict, Verdict::Attempted);
        assert!(!r.incomplete);
    }

    #[test]
    fn live_access_denied_asks_for_administrator() {
        let ev = |live: bool, msg: &str| Evidence {
            errors: vec![exhunt_core::ErrorEntry {
                path: "Windows/System32/winevt/Logs/Security.evtx".into(),
                message: msg.into(),
            }],
            discovery: Some(exhunt_core::SystemDiscovery {
                root: "C:\\".into(),
                live,
                exchange_install: Some(
                    "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\".into(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        };
        let admin = |r: &Report| r.next_steps.iter().any(|s| s.contains("as administrator"));
        assert!(admin(&judge(
            ev(true, "cannot read: Access is denied. (os error 5)"),
            "0"
        )));
        assert!(!admin(&judge(
            ev(false, "cannot read: Access is denied. (os error 5)"),
            "0"
        )));
        assert!(!admin(&judge(ev(true, "broken zip archive"), "0")));
        // Exchange found: no "not found" step.
        let r = judge(ev(true, "x"), "0");
        assert!(!r
            .next_steps
            .iter()
            .any(|s| s.starts_with("Exchange was not found")));
    }

    #[test]
    fn leads_are_raised_when_exploited() {
        let mut lead = f(
            "programdata-archive",
            Verdict::Compromised,
            Severity::Info,
            None,
            "",
        );
        lead.escalate_to = Some(Severity::Medium);
        let ev = Evidence {
            findings: vec![
                lead,
                f(
                    "x",
                    Verdict::Exploited,
                    Severity::High,
                    Some("2021-03-03T00:00:00Z"),
                    "1.2.3.4",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.verdict, Verdict::Compromised);
        assert_eq!(r.findings[1].severity, Severity::Medium);
        assert!(r.findings[1].evidence.contains_key("raised"));
    }

    #[test]
    fn autodiscover_row_of_a_successful_chain_is_named_so() {
        let ev = Evidence {
            findings: vec![
                f(
                    "proxylogon-ssrf-26855-attempt",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-03T06:49:42Z"),
                    "9.9.9.9",
                ),
                f(
                    "proxylogon-ssrf-26855-attempt",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-02T06:49:42Z"),
                    "8.8.8.8",
                ),
                f(
                    "proxylogon-ssrf-26855",
                    Verdict::Exploited,
                    Severity::High,
                    Some("2021-03-03T06:49:43Z"),
                    "9.9.9.9",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert!(!r.findings[0].evidence.contains_key("chain"));
        assert!(r.findings[1].title.contains("first step"));
        assert_eq!(r.findings[1].related, vec!["F0003"]);
    }

    #[test]
    fn ids_order_and_relations() {
        let ev = Evidence {
            findings: vec![
                f(
                    "b",
                    Verdict::Exploited,
                    Severity::High,
                    Some("2021-03-03T02:00:00Z"),
                    "9.9.9.9",
                ),
                f(
                    "a",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-03T01:00:00Z"),
                    "9.9.9.9",
                ),
                f(
                    "c",
                    Verdict::Attempted,
                    Severity::Low,
                    Some("2021-03-04T01:00:00Z"),
                    "127.0.0.1",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.findings[0].rule, "a");
        assert_eq!(r.findings[0].id, "F0001");
        assert_eq!(r.findings[0].related, vec!["F0002"]);
        assert!(r.findings[2].related.is_empty());
    }

    #[test]
    fn rule_specific_steps_come_from_the_findings_next_step() {
        let with = |step: NextStep, sev: Severity| {
            let mut x = f("any-rule", Verdict::Exploited, sev, None, "");
            x.next_step = Some(step);
            x
        };
        let starts = [
            (NextStep::CredentialsDumped, "A dump of LSASS was found"),
            (
                NextStep::WebshellWritten,
                "The logs show a web shell being written",
            ),
            (
                NextStep::WebshellUsed,
                "A web shell was used on this server",
            ),
            (NextStep::MailboxesTaken, "Mailboxes were exported or read"),
            (
                NextStep::TransportAgentInstalled,
                "A transport agent was installed",
            ),
        ];
        // In reverse, to show the order is the judge's, not the findings'.
        let all: Vec<Finding> = starts
            .iter()
            .rev()
            .map(|(n, _)| with(*n, Severity::High))
            .collect();
        let steps = next_steps(Verdict::Exploited, &all, &[], &[], &[]);
        let at: Vec<usize> = starts
            .iter()
            .map(|(_, t)| steps.iter().position(|s| s.starts_with(t)).expect(t))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
        for (n, t) in starts {
            let one = next_steps(
                Verdict::Exploited,
                &[with(n, Severity::Medium)],
                &[],
                &[],
                &[],
            );
            assert_eq!(
                starts
                    .iter()
                    .filter(|(_, t)| one.iter().any(|s| s.starts_with(t)))
                    .count(),
                1,
                "{n:?}"
            );
            assert!(one.iter().any(|s| s.starts_with(t)), "{n:?}");
            // A lead (info) calls for nothing on its own.
            let lead = next_steps(
                Verdict::Exploited,
                &[with(n, Severity::Info)],
                &[],
                &[],
                &[],
            );
            assert!(!lead.iter().any(|s| s.starts_with(t)), "{n:?}");
            // Nor does the rule's id without the step.
            let bare = f(n.as_str(), Verdict::Exploited, Severity::High, None, "");
            let bare = next_steps(Verdict::Exploited, &[bare], &[], &[], &[]);
            assert!(!bare.iter().any(|s| s.starts_with(t)), "{n:?}");
        }
        // Collection findings ask for the mailbox step without carrying it.
        let mut c = f("c", Verdict::Compromised, Severity::High, None, "");
        c.kind = FindingKind::Collection;
        assert!(next_steps(Verdict::Compromised, &[c], &[], &[], &[])
            .iter()
            .any(|s| s.starts_with("Mailboxes were exported or read")));
    }

    #[test]
    fn coverage_merges_and_old_logs_warning() {
        let w = |fam: &str, a: &str, b: &str| FileWindow {
            family: fam.into(),
            first: Some(a.into()),
            last: Some(b.into()),
        };
        let ev = Evidence {
            windows: vec![
                w(
                    "HttpProxy/Ecp",
                    "2021-03-02T00:00:00Z",
                    "2021-03-02T23:00:00Z",
                ),
                w(
                    "HttpProxy/Ecp",
                    "2021-03-01T00:00:00Z",
                    "2021-03-01T23:00:00Z",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.coverage.len(), 1);
        assert_eq!(r.coverage[0].files, 2);
        assert_eq!(r.coverage[0].first.as_deref(), Some("2021-03-01T00:00:00Z"));
        assert_eq!(r.coverage[0].last.as_deref(), Some("2021-03-02T23:00:00Z"));
        assert!(r.next_steps.iter().any(|s| s.contains("2021-03-01")));
        assert!(r
            .next_steps
            .iter()
            .any(|s| s.contains("No ECP/Server logs")));
    }
}
