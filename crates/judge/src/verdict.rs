//! The verdict: the worst that findings which move it say, after the
//! request that starts an exploit chain is marked as such.

use exhunt_core::{Finding, Verdict};

/// The public ProxyLogon chain starts with an SSRF to autodiscover (to learn
/// the administrator's LegacyDN). From an address whose later SSRF steps
/// succeeded, that row is the first step of a successful chain, not a
/// failed attempt: say so, so the reader does not take it for a separate one.
pub(crate) fn mark_chain_starts(findings: &mut [Finding]) {
    let exploited_from: std::collections::HashSet<String> = findings
        .iter()
        .filter(|f| {
            f.verdict >= Verdict::Exploited
                && f.rules
                    .iter()
                    .any(|r| r.starts_with("proxylogon-ssrf-26855"))
        })
        .filter_map(|f| f.evidence.get("ClientIpAddress").cloned())
        .collect();
    for f in findings.iter_mut() {
        if f.rule == "proxylogon-ssrf-26855-attempt"
            && f.evidence
                .get("ClientIpAddress")
                .is_some_and(|ip| exploited_from.contains(ip))
        {
            f.title = "ProxyLogon SSRF to autodiscover: first step of a successful chain from the same address".to_string();
            f.evidence.insert(
                "chain".to_string(),
                "the same client address has successful SSRF requests (see related findings)"
                    .to_string(),
            );
        }
    }
}

pub(crate) fn verdict_of(findings: &[Finding]) -> Verdict {
    findings
        .iter()
        .filter(|f| f.severity.moves_verdict())
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Clean)
}
