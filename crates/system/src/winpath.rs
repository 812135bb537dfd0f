//! Windows paths as they appear in the registry, configuration files and
//! environment variables, handled the same on every OS.
//!
//! `%SystemDrive%\inetpub\logs\LogFiles`, `C:/Program Files/…`,
//! `\\?\C:\…`, `\\localhost\c$\…`, quoted values with trailing `\`: all
//! become a drive letter and a list of components, which are then looked
//! up under a folder without regard to case (a copied or mounted Windows
//! tree keeps the case Windows never cared about).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed absolute Windows path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinPath {
    /// Upper-case drive letter.
    pub drive: char,
    /// Components after the drive, without empty ones, `.` or `..` applied.
    pub parts: Vec<String>,
}

/// Why a value is not a usable local path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WinPathError {
    #[error("empty path")]
    Empty,
    #[error("{0:?} is a network path, not a local one")]
    Network(String),
    #[error("{0:?} is not an absolute Windows path")]
    NotAbsolute(String),
    #[error("{0:?} names an environment variable that is not known here: %{1}%")]
    UnknownVariable(String, String),
}

impl WinPath {
    /// Parses `raw`, expanding `%NAME%` from `vars` (keys upper-case).
    pub fn parse(raw: &str, vars: &BTreeMap<String, String>) -> Result<WinPath, WinPathError> {
        let trimmed = raw.trim().trim_matches('"').trim();
        if trimmed.is_empty() {
            return Err(WinPathError::Empty);
        }
        let expanded = expand(trimmed, vars)?;
        let mut p = expanded.replace('/', "\\");
        // Verbatim and device prefixes, then admin shares of this machine.
        for prefix in ["\\\\?\\UNC\\", "\\\\?\\", "\\\\.\\", "\\??\\"] {
            if p.len() >= prefix.len() && p[..prefix.len()].eq_ignore_ascii_case(prefix) {
                if prefix.ends_with("UNC\\") {
                    p = format!("\\\\{}", &p[prefix.len()..]);
                } else {
                    p = p[prefix.len()..].to_string();
                }
                break;
            }
        }
        if let Some(rest) = p.strip_prefix("\\\\") {
            let mut it = rest.splitn(3, '\\');
            let host = it.next().unwrap_or("").to_ascii_lowercase();
            let share = it.next().unwrap_or("");
            let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | ".");
            let sb = share.as_bytes();
            if local && sb.len() == 2 && sb[0].is_ascii_alphabetic() && sb[1] == b'$' {
                p = format!("{}:\\{}", sb[0] as char, it.next().unwrap_or(""));
            } else {
                return Err(WinPathError::Network(raw.trim().to_string()));
            }
        }
        let b = p.as_bytes();
        if b.len() < 2 || !b[0].is_ascii_alphabetic() || b[1] != b':' {
            return Err(WinPathError::NotAbsolute(raw.trim().to_string()));
        }
        if b.len() > 2 && b[2] != b'\\' {
            // `C:foo` is relative to the drive's current folder.
            return Err(WinPathError::NotAbsolute(raw.trim().to_string()));
        }
        // `.` and `..` are applied; Windows drops trailing dots and spaces
        // from names.
        let mut out: Vec<String> = Vec::new();
        for c in p[2..].split('\\') {
            match c {
                "" | "." => {}
                ".." => {
                    out.pop();
                }
                c => {
                    let c = c.trim_end_matches([' ', '.']);
                    if !c.is_empty() {
                        out.push(c.to_string());
                    }
                }
            }
        }
        Ok(WinPath {
            drive: (b[0] as char).to_ascii_uppercase(),
            parts: out,
        })
    }

    /// A child path.
    pub fn join(&self, rel: &str) -> WinPath {
        let mut w = self.clone();
        w.parts.extend(
            rel.split(['\\', '/'])
                .filter(|c| !c.is_empty())
                .map(String::from),
        );
        w
    }

    /// Whether `self` is `other` or inside it (without case).
    pub fn starts_with(&self, other: &WinPath) -> bool {
        self.drive == other.drive
            && self.parts.len() >= other.parts.len()
            && self
                .parts
                .iter()
                .zip(&other.parts)
                .all(|(a, b)| eq_no_case(a, b))
    }
}

impl std::fmt::Display for WinPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:\\{}", self.drive, self.parts.join("\\"))
    }
}

