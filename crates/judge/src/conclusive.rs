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
    let covered: Vec<&str> = cves
        .iter()
        .filter(|c| mitigations.iter().any(|m| m.cves.contains(c)))
        .map(String::as_str)
        .collect();
    let summary = if covered.is_empty() {
        format!(
            "EXPOSED: build {} ({}) leaves {} open ({}).",
            p.build,
            p.product,
            campaigns.join(", "),
            cves.join(", ")
        )
    } else {
        let by: Vec<String> = mitigations
            .iter()
            .map(|m| format!("{} in {} ({})", m.rule, m.path, m.cves.join(", ")))
            .collect();
        format!(
            "EXPOSED, MITIGATED: build {} ({}) leaves {} open ({}); requests for {} are refused by {}.",
            p.build,
            p.product,
            campaigns.join(", "),
            cves.join(", "),
            covered.join(", "),
            by.join("; ")
        )
    };
    Exposure {
        state: ExposureState::Exposed,
        campaigns,
        cves,
        mitigations,
        summary,
    }
}
