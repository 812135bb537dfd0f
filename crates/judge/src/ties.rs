//! Leads that other evidence ties to an attack. Routine work (an
//! administrator in the EAC, a mailbox exported to a file share) is a lead
//! on its own; the same row is part of the attack when a finding at medium
//! or above shares its client address, request id or account, or when a
//! finding that moved the verdict to exploited or worse is within
//! [`WINDOW_SECS`] of it. Then the lead takes the reading its detector
//! kept for that case ([`exhunt_core::Raise`]), and says what tied it.
//!
//! The time tie needs an exploit, not an attempt: servers facing the
//! internet see refused probes every hour, and an administrator working
//! while a scanner knocks is not an intruder.

use crate::related::tie_value;
use exhunt_core::{time::iso_to_seconds, Finding, Severity, Verdict};
use std::collections::HashMap;

/// How close in time to an exploit a lead must be to be tied to it.
pub(crate) const WINDOW_SECS: i64 = 600;

/// Evidence fields that name the account that acted.
const ACCOUNT_FIELDS: &[&str] = &["account", "AuthenticatedUser", "cs-username"];

/// Accounts every server's logs are full of: they tie nothing.
const BUILTIN_ACCOUNTS: &[&str] = &[
    "system",
    "local service",
    "network service",
    "anonymous logon",
    "healthmailbox",
];

/// The short, lower-case name of an account written as `DOMAIN\user`,
/// `user@domain`, `domain/Users/user` or `user`; `None` for built-in
/// accounts, empty values and names too short to search for.
pub(crate) fn account_name(v: &str) -> Option<String> {
    let v = v.trim().trim_matches('"');
    if v.is_empty() || v == "-" || v.starts_with('(') {
        return None;
    }
    let last = v.rsplit(['\\', '/']).next().unwrap_or(v);
    let name = last.split('@').next().unwrap_or(last).trim().to_lowercase();
    let builtin = BUILTIN_ACCOUNTS
        .iter()
        .any(|b| name == *b || (*b == "healthmailbox" && name.starts_with(b)))
        || v.to_ascii_lowercase().starts_with("nt authority");
    (name.len() >= 3 && !builtin).then_some(name)
}

/// The client address of a finding (IIS or HttpProxy; the first of a
/// forwarded chain).
fn addresses(f: &Finding) -> impl Iterator<Item = String> + '_ {
    ["ClientIpAddress", "c-ip"]
        .into_iter()
        .filter_map(|k| tie_value(f.evidence.get(k)?.split(',').next()?))
}

/// The tie key of a finding's request id.
fn request_key(f: &Finding) -> Option<String> {
    let r = tie_value(f.evidence.get("RequestId")?)?;
    Some(format!("the same request id {r}"))
}

fn accounts(f: &Finding) -> impl Iterator<Item = String> + '_ {
    ACCOUNT_FIELDS
        .iter()
        .filter_map(|k| f.evidence.get(*k).and_then(|v| account_name(v)))
}

/// Whether `word` occurs in `hay` (both lower case) with no name character
/// on either side.
fn has_word(hay: &str, word: &str) -> bool {
    let name_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '-');
    hay.match_indices(word).any(|(i, _)| {
        !hay[..i].chars().next_back().is_some_and(name_char)
            && !hay[i + word.len()..].chars().next().is_some_and(name_char)
    })
}

