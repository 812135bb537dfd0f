//! The finding gate: what keeps memory flat in the number of matching rows.
//!
//! Scans and failed attempts from servers probed every day for years would
//! fill memory and the report, and an intruder who expects a defender can
//! write millions of rows that match on purpose. So each rule keeps its
//! earliest findings up to a cap (the same ones whatever order the threads
//! deliver them in) and counts the rest into a [`Suppressed`] summary: how
//! many, first and last time, the clients, one row to look at.
//!
//! - noisy kinds (scans, failed attempts): [`NOISY_CAP`] per rule, gated as
//!   the rows are read ([`FindingGate::offer`]);
//! - everything else: [`FILE_CAP`] per rule in one file (the rest of that
//!   file's rows are counted as they are read, [`FileCap`]), then
//!   [`KEEP_CAP`] per rule over the whole scan, [`SEVERE_CAP`] for critical
//!   and high findings ([`FindingGate::admit`], as each file is done).
//!
//! The verdict does not change: a rule's earliest findings are kept, and
//! the worst of what was counted is in the summary's `severity`.

use exhunt_core::{Finding, FindingKind, Severity, Suppressed};
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

/// Most findings listed one by one for a noisy rule (scans and failed
/// attempts); the rest are counted. Keeps memory bounded on servers that
/// have been probed every day for years.
pub const NOISY_CAP: u64 = 1000;
/// Most findings of one rule kept from one file; the rest of the file's
/// rows are counted as they are read, so one huge log never piles up.
pub const FILE_CAP: u64 = 500;
/// Most findings of one rule kept over the whole scan (critical and high:
/// [`SEVERE_CAP`]).
pub const KEEP_CAP: u64 = 2000;
pub const SEVERE_CAP: u64 = 10_000;

/// Shared by all workers. Only flagged rows reach it, so the lock is
/// rarely taken.
#[derive(Default)]
pub(crate) struct FindingGate {
    rules: Mutex<HashMap<String, RuleFindings>>,
}

#[derive(Default)]
struct RuleFindings {
    kept: BinaryHeap<Ranked>,
    over: Option<Suppressed>,
}

impl RuleFindings {
    fn push_capped(&mut self, f: Finding, cap: u64) {
        self.kept.push(Ranked(f));
        if self.kept.len() as u64 > cap {
            let Ranked(late) = self.kept.pop().expect("over the cap");
            self.count(&late);
        }
    }

    fn count(&mut self, f: &Finding) {
        self.over.get_or_insert_with(Suppressed::default).count(f);
    }
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

fn noisy(f: &Finding) -> bool {
    matches!(f.kind, FindingKind::Scan | FindingKind::Attempt)
}

fn cap(f: &Finding) -> u64 {
    if noisy(f) {
        NOISY_CAP
    } else if f.severity <= Severity::High {
        SEVERE_CAP
    } else {
        KEEP_CAP
    }
}

impl FindingGate {
    /// As a row is read: takes the finding if its rule is noisy; gives it
    /// back otherwise (it stays with its file, which adds the lines after
    /// it, and comes back through [`FindingGate::admit`]).
    pub(crate) fn offer(&self, f: Finding) -> Option<Finding> {
        if !noisy(&f) {
            return Some(f);
        }
        let mut rules = self.rules.lock().expect("no panics while counting");
        rules
            .entry(f.rule.clone())
            .or_default()
            .push_capped(f, NOISY_CAP);
        None
    }

    /// A finding a file is done with: kept if it is among its rule's
    /// earliest, else counted.
    pub(crate) fn admit(&self, f: Finding) {
        let cap = cap(&f);
        let mut rules = self.rules.lock().expect("no panics while counting");
        rules.entry(f.rule.clone()).or_default().push_capped(f, cap);
    }

    /// A row beyond its file's cap: counted, never kept.
    pub(crate) fn count(&self, f: &Finding) {
        let mut rules = self.rules.lock().expect("no panics while counting");
        rules.entry(f.rule.clone()).or_default().count(f);
    }