/// Expands `%NAME%` (case-insensitive names). `%%` and a lone `%` stay.
fn expand(s: &str, vars: &BTreeMap<String, String>) -> Result<String, WinPathError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('%') {
            Some(j) if j > 0 && !after[..j].contains(['\\', '/']) => {
                let name = &after[..j];
                match vars.get(&name.to_ascii_uppercase()) {
                    Some(v) => out.push_str(v.trim_end_matches('\\')),
                    None => {
                        return Err(WinPathError::UnknownVariable(
                            s.to_string(),
                            name.to_string(),
                        ))
                    }
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Case-insensitive name comparison as Windows does it (Unicode simple
/// case folding approximated by lower-casing).
pub fn eq_no_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (!a.is_ascii() && a.to_lowercase() == b.to_lowercase())
}

/// Looks `parts` up under `base`, one component at a time, without regard
/// to case: an exact name first, then the names equal without case (in
/// sorted order), backtracking when a later component is missing under the
/// first choice (a copy onto a case-sensitive disk can hold both `Windows`
/// and `WINDOWS`). Returns the path with the names as they are on disk, or
/// the first component that could not be found.
pub fn resolve_no_case(base: &Path, parts: &[String]) -> Result<PathBuf, String> {
    let mut deepest = 0;
    resolve_from(base.to_path_buf(), parts, 0, &mut deepest).ok_or_else(|| parts[deepest].clone())
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

    fn vars() -> BTreeMap<String, String> {
        [
            ("SYSTEMDRIVE", "C:"),
            ("SYSTEMROOT", "C:\\Windows"),
            ("PROGRAMDATA", "C:\\ProgramData"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn parts(p: &WinPath) -> Vec<&str> {
        p.parts.iter().map(String::as_str).collect()
    }

    #[test]
    fn spellings_of_the_same_path() {
        let v = vars();
        for raw in [
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\",
            "c:/Program Files/Microsoft/Exchange Server/V15",
            "\"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\\"",
            "\\\\?\\C:\\Program Files\\Microsoft\\Exchange Server\\V15",
            "\\\\localhost\\C$\\Program Files\\Microsoft\\Exchange Server\\V15",
            "%SystemDrive%\\Program Files\\Microsoft\\Exchange Server\\V15",
            "%systemdrive%\\\\Program Files\\.\\Microsoft\\x\\..\\Exchange Server\\V15\\",
            "  C:\\Program Files\\Microsoft\\Exchange Server\\V15.  ",
        ] {
            let p = WinPath::parse(raw, &v).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(p.drive, 'C', "{raw}");
            assert_eq!(
                parts(&p),
                ["Program Files", "Microsoft", "Exchange Server", "V15"],
                "{raw}"
            );
        }
    }

    #[test]
    fn other_drives_and_errors() {
        let v = vars();
        let p = WinPath::parse("d:\\Exchange\\V15", &v).unwrap();
        assert_eq!(p.drive, 'D');
        assert_eq!(p.to_string(), "D:\\Exchange\\V15");
        assert_eq!(WinPath::parse("  ", &v), Err(WinPathError::Empty));
        assert!(matches!(
            WinPath::parse("\\\\fileserver\\share\\x", &v),
            Err(WinPathError::Network(_))
        ));
        assert!(matches!(
            WinPath::parse("inetpub\\logs", &v),
            Err(WinPathError::NotAbsolute(_))
        ));
        assert!(matches!(
            WinPath::parse("C:inetpub", &v),
            Err(WinPathError::NotAbsolute(_))
        ));
        assert_eq!(
            WinPath::parse("%NoSuchVar%\\x", &v),
            Err(WinPathError::UnknownVariable(
                "%NoSuchVar%\\x".into(),
                "NoSuchVar".into()
            ))
        );
        // A lone percent sign is part of a name.
        let p = WinPath::parse("C:\\100% done\\x", &v).unwrap();
        assert_eq!(parts(&p), ["100% done", "x"]);
    }

    #[test]
    fn inside() {
        let v = vars();
        let a = WinPath::parse("C:\\ProgramData\\COM\\x", &v).unwrap();
        let b = WinPath::parse("c:\\programdata", &v).unwrap();
        assert!(a.starts_with(&b));
        assert!(!b.starts_with(&a));
        assert!(!WinPath::parse("D:\\ProgramData", &v)
            .unwrap()
            .starts_with(&b));
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
        assert_eq!(resolve_no_case(d.path(), &missing), Err("Nope".to_string()));
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
