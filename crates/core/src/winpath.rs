//! Windows paths as they appear in the registry, configuration files and
//! environment variables, handled the same on every OS.
//!
//! `%SystemDrive%\inetpub\logs\LogFiles`, `C:/Program Files/…`,
//! `\\?\C:\…`, `\\localhost\c$\…`, quoted values with trailing `\`: all
//! become a drive letter and a list of components, which are then looked
//! compared without regard to case (a copied or mounted Windows tree keeps
//! the case Windows never cared about). Looking them up on disk is
//! `exhunt-system`'s part.

use std::collections::BTreeMap;

/// A parsed absolute Windows path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinPath {
    /// Upper-case drive letter.
    pub drive: char,
    /// Components after the drive, without empty ones, `.` or `..` applied.
    pub parts: Vec<String>,
}

/// Why a value is not a usable local path. Each message quotes the value as
/// it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WinPathError {
    #[error("empty path")]
    Empty,
    #[error("{0:?} is a network path, not a local one")]
    Network(String),
    #[error("{0:?} is not an absolute Windows path")]
    NotAbsolute(String),
    /// The value, then the variable's name.
    #[error("{0:?} names an environment variable that is not known here: %{1}%")]
    UnknownVariable(String, String),
    /// A component with a character Windows does not allow in names.
    #[error("{0:?} is not a Windows path: {1:?} is not a valid file or folder name")]
    BadName(String, String),
}

/// The variables of a default Windows installation on `C:` (what offline
/// data is read against when the server's own are unknown).
pub fn default_vars() -> BTreeMap<String, String> {
    default_vars_for('C')
}

/// The variables of a default Windows installation on `drive`.
pub fn default_vars_for(drive: char) -> BTreeMap<String, String> {
    [
        ("SYSTEMDRIVE", ""),
        ("SYSTEMROOT", "\\Windows"),
        ("WINDIR", "\\Windows"),
        ("PROGRAMDATA", "\\ProgramData"),
        ("ALLUSERSPROFILE", "\\ProgramData"),
        ("PROGRAMFILES", "\\Program Files"),
        ("PROGRAMFILES(X86)", "\\Program Files (x86)"),
        ("PUBLIC", "\\Users\\Public"),
        ("HOMEDRIVE", ""),
        ("USERPROFILE", "\\Users\\%USERNAME%"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), format!("{drive}:{v}")))
    .collect()
}

/// The upper-case drive letter of `X:` (surrounding spaces allowed), the
/// form `%SystemDrive%` and a bare drive take.
pub fn drive_letter(s: &str) -> Option<char> {
    match s.trim().as_bytes() {
        [l, b':'] if l.is_ascii_alphabetic() => Some((*l as char).to_ascii_uppercase()),
        _ => None,
    }
}

/// Whether a value starts like a Windows absolute path (`X:`), so that a
/// variable of the environment can be trusted over the default.
pub fn has_drive(s: &str) -> bool {
    s.trim().as_bytes().get(1) == Some(&b':')
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
            if p.get(..prefix.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
            {
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
                    // Characters Windows never allows in a name: a value
                    // holding one is not a path (and `D:` inside one must
                    // never reach the host's own file system).
                    if c.chars().any(|ch| {
                        matches!(ch, ':' | '<' | '>' | '"' | '|' | '?' | '*') || ch.is_control()
                    }) {
                        return Err(WinPathError::BadName(raw.trim().to_string(), c.to_string()));
                    }
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
                    // Kept as is: `%ExchangeInstallDir%FrontEnd` relies on the
                    // value's trailing `\`; a doubled one is dropped by parse.
                    Some(v) => out.push_str(v),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        default_vars()
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
        // Non-ASCII names, and non-ASCII where a prefix is looked for.
        let p = WinPath::parse("C:\\Données\\Ünïcödé", &v).unwrap();
        assert_eq!(parts(&p), ["Données", "Ünïcödé"]);
        for odd in [
            "\\\\é",
            "\\é",
            "é:\\x",
            "\\\\?é\\x",
            "%é%\\x",
            "%",
            "C:\\inetpub\\D:\\x",
            "C:\\a\\b?\\c",
            "C:\\a\tb",
            "C:\\x|y",
        ] {
            assert!(WinPath::parse(odd, &v).is_err(), "{odd}");
        }
        // A lone percent sign is part of a name.
        let p = WinPath::parse("C:\\100% done\\x", &v).unwrap();
        assert_eq!(parts(&p), ["100% done", "x"]);
    }

    #[test]
    fn error_messages() {
        let v = vars();
        let msg = |raw: &str| WinPath::parse(raw, &v).unwrap_err().to_string();
        assert_eq!(msg(" "), "empty path");
        assert_eq!(
            msg("\\\\fileserver\\share"),
            r#""\\\\fileserver\\share" is a network path, not a local one"#
        );
        assert_eq!(
            msg("inetpub"),
            r#""inetpub" is not an absolute Windows path"#
        );
        assert_eq!(
            msg("%NoSuchVar%\\x"),
            r#""%NoSuchVar%\\x" names an environment variable that is not known here: %NoSuchVar%"#
        );
        assert_eq!(
            msg("C:\\x|y"),
            r#""C:\\x|y" is not a Windows path: "x|y" is not a valid file or folder name"#
        );
    }

    #[test]
    fn drives_and_defaults() {
        assert_eq!(drive_letter(" d: "), Some('D'));
        assert_eq!(drive_letter("/tmp/x"), None);
        assert_eq!(drive_letter("é:"), None);
        assert_eq!(default_vars_for('E')["SYSTEMROOT"], "E:\\Windows");
        assert_eq!(default_vars()["SYSTEMDRIVE"], "C:");
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
}
