//! A whole-tree check: script files in web folders much newer than the
//! files beside them. It needs every file's time and whether its content
//! is stock, so it runs once after the file pass.

use exhunt_core::Finding;
use exhunt_detect::webfiles;
use exhunt_sources::Candidate;

/// Script files in web folders much newer than the files beside them
/// (leads). Stock content is not judged (updates rewrite it) but still
/// counts as a neighbour.
pub(crate) fn newer_than_neighbours(
    candidates: &[Candidate],
    stock_of: &[(usize, bool)],
) -> Vec<Finding> {
    let mut stock = vec![false; candidates.len()];
    for &(i, s) in stock_of {
        stock[i] = s;
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
            let c = &candidates[picked[n.index]];
            let name = c.rel.rsplit('/').next().unwrap_or(&c.rel);
            n.finding(&c.display).with("file_name", name)
        })
        .collect()
}
