//! exhunt-embed: what the build scripts of the crates that bundle rule
//! files share. `exhunt-detect` (Sigma) and `exhunt-yara` (YARA) each
//! generate one Rust file listing every rule file under a folder of
//! `rules/`, each as `(path under that folder, include_str!(…))`, so that one
//! `exhunt` binary carries its rules wherever it is copied.
//!
//! Only build scripts use this crate: it reads Cargo's build-script
//! environment (`CARGO_MANIFEST_DIR`, `OUT_DIR`) and prints
//! `cargo:rerun-if-changed` lines, and it panics on what a build must stop
//! for (the environment missing, the output not writable).

#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Writes `OUT_DIR/out_file` declaring
/// `pub const CONST_NAME: &[(&str, &str)]`, with `doc` as its doc comment:
/// one `(relative path, text)` pair per file under
/// `CARGO_MANIFEST_DIR/rules_dir_from_manifest` whose extension is one of
/// `extensions`, sorted by path, the relative path with `/` separators.
/// Asks Cargo to run the build script again when the folder or any file
/// found changes.
///
/// The text is `include_str!` of the file's canonical path, so that the
/// compiler, not this function, reads it (and tracks it as an input).
pub fn embed_rules(
    rules_dir_from_manifest: &str,
    extensions: &[&str],
    const_name: &str,
    doc: &str,
    out_file: &str,
) {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let rules = manifest.join(rules_dir_from_manifest);
    println!("cargo:rerun-if-changed={}", rules.display());
    let files = rule_files(&rules, extensions);
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let code = generate(&rules, &files, const_name, doc);
    let out = PathBuf::from(env("OUT_DIR")).join(out_file);
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}

/// The files under `dir` (any depth, links followed as the file system
/// shows them) with one of `extensions`, sorted. A folder that cannot be
/// read contributes nothing: a missing rules folder is an empty list.
fn rule_files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(dir, extensions, &mut files);
    files.sort();
    files
}

fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, extensions, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.push(p);
        }
    }
}

/// The generated Rust source for `files` (all under `rules`).
fn generate(rules: &Path, files: &[PathBuf], const_name: &str, doc: &str) -> String {
    let mut code = format!("/// {doc}\npub const {const_name}: &[(&str, &str)] = &[\n");
    for f in files {
        let rel = f
            .strip_prefix(rules)
            .expect("found under the rules folder")
            .to_string_lossy()
            .replace('\\', "/");
        let abs = match f.canonicalize() {
            Ok(abs) => abs,
            Err(e) => panic!("cannot resolve {}: {e}", f.display()),
        };
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    code.push_str("];\n");
    code
}

/// A variable Cargo sets for build scripts.
fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: call this from a build script"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_matching_files_sorted_with_forward_slashes() {
        let d = tempdir();
        let rules = d.join("rules");
        for f in ["b.yml", "a/z.yaml", "a/y.txt", "c.YML", "a/b/x.yml"] {
            let p = rules.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        let files = rule_files(&rules, &["yml", "yaml"]);
        let code = generate(&rules, &files, "BUNDLED_SIGMA", "The rules.");
        let canon = |f: &str| {
            format!(
                "{:?}",
                rules.join(f).canonicalize().unwrap().display().to_string()
            )
        };
        assert_eq!(
            code,
            format!(
                "/// The rules.\npub const BUNDLED_SIGMA: &[(&str, &str)] = &[\n    (\"a/b/x.yml\", include_str!({})),\n    (\"a/z.yaml\", include_str!({})),\n    (\"b.yml\", include_str!({})),\n];\n",
                canon("a/b/x.yml"),
                canon("a/z.yaml"),
                canon("b.yml")
            )
        );
        assert!(rule_files(&d.join("missing"), &["yml"]).is_empty());
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A fresh folder under the system's temporary one (this crate has no
    /// dependencies, so no `tempfile`).
    fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "exhunt-embed-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