/// Raises the leads that are tied to an attack; call after the ids are
/// given (the reason names the finding).
pub(crate) fn raise_tied(findings: &mut [Finding]) {
    if !findings.iter().any(|f| f.raise_if_tied.is_some()) {
        return;
    }
    // Severities order worst first.
    let strong: Vec<usize> = (0..findings.len())
        .filter(|&i| {
            let f = &findings[i];
            f.raise_if_tied.is_none()
                && f.severity <= Severity::Medium
                && f.verdict > Verdict::Clean
        })
        .collect();
    if strong.is_empty() {
        return;
    }
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut texts: Vec<(usize, String)> = Vec::new();
    let mut exploits: Vec<(i64, usize)> = Vec::new();
    for &i in &strong {
        let f = &findings[i];
        for a in addresses(f) {
            by_key
                .entry(format!("the same client address {a}"))
                .or_insert(i);
        }
        if let Some(k) = request_key(f) {
            by_key.entry(k).or_insert(i);
        }
        let text: String = f
            .evidence
            .values()
            .map(|v| v.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n");
        texts.push((i, text));
        if f.verdict >= Verdict::Exploited {
            if let Some(t) = f.time.as_deref().and_then(iso_to_seconds) {
                exploits.push((t, i));
            }
        }
    }
    exploits.sort_unstable();
    for li in 0..findings.len() {
        let Some(raise) = findings[li].raise_if_tied.as_deref() else {
            continue;
        };
        let lead = &findings[li];
        let stronger = raise.verdict > lead.verdict || raise.severity < lead.severity;
        if !stronger {
            continue;
        }
        let mut tie: Option<(String, usize)> = None;
        for a in addresses(lead) {
            let k = format!("the same client address {a}");
            if let Some(&i) = by_key.get(&k) {
                tie = Some((k, i));
                break;
            }
        }
        if tie.is_none() {
            if let Some(k) = request_key(lead) {
                tie = by_key.get(&k).map(|&i| (k, i));
            }
        }
        if tie.is_none() {
            tie = accounts(lead).find_map(|name| {
                texts
                    .iter()
                    .find(|(_, t)| has_word(t, &name))
                    .map(|(i, _)| (format!("the account {name}"), *i))
            });
        }
        if tie.is_none() {
            if let Some(t) = lead.time.as_deref().and_then(iso_to_seconds) {
                let from = exploits.partition_point(|(e, _)| *e < t - WINDOW_SECS);
                tie = exploits[from..]
                    .iter()
                    .take_while(|(e, _)| *e <= t + WINDOW_SECS)
                    .map(|&(e, i)| {
                        (
                            format!(
                                "within {} minute(s) of an exploit",
                                ((e - t).abs() + 59) / 60
                            ),
                            i,
                        )
                    })
                    .next();
            }
        }
        let Some((why, i)) = tie else { continue };
        let other = findings[i].id.clone();
        let raise = findings[li].raise_if_tied.take().expect("checked above");
        let f = &mut findings[li];
        f.kind = raise.kind;
        f.verdict = raise.verdict;
        f.severity = raise.severity;
        if let Some(t) = raise.title {
            f.title = t;
        }
        for c in raise.cves {
            if !f.cves.contains(&c) {
                f.cves.push(c);
            }
        }
        f.cves.sort();
        f.evidence.insert(
            "raised".to_string(),
            format!("routine on its own, but tied to {other}: {why}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_compared_by_their_short_form() {
        assert_eq!(account_name("CONTOSO\\admin1").as_deref(), Some("admin1"));
        assert_eq!(
            account_name("admin1@contoso.com").as_deref(),
            Some("admin1")
        );
        assert_eq!(
            account_name("contoso.local/Users/Admin1").as_deref(),
            Some("admin1")
        );
        assert_eq!(account_name("NT AUTHORITY\\SYSTEM"), None);
        assert_eq!(account_name("HealthMailbox0a1b2c"), None);
        assert_eq!(account_name("(empty: unauthenticated)"), None);
        assert_eq!(account_name("ab"), None);
    }

    fn finding(rule: &str, v: Verdict, s: Severity, time: &str, ev: &[(&str, &str)]) -> Finding {
        let mut f = Finding::from_parts(
            exhunt_core::FindingParts {
                rule: rule.into(),
                title: rule.into(),
                cves: vec![],
                kind: exhunt_core::FindingKind::Attempt,
                verdict: v,
                severity: s,
                source: "s".into(),
                next_step: None,
            },
            "p",
        );
        f.time = Some(time.into());
        for (k, val) in ev {
            f = f.with(k, *val);
        }
        f.id = format!("F-{rule}");
        f
    }

    fn lead(time: &str, ev: &[(&str, &str)]) -> Finding {
        let mut f = finding("lead", Verdict::Attempted, Severity::Info, time, ev);
        f.raise_if_tied = Some(Box::new(exhunt_core::Raise {
            kind: exhunt_core::FindingKind::Collection,
            verdict: Verdict::Compromised,
            severity: Severity::Critical,
            title: Some("raised".into()),
            cves: vec![],
        }));
        f
    }

    fn raised(mut v: Vec<Finding>) -> Option<String> {
        raise_tied(&mut v);
        let l = v.iter().find(|f| f.rule == "lead").unwrap();
        (l.severity == Severity::Critical).then(|| l.evidence["raised"].clone())
    }

    #[test]
    fn a_lead_is_raised_only_by_what_ties_it_to_an_attack() {
        const T: &str = "2022-11-02T09:41:00.000Z";
        let admin = [("account", "CONTOSO\\admin1"), ("c-ip", "10.0.1.5")];
        // Alone, or beside an unrelated attempt hours apart: routine.
        assert_eq!(raised(vec![lead(T, &admin)]), None);
        let probe = finding(
            "probe",
            Verdict::Attempted,
            Severity::Medium,
            "2022-11-02T02:00:00Z",
            &[("c-ip", "203.0.113.9")],
        );
        assert_eq!(raised(vec![lead(T, &admin), probe.clone()]), None);
        // An attempt minutes away ties nothing: scanners knock all day.
        let near_probe = finding(
            "probe",
            Verdict::Attempted,
            Severity::Medium,
            "2022-11-02T09:39:00Z",
            &[("c-ip", "203.0.113.9")],
        );
        assert_eq!(raised(vec![lead(T, &admin), near_probe]), None);
        // An exploit minutes away does.
        let exploit = finding(
            "x",
            Verdict::Exploited,
            Severity::High,
            "2022-11-02T09:35:00Z",
            &[("c-ip", "203.0.113.9")],
        );
        let why = raised(vec![lead(T, &admin), exploit]).unwrap();
        assert!(why.contains("F-x") && why.contains("minute"), "{why}");
        // The account granted the role in another finding.
        let grant = finding(
            "grant",
            Verdict::Compromised,
            Severity::High,
            "2022-11-01T00:00:00Z",
            &[("Data2", "-Role \"Mailbox Import Export\" -User \"admin1\"")],
        );
        let why = raised(vec![lead(T, &admin), grant]).unwrap();
        assert!(why.contains("admin1"), "{why}");
        // A longer name that starts with it is someone else.
        let other = finding(
            "grant",
            Verdict::Compromised,
            Severity::High,
            "2022-11-01T00:00:00Z",
            &[("Data2", "-User \"admin10\"")],
        );
        assert_eq!(raised(vec![lead(T, &admin), other]), None);
        // The same client address as an attempt at medium.
        let same_ip = finding(
            "probe",
            Verdict::Attempted,
            Severity::Medium,
            "2022-11-01T00:00:00Z",
            &[("ClientIpAddress", "10.0.1.5")],
        );
        assert!(raised(vec![lead(T, &admin), same_ip])
            .unwrap()
            .contains("10.0.1.5"));
        // Another lead ties nothing.
        let info = finding(
            "info",
            Verdict::Attempted,
            Severity::Info,
            T,
            &[("c-ip", "10.0.1.5")],
        );
        assert_eq!(raised(vec![lead(T, &admin), info]), None);
    }

    #[test]
    fn words_stand_alone() {
        assert!(has_word("-user \"admin1\" -role", "admin1"));
        assert!(has_word("contoso\\admin1", "admin1"));
        assert!(!has_word("administrator", "admin"));
        assert!(!has_word("admin10", "admin1"));
        assert!(!has_word("j.admin1", "admin1"));
    }
}
