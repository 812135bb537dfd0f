//! Whether a clean reading can be trusted, and the exposure headline.
//!
//! A verdict never claims more than the evidence: no trace in what was
//! read is `clean` only when what was read could have shown the attack.
//! It is `inconclusive` when nothing exhunt can judge was in the input (no
//! Exchange, IIS or event log, no web folder), or when the server's build
//! was open to a campaign exploited in the wild and the logs start after
//! that campaign's exploitation began: what happened before them cannot be
//! seen. (When the build is not known, that cannot be told: the exposure
//! headline says `BUILD UNKNOWN`.)
//!
//! The exposure headline (`EXPOSED`, `PATCHED`, `BUILD UNKNOWN`) stands
//! beside the verdict and never changes it.

use exhunt_core::{Coverage, Exposure, ExposureState, Mitigation, Patch, Stats, CAMPAIGN_WINDOWS};

/// Why a clean reading cannot be trusted; empty when it can.
pub(crate) fn why_inconclusive(
    inputs: &[String],
    coverage: &[Coverage],
    stats: &Stats,
    patch: Option<&Patch>,
) -> Vec<String> {
    let mut why = Vec::new();
    if coverage.is_empty() && stats.web_files == 0 {
        why.push(format!(
            "Nothing exhunt can judge was found in {}: no Exchange, IIS or Windows event log and no web folder.",
            if inputs.is_empty() {
                "the input".to_string()
            } else {
                inputs.join(", ")
            }
        ));
        return why;
    }
    let Some(p) = patch else {
        return why;
    };
    let first = coverage.iter().filter_map(|c| c.first.as_deref()).min();
    let open: Vec<(&str, &str)> = CAMPAIGN_WINDOWS
        .iter()
        .filter(|(c, ..)| p.campaigns.contains_key(*c))
        .map(|(c, from, _)| (*c, *from))
        .collect();
    let uncovered: Vec<String> = open
        .iter()
        .filter(|(_, from)| first.is_none_or(|f| f > *from))
        .map(|(c, from)| format!("{c} (exploited since {from})"))
        .collect();
    if uncovered.is_empty() {
        return why;
    }
    why.push(match first {
        Some(f) => format!(
            "The logs start on {}, but build {} was open to {}: whatever happened before {} cannot be seen in them.",
            &f[..f.len().min(10)],
            p.build,
            uncovered.join(", "),
            &f[..f.len().min(10)],
        ),
        None => format!(
            "No dated log was read, and build {} is open to {}: the logs that would show an attack are missing.",
            p.build,
            uncovered.join(", ")
        ),
    });
    why
}

