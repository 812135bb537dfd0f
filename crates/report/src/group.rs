//! Findings folded for the text summary: one entry per rule and title, with
//! how many, when, and from which client addresses, so that a hundred hits
//! of one exploit read as one line.

use exhunt_core::{Finding, Severity};
use std::collections::BTreeMap;

/// The findings of one rule with one title.
pub(crate) struct Group<'a> {
    /// The first in report order; it names the file and id shown.
    pub(crate) first: &'a Finding,
    pub(crate) count: usize,
    /// Earliest and latest time among the findings that have one.
    pub(crate) first_time: Option<&'a str>,
    pub(crate) last_time: Option<&'a str>,
    /// `ClientIpAddress` evidence, distinct, in order of appearance.
    pub(crate) ips: Vec<&'a str>,
}

/// The findings that move the verdict (`leads == false`) or the leads that
/// do not (`leads == true`), grouped, worst severity first, then by rule and
/// title.
pub(crate) fn groups(findings: &[Finding], leads: bool) -> Vec<Group<'_>> {
    let mut by: BTreeMap<(Severity, &str, &str), Group<'_>> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f.severity.moves_verdict() != leads)
    {
        let g = by
            .entry((f.severity, f.rule.as_str(), f.title.as_str()))
            .or_insert(Group {
                first: f,
                count: 0,
                first_time: None,
                last_time: None,
                ips: Vec::new(),
            });
        g.count += 1;
        if let Some(t) = f.time.as_deref() {
            if g.first_time.is_none_or(|c| t < c) {
                g.first_time = Some(t);
            }
            if g.last_time.is_none_or(|c| t > c) {
                g.last_time = Some(t);
            }
        }
        if let Some(ip) = f.evidence.get("ClientIpAddress") {
            if !g.ips.contains(&ip.as_str()) {
                g.ips.push(ip);
            }
        }
    }
    by.into_values().collect()
}
