//! MITRE ATT&CK technique ids for findings whose rule does not tag its
//! own (the built-in checks; a Sigma rule's `attack.t…` tags win): by rule,
//! then by the kind of activity the finding shows. Ids from the ATT&CK
//! Enterprise matrix (attack.mitre.org).

use exhunt_core::{Finding, FindingKind};

/// Rules whose technique differs from their kind's, by rule-id prefix.
const BY_RULE: &[(&str, &[&str])] = &[
    ("lsass-dump", &["T1003.001"]),
    ("memory-dump", &["T1003.001"]),
    ("archive-staging", &["T1560.001", "T1074.001"]),
    ("programdata-archive", &["T1074.001", "T1560.001"]),
    ("mailbox-export", &["T1114.002"]),
    ("proxyshell-mailbox-export", &["T1190", "T1114.002"]),
    ("proxyshell-import-export-role", &["T1098"]),
    ("exchange-transport-agent", &["T1505.002"]),
    ("owassrf", &["T1190", "T1059.001"]),
    ("proxynotshell", &["T1190", "T1059.001"]),
    ("proxyshell-rps-cat", &["T1190", "T1059.001"]),
    ("proxylogon-27065", &["T1190", "T1505.003"]),
    ("proxylogon-26858", &["T1190", "T1505.003"]),
    ("webserver-spawns-shell", &["T1505.003", "T1059.003"]),
    ("webshell-tunnel", &["T1505.003", "T1572"]),
    ("iis-vdir", &["T1505.003"]),
    ("eomt-mitigation-removed", &["T1562.001"]),
    ("attacker-ip", &["T1190"]),
];

/// The techniques of a finding that has none of its own.
pub(crate) fn techniques(f: &Finding) -> Vec<String> {
    if let Some((_, t)) = BY_RULE.iter().find(|(p, _)| f.rule.starts_with(p)) {
        return t.iter().map(|s| s.to_string()).collect();
    }
    let t: &[&str] = match f.kind {
        FindingKind::Exploitation | FindingKind::Attempt => &["T1190"],
        FindingKind::Scan => &["T1595.002"],
        FindingKind::Webshell => &["T1505.003"],
        FindingKind::Execution => &["T1059"],
        FindingKind::CredentialAccess => &["T1003"],
        FindingKind::Collection => &["T1114"],
        FindingKind::Persistence => &["T1505"],
        FindingKind::Staging => &["T1074.001"],
        FindingKind::Config => &["T1562.001"],
    };
    t.iter().map(|s| s.to_string()).collect()
}

/// Fills in the techniques of every finding without its own.
pub(crate) fn tag(findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.attack.is_empty()) {
        f.attack = techniques(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::{FindingParts, Severity, Verdict};

    fn f(rule: &str, kind: FindingKind) -> Finding {
        Finding::from_parts(
            FindingParts {
                rule: rule.into(),
                title: rule.into(),
                cves: vec![],
                kind,
                verdict: Verdict::Exploited,
                severity: Severity::High,
                source: "s".into(),
                next_step: None,
            },
            "p",
        )
    }

    #[test]
    fn rule_first_then_kind_and_own_tags_kept() {
        let mut v = vec![
            f("lsass-dump", FindingKind::CredentialAccess),
            f("proxylogon-ssrf-26855", FindingKind::Exploitation),
            f("webshell-aspnet-client", FindingKind::Webshell),
            f("sigma:x", FindingKind::Execution),
        ];
        v[3].attack = vec!["T1047".into()];
        tag(&mut v);
        assert_eq!(v[0].attack, ["T1003.001"]);
        assert_eq!(v[1].attack, ["T1190"]);
        assert_eq!(v[2].attack, ["T1505.003"]);
        assert_eq!(v[3].attack, ["T1047"]);
    }
}