/// The exposure headline from the build and the mitigations seen.
pub(crate) fn exposure(patch: Option<&Patch>, mitigations: Vec<Mitigation>) -> Exposure {
    let Some(p) = patch else {
        return Exposure {
            state: ExposureState::Unknown,
            summary: "BUILD UNKNOWN: no ExSetup.exe, Setup registry key or Exchange log header in the input, so whether the server is open to the exploited flaws cannot be told.".to_string(),
            mitigations,
            ..Exposure::default()
        };
    };
    let campaigns: Vec<String> = CAMPAIGN_WINDOWS
        .iter()
        .map(|(c, ..)| *c)
        .filter(|c| p.campaigns.contains_key(*c))
        .map(str::to_string)
        .collect();
    let cves: Vec<String> = campaigns
        .iter()
        .flat_map(|c| p.campaigns[c].iter().cloned())
        .collect();
    if campaigns.is_empty() {
        let other = p.open_cves.len();
        return Exposure {
            state: ExposureState::Patched,
            summary: format!(
                "PATCHED: build {} ({}) has the fixes for the flaws exploited in the wild{}.",
                p.build,
                p.product,
                if other > 0 {
                    format!("; {other} other CVE(s) are open (see the patch status)")
                } else {
                    String::new()
                }
            ),
            mitigations,
            ..Exposure::default()
        };
    }
    // A mitigation covers only its CVEs, and a campaign is mitigated only
    // when every one of its open CVEs is covered: the URL Rewrite rules
    // refuse the requests of one CVE of a chain (EOMT: CVE-2021-26855;
    // EOMTv2 and the Emergency Mitigation service: CVE-2022-41040), so the
    // headline names what they refuse and what stays open.
    let covers = |c: &str| mitigations.iter().any(|m| m.cves.iter().any(|x| x == c));
    let covered: Vec<&str> = cves
        .iter()
        .map(String::as_str)
        .filter(|c| covers(c))
        .collect();
    let open = format!(
        "build {} ({}) leaves {} open ({})",
        p.build,
        p.product,
        campaigns.join(", "),
        cves.join(", ")
    );
    let summary = if covered.is_empty() {
        let idle: Vec<&str> = mitigations.iter().map(|m| m.rule.as_str()).collect();
        if idle.is_empty() {
            format!("EXPOSED: {open}.")
        } else {
            format!(
                "EXPOSED: {open}; the mitigation rules found ({}) cover none of them.",
                idle.join(", ")
            )
        }
    } else {
        let by: Vec<String> = mitigations
            .iter()
            .filter(|m| m.cves.iter().any(|c| cves.contains(c)))
            .map(|m| format!("{} in {} ({})", m.rule, m.path, m.cves.join(", ")))
            .collect();
        let refused = format!(
            "requests for {} are refused by {}",
            covered.join(", "),
            by.join("; ")
        );
        let full: Vec<&str> = campaigns
            .iter()
            .filter(|c| p.campaigns[*c].iter().all(|x| covers(x)))
            .map(String::as_str)
            .collect();
        let uncovered: Vec<String> = campaigns
            .iter()
            .flat_map(|c| {
                p.campaigns[c]
                    .iter()
                    .filter(|x| !covers(x))
                    .map(move |x| format!("{x} ({c})"))
            })
            .collect();
        if uncovered.is_empty() {
            format!("EXPOSED, MITIGATED: {open}; {refused}.")
        } else {
            format!(
                "EXPOSED, PARTLY MITIGATED: {open}; {refused}; {}no mitigation covers {}.",
                if full.is_empty() {
                    String::new()
                } else {
                    format!("{} mitigated in full; ", full.join(", "))
                },
                uncovered.join(", ")
            )
        }
    };
    Exposure {
        state: ExposureState::Exposed,
        campaigns,
        cves,
        mitigations,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(campaigns: &[(&str, &[&str])]) -> Patch {
        Patch {
            build: "15.1.2106.2".into(),
            product: "Exchange Server 2016 CU18".into(),
            campaigns: campaigns
                .iter()
                .map(|(c, v)| (c.to_string(), v.iter().map(|x| x.to_string()).collect()))
                .collect(),
            source: String::new(),
            open_cves: Vec::new(),
            install: String::new(),
            update_level: None,
            history: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn rule(rule: &str, cve: &str) -> Mitigation {
        Mitigation {
            rule: rule.into(),
            path: "inetpub/wwwroot/web.config".into(),
            cves: vec![cve.into()],
        }
    }

    const PNS: (&str, &[&str]) = ("ProxyNotShell", &["CVE-2022-41040", "CVE-2022-41082"]);

    #[test]
    fn a_mitigation_covers_its_cves_only_and_says_what_stays_open() {
        let p = patch(&[("ProxyLogon", &["CVE-2021-26855"]), PNS]);
        let e = exposure(
            Some(&p),
            vec![rule("EEMS M1.1 PowerShell - inbound", "CVE-2022-41040")],
        );
        assert_eq!(e.state, ExposureState::Exposed);
        assert!(
            e.summary
                .starts_with("EXPOSED, PARTLY MITIGATED: build 15.1.2106.2"),
            "{}",
            e.summary
        );
        assert!(e.summary.contains("requests for CVE-2022-41040 are refused by EEMS M1.1 PowerShell - inbound in inetpub/wwwroot/web.config"), "{}", e.summary);
        assert!(
            e.summary.ends_with(
                "no mitigation covers CVE-2021-26855 (ProxyLogon), CVE-2022-41082 (ProxyNotShell)."
            ),
            "{}",
            e.summary
        );
        // Every open CVE covered: mitigated, and a campaign covered in full is named.
        let p = patch(&[("ProxyLogon", &["CVE-2021-26855"])]);
        let e = exposure(
            Some(&p),
            vec![rule("X-BEResource Abort - inbound", "CVE-2021-26855")],
        );
        assert!(
            e.summary.starts_with("EXPOSED, MITIGATED: "),
            "{}",
            e.summary
        );
        let p = patch(&[("ProxyLogon", &["CVE-2021-26855"]), PNS]);
        let e = exposure(
            Some(&p),
            vec![rule("X-BEResource Abort - inbound", "CVE-2021-26855")],
        );
        assert!(e.summary.contains("; ProxyLogon mitigated in full; no mitigation covers CVE-2022-41040 (ProxyNotShell), CVE-2022-41082 (ProxyNotShell)."), "{}", e.summary);
    }

    #[test]
    fn a_rule_for_other_cves_hides_nothing() {
        let p = patch(&[PNS]);
        let e = exposure(
            Some(&p),
            vec![rule("X-BEResource Abort - inbound", "CVE-2021-26855")],
        );
        assert!(
            e.summary.starts_with("EXPOSED: build 15.1.2106.2"),
            "{}",
            e.summary
        );
        assert!(
            e.summary.ends_with(
                "the mitigation rules found (X-BEResource Abort - inbound) cover none of them."
            ),
            "{}",
            e.summary
        );
        assert_eq!(e.mitigations.len(), 1);
        assert_eq!(exposure(Some(&p), vec![]).summary, "EXPOSED: build 15.1.2106.2 (Exchange Server 2016 CU18) leaves ProxyNotShell open (CVE-2022-41040, CVE-2022-41082).");
    }
}
