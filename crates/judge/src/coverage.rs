//! How far back each log family reaches: the per-file time windows merged
//! into one coverage line per family.

use crate::FileWindow;
use exhunt_core::Coverage;
use std::collections::BTreeMap;

pub(crate) fn merge_coverage(windows: &[FileWindow]) -> Vec<Coverage> {
    let mut by: BTreeMap<&str, Coverage> = BTreeMap::new();
    for w in windows {
        let c = by.entry(&w.family).or_insert_with(|| Coverage {
            family: w.family.clone(),
            first: None,
            last: None,
            files: 0,
        });
        c.files += 1;
        if let Some(f) = &w.first {
            if c.first.as_ref().is_none_or(|cur| f < cur) {
                c.first = Some(f.clone());
            }
        }
        if let Some(l) = &w.last {
            if c.last.as_ref().is_none_or(|cur| l > cur) {
                c.last = Some(l.clone());
            }
        }
    }
    by.into_values().collect()
}
