//! `path` and `name` indicators: how a listed path becomes the trailing
//! components it is compared on, how a listed name is checked, how a
//! scanned path is normalised, and the index by lower-case file name that
//! finds both kinds with one lookup per scanned file.

use super::{PathIoc, PathIocKind};
use crate::webfiles::{install_relative, web_place, WebPlace};
use std::collections::HashMap;

/// One path or name indicator under its lower-case file name.
#[derive(Debug)]
struct NameEntry {
    ioc: usize,
    /// `Some(normalised trailing path)` for a `path` indicator; `None` for a
    /// `name` one.
    key: Option<String>,
}

/// The `path` and `name` indicators by lower-case file name.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    by_name: HashMap<String, Vec<NameEntry>>,
}

impl NameIndex {
    /// Indexes the `path` and `name` indicators of `iocs`; `keys` holds, per
    /// indicator, its path key or lower-case name (`None` for a regex).
    pub(super) fn new(iocs: &[PathIoc], keys: &[Option<String>]) -> NameIndex {
        let mut by_name: HashMap<String, Vec<NameEntry>> = HashMap::new();
        for (i, (ioc, key)) in iocs.iter().zip(keys).enumerate() {
            let Some(key) = key else { continue };
            let (name, key) = match ioc.kind {
                PathIocKind::Path => (
                    key.rsplit('/').next().unwrap_or(key).to_string(),
                    Some(key.clone()),
                ),
                PathIocKind::Name => (key.clone(), None),
                PathIocKind::Regex => continue,
            };
            by_name
                .entry(name)
                .or_default()
                .push(NameEntry { ioc: i, key });
        }
        NameIndex { by_name }
    }

    /// Calls `hit` with the index of each `path` or `name` indicator the
    /// scanned `path` matches, in load order.
    ///
    /// Cheap for the common case of no match: one hash lookup of the
    /// lower-cased file name, on the stack.
    pub(super) fn matches(&self, path: &str, mut hit: impl FnMut(usize)) {
        let name = path.rsplit(['/', '\\']).next().unwrap_or("");
        if name.is_empty() || self.by_name.is_empty() {
            return;
        }
        let mut buf = [0u8; 256];
        let entries = if name.len() <= buf.len() {
            let b = &mut buf[..name.len()];
            b.copy_from_slice(name.as_bytes());
            b.make_ascii_lowercase();
            // ASCII lower-casing keeps UTF-8 valid.
            std::str::from_utf8(b)
                .ok()
                .and_then(|n| self.by_name.get(n))
        } else {
            self.by_name.get(&name.to_ascii_lowercase())
        };
        let Some(entries) = entries else { return };
        let norm = normalise(path);
        for e in entries {
            let ok = match &e.key {
                Some(key) => ends_with_components(&norm, key),
                None => name_place(&norm),
            };
            if ok {
                hit(e.ioc);
            }
        }
    }
}

/// Whether a `name` indicator may fire for a file (lower-case, `/`): only in
/// the folders the 2021 web shells were dropped in, where Exchange and IIS
/// ship none of the listed names.
fn name_place(norm: &str) -> bool {
    matches!(
        web_place(norm),
        Some(WebPlace::AspnetClient | WebPlace::WebRoot | WebPlace::OwaAuth | WebPlace::EcpAuth)
    )
}

/// `path` without leading separators, `\\?\`, `./` or a drive.
pub(super) fn strip_root(path: &str) -> &str {
    let mut p = path.trim_start_matches(['/', '\\']);
    if let Some(r) = p.strip_prefix("?/").or_else(|| p.strip_prefix("?\\")) {
        p = r;
    }
    if let Some(r) = p.strip_prefix("./").or_else(|| p.strip_prefix(".\\")) {
        p = r;
    }
    let b = p.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        p = &p[2..];
    }
    p.trim_start_matches(['/', '\\'])
}

/// Lower-case, `/`-separated, rootless.
fn normalise(path: &str) -> String {
    strip_root(path)
        .chars()
        .map(|c| {
            if c == '\\' {
                '/'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Whether `path` ends with the components of `key` (both normalised).
fn ends_with_components(path: &str, key: &str) -> bool {
    path.ends_with(key)
        && (path.len() == key.len() || path.as_bytes()[path.len() - key.len() - 1] == b'/')
}

/// Where a component starts in a `/`-separated path, if present.
fn component_start(p: &str, comp: &str) -> Option<usize> {
    let mut start = 0;
    for c in p.split('/') {
        if c == comp {
            return Some(start);
        }
        start += c.len() + 1;
    }
    None
}

/// The trailing components a `path` indicator is compared on, lower-case
/// with `/`: drive, `%VAR%` and install prefixes dropped.
pub(super) fn path_key(pattern: &str) -> Result<String, String> {
    if pattern.contains(['*', '?', '<', '>', '|', '"']) {
        return Err(format!(
            "{pattern:?}: wildcards are not supported in a path (write a `regex;score` line)"
        ));
    }
    let mut s = pattern.trim().replace('\\', "/").to_ascii_lowercase();
    if s.starts_with('%') {
        if let Some(end) = s[1..].find('%') {
            s = s[end + 2..].to_string();
        }
    }
    let s = normalise(&s);
    if s.is_empty() {
        return Err(format!("{pattern:?}: an empty path"));
    }
    if pattern.trim_end().ends_with(['/', '\\']) {
        return Err(format!(
            "{pattern:?}: a folder, not a file (write a `regex;score` line for a folder)"
        ));
    }
    if let Some(rel) = install_relative(&s) {
        return Ok(rel.to_string());
    }
    if let Some(i) = component_start(&s, "inetpub") {
        return Ok(s[i..].to_string());
    }
    for v in ["v15", "v14"] {
        let marker = format!("exchange server/{v}/");
        if let Some(i) = s.find(&marker) {
            if i == 0 || s.as_bytes()[i - 1] == b'/' {
                let rest = &s[i + marker.len()..];
                if !rest.is_empty() {
                    return Ok(rest.to_string());
                }
            }
        }
    }
    Ok(s)
}

/// A file name fit to be a `name` indicator, lower-cased.
pub(super) fn name_key(name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty()
        || n.len() > 255
        || n.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|'])
        || n.chars().any(char::is_control)
    {
        return Err(format!("{name:?}: not a file name"));
    }
    match n.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Ok(n.to_ascii_lowercase()),
        _ => Err(format!(
            "{name:?}: not a hash, path, file name (with an extension) or `regex;score` line"
        )),
    }
}
