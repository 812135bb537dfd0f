//! Findings tied together: the same client address, request id or file
//! name.

use exhunt_core::Finding;
use std::collections::HashMap;

/// Most related ids listed on one finding (a scanner can leave thousands of
/// rows from one address; the first ones are enough to follow the thread).
const MAX_RELATED: usize = 20;

/// An evidence value as a key that ties findings (trimmed, lower case);
/// `None` for an empty one and for loopback, every local probe's address,
/// which ties nothing.
pub(crate) fn tie_value(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v != "127.0.0.1" && v != "::1").then(|| v.to_ascii_lowercase())
}

/// Keys that tie findings together.
pub(crate) fn keys(f: &Finding) -> Vec<String> {
    let mut k = Vec::new();
    for name in ["ClientIpAddress", "RequestId"] {
        if let Some(v) = f.evidence.get(name).and_then(|v| tie_value(v)) {
            k.push(format!("{name}={v}"));
        }
    }
    if let Some(v) = f.evidence.get("file_name") {
        k.push(format!("file={}", v.to_ascii_lowercase()));
    }
    k
}

pub(crate) fn relate(findings: &mut [Finding]) {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        for k in keys(f) {
            by_key.entry(k).or_default().push(i);
        }
    }
    let mut related: Vec<Vec<usize>> = vec![Vec::new(); findings.len()];
    for members in by_key.values() {
        if members.len() < 2 {
            continue;
        }
        for &i in members {
            // The first few of a key's members are enough, and looking at
            // all of them for each would be quadratic (thousands of rows
            // from one scanner's address).
            for &j in members.iter().take(MAX_RELATED * 4 + 1) {
                if i != j && related[i].len() < MAX_RELATED * 4 {
                    related[i].push(j);
                }
            }
        }
    }
    for (i, mut r) in related.into_iter().enumerate() {
        r.sort_unstable();
        r.dedup();
        r.truncate(MAX_RELATED);
        findings[i].related = r.iter().map(|&j| findings[j].id.clone()).collect();
    }
}
