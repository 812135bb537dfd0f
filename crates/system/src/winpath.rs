//! Windows paths looked up on disk: the parsing is `exhunt_core::winpath`
//! (shared with the detectors that read paths out of configuration); here,
//! finding them under a folder without regard to case.

pub use exhunt_core::winpath::{drive_letter, eq_no_case, has_drive, WinPath, WinPathError};
use std::path::{Path, PathBuf};

/// Looks `parts` up under `base`, one component at a time, without regard
/// to case: an exact name first, then the names equal without case (in
/// sorted order), backtracking when a later component is missing under the
/// first choice (a copy onto a case-sensitive disk can hold both `Windows`
/// and `WINDOWS`). Returns the path with the names as they are on disk, or
/// the first component that could not be found.
pub fn resolve_no_case(base: &Path, parts: &[String]) -> Result<PathBuf, NotFound> {
    let mut deepest = 0;
    resolve_from(base.to_path_buf(), parts, 0, &mut deepest).ok_or_else(|| NotFound {
        missing: parts[deepest].clone(),
    })
}

/// A path [`resolve_no_case`] could not find: the first component missing
/// under every choice for the ones before it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not found (no \"{missing}\")")]
pub struct NotFound {
    pub missing: String,
}

fn resolve_from(cur: PathBuf, parts: &[String], i: usize, deepest: &mut usize) -> Option<PathBuf> {
    let Some(part) = parts.get(i) else {
        return Some(cur);
    };
    *deepest = (*deepest).max(i);
    // The listing gives the on-disk spelling even where the file system
    // itself ignores case (Windows, macOS).
    let mut names: Vec<String> = std::fs::read_dir(&cur)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| eq_no_case(n, part))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by_key(|n| (n != part, n.clone()));
    if names.is_empty() && std::fs::symlink_metadata(cur.join(part)).is_ok() {
        names.push(part.clone());
    }
    names
        .into_iter()
        .find_map(|n| resolve_from(cur.join(n), parts, i + 1, deepest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::winpath::default_vars;

    fn vars() -> std::collections::BTreeMap<String, String> {
        default_vars()
    }

    #[test]
    fn lookup_without_case() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("Program Files/Microsoft/Exchange Server/V15"))
            .unwrap();
        let want: Vec<String> = ["program files", "MICROSOFT", "exchange server", "v15"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = resolve_no_case(d.path(), &want).unwrap();
        assert_eq!(
            got,
            d.path().join("Program Files/Microsoft/Exchange Server/V15")
        );
        let missing: Vec<String> = ["Program Files", "Nope"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let err = resolve_no_case(d.path(), &missing).unwrap_err();
        assert_eq!(err.missing, "Nope");
        assert_eq!(err.to_string(), "not found (no \"Nope\")");
    }

    #[test]
    fn long_paths_with_spaces() {
        let d = tempfile::tempdir().unwrap();
        let mut rel = PathBuf::new();
        let mut win = String::from("C:");
        for i in 0..30 {
            let name = format!("Folder With Spaces {i:02}");
            rel.push(&name);
            win.push('\\');
            win.push_str(&name.to_uppercase());
        }
        assert!(win.len() > 260);
        std::fs::create_dir_all(d.path().join(&rel)).unwrap();
        let p = WinPath::parse(&win, &vars()).unwrap();
        assert_eq!(
            resolve_no_case(d.path(), &p.parts).unwrap(),
            d.path().join(rel)
        );
    }
}
