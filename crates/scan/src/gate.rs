//! The noise gate: scans and failed attempts from servers probed every day
//! for years would fill memory and the report; each noisy rule keeps the
//! earliest [`NOISY_CAP`] findings (the same ones whatever order the
//! threads deliver them in) and counts the rest.

use exhunt_core::{Finding, FindingKind, Suppressed};
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

/// Most findings listed one by one for a noisy rule (scans and failed
/// attempts); the rest are counted. Keeps memory bounded on servers that
/// have been probed every day for years.
pub const NOISY_CAP: u64 = 1000;

/// Shared by all workers: the noisy rules' findings. For each rule it keeps
/// the earliest `NOISY_CAP` (by time, path, line: the same ones whatever
/// order the threads deliver them in) and counts the rest. Only flagged
/// lines reach it, so the lock is rarely taken.
#[derive(Default)]
pub(crate) struct NoiseGate {
    rules: Mutex<HashMap<String, NoisyRule>>,
}

#[derive(Default)]
struct NoisyRule {
    kept: BinaryHeap<Ranked>,
    over: Option<Suppressed>,
}

/// A finding ordered by when and where it was seen.
struct Ranked(Finding);

impl Ranked {
    fn key(&self) -> (bool, Option<&str>, &str, Option<u64>) {
        let f = &self.0;
        (f.time.is_none(), f.time.as_deref(), f.path.as_str(), f.line)
    }
}
impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.key() == o.key()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.key().cmp(&o.key())
    }
}

impl NoiseGate {
    /// Takes the finding if its rule is noisy; gives it back otherwise.
    pub(crate) fn offer(&self, f: Finding) -> Option<Finding> {
        if !matches!(f.kind, FindingKind::Scan | FindingKind::Attempt) {
            return Some(f);
        }
        let mut rules = self.rules.lock().expect("no panics while counting");
        let r = rules.entry(f.rule.clone()).or_default();
        r.kept.push(Ranked(f));
        if r.kept.len() as u64 > NOISY_CAP {
            let Ranked(late) = r.kept.pop().expect("over the cap");
            let s = r.over.get_or_insert_with(|| Suppressed {
                rule: late.rule.clone(),
                count: 0,
                first: None,
                last: None,
            });
            s.count += 1;
            if let Some(t) = late.time {
                if s.first.as_ref().is_none_or(|c| &t < c) {
                    s.first = Some(t.clone());
                }
                if s.last.as_ref().is_none_or(|c| &t > c) {
                    s.last = Some(t);
                }
            }
        }
        None
    }

    /// The kept findings and the counts beyond the cap.
    pub(crate) fn finish(self) -> (Vec<Finding>, Vec<Suppressed>) {
        let mut kept = Vec::new();
        let mut over = Vec::new();
        for (_, r) in self.rules.into_inner().expect("no panics while counting") {
            kept.extend(r.kept.into_iter().map(|Ranked(f)| f));
            over.extend(r.over);
        }
        (kept, over)
    }
}
