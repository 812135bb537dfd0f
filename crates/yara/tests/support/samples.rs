//! Sample files of the YARA test data, shared by the corpus tests here and
//! the sweep tests of the binary (crates/cli/tests/sweep.rs).

use std::path::Path;

/// Every file under `dir` ending in `.txt`, with that safety suffix taken
/// off: (path relative to `dir`, `/` separators, original case; bytes).
/// Licence files and the tennc one-liner list are left out.
pub fn samples(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
                continue;
            }
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let Some(real) = rel.strip_suffix(".txt") else {
                continue;
            };
            let name = real.rsplit('/').next().unwrap();
            if name.starts_with("LICENSE") || name == "ASPX_one_liners_list" {
                continue;
            }
            out.push((real.to_string(), std::fs::read(&p).unwrap()));
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    assert!(!out.is_empty(), "no samples in {}", dir.display());
    out
}