    /// Runs `f` over the findings kept so far (the first pass's web shells
    /// for the second pass's request check).
    pub(crate) fn with_kept<T>(
        &self,
        f: impl FnOnce(&mut dyn Iterator<Item = &Finding>) -> T,
    ) -> T {
        let rules = self.rules.lock().expect("no panics while counting");
        let mut it = rules
            .values()
            .flat_map(|r| r.kept.iter().map(|Ranked(f)| f));
        f(&mut it)
    }

    /// The kept findings and the summaries of the rest.
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

/// One file's count of findings per rule, for [`FILE_CAP`].
#[derive(Default)]
pub(crate) struct FileCap {
    seen: HashMap<String, u64>,
}

impl FileCap {
    /// Whether the file may keep one more finding of this rule.
    pub(crate) fn allows(&mut self, f: &Finding) -> bool {
        let n = self.seen.entry(f.rule.clone()).or_insert(0);
        *n += 1;
        *n <= FILE_CAP
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::{FindingParts, Verdict};

    fn f(rule: &str, kind: FindingKind, sev: Severity, t: u32, ip: &str) -> Finding {
        let parts = FindingParts {
            rule: rule.into(),
            title: rule.into(),
            cves: Vec::new(),
            kind,
            verdict: Verdict::Exploited,
            severity: sev,
            source: "s".into(),
            next_step: None,
        };
        let mut x = Finding::from_parts(parts, "log").with("ClientIpAddress", ip);
        x.time = Some(format!(
            "2021-03-03T{:02}:{:02}:{:02}Z",
            t / 3600,
            t / 60 % 60,
            t % 60
        ));
        x.line = Some(t as u64);
        x
    }

    #[test]
    fn earliest_kept_whatever_the_order_the_rest_summarised() {
        let gate = FindingGate::default();
        let n = KEEP_CAP as u32 + 50;
        // Delivered latest first.
        for t in (0..n).rev() {
            gate.admit(f(
                "r",
                FindingKind::Exploitation,
                Severity::Medium,
                t,
                &format!("10.0.0.{}", t % 30),
            ));
        }
        let (kept, over) = gate.finish();
        assert_eq!(kept.len() as u64, KEEP_CAP);
        assert!(kept.iter().all(|k| k.line.unwrap() < KEEP_CAP));
        assert_eq!(over.len(), 1);
        let s = &over[0];
        assert_eq!(s.count, 50);
        assert_eq!(s.rule, "r");
        assert_eq!(s.severity, Some(Severity::Medium));
        assert_eq!(s.clients.len(), Suppressed::MAX_CLIENTS);
        assert!(s.more_clients);
        assert_eq!(s.sample.as_deref(), Some(format!("log:{}", n - 1).as_str()));
        assert_eq!(s.first.as_deref(), Some("2021-03-03T00:33:20Z"));
    }

    #[test]
    fn severe_findings_keep_more_noisy_ones_less() {
        let gate = FindingGate::default();
        for t in 0..(SEVERE_CAP as u32 + 5) {
            gate.admit(f(
                "crit",
                FindingKind::Exploitation,
                Severity::Critical,
                t,
                "1.2.3.4",
            ));
        }
        for t in 0..(NOISY_CAP as u32 + 7) {
            assert!(gate
                .offer(f("scan", FindingKind::Scan, Severity::Low, t, "1.2.3.4"))
                .is_none());
        }
        let (kept, over) = gate.finish();
        let n = |r: &str| kept.iter().filter(|f| f.rule == r).count() as u64;
        assert_eq!(n("crit"), SEVERE_CAP);
        assert_eq!(n("scan"), NOISY_CAP);
        let c = |r: &str| over.iter().find(|s| s.rule == r).unwrap().count;
        assert_eq!(c("crit"), 5);
        assert_eq!(c("scan"), 7);
    }

    #[test]
    fn a_files_cap_is_per_rule() {
        let mut cap = FileCap::default();
        let a = f("a", FindingKind::Exploitation, Severity::High, 1, "x");
        let b = f("b", FindingKind::Exploitation, Severity::High, 1, "x");
        assert!((0..FILE_CAP).all(|_| cap.allows(&a)));
        assert!(!cap.allows(&a));
        assert!(cap.allows(&b));
    }
}
