//! A whole-tree check: script files in web folders much newer than the
//! files beside them. It needs every file's time and whether its content
//! is stock, so it runs once after the file pass.

use exhunt_core::Finding;
use exhunt_detect::files::{seal, Sha256Of};
use exhunt_detect::webfiles;
use exhunt_sources::Candidate;

/// Script files in web folders much newer than the files beside them
/// (leads). Stock content is not judged (updates rewrite it) but still
/// counts as a neighbour. Each finding carries the file's size, time and
/// SHA-256 (or why there is none), as every file finding does.
pub(crate) fn newer_than_neighbours(
    candidates: &[Candidate],
    stock_of: &[(usize, bool, Option<Sha256Of>)],
) -> Vec<Finding> {
    let mut stock = vec![false; candidates.len()];
    let mut sha: Vec<Option<&Sha256Of>> = vec![None; candidates.len()];
    for (i, s, h) in stock_of {
        stock[*i] = *s;
        sha[*i] = h.as_ref();
    }
    // Only folders that hold a web-folder script file matter.
    let mut dirs = std::collections::HashSet::new();
    for c in candidates {
        if webfiles::is_script_name(&c.rel_lower) && webfiles::web_place(&c.rel_lower).is_some() {
            dirs.insert(c.rel_lower.rsplit_once('/').map_or("", |(d, _)| d));
        }
    }
    let picked: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let d = candidates[i]
                .rel_lower
                .rsplit_once('/')
                .map_or("", |(d, _)| d);
            dirs.contains(d)
        })
        .collect();
    let files: Vec<(String, Option<String>)> = picked
        .iter()
        .map(|&i| {
            (
                candidates[i].rel_lower.clone(),
                candidates[i].modified.clone(),
            )
        })
        .collect();
    webfiles::newer_than_neighbours_detail(&files)
        .into_iter()
        .filter(|n| !stock[picked[n.index]])
        .map(|n| {
            let i = picked[n.index];
            let c = &candidates[i];
            let name = c.rel.rsplit('/').next().unwrap_or(&c.rel);
            let mut f = n
                .finding(&c.display)
                .with("file_name", name)
                .with("size", c.size.to_string());
            if let Some(m) = &c.modified {
                f = f.with("modified", m.as_str());
            }
            let absent = Sha256Of::Absent("not hashed".to_string());
            seal(std::slice::from_mut(&mut f), sha[i].unwrap_or(&absent));
            f
        })
        .collect()
}
